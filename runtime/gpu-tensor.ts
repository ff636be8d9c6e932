import type { TensorData } from './tensor.js';

/**
 * The dtypes a tensor may have while it lives in a GPU buffer: those whose GPU words are their CPU
 * bytes (one 32-bit word per element, f32 or an int32's bits). The webgpu target holds other dtypes
 * in a layout of its own (bool as 0/1 floats, int64 as int32 words, …) that a caller's buffer would
 * not match, so they go through CPU tensors.
 */
export const GPU_DTYPES = ['float32', 'int32'] as const;
export type GpuDType = (typeof GPU_DTYPES)[number];

export function isGpuDType(dtype: string): dtype is GpuDType {
  return (GPU_DTYPES as readonly string[]).includes(dtype);
}

/**
 * Kiln's internal tensor for data in a GPUBuffer (the public `Tensor.fromGpuBuffer` converts to it):
 * the values are the buffer's first `4 × size` bytes, row-major. `download` reads them back;
 * `dispose` frees the buffer when the tensor owns it (outputs a session kept on the GPU).
 */
export class GpuTensor {
  constructor(
    readonly dtype: GpuDType,
    readonly shape: readonly number[],
    readonly buffer: GPUBuffer,
    readonly download?: () => Promise<TensorData>,
    readonly dispose?: () => void,
  ) {}

  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** Bytes the values take at the start of the buffer. */
  get byteLength(): number {
    return this.size * 4;
  }
}

/** Where a session leaves an output: read back into a CPU tensor, or kept in a new GPU buffer. */
export type OutputLocation = 'cpu' | 'gpu-buffer';
