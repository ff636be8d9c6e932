/**
 * NumPy .npy files (format versions 1.0, 2.0 and 3.0) to and from Tensor.
 *
 * Read: little- and big-endian data ('<', '>', '=' and '|' byte orders) of the dtypes f2 f4 f8 i1 i2
 * i4 i8 u1 u2 u4 u8 b1, in C order. Fortran-ordered arrays, structured dtypes and any other
 * element type are refused with a KilnError naming the file. float16 data becomes a 'float16'
 * tensor (values decoded from the half bits, held in a Float32Array like every Kiln half tensor).
 * The data must be exactly as long as the header's shape says: numpy itself would ignore trailing
 * bytes, but in practice they mean a wrong shape or dtype, so we say so.
 *
 * Write: little-endian, C order, version 1.0 (2.0 only when the header would not fit in 64 KiB),
 * header padded so the data starts on a 64-byte boundary, as numpy.save does.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { DType } from './dtype.js';
import { KilnError } from './errors.js';
import { float16BitsToFloat32, float32ToFloat16Bits } from './half.js';
import { MAX_TENSOR_ELEMENTS, Tensor, type TensorData, allocData } from './tensor.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** numpy kind+size (without byte order) → Kiln dtype and element size in bytes. */
const FROM_DESCR: Record<string, { dtype: DType; size: number }> = {
  f2: { dtype: 'float16', size: 2 },
  f4: { dtype: 'float32', size: 4 },
  f8: { dtype: 'float64', size: 8 },
  i1: { dtype: 'int8', size: 1 },
  i2: { dtype: 'int16', size: 2 },
  i4: { dtype: 'int32', size: 4 },
  i8: { dtype: 'int64', size: 8 },
  u1: { dtype: 'uint8', size: 1 },
  u2: { dtype: 'uint16', size: 2 },
  u4: { dtype: 'uint32', size: 4 },
  u8: { dtype: 'uint64', size: 8 },
  b1: { dtype: 'bool', size: 1 },
};

const TO_DESCR: Partial<Record<DType, string>> = {
  float16: '<f2',
  float32: '<f4',
  float64: '<f8',
  int8: '|i1',
  int16: '<i2',
  int32: '<i4',
  int64: '<i8',
  uint8: '|u1',
  uint16: '<u2',
  uint32: '<u4',
  uint64: '<u8',
  bool: '|b1',
};

const SUPPORTED = 'one of <f2 <f4 <f8 |i1 <i2 <i4 <i8 |u1 <u2 <u4 <u8 |b1 (or big-endian >)';

function err(file: string | undefined, message: string, expected?: string): KilnError {
  return new KilnError(`npy: ${message}`, { file, expected });
}

/** Parse the bytes of a .npy file into a Tensor. `file` is used in error messages only. */
export function parseNpy(bytes: Uint8Array, file?: string): Tensor {
  if (bytes.length < 10) {
    throw err(file, `file is ${bytes.length} bytes long, too short for an npy header`, 'at least 10 bytes');
  }
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) throw err(file, 'bad magic string', "a file starting with '\\x93NUMPY'");
  }
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (![1, 2, 3].includes(major) || minor !== 0) {
    throw err(file, `unsupported format version ${major}.${minor}`, 'version 1.0, 2.0 or 3.0');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else {
    if (bytes.length < 12) throw err(file, 'file is truncated inside the header length', '12 bytes or more');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) {
    throw err(
      file,
      `header says it is ${headerLen} bytes long but the file ends after ${bytes.length - headerStart}`,
      'a complete header',
    );
  }
  const headerBytes = bytes.subarray(headerStart, dataStart);
  let header: string;
  try {
    // Versions 1 and 2 are latin1 (every byte is a character); version 3 is UTF-8.
    header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1', { fatal: true }).decode(headerBytes);
  } catch {
    throw err(file, 'header is not valid UTF-8', 'a UTF-8 header (format 3.0)');
  }
  const { descr, fortranOrder, shape } = parseHeader(header, file);
  if (fortranOrder) {
    throw err(
      file,
      'Fortran-ordered arrays are not supported',
      'fortran_order False (C order; save with np.ascontiguousarray)',
    );
  }
  const m = /^([<>=|])([a-zA-Z]\d+)$/.exec(descr);
  const kind = m ? FROM_DESCR[m[2]!] : undefined;
  if (!m || !kind) throw err(file, `unsupported dtype '${descr}'`, SUPPORTED);
  // '=' is native order; numpy only writes it for 1-byte types, and every host Kiln runs on is little-endian.
  const littleEndian = m[1] !== '>';

  let n = 1;
  for (const d of shape) {
    n *= d;
    if (n > MAX_TENSOR_ELEMENTS) {
      throw err(
        file,
        `shape (${shape.join(', ')}) is larger than the largest supported tensor`,
        `<= ${MAX_TENSOR_ELEMENTS} elements`,
      );
    }
  }
  const want = n * kind.size;
  const have = bytes.length - dataStart;
  if (have !== want) {
    throw err(
      file,
      `data holds ${have} bytes but shape (${shape.join(', ')}) of '${descr}' needs ${want}`,
      `${want} data bytes`,
    );
  }
  const data = decodeData(
    new DataView(bytes.buffer, bytes.byteOffset + dataStart, want),
    kind.dtype,
    n,
    littleEndian,
  );
  return new Tensor(kind.dtype, shape, data);
}

