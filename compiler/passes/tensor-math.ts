/** Float64 views of constant tensors, for passes that precompute folded weights. */
import { KilnError } from '../../runtime/errors.js';
import { type Tensor, tensorFrom } from '../../runtime/tensor.js';
import type { DType } from '../../runtime/dtype.js';
import { broadcastIndexMap } from '../reference/ops/common.js';

export function f64(t: Tensor): Float64Array {
  if (t.dtype === 'string') throw new KilnError(`expected a numeric tensor, got ${t}`);
  return Float64Array.from(t.data as ArrayLike<number | bigint>, Number);
}

/** A tensor of `dtype` (rounded to it) from float64 values. */
export function fromF64(dtype: DType, shape: readonly number[], values: Float64Array): Tensor {
  return tensorFrom(dtype, [...shape], values);
}

/** `shape` broadcasts onto `target` without growing it (numpy rules, aligned right). */
export function broadcastsOnto(shape: readonly number[], target: readonly (number | string)[]): boolean {
  if (shape.length > target.length) return false;
  const off = target.length - shape.length;
  return shape.every((d, i) => d === 1 || d === target[off + i]);
}

/** Values of `t` repeated to `target` (which it must broadcast onto), as float64. */
export function broadcastF64(t: Tensor, target: readonly number[]): Float64Array {
  const src = f64(t);
  const map = broadcastIndexMap(t.shape, target);
  if (!map) return src;
  return Float64Array.from(map, (i) => src[i]!);
}
