/** onnxruntime-node as the reference implementation in tests: run a model and convert to/from Kiln tensors. */
import * as ort from 'onnxruntime-node';
import type { DType } from '../../runtime/dtype.js';
import { Tensor, type TensorData } from '../../runtime/tensor.js';

const ORT_TYPES: Partial<Record<DType, ort.Tensor.Type>> = {
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

export function toOrt(t: Tensor): ort.Tensor {
  const type = ORT_TYPES[t.dtype];
  if (!type) throw new Error(`no onnxruntime tensor type for ${t.dtype}`);
  return new ort.Tensor(type, t.data as never, [...t.shape]);
}

export function fromOrt(t: ort.Tensor): Tensor {
  const dtype = Object.entries(ORT_TYPES).find(([, v]) => v === t.type)?.[0] as DType | undefined;
  if (!dtype) throw new Error(`unsupported onnxruntime type ${t.type}`);
  return new Tensor(dtype, [...t.dims], t.data as TensorData);
}

export async function runOrt(
  model: string | Uint8Array,
  feeds: Record<string, Tensor>,
): Promise<Record<string, Tensor>> {
  const session =
    typeof model === 'string'
      ? await ort.InferenceSession.create(model)
      : await ort.InferenceSession.create(model);
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) ortFeeds[k] = toOrt(v);
  const out = await session.run(ortFeeds);
  const result: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(out)) result[k] = fromOrt(v);
  await session.release();
  return result;
}