function decodeData(v: DataView, dtype: DType, n: number, le: boolean): TensorData {
  const out = allocData(dtype, n);
  switch (dtype) {
    case 'float16': {
      const o = out as Float32Array;
      for (let i = 0; i < n; i++) o[i] = float16BitsToFloat32(v.getUint16(i * 2, le));
      break;
    }
    case 'float32': {
      const o = out as Float32Array;
      for (let i = 0; i < n; i++) o[i] = v.getFloat32(i * 4, le);
      break;
    }
    case 'float64': {
      const o = out as Float64Array;
      for (let i = 0; i < n; i++) o[i] = v.getFloat64(i * 8, le);
      break;
    }
    case 'int8': {
      const o = out as Int8Array;
      for (let i = 0; i < n; i++) o[i] = v.getInt8(i);
      break;
    }
    case 'int16': {
      const o = out as Int16Array;
      for (let i = 0; i < n; i++) o[i] = v.getInt16(i * 2, le);
      break;
    }
    case 'int32': {
      const o = out as Int32Array;
      for (let i = 0; i < n; i++) o[i] = v.getInt32(i * 4, le);
      break;
    }
    case 'int64': {
      const o = out as BigInt64Array;
      for (let i = 0; i < n; i++) o[i] = v.getBigInt64(i * 8, le);
      break;
    }
    case 'uint8': {
      const o = out as Uint8Array;
      for (let i = 0; i < n; i++) o[i] = v.getUint8(i);
      break;
    }
    case 'uint16': {
      const o = out as Uint16Array;
      for (let i = 0; i < n; i++) o[i] = v.getUint16(i * 2, le);
      break;
    }
    case 'uint32': {
      const o = out as Uint32Array;
      for (let i = 0; i < n; i++) o[i] = v.getUint32(i * 4, le);
      break;
    }
    case 'uint64': {
      const o = out as BigUint64Array;
      for (let i = 0; i < n; i++) o[i] = v.getBigUint64(i * 8, le);
      break;
    }
    case 'bool': {
      const o = out as Uint8Array;
      for (let i = 0; i < n; i++) o[i] = v.getUint8(i) ? 1 : 0;
      break;
    }
    default:
      throw new KilnError(`npy: dtype ${dtype} cannot be read`);
  }
  return out;
}

interface Header {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
}

type PyValue = string | boolean | number | PyValue[] | { [k: string]: PyValue };

/**
 * The header is a Python dict literal, e.g. "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }".
 * We parse that small subset of Python literal syntax (strings, True/False, ints with an optional
 * Python 2 'L' suffix, tuples, lists, dicts) rather than evaluate anything.
 */
function parseHeader(text: string, file: string | undefined): Header {
  const bad = (why: string) =>
    err(
      file,
      `bad header (${why}): ${JSON.stringify(text.slice(0, 200))}`,
      "a dict like {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
    );
  let pos = 0;
  const ws = () => {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
  };
  const value = (depth: number): PyValue => {
    if (depth > 16) throw bad('nested too deeply');
    ws();
    const c = text[pos];
    if (c === undefined) throw bad('unexpected end');
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, pos + 1);
      if (end < 0) throw bad('unterminated string');
      const s = text.slice(pos + 1, end);
      if (s.includes('\\')) throw bad('escapes in strings are not supported');
      pos = end + 1;
      return s;
    }
    if (c === '(' || c === '[' || c === '{') {
      const close = c === '(' ? ')' : c === '[' ? ']' : '}';
      pos++;
      const items: PyValue[] = [];
      const dict: Record<string, PyValue> = {};
      for (;;) {
        ws();
        if (text[pos] === close) {
          pos++;
          break;
        }
        const item = value(depth + 1);
        if (c === '{') {
          if (typeof item !== 'string') throw bad('dict key is not a string');
          ws();
          if (text[pos] !== ':') throw bad(`expected ':' at offset ${pos}`);
          pos++;
          dict[item] = value(depth + 1);
        } else items.push(item);
        ws();
        if (text[pos] === ',') pos++;
        else if (text[pos] !== close) throw bad(`expected ',' or '${close}' at offset ${pos}`);
      }
      return c === '{' ? dict : items;
    }
    const m = /^(True|False|-?\d+L?)/.exec(text.slice(pos, pos + 32));
    if (!m) throw bad(`unexpected character ${JSON.stringify(c)} at offset ${pos}`);
    pos += m[1]!.length;
    if (m[1] === 'True') return true;
    if (m[1] === 'False') return false;
    return Number(m[1]!.replace('L', ''));
  };
  const v = value(0);
  ws();
  if (pos !== text.length) throw bad(`trailing characters at offset ${pos}`);
  if (typeof v !== 'object' || Array.isArray(v)) throw bad('not a dict');
  const { descr, fortran_order: fo, shape } = v;
  if (typeof descr !== 'string') {
    if (descr !== undefined)
      throw err(
        file,
        `unsupported dtype ${JSON.stringify(descr)} (structured arrays are not supported)`,
        SUPPORTED,
      );
    throw bad("no 'descr' string");
  }
  if (typeof fo !== 'boolean') throw bad("no 'fortran_order' True/False");
  if (!Array.isArray(shape)) throw bad("no 'shape' tuple");
  const dims: number[] = [];
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)
      throw bad(`invalid dimension ${JSON.stringify(d)}`);
    dims.push(d);
  }
  return { descr, fortranOrder: fo, shape: dims };
}

