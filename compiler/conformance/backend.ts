import type { Model } from '../ir/graph.js';
import { modelOps } from '../ir/model-ops.js';
import type { InputSignature } from '../structured-io.js';
import { GraphExecutor } from '../reference/executor.js';
import { findOp, opsetMismatch } from '../reference/registry.js';
import type { Value } from '../reference/value.js';
import type { Tensor } from '../../runtime/tensor.js';
import type { BackendName } from './backend-names.js';
import { wasmBackend } from './wasm-backend.js';
import { webGpuBackend } from './webgpu-backend.js';

/**
 * How a case is compiled: graph inputs frozen to the case's values (`kiln compile --bind`), and the
 * structure of sequence/optional inputs fixed to the case's (compiler/structured-io.ts).
 */
export interface PrepareOptions {
  bind?: ReadonlyMap<string, Tensor>;
  signatures?: ReadonlyMap<string, InputSignature>;
}

/** A way to run models, for conformance testing: the reference executor and the targets (wasm, ...). */
export interface Backend {
  name: string;
  /**
   * The backend compiles shape-specialised code and supports `bind`: the runner then binds the graph
   * inputs that decide shapes (compiler/analysis/shape-operands.ts) to the case's values, and the
   * prepared model must refuse a run fed other values.
   */
  bindsShapeInputs?: boolean;
  /** Why this backend cannot run the model (unsupported or out-of-scope ops), or undefined. */
  unsupportedReason(model: Model, options?: PrepareOptions): string | undefined;
  prepare(model: Model, options?: PrepareOptions): PreparedModel;
}

export interface PreparedModel {
  run(feeds: Map<string, Value>): Map<string, Value>;
}

/** A backend on a device (WebGPU): preparing and running are asynchronous (runCaseAsync). */
export interface AsyncBackend {
  name: string;
  bindsShapeInputs?: boolean;
  unsupportedReason(model: Model, options?: PrepareOptions): string | undefined;
  prepare(model: Model, options?: PrepareOptions): Promise<AsyncPreparedModel>;
}

export interface AsyncPreparedModel {
  run(feeds: Map<string, Value>): Promise<Map<string, Value>>;
  /** Free device resources once the case is done. */
  release(): void;
}

export type AnyBackend = Backend | AsyncBackend;

/** Domains and ops declared out of scope for inference backends: counted as unsupported, with this reason. */
const OUT_OF_SCOPE_DOMAINS: Record<string, string> = {
  'ai.onnx.preview.training': 'out of scope: training op',
};
const OUT_OF_SCOPE_OPS: Record<string, string> = {
  StringNormalizer: 'out of scope: string op',
  RegexFullMatch: 'out of scope: string op',
  StringConcat: 'out of scope: string op',
  StringSplit: 'out of scope: string op',
};

export function referenceUnsupportedReason(model: Model): string | undefined {
  const missing: string[] = [];
  const opsetOf = (domain: string) => model.opsetImports.get(domain) ?? 1;
  for (const { domain, op } of modelOps(model)) {
    const name = domain ? `${domain}.${op}` : op;
    if (OUT_OF_SCOPE_DOMAINS[domain]) return `${OUT_OF_SCOPE_DOMAINS[domain]} ${name}`;
    if (!domain && OUT_OF_SCOPE_OPS[op]) return `${OUT_OF_SCOPE_OPS[op]} ${name}`;
    const def = findOp(domain, op);
    if (!def) missing.push(name);
    else {
      const mismatch = opsetMismatch(def, opsetOf(domain));
      if (mismatch) return `opset not implemented: ${mismatch}`;
    }
  }
  return missing.length ? `op not implemented: ${missing.join(', ')}` : undefined;
}

export const referenceBackend: Backend = {
  name: 'reference',
  unsupportedReason: referenceUnsupportedReason,
  prepare(model) {
    const exec = GraphExecutor.forModel(model);
    return { run: (feeds) => exec.run(model.graph, feeds) };
  },
};

export const BACKENDS: Record<BackendName, AnyBackend> = {
  reference: referenceBackend,
  /** The wasm target's relaxed-SIMD (FMA) module; `wasm-simd` runs the plain SIMD128 one. */
  wasm: wasmBackend('relaxed'),
  'wasm-simd': wasmBackend('simd'),
  /** The webgpu target on Dawn (a GPU, or Mesa's lavapipe on the CPU). */
  webgpu: webGpuBackend(),
};
