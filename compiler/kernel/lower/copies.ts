import { KilnError } from '../../../runtime/errors.js';
import { attrInt, attrString } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import { affine } from '../ir.js';
import type { LowerContext } from './context.js';
import { copyKernel, copySource, rowMajor } from './copy-kernel.js';
import { broadcastIndex, strides } from './loops.js';

/**
 * Pure data movement whose index maps are affine once the iteration is written over a finer view of
 * the output (Tile's [repeat, dim] pairs, DepthToSpace's 6-D blocks): one copy loop nest each.
 */

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Expand: numpy broadcast of the input to the (inferred) output shape, by stride-0 reads. */
export function lowerExpand(node: Node, ctx: LowerContext): void {
  const inShape = ctx.shape(node, node.inputs[0]!);
  const outShape = ctx.shape(node, node.outputs[0]!);
  const dst = ctx.activation(node.outputs[0]!, size(outShape));
  copyKernel(
    ctx,
    node,
    node.op,
    outShape,
    dst,
    rowMajor(outShape),
    copySource(ctx, node, node.inputs[0]!),
    (v) => broadcastIndex(inShape, outShape, v),
  );
}

/** Tile: iterate the output as [repeat_0, dim_0, repeat_1, dim_1, ...]; the input ignores the repeats. */
export function lowerTile(node: Node, ctx: LowerContext): void {
  const inShape = ctx.shape(node, node.inputs[0]!);
  const outShape = ctx.shape(node, node.outputs[0]!);
  const reps = outShape.map((d, i) => (inShape[i] ? d / inShape[i]! : 0));
  const view = inShape.flatMap((d, i) => [reps[i]!, d]);
  const ost = strides(outShape);
  const ist = strides(inShape);
  const dst = ctx.activation(node.outputs[0]!, size(outShape));
  copyKernel(
    ctx,
    node,
    node.op,
    view,
    dst,
    (v) =>
      affine(
        0,
        ...inShape.flatMap((d, i): [string, number][] => [
          [v[2 * i]!, d * ost[i]!],
          [v[2 * i + 1]!, ost[i]!],
        ]),
      ),
    copySource(ctx, node, node.inputs[0]!),
    (v) => affine(0, ...inShape.map((_, i): [string, number] => [v[2 * i + 1]!, ist[i]!])),
  );
}

/**
 * Copy `src` seen as `view` (row-major) into the output permuted by `perm`: the output, row-major,
 * is the view transposed. DepthToSpace and SpaceToDepth are such a reshape-transpose-reshape.
 */
function permutedCopy(node: Node, ctx: LowerContext, view: number[], perm: number[]): void {
  const vst = strides(view);
  const outView = perm.map((p) => view[p]!);
  const dst = ctx.activation(node.outputs[0]!, size(view));
  copyKernel(
    ctx,
    node,
    node.op,
    outView,
    dst,
    rowMajor(outView),
    copySource(ctx, node, node.inputs[0]!),
    (v) => affine(0, ...v.map((x, i): [string, number] => [x, vst[perm[i]!]!])),
  );
}

export function lowerDepthToSpace(node: Node, ctx: LowerContext): void {
  const [N, C, H, W] = ctx.shape(node, node.inputs[0]!) as [number, number, number, number];
  const b = attrInt(node, 'blocksize');
  const c = C / (b * b);
  if (attrString(node, 'mode', 'DCR') === 'CRD')
    permutedCopy(node, ctx, [N, c, b, b, H, W], [0, 1, 4, 2, 5, 3]);
  else permutedCopy(node, ctx, [N, b, b, c, H, W], [0, 3, 4, 1, 5, 2]);
}

export function lowerSpaceToDepth(node: Node, ctx: LowerContext): void {
  const [N, C, H, W] = ctx.shape(node, node.inputs[0]!) as [number, number, number, number];
  const b = attrInt(node, 'blocksize');
  permutedCopy(node, ctx, [N, C, H / b, b, W / b, b], [0, 3, 5, 1, 2, 4]);
}

/** Split: each output is a slab of the input along the axis; sizes come from the inferred shapes. */
export function lowerSplit(node: Node, ctx: LowerContext): void {
  const inShape = ctx.shape(node, node.inputs[0]!);
  const axis = attrInt(node, 'axis', 0);
  const a = axis < 0 ? axis + inShape.length : axis;
  const ist = strides(inShape);
  const src = copySource(ctx, node, node.inputs[0]!);
  let at = 0;
  for (const out of node.outputs) {
    if (!out) continue;
    const shape = ctx.shape(node, out);
    const dst = ctx.activation(out, size(shape));
    const offset = at * ist[a]!;
    copyKernel(ctx, node, node.op, shape, dst, rowMajor(shape), src, (v) =>
      affine(offset, ...v.map((x, i): [string, number] => [x, ist[i]!])),
    );
    at += shape[a]!;
  }
  if (at !== inShape[a])
    throw new KilnError(`split sizes add up to ${at}, axis has ${inShape[a]}`, {
      node: node.name,
      op: node.op,
    });
}
