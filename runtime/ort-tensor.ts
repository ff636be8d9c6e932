import { KilnError } from './errors.js';

/**
 * The public tensor of Kiln's runtime API, shaped like onnxruntime-web's `Tensor` so a script written
 * for onnxruntime runs unchanged but for the import: `new Tensor(type, data, dims)`,
 * `new Tensor(data, dims)`, and `.type`, `.data`, `.dims`, `.size`. Data layouts are onnxruntime's
 * (float16 as Uint16Array bits, bool as Uint8Array, int64 as BigInt64Array). Kiln's compiler and
 * executors use the internal `runtime/tensor.ts` Tensor; `runtime/tensor-interop.ts` converts.
 */
export type TensorType =
  | 'float32'
  | 'float16'
  | 'float64'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'bool'
  | 'string';

export type TensorDataType =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array
  | string[];

type TypedArrayConstructor = { new (n: number): TensorDataType; from(v: ArrayLike<unknown>): TensorDataType };

/** The typed array each type's data is held in (onnxruntime-web's table). */
const STORAGE: Record<Exclude<TensorType, 'string'>, TypedArrayConstructor> = {
  float32: Float32Array,
  float16: Uint16Array,
  float64: Float64Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array as unknown as TypedArrayConstructor,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  uint64: BigUint64Array as unknown as TypedArrayConstructor,
  bool: Uint8Array,
};

export const TENSOR_TYPES = [...Object.keys(STORAGE), 'string'] as readonly TensorType[];

export function isTensorType(type: unknown): type is TensorType {
  return typeof type === 'string' && (TENSOR_TYPES as readonly string[]).includes(type);
}

/** The typed array class a type's data must be (undefined for string). */
export function storageOf(type: TensorType): TypedArrayConstructor | undefined {
  return type === 'string' ? undefined : STORAGE[type];
}

type PlainData = readonly number[] | readonly bigint[] | readonly boolean[] | readonly string[];

/** Where a tensor's data lives (onnxruntime's names; Kiln has these two). */
export type DataLocation = 'cpu' | 'gpu-buffer';

/** onnxruntime-web's `Tensor.fromGpuBuffer` options. */
export interface GpuBufferTensorOptions {
  dataType: TensorType;
  dims: readonly number[];
  /** Reads the buffer back (`getData()` calls it); absent, the data cannot be downloaded. */
  download?: () => Promise<TensorDataType>;
  /** Frees the buffer (`dispose()` calls it); absent, the caller frees it. */
  dispose?: () => void;
}

/** The types a tensor in a GPU buffer may have: those Kiln's webgpu target holds as their own bytes. */
const GPU_BUFFER_TYPES: readonly TensorType[] = ['float32', 'int32'];

export class Tensor {
  readonly type: TensorType;
  readonly dims: readonly number[];
  private cpuData: TensorDataType | undefined;
  private gpu:
    { buffer: GPUBuffer; download?: () => Promise<TensorDataType>; dispose?: () => void } | undefined;

  constructor(type: TensorType, data: TensorDataType | PlainData, dims?: readonly number[]);
  constructor(data: TensorDataType | Uint8ClampedArray | PlainData, dims?: readonly number[]);
  constructor(
    a: TensorType | TensorDataType | Uint8ClampedArray | PlainData,
    b?: TensorDataType | PlainData | readonly number[],
    c?: readonly number[],
  ) {
    let type: TensorType;
    let data: TensorDataType;
    let dims: readonly number[] | undefined;
    if (typeof a === 'string') {
      if (!isTensorType(a)) {
        throw new KilnError(`unknown tensor type '${a}'`, { expected: `one of ${TENSOR_TYPES.join(', ')}` });
      }
      type = a;
      data = dataFor(type, b as TensorDataType | PlainData);
      dims = c;
    } else {
      type = inferType(a);
      data =
        a instanceof Uint8ClampedArray ? new Uint8Array(a.buffer, a.byteOffset, a.length) : dataFor(type, a);
      dims = b as readonly number[] | undefined;
    }
    this.type = type;
    this.cpuData = data;
    this.dims = checkDims(dims ?? [data.length], data.length);
  }

  /**
   * A tensor whose data is a GPUBuffer (onnxruntime-web's form): its first `4 × size` bytes, row-major.
   * Fed to a webgpu session on the buffer's device, it is copied on the GPU (no upload). The caller
   * keeps owning the buffer unless `dispose` is given (then `dispose()` frees it).
   */
  static fromGpuBuffer(buffer: GPUBuffer, options: GpuBufferTensorOptions): Tensor {
    const { dataType, dims, download, dispose } = options ?? ({} as GpuBufferTensorOptions);
    if (!GPU_BUFFER_TYPES.includes(dataType)) {
      throw new KilnError(`a GPU-buffer tensor of type '${String(dataType)}'`, {
        expected: `dataType ${GPU_BUFFER_TYPES.join(' or ')} (other types as CPU tensors)`,
      });
    }
    if (typeof buffer !== 'object' || buffer === null || typeof buffer.size !== 'number') {
      throw new KilnError(`Tensor.fromGpuBuffer was given ${describe(buffer)}`, { expected: 'a GPUBuffer' });
    }
    const size = Array.isArray(dims) ? dims.reduce((p: number, d: number) => p * d, 1) : NaN;
    const t = Object.create(Tensor.prototype) as Tensor;
    Object.assign(t, { type: dataType, dims: checkDims(dims, size), cpuData: undefined });
    t.gpu = { buffer, download, dispose };
    return t;
  }

