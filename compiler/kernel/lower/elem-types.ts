import { KilnError } from '../../../runtime/errors.js';
import { float32ToBfloat16Bits, float32ToFloat16Bits } from '../../../runtime/half.js';
import type { Tensor } from '../../../runtime/tensor.js';
import type { ElemType } from '../ir.js';
import { elemBytes } from '../ir.js';

/** ONNX dtype → kernel IR element type. bool is held as f32 0/1 (see dtypes.ts). */
const ELEM: Record<string, ElemType> = {
  float32: 'f32',
  bool: 'f32',
  float64: 'f64',
  int32: 'i32',
  int64: 'i64',
  int8: 'i8',
  uint8: 'u8',
  int16: 'i16',
  uint16: 'u16',
  uint32: 'u32',
  uint64: 'u64',
  bfloat16: 'bf16',
  float16: 'f16',
};

/** The element type of a value of ONNX dtype `d`, or a KilnError naming where it occurs. */
export function elemTypeOf(
  d: string | undefined,
  where: () => { node: string; op: string; value: string },
): ElemType {
  const t = d === undefined ? undefined : ELEM[d];
  if (t) return t;
  const w = where();
  throw new KilnError(`'${w.value}' is ${d ?? 'untyped'}`, {
    node: w.node,
    op: w.op,
    expected: 'a numeric type on the wasm target',
  });
}

/** A constant's elements as `dtype` stores them in memory (little-endian, as wasm reads them). */
export function weightBytes(t: Tensor, dtype: ElemType): Uint8Array {
  const n = t.size;
  const out = new Uint8Array(n * elemBytes(dtype));
  const view = new DataView(out.buffer);
  const src = t.data as ArrayLike<number | bigint>;
  for (let i = 0; i < n; i++) {
    const v = src[i]!;
    const at = i * elemBytes(dtype);
    switch (dtype) {
      case 'f32':
        view.setFloat32(at, Number(v), true);
        break;
      case 'f64':
        view.setFloat64(at, Number(v), true);
        break;
      case 'i8':
      case 'u8':
        view.setUint8(at, Number(v) & 0xff);
        break;
      case 'i16':
      case 'u16':
        view.setUint16(at, Number(v) & 0xffff, true);
        break;
      case 'i32':
      case 'u32':
        view.setUint32(at, Number(v) >>> 0, true);
        break;
      case 'i64':
      case 'u64':
        view.setBigUint64(at, BigInt.asUintN(64, BigInt(v)), true);
        break;
      case 'bf16':
        view.setUint16(at, float32ToBfloat16Bits(Number(v)), true);
        break;
      case 'f16':
        view.setUint16(at, float32ToFloat16Bits(Number(v)), true);
        break;
    }
  }
  return out;
}
