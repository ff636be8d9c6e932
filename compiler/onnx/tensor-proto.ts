import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { type DType, dtypeByteSize, dtypeFromOnnx, dtypeToOnnx } from '../../runtime/dtype.js';
import { KilnError, type KilnErrorContext } from '../../runtime/errors.js';
import {
  bfloat16BitsToFloat32,
  float16BitsToFloat32,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
} from '../../runtime/half.js';
import { MAX_TENSOR_ELEMENTS, Tensor, type TensorData, allocData } from '../../runtime/tensor.js';
import { type Int64Field, int64ToBigInt, int64ToNumber, numberToInt64, uint64ToField } from './long.js';
import type { OnnxNs } from './proto.js';

type TensorProto = OnnxNs.ITensorProto;

export interface TensorReadOptions {
  /** Folder that external data locations are relative to (the model file's folder). */
  baseDir?: string;
  /** For error messages. */
  file?: string;
  /** Node or value the tensor belongs to, for error messages. */
  owner?: string;
}

const utf8 = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

export function decodeString(b: Uint8Array | string | null | undefined): string {
  if (b === null || b === undefined) return '';
  return typeof b === 'string' ? b : utf8.decode(b);
}

function fail(msg: string, tp: TensorProto, opts: TensorReadOptions, expected?: string): KilnError {
  const ctx: KilnErrorContext = { file: opts.file, expected };
  const who = tp.name ? `tensor '${tp.name}'` : opts.owner ? `tensor of ${opts.owner}` : 'tensor';
  return new KilnError(`${who}: ${msg}`, ctx);
}

export function tensorDims(tp: TensorProto, opts: TensorReadOptions): number[] {
  const dims = (tp.dims ?? []).map((d) => int64ToNumber(d as Int64Field));
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw fail(`invalid dimension ${d}`, tp, opts, 'dims >= 0');
    n *= d;
    if (n > MAX_TENSOR_ELEMENTS) {
      throw fail(
        `dims [${dims.join(',')}] exceed the largest supported tensor`,
        tp,
        opts,
        `<= ${MAX_TENSOR_ELEMENTS} elements`,
      );
    }
  }
  return dims;
}

/** Convert an ONNX TensorProto into a Tensor, reading raw_data, typed fields or external data. */
export function tensorFromProto(tp: TensorProto, opts: TensorReadOptions = {}): Tensor {
  const code = tp.dataType ?? 0;
  const dtype = dtypeFromOnnx(code);
  if (!dtype) throw fail(`unknown data_type ${code}`, tp, opts, 'a TensorProto.DataType code');
  if (dtype.startsWith('float8')) throw fail(`data type ${dtype} is not supported`, tp, opts);
  if (tp.segment) throw fail('segmented tensors are not supported', tp, opts);
  const dims = tensorDims(tp, opts);
  const n = dims.reduce((a, b) => a * b, 1);
  let raw: Uint8Array | undefined;
  if (tp.dataLocation === 1) raw = readExternal(tp, opts, dtype, n);
  else if (tp.rawData && tp.rawData.length > 0) raw = tp.rawData;
  const data = raw ? decodeRaw(raw, dtype, n, tp, opts) : decodeTyped(tp, dtype, n, opts);
  return new Tensor(dtype, dims, data);
}

function expectedRawBytes(dtype: DType, n: number): number {
  return Math.ceil(dtypeByteSize(dtype) * n);
}