  /** 'gpu-buffer' until the data is downloaded with `getData(true)` (which frees the buffer). */
  get location(): DataLocation {
    return this.gpu ? 'gpu-buffer' : 'cpu';
  }

  /** The values; for a GPU-buffer tensor only after `await getData()` (as onnxruntime-web). */
  get data(): TensorDataType {
    if (!this.cpuData) {
      if (!this.gpu)
        throw new KilnError(`${this.toString()} was disposed`, { expected: 'a tensor not yet disposed' });
      throw new KilnError(`the data of ${this.toString()} is in a GPU buffer`, {
        expected: 'await tensor.getData() to download it (or use tensor.gpuBuffer)',
      });
    }
    return this.cpuData;
  }

  /** The GPUBuffer of a GPU-buffer tensor. */
  get gpuBuffer(): GPUBuffer {
    if (!this.gpu) {
      throw new KilnError(`${this.toString()} is on the CPU`, {
        expected: "a tensor whose location is 'gpu-buffer'",
      });
    }
    return this.gpu.buffer;
  }

  get size(): number {
    return this.dims.reduce((p, d) => p * d, 1);
  }

  /**
   * The data on the CPU: downloaded (once) for a GPU-buffer tensor; `releaseData` then frees the
   * buffer and the tensor becomes a CPU one.
   */
  async getData(releaseData?: boolean): Promise<TensorDataType> {
    if (!this.cpuData && this.gpu) {
      if (!this.gpu.download) {
        throw new KilnError(`${this.toString()} is in a GPU buffer with no download function`, {
          expected: 'Tensor.fromGpuBuffer(buffer, {download}) to read it back, or read the buffer yourself',
        });
      }
      this.cpuData = await this.gpu.download();
    }
    if (releaseData) this.dispose();
    return this.data;
  }

  /** A tensor of other dims over the same data (the same GPU buffer for a GPU-buffer tensor, not owned). */
  reshape(dims: readonly number[]): Tensor {
    if (this.gpu)
      return Tensor.fromGpuBuffer(this.gpu.buffer, {
        dataType: this.type,
        dims,
        download: this.gpu.download,
      });
    return new Tensor(this.type, this.data, dims);
  }

  /** Frees the GPU buffer when the tensor owns it; downloaded data stays readable. */
  dispose(): void {
    const gpu = this.gpu;
    this.gpu = undefined;
    gpu?.dispose?.();
  }

  toString(): string {
    return `Tensor<${this.type}>[${this.dims.join(',')}]`;
  }
}

/** onnxruntime's inference from the data alone: typed array → its type, number[] → float32, boolean[] → bool, string[] → string. */
function inferType(data: unknown): TensorType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray) return 'uint8';
  if (data instanceof Uint16Array) return 'uint16';
  if (data instanceof Uint32Array) return 'uint32';
  if (data instanceof BigUint64Array) return 'uint64';
  if (Array.isArray(data)) {
    const first: unknown = data[0];
    if (data.length === 0 || typeof first === 'number') return 'float32';
    if (typeof first === 'boolean') return 'bool';
    if (typeof first === 'string') return 'string';
    if (typeof first === 'bigint') return 'int64';
  }
  throw new KilnError(`cannot infer a tensor type from ${describe(data)}`, {
    expected: 'a typed array, or an array of numbers, booleans or strings',
  });
}

/** The data as the type's storage: typed arrays must already be it; plain arrays are converted. */
function dataFor(type: TensorType, data: TensorDataType | PlainData): TensorDataType {
  const storage = storageOf(type);
  if (Array.isArray(data)) {
    const values = data as readonly unknown[];
    const kind = type === 'string' ? 'string' : type === 'bool' ? 'boolean' : 'number';
    const bad = values.findIndex((v) =>
      type === 'string' ? typeof v !== 'string' : !['number', 'bigint', 'boolean'].includes(typeof v),
    );
    if (bad >= 0) {
      throw new KilnError(`a ${type} tensor's data[${bad}] is ${describe(values[bad])}`, {
        expected: `${kind} elements`,
      });
    }
    if (type === 'string') return [...(values as string[])];
    const nums = values as readonly (number | bigint | boolean)[];
    if (type === 'int64' || type === 'uint64') {
      return storage!.from(nums.map((v) => (typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v))))));
    }
    return storage!.from(nums.map(Number));
  }
  if (storage && data instanceof storage) return data as TensorDataType;
  throw new KilnError(`a ${type} tensor's data is ${describe(data)}`, {
    expected: storage ? `a ${storage.name} or a plain array` : 'string[]',
  });
}

function checkDims(dims: readonly number[], n: number): readonly number[] {
  if (!Array.isArray(dims) || dims.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new KilnError(`tensor dims ${JSON.stringify(dims)} are not a list of sizes`, {
      expected: 'an array of non-negative integers',
    });
  }
  const size = dims.reduce((p, d) => p * d, 1);
  if (size !== n) {
    throw new KilnError(`tensor data has ${n} elements but dims [${dims.join(',')}] need ${size}`);
  }
  return Object.freeze([...dims]);
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  return typeof value === 'object' ? `a ${value.constructor?.name ?? 'object'}` : `a ${typeof value}`;
}
