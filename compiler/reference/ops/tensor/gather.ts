/** Gather, GatherElements, GatherND: reads at index positions (negative indices count from the end). */
import type { Tensor } from '../../../../runtime/tensor.js';
import { attrInt } from '../../../ir/attrs.js';
import type { Dim, Node } from '../../../ir/graph.js';
import type { OpDef } from '../../op.js';
import { normalizeAxis, opError, requireInput } from '../common.js';
import { forEachIndex, stridesOf, takeFlat } from './util.js';

/** Index tensor values as numbers, each checked against [-dim, dim) and made non-negative. */
function indexValues(node: Node, t: Tensor, dim: number, what = 'index'): Float64Array {
  if (t.dtype !== 'int64' && t.dtype !== 'int32')
    throw opError(node, `indices have dtype ${t.dtype}`, 'int32 or int64 indices');
  const out = new Float64Array(t.size);
  const d = t.data as ArrayLike<number | bigint>;
  for (let i = 0; i < out.length; i++) out[i] = checkIndex(node, Number(d[i]), dim, what);
  return out;
}

export function checkIndex(node: Node, v: number, dim: number, what = 'index'): number {
  if (v < -dim || v >= dim)
    throw opError(node, `${what} ${v} is out of range for a dim of ${dim}`, `-${dim}..${dim - 1}`);
  return v < 0 ? v + dim : v;
}

function requireIndices(node: Node, t: Tensor): void {
  if (t.dtype !== 'int64' && t.dtype !== 'int32')
    throw opError(node, `indices have dtype ${t.dtype}`, 'int32 or int64 indices');
}

const Gather: OpDef = {
  op: 'Gather',
  versions: [1, 21],
  run: (inputs, { node }) => {
    const x = requireInput(node, inputs, 0, 'data');
    const ind = requireInput(node, inputs, 1, 'indices');
    if (x.rank < 1) throw opError(node, 'data is a scalar', 'data of rank >= 1');
    const axis = normalizeAxis(node, attrInt(node, 'axis', 0), x.rank);
    const dim = x.shape[axis]!;
    const idx = indexValues(node, ind, dim);
    const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const shape = [...x.shape.slice(0, axis), ...ind.shape, ...x.shape.slice(axis + 1)];
    const n = idx.length;
    const map = new Int32Array(outer * n * inner);
    let k = 0;
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < n; j++) {
        const base = (o * dim + idx[j]!) * inner;
        for (let i = 0; i < inner; i++) map[k++] = base + i;
      }
    return [takeFlat(x, shape, map)];
  },
  infer: ({ node, inputs }) => {
    const [x, ind] = inputs;
    if (!x) return [undefined];
    if (!x.shape || !ind?.shape) return [{ dtype: x.dtype }];
    const axis = normalizeAxis(node, attrInt(node, 'axis', 0), x.shape.length);
    return [{ dtype: x.dtype, shape: [...x.shape.slice(0, axis), ...ind.shape, ...x.shape.slice(axis + 1)] }];
  },
};

const GatherElements: OpDef = {
  op: 'GatherElements',
  versions: [11, 21],
  run: (inputs, { node }) => {
    const x = requireInput(node, inputs, 0, 'data');
    const ind = requireInput(node, inputs, 1, 'indices');
    requireIndices(node, ind);
    if (ind.rank !== x.rank)
      throw opError(node, `indices rank ${ind.rank} != data rank ${x.rank}`, 'equal ranks');
    const axis = normalizeAxis(node, attrInt(node, 'axis', 0), x.rank);
    const strides = stridesOf(x.shape);
    const d = ind.data as ArrayLike<number | bigint>;
    const map = new Int32Array(ind.size);
    forEachIndex(ind.shape, (idx, k) => {
      let off = 0;
      for (let a = 0; a < idx.length; a++) {
        const v = a === axis ? checkIndex(node, Number(d[k]), x.shape[a]!) : idx[a]!;
        if (a !== axis && v >= x.shape[a]!)
          throw opError(
            node,
            `indices dim ${a} exceeds data dim ${x.shape[a]}`,
            'indices no larger than data',
          );
        off += v * strides[a]!;
      }
      map[k] = off;
    });
    return [takeFlat(x, ind.shape, map)];
  },
  infer: ({ inputs }) => {
    const [x, ind] = inputs;
    return [x ? { dtype: x.dtype, shape: ind?.shape ? [...ind.shape] : undefined } : undefined];
  },
};

function gatherNdShape(node: Node, data: Dim[], ind: Dim[], b: number): Dim[] | undefined {
  const k = ind[ind.length - 1];
  if (typeof k !== 'number') return undefined;
  if (ind.length < 1 || k < 1 || b + k > data.length)
    throw opError(node, `indices last dim ${k} with batch_dims ${b} does not fit data rank ${data.length}`);
  return [...ind.slice(0, -1), ...data.slice(b + k)];
}

const GatherND: OpDef = {
  op: 'GatherND',
  versions: [11, 21],
  run: (inputs, { node, opset }) => {
    const x = requireInput(node, inputs, 0, 'data');
    const ind = requireInput(node, inputs, 1, 'indices');
    requireIndices(node, ind);
    const b = opset >= 12 ? attrInt(node, 'batch_dims', 0) : 0;
    if (b < 0 || b >= Math.min(x.rank, ind.rank))
      throw opError(node, `batch_dims ${b}`, `0..${Math.min(x.rank, ind.rank) - 1}`);
    for (let i = 0; i < b; i++)
      if (x.shape[i] !== ind.shape[i]) throw opError(node, `batch dim ${i} differs between data and indices`);
    const shape = gatherNdShape(node, [...x.shape], [...ind.shape], b) as number[];
    const k = ind.shape[ind.rank - 1]!;
    const strides = stridesOf(x.shape);
    const sliceSize = x.shape.slice(b + k).reduce((p, d) => p * d, 1);
    const batchSize = x.shape.slice(b).reduce((p, d) => p * d, 1);
    const tuples = ind.size / k;
    const perBatch =
      tuples /
      Math.max(
        1,
        ind.shape.slice(0, b).reduce((p, d) => p * d, 1),
      );
    const d = ind.data as ArrayLike<number | bigint>;
    const map = new Int32Array(tuples * sliceSize);
    for (let t = 0; t < tuples; t++) {
      let off = Math.floor(t / perBatch) * batchSize;
      for (let j = 0; j < k; j++)
        off += checkIndex(node, Number(d[t * k + j]), x.shape[b + j]!) * strides[b + j]!;
      for (let s = 0; s < sliceSize; s++) map[t * sliceSize + s] = off + s;
    }
    return [takeFlat(x, shape, map)];
  },
  infer: ({ node, inputs, opset }) => {
    const [x, ind] = inputs;
    if (!x) return [undefined];
    if (!x.shape || !ind?.shape) return [{ dtype: x.dtype }];
    const b = opset >= 12 ? attrInt(node, 'batch_dims', 0) : 0;
    return [{ dtype: x.dtype, shape: gatherNdShape(node, x.shape, ind.shape, b) }];
  },
};

export const gatherOps: OpDef[] = [Gather, GatherElements, GatherND];
