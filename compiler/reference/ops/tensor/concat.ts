/** Concat and Split: joining and cutting along one axis. */
import { Tensor, allocData } from '../../../../runtime/tensor.js';
import { attrInt, attrIntOpt, attrIntsOpt } from '../../../ir/attrs.js';
import type { Dim, Node } from '../../../ir/graph.js';
import type { InferContext, OpDef } from '../../op.js';
import { normalizeAxis, opError, requireInput } from '../common.js';
import { constInts, intList } from './util.js';

function concatAxis(node: Node, opset: number, rank: number): number {
  return normalizeAxis(node, opset < 4 ? attrInt(node, 'axis', 1) : attrInt(node, 'axis'), rank);
}

/** Copy `x` (viewed as [outer, count*inner]) into `out` ([outer, total*inner]) at column offset `at`. */
function copyBlocks(
  src: ArrayLike<unknown>,
  dst: unknown[],
  outer: number,
  srcRow: number,
  dstRow: number,
  at: number,
): void {
  for (let o = 0; o < outer; o++) {
    const s = o * srcRow;
    const d = o * dstRow + at;
    for (let j = 0; j < srcRow; j++) dst[d + j] = src[s + j];
  }
}

const Concat: OpDef = {
  op: 'Concat',
  versions: [1, 21],
  run: (inputs, { node, opset }) => {
    const xs = inputs.filter((t): t is Tensor => t !== undefined);
    if (xs.length === 0) throw opError(node, 'no inputs', 'at least one input');
    const first = xs[0]!;
    const rank = first.rank;
    const axis = concatAxis(node, opset, rank);
    let total = 0;
    for (const x of xs) {
      if (x.dtype !== first.dtype)
        throw opError(node, `inputs mix ${first.dtype} and ${x.dtype}`, 'one dtype');
      if (x.rank !== rank || x.shape.some((d, i) => i !== axis && d !== first.shape[i]))
        throw opError(
          node,
          `input shapes [${first.shape.join(',')}] and [${x.shape.join(',')}] differ outside axis ${axis}`,
          'equal dims except on the concat axis',
        );
      total += x.shape[axis]!;
    }
    const shape = first.shape.map((d, i) => (i === axis ? total : d));
    const outer = first.shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const inner = first.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const out = allocData(first.dtype, outer * total * inner);
    let at = 0;
    for (const x of xs) {
      const row = x.shape[axis]! * inner;
      copyBlocks(x.data as ArrayLike<unknown>, out as unknown as unknown[], outer, row, total * inner, at);
      at += row;
    }
    return [new Tensor(first.dtype, shape, out)];
  },
  infer: (ctx) => {
    const xs = ctx.inputs.filter((t) => t !== undefined);
    if (xs.length === 0) return [undefined];
    const dtype = xs[0]!.dtype;
    const shapes = xs.map((x) => x.shape);
    const known = shapes.find((s) => s !== undefined);
    if (!known) return [{ dtype }];
    const axis = concatAxis(ctx.node, ctx.opset, known.length);
    const out: Dim[] = known.map((_, i) => {
      if (i !== axis) {
        // A known size from any input wins over a symbol.
        const num = shapes.find((s) => s && typeof s[i] === 'number');
        return num ? num[i]! : known[i]!;
      }
      let sum = 0;
      const syms: string[] = [];
      for (const s of shapes) {
        const d = s?.[i];
        if (typeof d === 'number') sum += d;
        else syms.push(d ?? '');
      }
      if (syms.length === 0) return sum;
      return syms.length === 1 && sum === 0 && syms[0] ? syms[0] : ctx.freshDim();
    });
    return [{ dtype, shape: out }];
  },
};

/** Chunk sizes for Split from the split list, num_outputs (opset 18) or an even division. */
function splitSizes(
  node: Node,
  opset: number,
  dim: number,
  nOut: number,
  split: number[] | undefined,
): number[] {
  if (split) {
    if (split.length !== nOut || split.reduce((a, b) => a + b, 0) !== dim || split.some((s) => s < 0))
      throw opError(
        node,
        `split [${split.join(',')}] does not cut a dim of ${dim} into ${nOut} outputs`,
        `${nOut} non-negative sizes summing to ${dim}`,
      );
    return split;
  }
  const numOutputs = opset >= 18 ? attrIntOpt(node, 'num_outputs') : undefined;
  if (numOutputs !== undefined) {
    if (numOutputs !== nOut)
      throw opError(node, `num_outputs ${numOutputs} but the node has ${nOut} outputs`);
    const chunk = Math.ceil(dim / nOut);
    const last = dim - chunk * (nOut - 1);
    if (last < 0)
      throw opError(node, `cannot split ${dim} into ${nOut} chunks of ${chunk}`, 'a non-empty last chunk');
    return [...new Array<number>(nOut - 1).fill(chunk), last];
  }
  if (dim % nOut !== 0)
    throw opError(
      node,
      `dim ${dim} cannot be split evenly into ${nOut} outputs`,
      'a split input or num_outputs',
    );
  return new Array<number>(nOut).fill(dim / nOut);
}

/** The explicit split list: an attribute before opset 13 (or input 1 in opset 1), input 1 from 13. */
function splitList(node: Node, opset: number, input: Tensor | undefined): number[] | undefined {
  if (opset >= 13 || (opset < 2 && input)) return input ? intList(node, input, 'split') : undefined;
  return attrIntsOpt(node, 'split');
}

const Split: OpDef = {
  op: 'Split',
  versions: [1, 21],
  run: (inputs, { node, opset }) => {
    const x = requireInput(node, inputs, 0, 'input');
    const axis = normalizeAxis(node, attrInt(node, 'axis', 0), x.rank);
    const sizes = splitSizes(
      node,
      opset,
      x.shape[axis]!,
      node.outputs.length,
      splitList(node, opset, inputs[1]),
    );
    const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const src = x.data as ArrayLike<unknown>;
    const row = x.shape[axis]! * inner;
    let at = 0;
    return sizes.map((s) => {
      const out = allocData(x.dtype, outer * s * inner);
      const o = out as unknown as unknown[];
      const w = s * inner;
      for (let r = 0; r < outer; r++) for (let j = 0; j < w; j++) o[r * w + j] = src[r * row + at + j];
      at += w;
      return new Tensor(
        x.dtype,
        x.shape.map((d, i) => (i === axis ? s : d)),
        out,
      );
    });
  },
  infer: (ctx: InferContext) => {
    const x = ctx.inputs[0];
    const n = ctx.node.outputs.length;
    if (!x) return new Array(n).fill(undefined);
    if (!x.shape) return new Array(n).fill(0).map(() => ({ dtype: x.dtype }));
    const axis = normalizeAxis(ctx.node, attrInt(ctx.node, 'axis', 0), x.shape.length);
    const fromInput = (ctx.opset >= 13 || ctx.opset < 2) && !!ctx.node.inputs[1];
    const split = fromInput ? constInts(ctx, 1, 'split') : attrIntsOpt(ctx.node, 'split');
    const d = x.shape[axis]!;
    let sizes: Dim[];
    if (fromInput && !split) sizes = Array.from({ length: n }, () => ctx.freshDim());
    else if (typeof d === 'number') sizes = splitSizes(ctx.node, ctx.opset, d, n, split);
    else if (split) sizes = split;
    else sizes = Array.from({ length: n }, () => ctx.freshDim());
    return sizes.map((s) => ({ dtype: x.dtype, shape: x.shape!.map((v, i) => (i === axis ? s : v)) }));
  },
};

export const concatOps: OpDef[] = [Concat, Split];
