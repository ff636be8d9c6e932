/** Helpers shared by the tensor-manipulation ops: element copies by index, shape-like inputs, dim products. */
import { Tensor, allocData, stridesOf, toNumbers, type TensorData } from '../../../../runtime/tensor.js';
import type { Dim, Node } from '../../../ir/graph.js';
import type { InferContext } from '../../op.js';
import { opError } from '../common.js';

/** out[i] = src[map[i]] for any storage kind (typed arrays and string[]). */
export function takeFlat(t: Tensor, shape: readonly number[], map: ArrayLike<number>): Tensor {
  const out = allocData(t.dtype, map.length);
  const o = out as unknown as unknown[];
  const s = t.data as unknown as ArrayLike<unknown>;
  for (let i = 0; i < map.length; i++) o[i] = s[map[i]!];
  return new Tensor(t.dtype, shape, out);
}

/** A tensor with the same data viewed under another shape (data is copied so outputs never alias inputs). */
export function withShape(t: Tensor, shape: readonly number[]): Tensor {
  return new Tensor(t.dtype, shape, copyData(t.data));
}

export function copyData(d: TensorData): TensorData {
  return Array.isArray(d) ? d.slice() : (d as Exclude<TensorData, string[]>).slice();
}

/**
 * Visit every multi-index of `shape` in row-major order. `idx` is reused between calls; `k` is the flat
 * output position.
 */
export function forEachIndex(shape: readonly number[], fn: (idx: number[], k: number) => void): void {
  const rank = shape.length;
  let n = 1;
  for (const d of shape) n *= d;
  if (n === 0) return;
  const idx = new Array<number>(rank).fill(0);
  for (let k = 0; k < n; k++) {
    fn(idx, k);
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
}

/** Flat offset of a multi-index with the given strides. */
export function offsetOf(idx: readonly number[], strides: readonly number[]): number {
  let off = 0;
  for (let i = 0; i < idx.length; i++) off += idx[i]! * strides[i]!;
  return off;
}

/** Read a 1-D (or scalar) integer input such as a shape, axes or pads as plain numbers. */
export function intList(node: Node, t: Tensor, what: string): number[] {
  if (t.dtype !== 'int64' && t.dtype !== 'int32')
    throw opError(node, `${what} has dtype ${t.dtype}`, 'int64 (or int32) tensor');
  if (t.rank > 1) throw opError(node, `${what} must be 1-D, got shape [${t.shape.join(',')}]`, '1-D tensor');
  return toNumbers(t);
}

/** Like intList for a compile-time constant input; undefined when the value is unknown. */
export function constInts(ctx: InferContext, i: number, what: string): number[] | undefined {
  const t = ctx.constants[i];
  return t ? intList(ctx.node, t, what) : undefined;
}

/**
 * The product of dims as a Dim: a number when all are known, the one symbol when every other dim is 1,
 * otherwise a fresh symbol (the size is not expressible as one of our dims).
 */
export function dimProduct(ctx: InferContext, dims: Dim[]): Dim {
  let n = 1;
  const syms: string[] = [];
  for (const d of dims) {
    if (typeof d === 'number') n *= d;
    else syms.push(d);
  }
  if (syms.length === 0) return n;
  if (n === 0) return 0;
  if (syms.length === 1 && n === 1) return syms[0]!;
  return ctx.freshDim();
}

export { stridesOf };
