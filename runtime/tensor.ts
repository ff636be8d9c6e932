import { type DType, isBigIntDType } from './dtype.js';
import { KilnError } from './errors.js';
import { roundToBfloat16, roundToFloat16 } from './half.js';

/**
 * Storage per dtype:
 * - float32/float16/bfloat16: Float32Array (half types hold values exactly representable in them)
 * - float64: Float64Array; int8/16/32, uint8/16/32: the matching typed array
 * - int64/uint64: BigInt64Array/BigUint64Array (exact, as onnxruntime's JS tensors)
 * - bool: Uint8Array of 0/1; string: string[]
 */
export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | string[];

export class Tensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TensorData;

  constructor(dtype: DType, shape: readonly number[], data: TensorData) {
    const n = shapeSize(shape);
    if (data.length !== n) {
      throw new KilnError(
        `tensor data has ${data.length} elements but shape [${shape.join(',')}] needs ${n}`,
      );
    }
    this.dtype = dtype;
    this.shape = shape;
    this.data = data;
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  toString(): string {
    return `Tensor<${this.dtype}>[${this.shape.join(',')}]`;
  }
}

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Largest element count we will allocate for one tensor (guards against absurd dims in bad files). */
export const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;

export function allocData(dtype: DType, n: number): TensorData {
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_TENSOR_ELEMENTS) {
    throw new KilnError(`refusing to allocate a ${dtype} tensor of ${n} elements`, {
      expected: `0..${MAX_TENSOR_ELEMENTS} elements`,
    });
  }
  switch (dtype) {
    case 'float32':
    case 'float16':
    case 'bfloat16':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'int8':
      return new Int8Array(n);
    case 'int16':
      return new Int16Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'int64':
      return new BigInt64Array(n);
    case 'uint8':
    case 'bool':
      return new Uint8Array(n);
    case 'uint16':
      return new Uint16Array(n);
    case 'uint32':
      return new Uint32Array(n);
    case 'uint64':
      return new BigUint64Array(n);
    case 'string':
      return new Array<string>(n).fill('');
    default:
      throw new KilnError(`dtype ${dtype} is not supported for computation`);
  }
}

export function zeros(dtype: DType, shape: readonly number[]): Tensor {
  return new Tensor(dtype, shape, allocData(dtype, shapeSize(shape)));
}

/** Build a tensor from plain numbers/bigints, converting to the dtype's storage. */
export function tensorFrom(
  dtype: DType,
  shape: readonly number[],
  values: ArrayLike<number | bigint | boolean>,
): Tensor {
  const data = allocData(dtype, values.length);
  if (isBigIntDType(dtype)) {
    const d = data as BigInt64Array | BigUint64Array;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      d[i] = typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)));
    }
  } else if (dtype === 'string') {
    for (let i = 0; i < values.length; i++) (data as string[])[i] = String(values[i]);
  } else {
    const d = data as Float32Array;
    for (let i = 0; i < values.length; i++) d[i] = Number(values[i]);
    roundInPlace(dtype, d);
  }
  return new Tensor(dtype, shape, data);
}

export function scalar(dtype: DType, value: number | bigint | boolean): Tensor {
  return tensorFrom(dtype, [], [value]);
}

/** Read any numeric tensor as plain numbers (int64 beyond 2^53 loses precision; use for indices/shapes). */
export function toNumbers(t: Tensor): number[] {
  if (t.dtype === 'string') throw new KilnError(`expected a numeric tensor, got string`);
  const out = new Array<number>(t.size);
  const d = t.data as ArrayLike<number | bigint>;
  for (let i = 0; i < out.length; i++) out[i] = Number(d[i]);
  return out;
}

/** Round values stored in a Float32Array to the precision of a half dtype (no-op for others). */
export function roundInPlace(dtype: DType, data: TensorData): void {
  if (dtype === 'float16') {
    const d = data as Float32Array;
    for (let i = 0; i < d.length; i++) d[i] = roundToFloat16(d[i]!);
  } else if (dtype === 'bfloat16') {
    const d = data as Float32Array;
    for (let i = 0; i < d.length; i++) d[i] = roundToBfloat16(d[i]!);
  } else if (dtype === 'bool') {
    const d = data as Uint8Array;
    for (let i = 0; i < d.length; i++) d[i] = d[i] ? 1 : 0;
  }
}
