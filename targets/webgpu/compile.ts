import { type ArtifactSourceOptions, targetManifest } from '../artifact-manifest.js';
import type { Model } from '../../compiler/ir/graph.js';
import { type LoweredModel, lowerModel } from '../../compiler/kernel/lower/index.js';
import { DEFAULT_PIPELINE, type PipelineOptions, runPipeline } from '../../compiler/passes/index.js';
import { type SelfTestSample, addSelfTestFiles, makeSelfTestSample } from '../../compiler/self-test.js';
import { kernelTensors } from '../../compiler/plan/kernel-tensors.js';
import { planMemory } from '../../compiler/plan/memory.js';
import { writeArtifact } from '../../runtime/artifact/index.js';
import { bindInputs } from '../../compiler/bind-inputs.js';
import { type InputSignature, fixInputs, flattenOutputs } from '../../compiler/structured-io.js';
import type { StructuredIo } from '../../runtime/structured-io.js';
import type { BoundInput } from '../../runtime/bound-inputs.js';
import { KilnError } from '../../runtime/errors.js';
import {
  WEBGPU_FP16_SELF_TEST_TOLERANCE,
  WEBGPU_SELF_TEST_TOLERANCE,
} from '../../runtime/self-test-sample.js';
import {
  type GpuInputDType,
  type GpuOutputDType,
  SHADER_F16,
  WEBGPU_HALF_WEIGHTS_PATH,
  WEBGPU_LAYOUT_PATH,
  type WebGpuLayout,
} from '../../runtime/webgpu/layout.js';
import type { Tensor } from '../../runtime/tensor.js';
import { renderWebGpu } from './render.js';
import type { RowReduceBounds } from './row-reduce.js';
import { narrowFloat64 } from './narrow-float64.js';
import { narrowInt64 } from './narrow-int64.js';
import { halfBytes, halveFloats } from './half-precision.js';
import { checkWebGpuSupport } from './support.js';
import { widenSmallInts } from './widen-small-ints.js';
import { widenFloat16 } from './widen-float16.js';
import { type Places, type Precision, SPECIAL_WORDS, specialWords } from './wgsl.js';

export interface WebGpuCompileOptions extends ArtifactSourceOptions {
  /** Graph passes to run first (default: the full pipeline); the model is rewritten in place. */
  passes?: string[];
  onPass?: PipelineOptions['onPass'];
  /**
   * Store a self-test sample (seeded inputs, the reference executor's outputs) in the artifact
   * (default true; the conformance backend, which never packages, turns it off).
   */
  selfTest?: boolean;
  /** Graph inputs to freeze at compile time (`--bind`), as for the wasm target (compiler/bind-inputs.ts). */
  bind?: ReadonlyMap<string, Tensor>;
  /** Sequence/optional input structure and tensor input dims fixed at compile time, as for wasm. */
  signatures?: ReadonlyMap<string, InputSignature>;
  /**
   * `fp16`: activations and weights stored as f16, elementwise math in f16, f32 accumulation
   * (half-precision.ts; the artifact needs the adapter feature `shader-f16`). Default `fp32`.
   */
  precision?: Precision;
  /**
   * Which row reductions run as a workgroup per row (row-reduce.ts; default ROW_REDUCE_BOUNDS).
   * For tests and measurement: `{minLength: Infinity, maxRows: 0}` keeps one thread per row.
   */
  rowReduce?: RowReduceBounds;
}

export interface WebGpuCompileResult {
  lowered: LoweredModel;
  layout: WebGpuLayout;
  /** WGSL files by artifact path. */
  shaders: Map<string, string>;
  weights: Uint8Array;
  precision: Precision;
  /** fp16: the f16 weights (`weights-f16.bin`), the four f16 special values first. */
  halfWeights?: Uint8Array;
  arena: { bytes: number; naiveBytes: number };
  /** The sample `webGpuArtifact` stores (absent with `selfTest: false`). */
  selfTest?: SelfTestSample;
  /** Inputs bound at compile time (the manifest's `boundInputs`); empty when none. */
  bound: BoundInput[];
  /** Sequence and optional inputs/outputs flattened into tensors (the manifest's `structuredIo`). */
  structured: StructuredIo;
}

