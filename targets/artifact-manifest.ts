import { createHash } from 'node:crypto';
import type { LoweredModel } from '../compiler/kernel/lower/index.js';
import type { ManifestDraft } from '../runtime/artifact/index.js';
import type { KilnManifest } from '../runtime/artifact/manifest.js';
import type { BoundInput } from '../runtime/bound-inputs.js';
import type { DType } from '../runtime/dtype.js';
import type { StructuredIo } from '../runtime/structured-io.js';

/** What every target's compile result has that the manifest describes. */
export interface CompiledForManifest {
  lowered: LoweredModel;
  layout: { inputs: IoTensor[]; outputs: IoTensor[] };
  arena: { bytes: number; naiveBytes: number };
  bound: BoundInput[];
  structured: StructuredIo;
}

interface IoTensor {
  name: string;
  shape: number[];
  dtype?: DType;
}

export interface ArtifactSourceOptions {
  /** Recorded in the manifest (the CLI passes its own version). */
  kilnVersion?: string;
  /** The ONNX file's bytes, hashed into `source.sha256` (zeros when absent). */
  sourceBytes?: Uint8Array;
  sourceName?: string;
}

/**
 * The manifest fields every target fills the same way (docs/artifact.md): identity, source, I/O,
 * arena, kernel list, bound inputs and flattened sequence/optional I/O. The target adds its name, features, compiler options,
 * self-test entry and precision (default fp32).
 */
export function targetManifest(
  result: CompiledForManifest,
  options: ArtifactSourceOptions,
  target: KilnManifest['target'],
  compiler: KilnManifest['compiler'],
  selfTest: KilnManifest['selfTest'] | undefined,
  precision: KilnManifest['precision'] = 'fp32',
): ManifestDraft {
  const tensor = (t: IoTensor) => ({ name: t.name, dtype: t.dtype ?? 'float32', shape: t.shape });
  return {
    format: 'kiln-artifact',
    formatVersion: 1,
    kilnVersion: options.kilnVersion ?? '0.0.0',
    createdAt: new Date().toISOString(),
    source: {
      sha256: options.sourceBytes
        ? createHash('sha256').update(options.sourceBytes).digest('hex')
        : '0'.repeat(64),
      name: options.sourceName ?? 'model.onnx',
    },
    target,
    precision,
    inputs: result.layout.inputs.map(tensor),
    outputs: result.layout.outputs.map(tensor),
    arena: result.arena,
    kernels: result.lowered.kernels.map((k, i) => ({
      name: `k${i}_${k.name}`,
      kind: k.kind,
      op: k.name,
      nodes: k.nodes,
    })),
    ...(selfTest ? { selfTest } : {}),
    ...(result.bound.length ? { boundInputs: result.bound } : {}),
    ...(result.structured.inputs.length || result.structured.outputs.length
      ? { structuredIo: result.structured }
      : {}),
    compiler,
  };
}
