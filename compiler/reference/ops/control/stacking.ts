/** Slicing along an axis and concatenating/stacking tensors: what Loop, Scan and sequence ops share. */
import type { DType } from '../../../../runtime/dtype.js';
import { Tensor, allocData, shapeSize, type TensorData } from '../../../../runtime/tensor.js';
import type { Node } from '../../../ir/graph.js';
import { opError } from '../common.js';

type Store = { [i: number]: unknown; length: number };

/** Elements of `t` with index `index` on `axis`, that axis removed (the per-iteration slice of Scan). */
export function sliceAt(t: Tensor, axis: number, index: number): Tensor {
  const outer = shapeSize(t.shape.slice(0, axis));
  const n = t.shape[axis]!;
  const inner = shapeSize(t.shape.slice(axis + 1));
  const out = allocData(t.dtype, outer * inner) as unknown as Store;
  const src = t.data as unknown as Store;
  for (let o = 0; o < outer; o++)
    for (let k = 0; k < inner; k++) out[o * inner + k] = src[(o * n + index) * inner + k];
  return new Tensor(
    t.dtype,
    [...t.shape.slice(0, axis), ...t.shape.slice(axis + 1)],
    out as unknown as TensorData,
  );
}

/** Elements of `t` with index in [start, start+len) on `axis` (axis kept). */
export function sliceRange(t: Tensor, axis: number, start: number, len: number): Tensor {
  const outer = shapeSize(t.shape.slice(0, axis));
  const n = t.shape[axis]!;
  const inner = shapeSize(t.shape.slice(axis + 1));
  const out = allocData(t.dtype, outer * len * inner) as unknown as Store;
  const src = t.data as unknown as Store;
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < len; i++)
      for (let k = 0; k < inner; k++) out[(o * len + i) * inner + k] = src[(o * n + start + i) * inner + k];
  const shape = [...t.shape];
  shape[axis] = len;
  return new Tensor(t.dtype, shape, out as unknown as TensorData);
}

/**
 * Join tensors along `axis` (an existing axis, or a new one inserted there when `newAxis`). All must
 * share dtype and every other dim. `dtype` is used when `items` is empty.
 */
export function joinTensors(
  node: Node,
  items: Tensor[],
  axis: number,
  newAxis: boolean,
  what: string,
): Tensor {
  const first = items[0];
  if (!first) throw opError(node, `cannot join an empty list of ${what}`, `at least one tensor`);
  const parts = newAxis
    ? items.map((t) => new Tensor(t.dtype, [...t.shape.slice(0, axis), 1, ...t.shape.slice(axis)], t.data))
    : items;
  const ref = parts[0]!.shape;
  for (const [j, t] of parts.entries()) {
    if (t.dtype !== first.dtype) throw opError(node, `${what} ${j} is ${t.dtype}`, first.dtype);
    if (t.shape.length !== ref.length || t.shape.some((d, i) => i !== axis && d !== ref[i])) {
      throw opError(
        node,
        `${what} ${j} has shape [${items[j]!.shape.join(',')}], which does not match [${items[0]!.shape.join(',')}]`,
        newAxis ? 'equal shapes' : `equal dims except on axis ${axis}`,
      );
    }
  }
  const outer = shapeSize(ref.slice(0, axis));
  const inner = shapeSize(ref.slice(axis + 1));
  const total = parts.reduce((s, t) => s + t.shape[axis]!, 0);
  const out = allocData(first.dtype, outer * total * inner) as unknown as Store;
  let offset = 0;
  for (const t of parts) {
    const n = t.shape[axis]!;
    const src = t.data as unknown as Store;
    for (let o = 0; o < outer; o++)
      for (let i = 0; i < n; i++)
        for (let k = 0; k < inner; k++)
          out[(o * total + offset + i) * inner + k] = src[(o * n + i) * inner + k];
    offset += n;
  }
  const shape = [...ref];
  shape[axis] = total;
  return new Tensor(first.dtype, shape, out as unknown as TensorData);
}

export function emptyTensor(dtype: DType, shape: number[]): Tensor {
  return new Tensor(dtype, shape, allocData(dtype, shapeSize(shape)));
}
