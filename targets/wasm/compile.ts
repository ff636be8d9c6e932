import { type ArtifactSourceOptions, targetManifest } from '../artifact-manifest.js';
import type { Model } from '../../compiler/ir/graph.js';
import { type ElemType, elemBytes } from '../../compiler/kernel/ir.js';
import { type LoweredModel, lowerModel } from '../../compiler/kernel/lower/index.js';
import { kernelTensors } from '../../compiler/plan/kernel-tensors.js';
import { DEFAULT_PIPELINE, type PipelineOptions, runPipeline } from '../../compiler/passes/index.js';
import { planMemory } from '../../compiler/plan/memory.js';
import { writeArtifact } from '../../runtime/artifact/index.js';
import {
  type WasmLayout,
  WASM_LAYOUT_PATH,
  MAX_THREADS,
  THREADED_MODULES,
  SYNC,
  wasmPages,
} from '../../runtime/wasm/layout.js';
import { KilnError } from '../../runtime/errors.js';
import { type SelfTestSample, addSelfTestFiles, makeSelfTestSample } from '../../compiler/self-test.js';
import { bindInputs } from '../../compiler/bind-inputs.js';
import { type InputSignature, fixInputs, flattenOutputs } from '../../compiler/structured-io.js';
import type { StructuredIo } from '../../runtime/structured-io.js';
import type { BoundInput } from '../../runtime/bound-inputs.js';
import type { Tensor } from '../../runtime/tensor.js';
import { renderWasm } from './render.js';

export interface WasmCompileOptions extends ArtifactSourceOptions {
  /** Graph passes to run first (default: the full pipeline); the model is rewritten in place. */
  passes?: string[];
  /** Called after each pass (e.g. to print the IR for --dump-ir). */
  onPass?: PipelineOptions['onPass'];
  /** Run binaryen's optimiser on the generated module (default true). */
  optimize?: boolean;
  /**
   * Also render the threaded variants (shared memory, `run(tid, nthreads)`) and record this as the
   * artifact's default thread count (manifest `compiler.threads`); 1 or absent: single-threaded only.
   */
  threads?: number;
  /**
   * Store a self-test sample in the artifact (default true): seeded inputs and the reference
   * executor's outputs on the model before any pass. `false` for models whose reference run is slow.
   */
  selfTest?: boolean;
  /**
   * Graph inputs to freeze at compile time (`--bind NAME=FILE.npy`), typically those deciding shapes
   * (Reshape's shape, Slice's starts, ...): they stay inputs, but a run must feed exactly these values.
   */
  bind?: ReadonlyMap<string, Tensor>;
  /**
   * The structure of sequence and optional graph inputs (length and element dims, presence), and
   * dims for tensor inputs with symbolic ones: fixed at compile time, values still fed at run time
   * (compiler/structured-io.ts).
   */
  signatures?: ReadonlyMap<string, InputSignature>;
  /** Export each kernel as `kernel<i>` from the single-threaded modules (bench/profile.ts times them). */
  exportKernels?: boolean;
}

export interface WasmCompileResult {
  lowered: LoweredModel;
  layout: WasmLayout;
  /** Plain SIMD128 module and the relaxed-SIMD (FMA) variant; with `threads` > 1, threaded ones too. */
  modules: { simd: Uint8Array; relaxed: Uint8Array; threads?: { simd: Uint8Array; relaxed: Uint8Array } };
  weights: Uint8Array;
  arena: { bytes: number; naiveBytes: number };
  /** Default thread count (1: no threaded variants). */
  threads: number;
  /** The sample `wasmArtifact` stores (absent with `selfTest: false`). */
  selfTest?: SelfTestSample;
  /** Inputs bound at compile time (the manifest's `boundInputs`); empty when none. */
  bound: BoundInput[];
  /** Sequence and optional inputs/outputs flattened into tensors (the manifest's `structuredIo`). */
  structured: StructuredIo;
}

const align = (n: number, a = 16) => Math.ceil(n / a) * a;

/**
 * Compile a model for the WASM target: lower to kernels, plan the activation arena from liveness,
 * lay the weights out after it, and render both module variants.
 */
