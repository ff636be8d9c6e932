import { float16BitsToFloat32, float32ToFloat16Bits } from './half.js';
import { KilnError } from './errors.js';
import { GpuTensor, isGpuDType } from './gpu-tensor.js';
import { Tensor, type TensorDataType, describe, isTensorType, storageOf } from './ort-tensor.js';
import { Tensor as KilnTensor, type TensorData } from './tensor.js';

/**
 * Conversions between the public onnxruntime-shaped Tensor (`.type/.data/.dims`, also onnxruntime-web
 * and -node tensors, recognised by those fields) and Kiln's internal Tensor (`dtype/shape/data`).
 * Data is shared where the layouts agree; float16 (bits vs values) and non-0/1 bools are copied.
 */
export interface TensorLike {
  readonly type: string;
  readonly data: unknown;
  readonly dims: readonly number[];
}

/**
 * A feed as an internal tensor: a GpuTensor for a GPU-buffer tensor (Kiln's, or onnxruntime-web's:
 * `location` 'gpu-buffer' and `gpuBuffer`), else a CPU one (toKilnTensor).
 */
export function toKilnFeed(value: unknown, what: string, file?: string): KilnTensor | GpuTensor {
  if (!isTensorLike(value) || (value as { location?: unknown }).location !== 'gpu-buffer')
    return toKilnTensor(value, what, file);
  const { type, dims } = value;
  const buffer = (value as { gpuBuffer?: GPUBuffer }).gpuBuffer;
  if (!isGpuDType(type)) {
    throw new KilnError(`${what} is a ${type} GPU buffer`, {
      file,
      expected: 'float32 or int32 GPU buffers (other types as CPU tensors)',
    });
  }
  if (!buffer || typeof buffer.size !== 'number')
    throw new KilnError(`${what} is a GPU-buffer tensor without a gpuBuffer`, {
      file,
      expected: 'a GPUBuffer',
    });
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0))
    throw new KilnError(`${what} has dims [${dims.join(',')}]`, {
      file,
      expected: 'non-negative integer dims',
    });
  return new GpuTensor(type, [...dims], buffer);
}

/** A feed as an internal tensor; `what` names it in errors (e.g. "input 'x'"). */
export function toKilnTensor(value: unknown, what: string, file?: string): KilnTensor {
  if (value instanceof KilnTensor) return value;
  if (!isTensorLike(value)) {
    throw new KilnError(`${what} is ${describe(value)}, not a tensor`, {
      file,
      expected: 'a Tensor(type, data, dims)',
    });
  }
  const { type, data, dims } = value;
  const fail = (msg: string, expected: string) => new KilnError(`${what} ${msg}`, { file, expected });
  if (!isTensorType(type))
    throw fail(`has type '${type}', which Kiln does not run`, 'a numeric or bool type');
  const storage = storageOf(type);
  if (storage ? !(data instanceof storage) : !Array.isArray(data)) {
    throw fail(`is a ${type} tensor holding ${describe(data)}`, storage ? `a ${storage.name}` : 'string[]');
  }
  const shape = [...dims];
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw fail(`has dims [${shape.join(',')}]`, 'non-negative integer dims');
  }
  const size = shape.reduce((p, d) => p * d, 1);
  if ((data as TensorDataType).length !== size) {
    throw fail(
      `has ${(data as TensorDataType).length} elements but dims [${shape.join(',')}]`,
      `${size} elements`,
    );
  }
  if (type === 'float16') {
    return new KilnTensor('float16', shape, Float32Array.from(data as Uint16Array, float16BitsToFloat32));
  }
  if (type === 'bool') {
    const bytes = data as Uint8Array;
    const clean = bytes.every((v) => v <= 1) ? bytes : Uint8Array.from(bytes, (v) => (v ? 1 : 0));
    return new KilnTensor('bool', shape, clean);
  }
  return new KilnTensor(type, shape, data as TensorData);
}

/** An internal tensor as a public one (sharing the data where the layouts agree; GPU buffers as they are). */
export function fromKilnTensor(t: KilnTensor | GpuTensor): Tensor {
  if (t instanceof GpuTensor) {
    return Tensor.fromGpuBuffer(t.buffer, {
      dataType: t.dtype,
      dims: t.shape,
      download: t.download && (async () => (await t.download!()) as TensorDataType),
      dispose: t.dispose,
    });
  }
  if (t.dtype === 'float16') {
    return new Tensor('float16', Uint16Array.from(t.data as Float32Array, float32ToFloat16Bits), t.shape);
  }
  if (!isTensorType(t.dtype)) {
    throw new KilnError(`a ${t.dtype} tensor has no onnxruntime-style type`, {
      expected: 'float32, float16, float64, (u)int8/16/32/64, bool or string',
    });
  }
  return new Tensor(t.dtype, t.data as TensorDataType, t.shape);
}

function isTensorLike(v: unknown): v is TensorLike {
  if (typeof v !== 'object' || v === null) return false;
  const t = v as Partial<TensorLike>;
  return typeof t.type === 'string' && Array.isArray(t.dims) && 'data' in t;
}
