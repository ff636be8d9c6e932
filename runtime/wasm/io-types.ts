import {
  bfloat16BitsToFloat32,
  float16BitsToFloat32,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
} from '../half.js';
import { Tensor } from '../tensor.js';
import type { WasmDType } from './layout.js';

type Stored =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/** A view of `n` elements of `dtype` as the kernels store them, at `offset` in linear memory. */
function view(buffer: ArrayBuffer, offset: number, n: number, dtype: WasmDType): Stored {
  switch (dtype) {
    case 'float32':
    case 'bool':
      return new Float32Array(buffer, offset, n);
    case 'float64':
      return new Float64Array(buffer, offset, n);
    case 'int8':
      return new Int8Array(buffer, offset, n);
    case 'int16':
      return new Int16Array(buffer, offset, n);
    case 'int32':
      return new Int32Array(buffer, offset, n);
    case 'int64':
      return new BigInt64Array(buffer, offset, n);
    case 'uint8':
      return new Uint8Array(buffer, offset, n);
    case 'uint16':
    case 'bfloat16':
    case 'float16':
      return new Uint16Array(buffer, offset, n);
    case 'uint32':
      return new Uint32Array(buffer, offset, n);
    case 'uint64':
      return new BigUint64Array(buffer, offset, n);
  }
}

/** Copy a feed into linear memory: bool as 0/1 floats, bfloat16 and float16 as their 16 bits, the rest as is. */
export function writeTensor(buffer: ArrayBuffer, offset: number, t: Tensor, dtype: WasmDType): void {
  const dst = view(buffer, offset, t.size, dtype);
  if (dtype === 'bfloat16' || dtype === 'float16') {
    const src = t.data as Float32Array;
    const bits = dtype === 'bfloat16' ? float32ToBfloat16Bits : float32ToFloat16Bits;
    for (let i = 0; i < t.size; i++) dst[i] = bits(src[i]!);
  } else (dst as Float32Array).set(t.data as Float32Array);
}

/** Read an output out of linear memory into a Tensor of `dtype` (a copy). */
export function readTensor(buffer: ArrayBuffer, offset: number, shape: number[], dtype: WasmDType): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const src = view(buffer, offset, n, dtype);
  if (dtype === 'bool')
    return new Tensor(
      'bool',
      shape,
      Uint8Array.from(src as Float32Array, (v) => (v !== 0 ? 1 : 0)),
    );
  if (dtype === 'bfloat16')
    return new Tensor('bfloat16', shape, Float32Array.from(src as Uint16Array, bfloat16BitsToFloat32));
  if (dtype === 'float16')
    return new Tensor('float16', shape, Float32Array.from(src as Uint16Array, float16BitsToFloat32));
  return new Tensor(dtype, shape, src.slice());
}