/** Serialize a tensor as a .npy file (little-endian, C order). bfloat16 and string have no npy form. */
export function serializeNpy(t: Tensor): Uint8Array {
  const descr = TO_DESCR[t.dtype];
  if (!descr) {
    throw new KilnError(`npy: cannot write a ${t.dtype} tensor`, {
      expected: 'a dtype numpy has: float16/32/64, int8/16/32/64, uint8/16/32/64 or bool',
    });
  }
  const shape = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Like numpy.save: room for the first dimension to grow to 21 digits (so a writer can rewrite the
  // header in place), then spaces and '\n' so that magic + version + length + header is a multiple of 64.
  if (t.shape.length > 0) header += ' '.repeat(Math.max(0, 21 - String(t.shape[0]).length));
  let prefix = 10;
  let total = Math.ceil((prefix + header.length + 1) / 64) * 64;
  if (total - prefix > 0xffff) {
    prefix = 12;
    total = Math.ceil((prefix + header.length + 1) / 64) * 64;
  }
  header = header.padEnd(total - prefix - 1, ' ') + '\n';
  const size = FROM_DESCR[descr.slice(1)]!.size;
  const n = t.size;
  const out = new Uint8Array(total + n * size);
  out.set(MAGIC, 0);
  out[6] = prefix === 10 ? 1 : 2;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (prefix === 10) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[prefix + i] = header.charCodeAt(i);
  const v = new DataView(out.buffer, total);
  const d = t.data;
  switch (t.dtype) {
    case 'float16':
      for (let i = 0; i < n; i++) v.setUint16(i * 2, float32ToFloat16Bits((d as Float32Array)[i]!), true);
      break;
    case 'float32':
      for (let i = 0; i < n; i++) v.setFloat32(i * 4, (d as Float32Array)[i]!, true);
      break;
    case 'float64':
      for (let i = 0; i < n; i++) v.setFloat64(i * 8, (d as Float64Array)[i]!, true);
      break;
    case 'int8':
      for (let i = 0; i < n; i++) v.setInt8(i, (d as Int8Array)[i]!);
      break;
    case 'int16':
      for (let i = 0; i < n; i++) v.setInt16(i * 2, (d as Int16Array)[i]!, true);
      break;
    case 'int32':
      for (let i = 0; i < n; i++) v.setInt32(i * 4, (d as Int32Array)[i]!, true);
      break;
    case 'int64':
      for (let i = 0; i < n; i++) v.setBigInt64(i * 8, (d as BigInt64Array)[i]!, true);
      break;
    case 'uint8':
      for (let i = 0; i < n; i++) v.setUint8(i, (d as Uint8Array)[i]!);
      break;
    case 'bool':
      for (let i = 0; i < n; i++) v.setUint8(i, (d as Uint8Array)[i] ? 1 : 0);
      break;
    case 'uint16':
      for (let i = 0; i < n; i++) v.setUint16(i * 2, (d as Uint16Array)[i]!, true);
      break;
    case 'uint32':
      for (let i = 0; i < n; i++) v.setUint32(i * 4, (d as Uint32Array)[i]!, true);
      break;
    case 'uint64':
      for (let i = 0; i < n; i++) v.setBigUint64(i * 8, (d as BigUint64Array)[i]!, true);
      break;
    default:
      throw new KilnError(`npy: cannot write a ${t.dtype} tensor`);
  }
  return out;
}

/** Read a .npy file from disk. */
export function loadNpy(path: string): Tensor {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new KilnError(`npy: cannot read file: ${(e as Error).message}`, {
      file: path,
      expected: 'a readable .npy file',
    });
  }
  return parseNpy(bytes, path);
}

/** Write a tensor to a .npy file on disk. */
export function saveNpy(path: string, t: Tensor): void {
  const bytes = serializeNpy(t);
  try {
    writeFileSync(path, bytes);
  } catch (e) {
    throw new KilnError(`npy: cannot write file: ${(e as Error).message}`, { file: path });
  }
}
