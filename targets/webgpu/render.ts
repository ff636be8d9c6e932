import type { Kernel } from '../../compiler/kernel/ir.js';
import type { Dispatch } from './dispatch.js';
import { renderGemm } from './gemm.js';
import { renderLoopKernel } from './loops.js';
import type { RowReduceBounds } from './row-reduce.js';
import type { Places, Precision } from './wgsl.js';

/**
 * Render the kernel IR as WGSL: one compute shader per GEMM and per phase of a loop kernel, with every
 * shape baked in as a constant. Buffers are addressed by their place in the two storage buffers.
 */
export function renderWebGpu(
  kernels: Kernel[],
  places: Places,
  precision: Precision = 'fp32',
  rowReduce?: RowReduceBounds,
): Dispatch[] {
  return kernels.flatMap((k, i) => {
    const name = `k${i}_${k.name.replace(/[^A-Za-z0-9_]/g, '_')}`;
    return k.kind === 'gemm'
      ? [renderGemm(k, places, name, precision)]
      : renderLoopKernel(k, places, name, precision, rowReduce);
  });
}
