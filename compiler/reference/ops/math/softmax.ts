/**
 * Softmax, LogSoftmax, Hardmax. Before opset 13 the input is coerced to 2D at `axis` (default 1)
 * and the op runs over each row of that matrix; from 13 it runs along the one `axis` (default -1).
 */
import { Tensor, allocData, shapeSize } from '../../../../runtime/tensor.js';
import { attrInt } from '../../../ir/attrs.js';
import type { Node } from '../../../ir/graph.js';
import type { OpDef } from '../../op.js';
import { normalizeAxis, opError, requireInput } from '../common.js';
import { FLOATS, checkDType, storeFn } from './util.js';

/** Writes the result for one slice: `get(j)` reads element j of the `len` inputs, `set(j, v)` writes it. */
type SliceFn = (len: number, get: (j: number) => number, set: (j: number, v: number) => void) => void;

/** [outer, len, inner] such that the op runs over `len` elements `inner` apart, `outer * inner` times. */
function layout(node: Node, opset: number, shape: readonly number[]): [number, number, number] {
  const axis = opAxis(node, opset, shape.length);
  const outer = shapeSize(shape.slice(0, axis));
  if (opset < 13) return [outer, shapeSize(shape.slice(axis)), 1];
  return [outer, shape[axis] ?? 1, shapeSize(shape.slice(axis + 1))];
}

/** The normalized axis. The 2D coercion of opset < 13 also accepts axis = rank (rows of one element). */
function opAxis(node: Node, opset: number, rank: number): number {
  const axis = attrInt(node, 'axis', opset < 13 ? 1 : -1);
  if (opset < 13) {
    const a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a > rank)
      throw opError(node, `axis ${axis} is out of range for rank ${rank}`, `-${rank}..${rank}`);
    return a;
  }
  return normalizeAxis(node, axis, Math.max(rank, 1));
}

function softmaxFamily(op: string, slice: SliceFn): OpDef {
  return {
    op,
    versions: [1, 21],
    run: (inputs, { node, opset }) => {
      const x = requireInput(node, inputs, 0, 'input');
      checkDType(node, x.dtype, FLOATS, 'input');
      const [outer, len, inner] = layout(node, opset, x.shape);
      const src = x.data as Float32Array | Float64Array;
      const out = allocData(x.dtype, x.size) as Float32Array | Float64Array;
      const store = storeFn(x.dtype) as (v: number) => number;
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          const base = o * len * inner + i;
          slice(
            len,
            (j) => src[base + j * inner]!,
            (j, v) => (out[base + j * inner] = store(v)),
          );
        }
      }
      return [new Tensor(x.dtype, x.shape, out)];
    },
    infer: (ctx) => {
      const x = ctx.inputs[0];
      if (!x) return [undefined];
      checkDType(ctx.node, x.dtype, FLOATS, 'input');
      if (x.shape) opAxis(ctx.node, ctx.opset, x.shape.length);
      return [{ dtype: x.dtype, shape: x.shape ? [...x.shape] : undefined }];
    },
  };
}

function maxOf(len: number, get: (j: number) => number): number {
  let m = -Infinity;
  for (let j = 0; j < len; j++) m = Math.max(m, get(j));
  return m;
}

/** Shifting by the max keeps exp() from overflowing; sums are in float64. */
const softmax: SliceFn = (len, get, set) => {
  const m = maxOf(len, get);
  let sum = 0;
  for (let j = 0; j < len; j++) sum += Math.exp(get(j) - m);
  for (let j = 0; j < len; j++) set(j, Math.exp(get(j) - m) / sum);
};

const logSoftmax: SliceFn = (len, get, set) => {
  const m = maxOf(len, get);
  let sum = 0;
  for (let j = 0; j < len; j++) sum += Math.exp(get(j) - m);
  const lse = Math.log(sum);
  for (let j = 0; j < len; j++) set(j, get(j) - m - lse);
};

/** 1 at the first occurrence of the maximum, 0 elsewhere. */
const hardmax: SliceFn = (len, get, set) => {
  let best = 0;
  for (let j = 1; j < len; j++) if (get(j) > get(best)) best = j;
  for (let j = 0; j < len; j++) set(j, j === best ? 1 : 0);
};

export const softmaxOps: OpDef[] = [
  softmaxFamily('Softmax', softmax),
  softmaxFamily('LogSoftmax', logSoftmax),
  softmaxFamily('Hardmax', hardmax),
];
