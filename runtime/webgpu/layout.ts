/**
 * How a compiled WebGPU model uses its two storage buffers and which shaders it dispatches (the
 * artifact's webgpu-layout.json). Offsets are in bytes; every value is f32 on the GPU.
 */
export interface WebGpuLayout {
  /** Bytes of the read-write storage buffer holding activations, inputs and outputs. */
  arenaBytes: number;
  /** Inputs: `dtype` bool (absent means float32) is uploaded as 0/1 floats. */
  inputs: { name: string; offset: number; shape: number[]; dtype?: 'float32' | 'bool' }[];
  /** Outputs: `dtype` int64 or bool (absent means float32) are floats on the GPU, converted on read-back. */
  outputs: { name: string; offset: number; shape: number[]; dtype?: 'float32' | 'int64' | 'bool' }[];
  /** In order; `shader` is the path of a WGSL file in the artifact (shared by identical kernels). */
  dispatches: { name: string; shader: string; workgroups: [number, number, number] }[];
}

export const WEBGPU_LAYOUT_PATH = 'webgpu-layout.json';