function decodeRaw(
  raw: Uint8Array,
  dtype: DType,
  n: number,
  tp: TensorProto,
  opts: TensorReadOptions,
): TensorData {
  if (dtype === 'string') throw fail('string tensors cannot use raw_data', tp, opts, 'string_data');
  const want = expectedRawBytes(dtype, n);
  if (raw.length !== want) {
    throw fail(
      `raw data holds ${raw.length} bytes but ${n} ${dtype} elements need ${want}`,
      tp,
      opts,
      `${want} bytes`,
    );
  }
  const fast = LITTLE_ENDIAN ? fastRaw(raw, dtype) : undefined;
  if (fast) return fast;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = allocData(dtype === 'int4' || dtype === 'uint4' ? 'int8' : dtype, n);
  switch (dtype) {
    case 'float32': {
      const o = out as Float32Array;
      for (let i = 0; i < n; i++) o[i] = view.getFloat32(i * 4, true);
      return o;
    }
    case 'float64': {
      const o = out as Float64Array;
      for (let i = 0; i < n; i++) o[i] = view.getFloat64(i * 8, true);
      return o;
    }
    case 'float16':
    case 'bfloat16': {
      const o = out as Float32Array;
      const conv = dtype === 'float16' ? float16BitsToFloat32 : bfloat16BitsToFloat32;
      for (let i = 0; i < n; i++) o[i] = conv(view.getUint16(i * 2, true));
      return o;
    }
    case 'int64': {
      const o = out as BigInt64Array;
      for (let i = 0; i < n; i++) o[i] = view.getBigInt64(i * 8, true);
      return o;
    }
    case 'uint64': {
      const o = out as BigUint64Array;
      for (let i = 0; i < n; i++) o[i] = view.getBigUint64(i * 8, true);
      return o;
    }
    case 'int32': {
      const o = out as Int32Array;
      for (let i = 0; i < n; i++) o[i] = view.getInt32(i * 4, true);
      return o;
    }
    case 'uint32': {
      const o = out as Uint32Array;
      for (let i = 0; i < n; i++) o[i] = view.getUint32(i * 4, true);
      return o;
    }
    case 'int16': {
      const o = out as Int16Array;
      for (let i = 0; i < n; i++) o[i] = view.getInt16(i * 2, true);
      return o;
    }
    case 'uint16': {
      const o = out as Uint16Array;
      for (let i = 0; i < n; i++) o[i] = view.getUint16(i * 2, true);
      return o;
    }
    case 'int8': {
      const o = out as Int8Array;
      for (let i = 0; i < n; i++) o[i] = view.getInt8(i);
      return o;
    }
    case 'uint8': {
      (out as Uint8Array).set(raw);
      return out;
    }
    case 'bool': {
      const o = out as Uint8Array;
      for (let i = 0; i < n; i++) o[i] = raw[i] ? 1 : 0;
      return o;
    }
    default:
      throw fail(`data type ${dtype} is not supported`, tp, opts);
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** On little-endian hosts, types whose memory layout equals ONNX's are a plain byte copy. */
function fastRaw(raw: Uint8Array, dtype: DType): TensorData | undefined {
  const ctor = {
    float32: Float32Array,
    float64: Float64Array,
    int32: Int32Array,
    uint32: Uint32Array,
    int16: Int16Array,
    uint16: Uint16Array,
    int8: Int8Array,
    int64: BigInt64Array,
    uint64: BigUint64Array,
  }[dtype as string];
  if (!ctor) return undefined;
  const copy = new Uint8Array(raw.length);
  copy.set(raw);
  return new ctor(copy.buffer) as TensorData;
}

/** The typed field each dtype's values live in when there is no raw_data (onnx.proto). */
const TYPED_FIELD: Partial<Record<DType, [key: keyof TensorProto, field: string]>> = {
  float32: ['floatData', 'float_data'],
  float64: ['doubleData', 'double_data'],
  int64: ['int64Data', 'int64_data'],
  uint64: ['uint64Data', 'uint64_data'],
  uint32: ['uint64Data', 'uint64_data'],
  string: ['stringData', 'string_data'],
  float16: ['int32Data', 'int32_data'],
  bfloat16: ['int32Data', 'int32_data'],
  int32: ['int32Data', 'int32_data'],
  int16: ['int32Data', 'int32_data'],
  int8: ['int32Data', 'int32_data'],
  uint16: ['int32Data', 'int32_data'],
  uint8: ['int32Data', 'int32_data'],
  bool: ['int32Data', 'int32_data'],
};

function decodeTyped(tp: TensorProto, dtype: DType, n: number, opts: TensorReadOptions): TensorData {
  const check = (len: number, field: string) => {
    if (len !== n) throw fail(`${field} holds ${len} values but dims need ${n}`, tp, opts, `${n} values`);
  };
  // Check the value count before allocating: a tiny file must not make us allocate what its dims claim.
  const typed = TYPED_FIELD[dtype];
  if (typed) check(((tp[typed[0]] as unknown[] | null | undefined) ?? []).length, typed[1]);
  const out = allocData(dtype, n);
  switch (dtype) {
    case 'float32': {
      const src = tp.floatData ?? [];
      check(src.length, 'float_data');
      (out as Float32Array).set(src);
      return out;
    }
    case 'float64': {
      const src = tp.doubleData ?? [];
      check(src.length, 'double_data');
      (out as Float64Array).set(src);
      return out;
    }
    case 'int64': {
      const src = tp.int64Data ?? [];
      check(src.length, 'int64_data');
      const o = out as BigInt64Array;
      for (let i = 0; i < n; i++) o[i] = int64ToBigInt(src[i] as Int64Field);
      return o;
    }
    case 'uint64':
    case 'uint32': {
      const src = tp.uint64Data ?? [];
      check(src.length, 'uint64_data');
      if (dtype === 'uint32') {
        const o = out as Uint32Array;
        for (let i = 0; i < n; i++) o[i] = int64ToNumber(src[i] as Int64Field, true);
      } else {
        const o = out as BigUint64Array;
        for (let i = 0; i < n; i++) o[i] = int64ToBigInt(src[i] as Int64Field, true);
      }
      return out;
    }
    case 'string': {
      const src = tp.stringData ?? [];
      check(src.length, 'string_data');
      const o = out as string[];
      for (let i = 0; i < n; i++) o[i] = decodeString(src[i]);
      return o;
    }
    case 'float16':
    case 'bfloat16': {
      const src = tp.int32Data ?? [];
      check(src.length, 'int32_data');
      const conv = dtype === 'float16' ? float16BitsToFloat32 : bfloat16BitsToFloat32;
      const o = out as Float32Array;
      for (let i = 0; i < n; i++) o[i] = conv(src[i]! & 0xffff);
      return o;
    }
    case 'int32':
    case 'int16':
    case 'int8':
    case 'uint16':
    case 'uint8':
    case 'bool': {
      const src = tp.int32Data ?? [];
      check(src.length, 'int32_data');
      const o = out as Int32Array;
      for (let i = 0; i < n; i++) o[i] = dtype === 'bool' ? (src[i] ? 1 : 0) : src[i]!;
      return o;
    }
    default:
      throw fail(`data type ${dtype} is not supported`, tp, opts);
  }
}

function readExternal(tp: TensorProto, opts: TensorReadOptions, dtype: DType, n: number): Uint8Array {
  const kv = new Map((tp.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = kv.get('location');
  if (!location)
    throw fail('external data without a location', tp, opts, "an external_data entry 'location'");
  if (isAbsolute(location) || normalize(location).split(sep).includes('..')) {
    throw fail(
      `external data location '${location}' leaves the model folder`,
      tp,
      opts,
      'a relative path inside it',
    );
  }
  const path = join(opts.baseDir ?? '.', location);
  const offset = Number(kv.get('offset') ?? '0');
  const want = expectedRawBytes(dtype, n);
  const length = kv.has('length') ? Number(kv.get('length')) : want;
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw fail(`bad external data offset/length (${kv.get('offset')}, ${kv.get('length')})`, tp, opts);
  }
  if (length !== want)
    throw fail(
      `external data length ${length} does not match ${n} ${dtype} elements`,
      tp,
      opts,
      `${want} bytes`,
    );
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw fail(
      `cannot open external data file '${path}': ${(err as Error).message}`,
      tp,
      opts,
      'the file next to the model',
    );
  }
  try {
    const size = fstatSync(fd).size;
    if (offset + length > size) {
      throw fail(`external data file '${path}' has ${size} bytes, needs ${offset + length}`, tp, opts);
    }
    const buf = new Uint8Array(length);
    let got = 0;
    while (got < length) {
      const r = readSync(fd, buf, got, length - got, offset + got);
      if (r <= 0) break;
      got += r;
    }
    if (got !== length) throw fail(`short read from external data file '${path}'`, tp, opts);
    return buf;
  } finally {
    closeSync(fd);
  }
}

/** protobuf messages (and so inline raw_data) cannot exceed 2 GiB. */
const MAX_RAW_BYTES = 2 ** 31 - 1;

/** Convert a Tensor to a TensorProto (numeric data as little-endian raw_data, strings as string_data). */
export function tensorToProto(t: Tensor, name = ''): TensorProto {
  const tp: TensorProto = {
    name,
    dataType: dtypeToOnnx(t.dtype),
    dims: t.shape.map((d) => numberToInt64(d)) as never,
  };
  if (t.dtype === 'string') {
    tp.stringData = (t.data as string[]).map((s) => utf8Encoder.encode(s));
    return tp;
  }
  const n = t.size;
  const bytes = expectedRawBytes(t.dtype, n);
  if (bytes > MAX_RAW_BYTES) {
    throw new KilnError(`tensor '${name}' holds ${bytes} bytes, too many to write inline in an ONNX file`, {
      expected: `at most ${MAX_RAW_BYTES} bytes (protobuf's 2 GiB message limit)`,
    });
  }
  const raw = new Uint8Array(bytes);
  const view = new DataView(raw.buffer);
  const d = t.data;
  switch (t.dtype) {
    case 'float32':
      for (let i = 0; i < n; i++) view.setFloat32(i * 4, (d as Float32Array)[i]!, true);
      break;
    case 'float64':
      for (let i = 0; i < n; i++) view.setFloat64(i * 8, (d as Float64Array)[i]!, true);
      break;
    case 'float16':
      for (let i = 0; i < n; i++) view.setUint16(i * 2, float32ToFloat16Bits((d as Float32Array)[i]!), true);
      break;
    case 'bfloat16':
      for (let i = 0; i < n; i++) view.setUint16(i * 2, float32ToBfloat16Bits((d as Float32Array)[i]!), true);
      break;
    case 'int64':
      for (let i = 0; i < n; i++) view.setBigInt64(i * 8, (d as BigInt64Array)[i]!, true);
      break;
    case 'uint64':
      for (let i = 0; i < n; i++) view.setBigUint64(i * 8, (d as BigUint64Array)[i]!, true);
      break;
    case 'int32':
      for (let i = 0; i < n; i++) view.setInt32(i * 4, (d as Int32Array)[i]!, true);
      break;
    case 'uint32':
      for (let i = 0; i < n; i++) view.setUint32(i * 4, (d as Uint32Array)[i]!, true);
      break;
    case 'int16':
      for (let i = 0; i < n; i++) view.setInt16(i * 2, (d as Int16Array)[i]!, true);
      break;
    case 'uint16':
      for (let i = 0; i < n; i++) view.setUint16(i * 2, (d as Uint16Array)[i]!, true);
      break;
    case 'int8':
      for (let i = 0; i < n; i++) view.setInt8(i, (d as Int8Array)[i]!);
      break;
    case 'uint8':
    case 'bool':
      raw.set(d as Uint8Array);
      break;
    default:
      throw new KilnError(`cannot write a ${t.dtype} tensor to ONNX`, { expected: 'a supported dtype' });
  }
  tp.rawData = raw;
  return tp;
}

export { uint64ToField };
