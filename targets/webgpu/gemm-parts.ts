import type { Activation, GemmBatch } from '../../compiler/kernel/ir.js';
import { f32 } from './wgsl.js';

/** Pieces of WGSL shared by the GEMM template (gemm.ts) and the direct convolution (conv.ts). */

/** How many batch items (grid z) a GEMM's batch levels make; WebGPU allows 65535 per dimension. */
export function batchItems(batch: GemmBatch[], name: string): number {
  const items = batch.reduce((n, l) => n * l.count, 1);
  if (items > 65535) throw new Error(`internal error: GEMM '${name}' has ${items} batch items`);
  return items;
}

/**
 * Batch item `z` → a buffer's base offset: `offset` plus each level's index (mixed radix over the
 * levels, outermost first) times the stride `pick` gives for it.
 */
export function batchBase(batch: GemmBatch[], pick: (l: GemmBatch) => number, offset: number): string {
  let stride = batch.reduce((n, l) => n * l.count, 1);
  const terms = batch.map((l) => {
    stride /= l.count;
    return `i32((z / ${stride}u) % ${l.count}u) * ${pick(l)}`;
  });
  return [String(offset), ...terms].join(' + ');
}

/** The activation applied to `v` (f32) in the epilogue. */
export function epilogue(act: Activation): string {
  switch (act.kind) {
    case 'relu':
      return 'max(v, 0.0f)';
    case 'clip':
      return `min(max(v, ${f32(act.min)}), ${f32(act.max)})`;
    case 'leaky_relu':
      return `select(v, v * ${f32(act.alpha)}, v < 0.0f)`;
    case 'none':
      return 'v';
  }
}