const align4 = (n: number) => Math.ceil(n / 4) * 4;
/** f16 weights start at even halves, so the file is whole 32-bit words. */
const align2 = (n: number) => Math.ceil(n / 2) * 2;

/**
 * Compile a model for the WebGPU target. Lowering and memory planning are the WASM target's (the
 * kernel IR is shared); only the rendering differs. Activations live in one read-write storage buffer
 * at the plan's offsets, weights in one read-only buffer uploaded once at load.
 */
export function compileWebGpu(model: Model, options: WebGpuCompileOptions = {}): WebGpuCompileResult {
  const bind = options.bind ?? new Map();
  const bound = bindInputs(model, bind);
  const structuredInputs = fixInputs(model, options.signatures);
  // before the pipeline, which rewrites the model in place
  const selfTest = options.selfTest === false ? undefined : makeSelfTestSample(model, undefined, bind);
  runPipeline(model, { passes: options.passes ?? DEFAULT_PIPELINE, onPass: options.onPass });
  const structured = { inputs: structuredInputs, outputs: flattenOutputs(model) };
  const lowered = lowerForWebGpu(model);
  narrowInt64(lowered);
  widenSmallInts(lowered);
  const f16Values = widenFloat16(lowered);
  narrowFloat64(lowered);
  checkWebGpuSupport(lowered);
  const precision = options.precision ?? 'fp32';
  if (precision === 'fp16') halveFloats(lowered);
  const isHalf = (name: string) => lowered.buffers.get(name)?.dtype === 'f16';
  const stepCount = Math.max(1, lowered.kernels.length);
  const tensors = kernelTensors(lowered);
  const plan = planMemory(
    tensors.filter((t) => !isHalf(t.id)),
    { stepCount },
  );
  const halfPlan = planMemory(
    tensors.filter((t) => isHalf(t.id)),
    { stepCount },
  );
  const places: Places = new Map();
  // f32 or i32 (checkWebGpuSupport): one word per element either way, i32 as its bits; i64 (outputs
  // only, after narrowInt64) two words; f16 (fp16 builds) in the f16 bindings
  const typeOf = (name: string) => {
    const t = lowered.buffers.get(name)?.dtype;
    return t === 'i32' || t === 'i64' ? { type: t } : f16Values.has(name) ? { roundF16: true } : {};
  };
  for (const [id, bytes] of plan.offsets)
    places.set(id, { binding: 'arena', offset: bytes / 4, ...typeOf(id) });
  for (const [id, bytes] of halfPlan.offsets)
    places.set(id, { binding: 'arena16', offset: bytes / 2, type: 'f16' });
  let halves = SPECIAL_WORDS;
  const halfParts: { offset: number; data: Uint8Array }[] = [{ offset: 0, data: halfBytes(specialWords()) }];
  let words = SPECIAL_WORDS;
  const parts: { offset: number; data: Float32Array }[] = [{ offset: 0, data: specialWords() }];
  for (const b of lowered.buffers.values()) {
    if (b.role !== 'weight') continue;
    if (isHalf(b.name)) {
      places.set(b.name, { binding: 'weights16', offset: halves, type: 'f16' });
      halfParts.push({ offset: halves, data: b.data as Uint8Array });
      halves = align2(halves + b.size);
      continue;
    }
    places.set(b.name, { binding: 'weights', offset: words, ...typeOf(b.name) });
    const data =
      b.data instanceof Float32Array
        ? b.data
        : new Float32Array((b.data as Uint8Array).slice(0, b.size * 4).buffer); // i32 bytes
    parts.push({ offset: words, data });
    words = align4(words + b.size);
  }
  const weightsF32 = new Float32Array(words);
  for (const p of parts) weightsF32.set(p.data, p.offset);
  const weightsF16 = new Uint8Array(halves * 2);
  for (const p of halfParts)
    weightsF16.set(p.data.subarray(0, weightsF16.length - p.offset * 2), p.offset * 2);

  const dispatches = renderWebGpu(lowered.kernels, places, precision, options.rowReduce);
  const shaders = new Map<string, string>();
  const pathOf = new Map<string, string>();
  const shaderPath = (source: string, name: string): string => {
    let path = pathOf.get(source);
    if (!path) {
      path = `shaders/${String(shaders.size).padStart(4, '0')}-${name.slice(0, 60)}.wgsl`;
      shaders.set(path, source);
      pathOf.set(source, path);
    }
    return path;
  };
  const layoutDispatches = dispatches.map((d) => ({
    name: d.name,
    shader: shaderPath(d.source, d.name),
    ...(d.subgroupSource ? { subgroupShader: shaderPath(d.subgroupSource, `${d.name}_sg`) } : {}),
    workgroups: d.workgroups,
  }));
  const byteOffset = (buffer: string) => places.get(buffer)!.offset * 4;
  const layout: WebGpuLayout = {
    arenaBytes: Math.max(4, plan.arenaBytes),
    ...(precision === 'fp16' ? { precision, halfArenaBytes: Math.max(4, halfPlan.arenaBytes) } : {}),
    inputs: lowered.inputs.map((t) => ({
      name: t.name,
      offset: byteOffset(t.buffer),
      shape: t.shape,
      ...(t.dtype !== 'float32' ? { dtype: t.dtype as GpuInputDType } : {}),
    })),
    outputs: lowered.outputs.map((t) => ({
      name: t.name,
      offset: byteOffset(t.buffer),
      shape: t.shape,
      ...(t.dtype !== 'float32' ? { dtype: t.dtype as GpuOutputDType } : {}),
    })),
    dispatches: layoutDispatches,
  };
  return {
    lowered,
    layout,
    shaders,
    weights: new Uint8Array(weightsF32.buffer),
    precision,
    ...(precision === 'fp16' ? { halfWeights: weightsF16 } : {}),
    arena: {
      bytes: plan.arenaBytes + halfPlan.arenaBytes,
      naiveBytes: plan.naiveBytes + halfPlan.naiveBytes,
    },
    ...(selfTest ? { selfTest } : {}),
    bound,
    structured,
  };
}

