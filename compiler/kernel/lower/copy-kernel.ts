import type { Node } from '../../ir/graph.js';
import { type Affine, affine } from '../ir.js';
import { type LowerContext, constantF32 } from './context.js';
import { loopNest, strides } from './loops.js';

/**
 * One loop nest over `shape` storing src[srcAt(v)] to dst[dstAt(v)]: the kernel every pure data
 * movement lowering (Concat, Transpose, Slice, Tile, DepthToSpace, Split...) emits.
 */
export function copyKernel(
  ctx: LowerContext,
  node: Node,
  name: string,
  shape: number[],
  dst: string,
  dstAt: (v: string[]) => Affine,
  src: string,
  srcAt: (v: string[]) => Affine,
): void {
  ctx.emit({
    kind: 'loops',
    name,
    nodes: [node.name],
    buffers: [],
    body: loopNest(shape, 'i', (v) => [
      { k: 'store', buf: dst, at: dstAt(v), value: { k: 'load', buf: src, at: srcAt(v) } },
    ]),
  });
}

/** The row-major address of loop variables over `shape`, from `offset`. */
export const rowMajor = (shape: number[], offset = 0) => {
  const st = strides(shape);
  return (v: string[]) => affine(offset, ...v.map((x, i): [string, number] => [x, st[i]!]));
};

/** Source buffer of a copy: constants become (float) weights. */
export function copySource(ctx: LowerContext, node: Node, value: string): string {
  return ctx.constant(value) ? ctx.weight(value, constantF32(ctx, node, value, 'input')) : ctx.buffer(value);
}