export function compileWasm(model: Model, options: WasmCompileOptions = {}): WasmCompileResult {
  // before the pipeline, which rewrites the model in place
  const bind = options.bind ?? new Map<string, Tensor>();
  const bound = bindInputs(model, bind);
  const structuredInputs = fixInputs(model, options.signatures);
  const selfTest = options.selfTest === false ? undefined : makeSelfTestSample(model, undefined, bind);
  runPipeline(model, { passes: options.passes ?? DEFAULT_PIPELINE, onPass: options.onPass });
  const structured = { inputs: structuredInputs, outputs: flattenOutputs(model) };
  const lowered = lowerModel(model);
  const bytesOf = (name: string) => {
    const b = lowered.buffers.get(name)!;
    return b.size * elemBytes(b.dtype ?? 'f32');
  };
  const plan = planMemory(kernelTensors(lowered), { stepCount: Math.max(1, lowered.kernels.length) });
  const addresses = new Map<string, number>();
  const base = 16; // keep address 0 unused so a stray null pointer never aliases a tensor
  for (const [id, off] of plan.offsets) addresses.set(id, base + off);
  let at = align(base + plan.arenaBytes);
  const weightsOffset = at;
  const weightParts: { offset: number; data: Float32Array | Uint8Array }[] = [];
  for (const b of lowered.buffers.values()) {
    if (b.role !== 'weight') continue;
    addresses.set(b.name, at);
    weightParts.push({ offset: at - weightsOffset, data: b.data! });
    at = align(at + bytesOf(b.name));
  }
  const weights = new Uint8Array(at - weightsOffset);
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS)
    throw new KilnError(`threads must be an integer from 1 to ${MAX_THREADS}, got ${threads}`);
  // the threaded variants' barrier words, on their own cache line after the weights
  const syncOffset = threads > 1 ? align(at, 64) : undefined;
  if (syncOffset !== undefined) at = syncOffset + SYNC.bytes;
  for (const p of weightParts)
    weights.set(new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength), p.offset);
  const optimize = options.optimize ?? true;
  const exportKernels = options.exportKernels ?? false;
  const dtypes = new Map<string, ElemType>();
  for (const b of lowered.buffers.values()) if (b.dtype && b.dtype !== 'f32') dtypes.set(b.name, b.dtype);
  const modules = {
    simd: renderWasm(lowered.kernels, addresses, { relaxedSimd: false, optimize, exportKernels }, dtypes),
    relaxed: renderWasm(lowered.kernels, addresses, { relaxedSimd: true, optimize, exportKernels }, dtypes),
    ...(syncOffset !== undefined
      ? { threads: renderThreaded(lowered, addresses, optimize, at, syncOffset, dtypes) }
      : {}),
  };
  const layout: WasmLayout = {
    memoryBytes: at,
    weightsOffset,
    ...(syncOffset !== undefined ? { syncOffset } : {}),
    inputs: lowered.inputs.map((t) => ({
      name: t.name,
      offset: addresses.get(t.buffer)!,
      shape: t.shape,
      ...(t.dtype !== 'float32' ? { dtype: t.dtype } : {}),
    })),
    outputs: lowered.outputs.map((t) => ({
      name: t.name,
      offset: addresses.get(t.buffer)!,
      shape: t.shape,
      ...(t.dtype !== 'float32' ? { dtype: t.dtype } : {}),
    })),
  };
  return {
    lowered,
    layout,
    modules,
    weights,
    arena: { bytes: plan.arenaBytes, naiveBytes: plan.naiveBytes },
    threads,
    ...(selfTest ? { selfTest } : {}),
    bound,
    structured,
  };
}

function renderThreaded(
  lowered: LoweredModel,
  addresses: Map<string, number>,
  optimize: boolean,
  memoryBytes: number,
  syncOffset: number,
  dtypes: ReadonlyMap<string, ElemType>,
): { simd: Uint8Array; relaxed: Uint8Array } {
  const threads = { memoryPages: wasmPages(memoryBytes), syncOffset };
  return {
    simd: renderWasm(lowered.kernels, addresses, { relaxedSimd: false, optimize, threads }, dtypes),
    relaxed: renderWasm(lowered.kernels, addresses, { relaxedSimd: true, optimize, threads }, dtypes),
  };
}

/** Package a compiled model as a .kiln artifact (manifest, both modules, weights, layout). */
export async function wasmArtifact(
  result: WasmCompileResult,
  options: WasmCompileOptions = {},
): Promise<Uint8Array> {
  const utf8 = new TextEncoder();
  const files = new Map<string, Uint8Array>([
    ['model.wasm', result.modules.simd],
    ['model.relaxed.wasm', result.modules.relaxed],
    ['weights.bin', result.weights],
    [WASM_LAYOUT_PATH, utf8.encode(JSON.stringify(result.layout))],
  ]);
  const threaded = result.modules.threads;
  if (threaded) {
    files.set(THREADED_MODULES.simd, threaded.simd);
    files.set(THREADED_MODULES.relaxed, threaded.relaxed);
  }
  const selfTest = result.selfTest ? addSelfTestFiles(files, result.selfTest) : undefined;
  const manifest = targetManifest(
    result,
    options,
    {
      name: 'wasm',
      features: [
        'simd128',
        'relaxed-simd (optional variant)',
        ...(threaded ? ['threads (optional variant)'] : []),
      ],
    },
    {
      optimize: options.optimize ?? true,
      passes: options.passes ?? DEFAULT_PIPELINE,
      ...(threaded ? { threads: result.threads } : {}),
    },
    selfTest,
  );
  return writeArtifact({ manifest, files });
}