/** The shared lowering, whose refusals name the wasm target it was written for: say webgpu instead. */
function lowerForWebGpu(model: Model): LoweredModel {
  try {
    // convolutions as implicit GEMMs: no padded copy, no im2col buffer (gemm.ts gathers B)
    return lowerModel(model, { implicitConv: true });
  } catch (err) {
    if (!(err instanceof KilnError)) throw err;
    const renamed = new KilnError(
      err.message.replaceAll('the wasm target', 'the webgpu target'),
      {},
      { cause: err },
    );
    Object.assign(renamed, { context: err.context });
    throw renamed;
  }
}

/** Package a compiled model as a .kiln artifact (manifest, WGSL shaders, weights, layout). */
export async function webGpuArtifact(
  result: WebGpuCompileResult,
  options: WebGpuCompileOptions = {},
): Promise<Uint8Array> {
  const utf8 = new TextEncoder();
  const files = new Map<string, Uint8Array>([
    ['weights.bin', result.weights],
    [WEBGPU_LAYOUT_PATH, utf8.encode(JSON.stringify(result.layout))],
  ]);
  for (const [path, source] of result.shaders) files.set(path, utf8.encode(source));
  const fp16 = result.precision === 'fp16';
  if (result.halfWeights) files.set(WEBGPU_HALF_WEIGHTS_PATH, result.halfWeights);
  const selfTest = result.selfTest
    ? addSelfTestFiles(
        files,
        result.selfTest,
        fp16 ? WEBGPU_FP16_SELF_TEST_TOLERANCE : WEBGPU_SELF_TEST_TOLERANCE,
      )
    : undefined;
  const manifest = targetManifest(
    result,
    options,
    { name: 'webgpu', features: fp16 ? [SHADER_F16] : [] },
    { passes: options.passes ?? DEFAULT_PIPELINE, ...(fp16 ? { precision: 'fp16' } : {}) },
    selfTest,
    result.precision,
  );
  return writeArtifact({ manifest, files });
}
