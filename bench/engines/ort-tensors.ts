/** Kiln tensors to and from onnxruntime tensors (the same onnxruntime-common API in ort-web and ort-node; tests use it too). */
import type { Tensor as OrtTensor } from 'onnxruntime-node';
import type { DType } from '../../runtime/dtype.js';
import { Tensor, type TensorData } from '../../runtime/tensor.js';

const ORT_TYPES: Partial<Record<DType, OrtTensor.Type>> = {
  float32: 'float32',
  float64: 'float64',
  int8: 'int8',
  int16: 'int16',
  int32: 'int32',
  int64: 'int64',
  uint8: 'uint8',
  uint16: 'uint16',
  uint32: 'uint32',
  uint64: 'uint64',
  bool: 'bool',
  string: 'string',
};

type OrtTensorCtor = new (type: OrtTensor.Type, data: never, dims: readonly number[]) => OrtTensor;

export function toOrt(Ctor: OrtTensorCtor, t: Tensor): OrtTensor {
  const type = ORT_TYPES[t.dtype];
  if (!type) throw new Error(`no onnxruntime tensor type for ${t.dtype}`);
  return new Ctor(type, t.data as never, [...t.shape]);
}

export function fromOrt(t: OrtTensor): Tensor {
  const dtype = Object.entries(ORT_TYPES).find(([, v]) => v === t.type)?.[0] as DType | undefined;
  if (!dtype) throw new Error(`unsupported onnxruntime type ${t.type}`);
  return new Tensor(dtype, [...t.dims], t.data as TensorData);
}

export function feedsToOrt(Ctor: OrtTensorCtor, feeds: Record<string, Tensor>): Record<string, OrtTensor> {
  return Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, toOrt(Ctor, v)]));
}

export function outputsFromOrt(out: Record<string, OrtTensor>): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, fromOrt(v)]));
}
