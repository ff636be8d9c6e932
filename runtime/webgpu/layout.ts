/** 8/16-bit integers: one i32 word per element on the GPU, the value itself (widen-small-ints.ts). */
export type SmallIntDType = 'int8' | 'uint8' | 'int16' | 'uint16';
export type GpuInputDType = 'float32' | 'float64' | 'float16' | 'int32' | 'int64' | 'bool' | SmallIntDType;
export type GpuOutputDType = GpuInputDType;

/**
 * How a compiled WebGPU model uses its two storage buffers and which shaders it dispatches (the
 * artifact's webgpu-layout.json). Offsets are in bytes; every value is one 32-bit word on the GPU (f32,
 * or an int32's bits).
 */
export interface WebGpuLayout {
  /** Bytes of the read-write storage buffer holding activations, inputs and outputs. */
  arenaBytes: number;
  /**
   * `fp16` (absent: fp32): the shaders `enable f16` and bind two more storage buffers, the f16
   * activations (binding 2, `halfArenaBytes`) and the f16 weights (binding 3, `weights-f16.bin`);
   * the device needs the adapter feature `shader-f16`. Inputs and outputs are unchanged (words).
   */
  precision?: 'fp16';
  halfArenaBytes?: number;
  /**
   * Inputs: `dtype` bool (absent means float32) is uploaded as 0/1 floats, int32 as its bits, int64
   * as the bits of its int32 value (one word; a value outside int32 is refused: WGSL has no 64-bit
   * integers and the target computes int64 as int32), 8/16-bit integers widened to i32 words, float64
   * rounded to f32 (a finite value beyond f32's range is refused).
   */
  inputs: {
    name: string;
    offset: number;
    shape: number[];
    dtype?: GpuInputDType;
  }[];
  /**
   * Outputs: bool is 0/1 floats on the GPU, int32 and 8/16-bit integers i32 words, int64 two words
   * (low, high: the little-endian int64), float64 and float16 f32 words; absent means float32.
   */
  outputs: {
    name: string;
    offset: number;
    shape: number[];
    dtype?: GpuOutputDType;
  }[];
  /**
   * In order; `shader` is the path of a WGSL file in the artifact (shared by identical kernels).
   * `subgroupShader`: the same work with subgroup operations, used instead when the device has the
   * `subgroups` feature (requested at load when the adapter has it; workgroup-tree reductions).
   */
  dispatches: {
    name: string;
    shader: string;
    subgroupShader?: string;
    workgroups: [number, number, number];
  }[];
}

export const WEBGPU_LAYOUT_PATH = 'webgpu-layout.json';
/** An fp16 artifact's f16 weights (little-endian halves). */
export const WEBGPU_HALF_WEIGHTS_PATH = 'weights-f16.bin';
/** The WebGPU feature an fp16 artifact needs (WGSL `enable f16`). */
export const SHADER_F16 = 'shader-f16';
/** The optional WebGPU feature of `subgroupShader` variants (WGSL `enable subgroups`). */
export const SUBGROUPS = 'subgroups';
