import { KilnError } from '../../../runtime/errors.js';
import { attrInt, attrIntsOpt } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import { affine } from '../ir.js';
import { type LowerContext, constantF32 } from './context.js';
import { copyKernel, copySource, rowMajor } from './copy-kernel.js';
import { lowerGatherDynamic } from './gather-dynamic.js';
import { strides } from './loops.js';

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** Concat: one copy loop per input into its slab of the output. */
export function lowerConcat(node: Node, ctx: LowerContext): void {
  const outShape = ctx.shape(node, node.outputs[0]!);
  const rank = outShape.length;
  const axis = attrInt(node, 'axis', 1);
  const a = axis < 0 ? axis + rank : axis;
  const out = ctx.activation(node.outputs[0]!, size(outShape));
  const ost = strides(outShape);
  let at = 0;
  for (const input of node.inputs) {
    const shape = ctx.shape(node, input);
    const src = copySource(ctx, node, input);
    const offset = at * ost[a]!;
    copyKernel(
      ctx,
      node,
      'concat',
      shape,
      out,
      (v) => affine(offset, ...v.map((x, i): [string, number] => [x, ost[i]!])),
      src,
      rowMajor(shape),
    );
    at += shape[a]!;
  }
}

/** Transpose: loop over the output, read the input through permuted strides. */
export function lowerTranspose(node: Node, ctx: LowerContext): void {
  const inShape = ctx.shape(node, node.inputs[0]!);
  const perm = attrIntsOpt(node, 'perm') ?? inShape.map((_, i) => inShape.length - 1 - i);
  const outShape = perm.map((p) => inShape[p]!);
  const ist = strides(inShape);
  const out = ctx.activation(node.outputs[0]!, size(outShape));
  copyKernel(ctx, node, 'transpose', outShape, out, rowMajor(outShape), ctx.buffer(node.inputs[0]!), (v) =>
    affine(0, ...v.map((x, i): [string, number] => [x, ist[perm[i]!]!])),
  );
}

/** Slice with constant starts/axes/steps: an affine window of the input (its extent is the inferred output shape). */
export function lowerSlice(node: Node, ctx: LowerContext): void {
  const inShape = ctx.shape(node, node.inputs[0]!);
  const outShape = ctx.shape(node, node.outputs[0]!);
  const rank = inShape.length;
  const read = (i: number, what: string) =>
    node.inputs[i] ? Array.from(constantF32(ctx, node, node.inputs[i]!, what)) : undefined;
  const starts = ctx.opset(node) >= 10 ? read(1, 'starts')! : attrIntsOpt(node, 'starts')!;
  const axes =
    (ctx.opset(node) >= 10 ? read(3, 'axes') : attrIntsOpt(node, 'axes')) ?? starts.map((_, i) => i);
  const steps = (ctx.opset(node) >= 10 ? read(4, 'steps') : undefined) ?? starts.map(() => 1);
  const begin = new Array<number>(rank).fill(0);
  const step = new Array<number>(rank).fill(1);
  axes.forEach((ax, j) => {
    const a = ax < 0 ? ax + rank : ax;
    const d = inShape[a]!;
    const s = steps[j]!;
    let st = starts[j]!;
    st = st < 0 ? st + d : st;
    begin[a] = s > 0 ? Math.min(Math.max(st, 0), d) : Math.min(Math.max(st, -1), d - 1);
    step[a] = s;
  });
  const ist = strides(inShape);
  const offset = begin.reduce((acc, b, i) => acc + b * ist[i]!, 0);
  const out = ctx.activation(node.outputs[0]!, size(outShape));
  copyKernel(ctx, node, 'slice', outShape, out, rowMajor(outShape), ctx.buffer(node.inputs[0]!), (v) =>
    affine(offset, ...v.map((x, i): [string, number] => [x, ist[i]! * step[i]!])),
  );
}

/** Gather along an axis with constant indices: one slice copy per index. */
export function lowerGather(node: Node, ctx: LowerContext): void {
  const inShape = ctx.shape(node, node.inputs[0]!);
  const idx = ctx.constant(node.inputs[1]!);
  if (!idx) {
    lowerGatherDynamic(node, ctx);
    return;
  }
  const axis = attrInt(node, 'axis', 0);
  const a = axis < 0 ? axis + inShape.length : axis;
  const indices = Array.from(idx.data as ArrayLike<number | bigint>, (raw) => {
    const ix = Number(raw) < 0 ? Number(raw) + inShape[a]! : Number(raw);
    if (ix < 0 || ix >= inShape[a]!)
      throw new KilnError(`index ${raw} out of range for axis of size ${inShape[a]}`, {
        node: node.name,
        op: node.op,
      });
    return ix;
  });
  gatherSlices(node, ctx, inShape, a, indices);
}

/**
 * Copy the slices `indices` (in range, in order) along axis `a` of the node's first input, viewed as
 * `inShape`, into its first output: one copy kernel per index (Gather, Compress).
 */
export function gatherSlices(
  node: Node,
  ctx: LowerContext,
  inShape: number[],
  a: number,
  indices: number[],
): void {
  const outer = inShape.slice(0, a);
  const inner = inShape.slice(a + 1);
  const out = ctx.activation(node.outputs[0]!, size(outer) * indices.length * size(inner));
  const src = ctx.constant(node.inputs[0]!)
    ? ctx.constantBuffer(node, node.inputs[0]!)
    : ctx.buffer(node.inputs[0]!);
  const block = [size(outer), size(inner)];
  indices.forEach((ix, j) => {
    copyKernel(
      ctx,
      node,
      node.op === 'Gather' ? 'gather' : node.op.toLowerCase(),
      block,
      out,
      (v) => affine(j * block[1]!, [v[0]!, indices.length * block[1]!], [v[1]!, 1]),
      src,
      (v) => affine(ix * block[1]!, [v[0]!, inShape[a]! * block[1]!], [v[1]!, 1]),
    );
  });
}

/** A plain copy, for views whose output must be a buffer of its own (graph outputs). */
export function lowerCopy(node: Node, ctx: LowerContext, from: string, to: string, shape: number[]): void {
  copyKernel(
    ctx,
    node,
    'copy',
    [size(shape)],
    ctx.activation(to, size(shape)),
    rowMajor([size(shape)]),
    from,
    rowMajor([size(shape)]),
  );
}
