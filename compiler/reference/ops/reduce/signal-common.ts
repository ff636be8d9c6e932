/** Helpers shared by the signal ops (windows, DFT/STFT, MelWeightMatrix). */
import { type DType, dtypeFromOnnx, isFloatDType } from '../../../../runtime/dtype.js';
import { Tensor, allocData } from '../../../../runtime/tensor.js';
import { attrInt } from '../../../ir/attrs.js';
import type { Node } from '../../../ir/graph.js';
import { opError } from '../common.js';

/** The `output_datatype` attribute (default float32). */
export function outputDType(node: Node): DType {
  const code = attrInt(node, 'output_datatype', 1);
  const d = dtypeFromOnnx(code);
  if (!d || d === 'string' || d === 'bool')
    throw opError(node, `output_datatype ${code} is not supported`, 'a numeric TensorProto type');
  return d;
}

/** Store float64 results as `dtype` (integer dtypes truncate, as a cast would). */
export function fromFloat64(dtype: DType, shape: number[], v: Float64Array): Tensor {
  const out = allocData(dtype, v.length);
  const big = dtype === 'int64' || dtype === 'uint64';
  for (let i = 0; i < v.length; i++) {
    if (big) (out as BigInt64Array)[i] = BigInt(Math.trunc(v[i]!));
    else (out as Float64Array)[i] = isFloatDType(dtype) ? v[i]! : Math.trunc(v[i]!);
  }
  return new Tensor(dtype, shape, out);
}
