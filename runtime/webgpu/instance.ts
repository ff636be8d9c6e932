import { checkFeeds } from '../feeds.js';
import { KilnError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { BufferUsage, MapMode, ShaderStage } from './flags.js';
import { SHADER_F16, type WebGpuLayout } from './layout.js';

export interface WebGpuInstanceOptions {
  /** `navigator.gpu` in browsers; in Node, `nodeWebGpu()` from runtime/webgpu/node-gpu.ts. */
  gpu: GPU;
  /** For error messages. */
  file?: string;
  /** An fp16 artifact's f16 weights (`weights-f16.bin`), 4-byte aligned. */
  halfWeights?: Uint8Array;
}

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
/** 32-bit words per element on the GPU: int64 outputs are two (low, high), everything else one. */
const words = (io: { shape: number[]; dtype?: string }) => numel(io.shape) * (io.dtype === 'int64' ? 2 : 1);

/**
 * A compiled model on a GPU device. At creation: the device, both storage buffers (the activation
 * arena and the weights, uploaded once), one pipeline per shader and the bind group. A run writes the
 * inputs, records every dispatch into one compute pass of one command buffer, copies only the outputs
 * to a mappable buffer and reads them back. Runs are serialised: they share the arena.
 */
export class WebGpuInstance {
  readonly inputNames: string[];
  readonly outputNames: string[];
  private lost: GPUDeviceLostInfo | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    /** Public so a caller can destroy it (and tests can simulate device loss). */
    readonly device: GPUDevice,
    private readonly layout: WebGpuLayout,
    private readonly arena: GPUBuffer,
    private readonly weights: GPUBuffer,
    private readonly readback: GPUBuffer,
    private readonly bindGroup: GPUBindGroup,
    private readonly pipelines: GPUComputePipeline[],
    private readonly file?: string,
  ) {
    this.inputNames = layout.inputs.map((t) => t.name);
    this.outputNames = layout.outputs.map((t) => t.name);
    void device.lost.then((info) => (this.lost = info));
  }

  static async create(
    layout: WebGpuLayout,
    shader: (path: string) => string,
    weights: Uint8Array,
    options: WebGpuInstanceOptions,
  ): Promise<WebGpuInstance> {
    const fail = (msg: string, expected?: string) => new KilnError(msg, { file: options.file, expected });
    const adapter = await options.gpu.requestAdapter();
    if (!adapter)
      throw fail(
        'no WebGPU adapter',
        'a GPU, or on Linux without one Mesa ≥ 25 lavapipe (bookworm-backports mesa-vulkan-drivers)',
      );
    const fp16 = layout.precision === 'fp16';
    if (fp16 && !adapter.features.has(SHADER_F16))
      throw fail(
        `the model was compiled with --precision fp16 and needs the WebGPU feature '${SHADER_F16}', which this adapter${adapterName(adapter)} does not have`,
        `an adapter with '${SHADER_F16}', or the model compiled with --precision fp32`,
      );
    const halfWeights = options.halfWeights ?? new Uint8Array(0);
    const largest = Math.max(
      layout.arenaBytes,
      weights.length,
      layout.halfArenaBytes ?? 0,
      halfWeights.length,
    );
    const limit = Math.min(adapter.limits.maxStorageBufferBindingSize, adapter.limits.maxBufferSize);
    if (largest > limit)
      throw fail(
        `the model needs a ${largest}-byte storage buffer; this adapter binds at most ${limit}`,
        'a smaller model or a GPU with larger storage buffer bindings',
      );
    const device = await adapter.requestDevice({
      ...(fp16 ? { requiredFeatures: [SHADER_F16] } : {}),
      requiredLimits: {
        maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
        maxBufferSize: adapter.limits.maxBufferSize,
      },
    });
    try {
      device.pushErrorScope('out-of-memory');
      device.pushErrorScope('validation');
      const arena = device.createBuffer({
        size: align4(layout.arenaBytes),
        usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST,
      });
      const weightBuffer = device.createBuffer({
        size: align4(Math.max(4, weights.length)),
        usage: BufferUsage.STORAGE | BufferUsage.COPY_DST,
      });
      if (weights.length) device.queue.writeBuffer(weightBuffer, 0, weights);
      const outBytes = layout.outputs.reduce((n, o) => n + words(o) * 4, 0);
      const readback = device.createBuffer({
        size: Math.max(4, outBytes),
        usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST,
      });
      // fp16: the f16 activations and weights at bindings 2 and 3 (targets/webgpu/wgsl.ts BINDINGS_F16)
      const half = fp16 ? halfBuffers(device, layout.halfArenaBytes ?? 4, halfWeights) : [];
      const types = ['storage', 'read-only-storage'] as const;
      const bindLayout = device.createBindGroupLayout({
        entries: [0, 1, ...half.map((_, i) => 2 + i)].map((binding) => ({
          binding,
          visibility: ShaderStage.COMPUTE,
          buffer: { type: types[binding % 2]! },
        })),
      });
      const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [bindLayout] });
      const bindGroup = device.createBindGroup({
        layout: bindLayout,
        entries: [arena, weightBuffer, ...half].map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
      const paths = [...new Set(layout.dispatches.map((d) => d.shader))];
      const built = await Promise.all(
        paths.map(async (path) => {
          const module = device.createShaderModule({ code: shader(path), label: path });
          try {
            return await device.createComputePipelineAsync({
              layout: pipelineLayout,
              compute: { module, entryPoint: 'main' },
              label: path,
            });
          } catch (err) {
            const info = await module.getCompilationInfo();
            const detail = info.messages.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ');
            throw fail(`shader ${path} does not compile: ${detail || (err as Error).message}`);
          }
        }),
      );
      const byPath = new Map(paths.map((p, i) => [p, built[i]!]));
      const validation = await device.popErrorScope();
      const oom = await device.popErrorScope();
      if (oom) throw fail(`out of GPU memory while loading the model: ${oom.message}`);
      if (validation) throw fail(`WebGPU rejected the model's resources: ${validation.message}`);
      return new WebGpuInstance(
        device,
        layout,
        arena,
        weightBuffer,
        readback,
        bindGroup,
        layout.dispatches.map((d) => byPath.get(d.shader)!),
        options.file,
      );
    } catch (err) {
      device.destroy();
      throw err;
    }
  }

  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    const next = this.queue.then(() => this.runNow(feeds));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Free the GPU resources; the instance cannot run afterwards. */
  release(): void {
    this.device.destroy();
  }

  private deviceLostError(): KilnError {
    return new KilnError(
      `WebGPU device lost (${this.lost?.reason ?? 'unknown'}): ${this.lost?.message ?? ''}`,
      {
        file: this.file,
        expected: 'a new session (create one; this one cannot run again)',
      },
    );
  }

  private async runNow(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    if (this.lost) throw this.deviceLostError();
    const data = this.checkFeeds(feeds);
    const { device } = this;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    this.layout.inputs.forEach((io, i) => {
      if (data[i]!.length) device.queue.writeBuffer(this.arena, io.offset, data[i]!);
    });
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setBindGroup(0, this.bindGroup);
    this.layout.dispatches.forEach((d, i) => {
      pass.setPipeline(this.pipelines[i]!);
      pass.dispatchWorkgroups(...d.workgroups);
    });
    pass.end();
    let at = 0;
    for (const o of this.layout.outputs) {
      const bytes = words(o) * 4;
      if (bytes) encoder.copyBufferToBuffer(this.arena, o.offset, this.readback, at, bytes);
      at += bytes;
    }
    device.queue.submit([encoder.finish()]);
    const validation = await device.popErrorScope();
    const oom = await device.popErrorScope();
    if (oom) throw new KilnError(`out of GPU memory during a run: ${oom.message}`, { file: this.file });
    if (validation) throw new KilnError(`WebGPU rejected a run: ${validation.message}`, { file: this.file });
    try {
      await this.readback.mapAsync(MapMode.READ);
    } catch (err) {
      if (this.lost) throw this.deviceLostError();
      throw new KilnError(`reading the outputs back failed: ${(err as Error).message}`, { file: this.file });
    }
    const all = new Float32Array(this.readback.getMappedRange().slice(0));
    this.readback.unmap();
    const out: Record<string, Tensor> = {};
    at = 0;
    for (const io of this.layout.outputs) {
      const n = words(io);
      const values = all.subarray(at, at + n);
      at += n;
      const small = io.dtype && SMALL_INTS.get(io.dtype);
      out[io.name] = small
        ? new Tensor(io.dtype!, io.shape, small.from(new Int32Array(values.slice().buffer)))
        : io.dtype === 'float64'
          ? new Tensor('float64', io.shape, Float64Array.from(values))
          : io.dtype === 'int64'
            ? new Tensor('int64', io.shape, new BigInt64Array(values.slice().buffer))
            : io.dtype === 'int32'
              ? new Tensor('int32', io.shape, new Int32Array(values.slice().buffer))
              : io.dtype === 'bool'
                ? new Tensor(
                    'bool',
                    io.shape,
                    Uint8Array.from(values, (v) => (v !== 0 ? 1 : 0)),
                  )
                : new Tensor('float32', io.shape, values.slice());
    }
    return out;
  }

  /** Names, dtypes and shapes as compiled; returns each input as the f32 words the GPU reads. */
  private checkFeeds(feeds: Record<string, Tensor>): Float32Array[] {
    const tensors = checkFeeds(feeds, this.layout.inputs, this.file);
    return this.layout.inputs.map((io, i) => {
      const t = tensors[i]!;
      const dtype = io.dtype ?? 'float32';
      if (t.data instanceof Float32Array) return t.data;
      if (t.data instanceof Int32Array) return new Float32Array(t.data.slice().buffer); // the bits
      if (SMALL_INTS.has(dtype)) return new Float32Array(Int32Array.from(t.data as ArrayLike<number>).buffer); // i32 words
      if (t.data instanceof Float64Array) return narrowFloat64Input(io.name, t.data, this.file);
      if (t.data instanceof BigInt64Array)
        return new Float32Array(narrowInt64Input(io.name, t.data, this.file).buffer);
      return Float32Array.from(t.data as Uint8Array);
    });
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

const align4 = (n: number) => Math.ceil(Math.max(n, 4) / 4) * 4;

/** An fp16 model's f16 activation buffer and its f16 weights, uploaded once. */
function halfBuffers(device: GPUDevice, arenaBytes: number, weights: Uint8Array): GPUBuffer[] {
  const arena = device.createBuffer({ size: align4(arenaBytes), usage: BufferUsage.STORAGE });
  const buffer = device.createBuffer({
    size: align4(weights.length),
    usage: BufferUsage.STORAGE | BufferUsage.COPY_DST,
  });
  if (weights.length) device.queue.writeBuffer(buffer, 0, weights);
  return [arena, buffer];
}

/** ' (description)' of an adapter, for messages; empty when it says nothing. */
function adapterName(adapter: GPUAdapter): string {
  const info = (adapter as { info?: { description?: string; vendor?: string } }).info;
  const name = info?.description || info?.vendor;
  return name ? ` (${name})` : '';
}
