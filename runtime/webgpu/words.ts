import { KilnError } from '../errors.js';
import { Tensor } from '../tensor.js';

/**
 * The webgpu target's values as 32-bit words (docs/webgpu-target.md, Memory): how a CPU input is
 * written to the arena and how an output's words are read back into a CPU tensor.
 */

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** 32-bit words per element on the GPU: int64 outputs are two (low, high), everything else one. */
export const outputWords = (io: { shape: readonly number[]; dtype?: string }) =>
  numel(io.shape) * (io.dtype === 'int64' ? 2 : 1);

/** A checked CPU feed as the f32 words the GPU reads. */
export function inputWords(io: { name: string; dtype?: string }, t: Tensor, file?: string): Float32Array {
  const dtype = io.dtype ?? 'float32';
  if (t.data instanceof Float32Array) return t.data;
  if (t.data instanceof Int32Array) return new Float32Array(t.data.slice().buffer); // the bits
  if (SMALL_INTS.has(dtype)) return new Float32Array(Int32Array.from(t.data as ArrayLike<number>).buffer); // i32 words
  if (t.data instanceof Float64Array) return narrowFloat64Input(io.name, t.data, file);
  if (t.data instanceof BigInt64Array)
    return new Float32Array(narrowInt64Input(io.name, t.data, file).buffer);
  return Float32Array.from(t.data as Uint8Array);
}

/** An output's words (as read back) as a CPU tensor of its dtype. */
export function outputTensor(io: { shape: number[]; dtype?: string }, values: Float32Array): Tensor {
  const small = io.dtype && SMALL_INTS.get(io.dtype);
  if (small)
    return new Tensor(io.dtype as 'int8', io.shape, small.from(new Int32Array(values.slice().buffer)));
  switch (io.dtype) {
    case 'float64':
      return new Tensor('float64', io.shape, Float64Array.from(values));
    case 'float16': // stored rounded to float16 (targets/webgpu/widen-float16.ts)
      return new Tensor('float16', io.shape, values.slice());
    case 'int64':
      return new Tensor('int64', io.shape, new BigInt64Array(values.slice().buffer));
    case 'int32':
      return new Tensor('int32', io.shape, new Int32Array(values.slice().buffer));
    case 'bool':
      return new Tensor(
        'bool',
        io.shape,
        Uint8Array.from(values, (v) => (v !== 0 ? 1 : 0)),
      );
    default:
      return new Tensor('float32', io.shape, values.slice());
  }
}

/** 8/16-bit integer dtypes: one i32 word each on the GPU (the value), narrowed back on read-back. */
const SMALL_INTS = new Map<string, { from(words: Int32Array): Tensor['data'] }>([
  ['int8', Int8Array],
  ['uint8', Uint8Array],
  ['int16', Int16Array],
  ['uint16', Uint16Array],
]);

/**
 * A float64 input as float32 (WGSL has no 64-bit floats; the target computes float64 as float32),
 * rounded to nearest. A finite value beyond float32's range is refused rather than made ±Infinity.
 */
function narrowFloat64Input(name: string, data: Float64Array, file?: string): Float32Array {
  const out = Float32Array.from(data);
  for (let i = 0; i < data.length; i++)
    if (Number.isFinite(data[i]) && !Number.isFinite(out[i]))
      throw new KilnError(`input '${name}' holds ${data[i]} at index ${i}, beyond float32's range`, {
        file,
        expected:
          'float64 values within ±3.4028234663852886e38: the webgpu target computes float64 as float32',
      });
  return out;
}

/**
 * An int64 input as int32 (WGSL has no 64-bit integers; the target computes int64 as int32). A value
 * outside int32 is refused, naming the input, the element and the value: it is never wrapped.
 */
function narrowInt64Input(name: string, data: BigInt64Array, file?: string): Int32Array {
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < -2147483648n || v > 2147483647n)
      throw new KilnError(`input '${name}' holds ${v} at index ${i}, outside int32`, {
        file,
        expected: 'int64 values in [-2147483648, 2147483647]: the webgpu target computes int64 as int32',
      });
    out[i] = Number(v);
  }
  return out;
}
