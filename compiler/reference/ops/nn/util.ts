/** Helpers shared by the nn ops: numeric views of tensors and output construction. */
import type { DType } from '../../../../runtime/dtype.js';
import { Tensor, allocData, type TensorData } from '../../../../runtime/tensor.js';
import type { Node } from '../../../ir/graph.js';
import { opError } from '../common.js';

/** The tensor's values as float64 (int64 beyond 2^53 loses precision; nn ops never need that range). */
export function toF64(node: Node, t: Tensor, what: string): Float64Array {
  if (t.dtype === 'string' || t.dtype === 'bool')
    throw opError(node, `${what} has dtype ${t.dtype}`, 'a numeric tensor');
  if (t.data instanceof Float64Array) return t.data;
  const d = t.data as ArrayLike<number | bigint>;
  const out = new Float64Array(d.length);
  if (typeof d[0] === 'bigint') for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
  else out.set(d as ArrayLike<number>);
  return out;
}

/** A tensor of `dtype` holding `values` (float or integer storage; half types are rounded by the executor). */
export function fromF64(dtype: DType, shape: readonly number[], values: Float64Array): Tensor {
  if (dtype === 'float64') return new Tensor(dtype, shape, values);
  const data = allocData(dtype, values.length);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    for (let i = 0; i < values.length; i++) data[i] = BigInt(Math.trunc(values[i]!));
  } else (data as Float32Array).set(values);
  return new Tensor(dtype, shape, data as TensorData);
}
