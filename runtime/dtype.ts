/**
 * Element types. Names follow onnxruntime's JS Tensor types where they exist so that
 * feeds and outputs translate one to one.
 */
export const DTYPES = [
  'float32',
  'float16',
  'bfloat16',
  'float64',
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'bool',
  'string',
  'float8e4m3fn',
  'float8e4m3fnuz',
  'float8e5m2',
  'float8e5m2fnuz',
  'uint4',
  'int4',
] as const;

export type DType = (typeof DTYPES)[number];

/** TensorProto.DataType numbers (onnx.proto). */
const ONNX_DTYPE: Record<DType, number> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  float16: 10,
  float64: 11,
  uint32: 12,
  uint64: 13,
  bfloat16: 16,
  float8e4m3fn: 17,
  float8e4m3fnuz: 18,
  float8e5m2: 19,
  float8e5m2fnuz: 20,
  uint4: 21,
  int4: 22,
};

const FROM_ONNX = new Map<number, DType>(Object.entries(ONNX_DTYPE).map(([k, v]) => [v, k as DType]));

export function dtypeFromOnnx(code: number): DType | undefined {
  return FROM_ONNX.get(code);
}

export function dtypeToOnnx(dtype: DType): number {
  return ONNX_DTYPE[dtype];
}

export function isFloatDType(d: DType): boolean {
  return d === 'float32' || d === 'float16' || d === 'bfloat16' || d === 'float64' || d.startsWith('float8');
}

/** int64/uint64 are held as BigInt64Array/BigUint64Array so values stay exact. */
export function isBigIntDType(d: DType): boolean {
  return d === 'int64' || d === 'uint64';
}

export function isIntegerDType(d: DType): boolean {
  return /^u?int\d+$/.test(d);
}

export function isSignedIntDType(d: DType): boolean {
  return /^int\d+$/.test(d);
}

/** Storage bytes per element in ONNX raw_data (sub-byte types report 0.5). */
export function dtypeByteSize(d: DType): number {
  switch (d) {
    case 'float64':
    case 'int64':
    case 'uint64':
      return 8;
    case 'float32':
    case 'int32':
    case 'uint32':
      return 4;
    case 'float16':
    case 'bfloat16':
    case 'int16':
    case 'uint16':
      return 2;
    case 'uint4':
    case 'int4':
      return 0.5;
    case 'string':
      return 0;
    default:
      return 1;
  }
}

/** Inclusive integer range of an integer dtype, as bigint so int64/uint64 are exact. */
export function integerRange(d: DType): [bigint, bigint] {
  const m = /^(u?)int(\d+)$/.exec(d);
  if (!m) throw new Error(`integerRange: ${d} is not an integer type`);
  const bits = BigInt(m[2]!);
  return m[1] ? [0n, (1n << bits) - 1n] : [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n];
}
