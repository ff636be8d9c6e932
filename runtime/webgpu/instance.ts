import { checkFeeds } from '../feeds.js';
import { KilnError } from '../errors.js';
import { GpuTensor, type OutputLocation, isGpuDType } from '../gpu-tensor.js';
import type { Tensor } from '../tensor.js';
import { BufferUsage, MapMode, ShaderStage } from './flags.js';
import { SHADER_F16, SUBGROUPS, type WebGpuLayout } from './layout.js';
import { inputWords, outputTensor, outputWords } from './words.js';

export interface WebGpuInstanceOptions {
  /** `navigator.gpu` in browsers; in Node, `nodeWebGpu()` from runtime/webgpu/node-gpu.ts. */
  gpu?: GPU;
  /**
   * A device of the caller's to run on (needed to chain models through GPU buffers: they must share
   * a device). The caller owns it: `release()` frees the session's buffers but leaves the device.
   * Absent, the session requests a device of its own from `gpu` and destroys it at release.
   */
  device?: GPUDevice;
  /** Where each output is left: one location for all, or per output name (default 'cpu'). */
  outputLocation?: OutputLocation | Record<string, OutputLocation>;
  /** For error messages. */
  file?: string;
  /** An fp16 artifact's f16 weights (`weights-f16.bin`), 4-byte aligned. */
  halfWeights?: Uint8Array;
  /**
   * Run the subgroup variants of row reductions when the device has the `subgroups` feature
   * (default true; false runs the workgroup-tree variants everywhere, e.g. to compare them).
   */
  subgroups?: boolean;
}

type Feed = Tensor | GpuTensor;

/**
 * A compiled model on a GPU device. At creation: the device, both storage buffers (the activation
 * arena and the weights, uploaded once), one pipeline per shader and the bind group. A run writes the
 * CPU inputs (GPU-buffer inputs are copied on the GPU), records every dispatch into one compute pass
 * of one command buffer, and reads back only the outputs left on the CPU (GPU-resident outputs are
 * copied into new buffers the caller owns). Runs are serialised: they share the arena.
 */
export class WebGpuInstance {
  readonly inputNames: string[];
  readonly outputNames: string[];
  private lost: GPUDeviceLostInfo | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    /** Public so a caller can destroy it (and tests can simulate device loss). */
    readonly device: GPUDevice,
    private readonly ownsDevice: boolean,
    private readonly layout: WebGpuLayout,
    private readonly buffers: {
      arena: GPUBuffer;
      weights: GPUBuffer;
      readback: GPUBuffer;
      /** fp16 artifacts: the f16 activations and weights. */
      halfArena?: GPUBuffer;
      halfWeights?: GPUBuffer;
    },
    private readonly bindGroup: GPUBindGroup,
    private readonly pipelines: GPUComputePipeline[],
    /** Whether the subgroup variants of row reductions run (the device has `subgroups`). */
    readonly subgroups: boolean,
    private readonly onGpu: boolean[],
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
    const onGpu = outputPlacement(layout, options.outputLocation, options.file);
    const fp16 = layout.precision === 'fp16';
    const halfWeights = options.halfWeights ?? new Uint8Array(0);
    const largest = Math.max(
      layout.arenaBytes,
      weights.length,
      layout.halfArenaBytes ?? 0,
      halfWeights.length,
    );
    const tooLarge = (limit: number) =>
      fail(
        `the model needs a ${largest}-byte storage buffer; this ${options.device ? 'device' : 'adapter'} binds at most ${limit}`,
        'a smaller model or a GPU with larger storage buffer bindings',
      );
    const noF16 = (what: string) =>
      fail(
        `the model was compiled with --precision fp16 and needs the WebGPU feature '${SHADER_F16}', which ${what} does not have`,
        `an adapter with '${SHADER_F16}', or the model compiled with --precision fp32`,
      );
    // subgroups is optional: requested only when the adapter has it and a dispatch has a variant for it
    const wantsSubgroups = options.subgroups !== false && layout.dispatches.some((d) => d.subgroupShader);
    let device = options.device;
    if (device) {
      if (fp16 && !device.features.has(SHADER_F16)) throw noF16('the device given');
      const limit = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
      if (largest > limit) throw tooLarge(limit);
    } else {
      if (!options.gpu)
        throw fail('no GPU object', 'options.gpu (navigator.gpu, or Dawn in Node) or options.device');
      const adapter = await options.gpu.requestAdapter();
      if (!adapter)
        throw fail(
          'no WebGPU adapter',
          'a GPU, or on Linux without one Mesa ≥ 25 lavapipe (bookworm-backports mesa-vulkan-drivers)',
        );
      if (fp16 && !adapter.features.has(SHADER_F16)) throw noF16(`this adapter${adapterName(adapter)}`);
      const limit = Math.min(adapter.limits.maxStorageBufferBindingSize, adapter.limits.maxBufferSize);
      if (largest > limit) throw tooLarge(limit);
      const features = [
        ...(fp16 ? [SHADER_F16] : []),
        ...(wantsSubgroups && adapter.features.has(SUBGROUPS) ? [SUBGROUPS] : []),
      ] as GPUFeatureName[];
      device = await adapter.requestDevice({
        ...(features.length ? { requiredFeatures: features } : {}),
        requiredLimits: {
          maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
          maxBufferSize: adapter.limits.maxBufferSize,
        },
      });
    }
    const created: GPUBuffer[] = [];
    const buffer = (desc: GPUBufferDescriptor) => {
      const b = device.createBuffer(desc);
      created.push(b);
      return b;
    };
    try {
      device.pushErrorScope('out-of-memory');
      device.pushErrorScope('validation');
      const arena = buffer({
        size: align4(layout.arenaBytes),
        usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST,
        label: 'kiln arena',
      });
      const weightBuffer = buffer({
        size: align4(Math.max(4, weights.length)),
        usage: BufferUsage.STORAGE | BufferUsage.COPY_DST,
        label: 'kiln weights',
      });
      if (weights.length) device.queue.writeBuffer(weightBuffer, 0, weights);
      const outBytes = layout.outputs.reduce((n, o, i) => n + (onGpu[i] ? 0 : outputWords(o) * 4), 0);
      const readback = buffer({
        size: Math.max(4, outBytes),
        usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST,
        label: 'kiln readback',
      });
      // fp16: the f16 activations and weights at bindings 2 and 3 (targets/webgpu/wgsl.ts BINDINGS_F16)
      const half = fp16 ? halfBuffers(buffer, device, layout.halfArenaBytes ?? 4, halfWeights) : [];
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
      // both popped at once: another session on a shared device must not push in between
      const [validation, oom] = await Promise.all([device.popErrorScope(), device.popErrorScope()]);
      if (oom)
        throw fail(
          `out of GPU memory while loading the model (arena ${layout.arenaBytes} bytes, weights ${weights.length} bytes): ${oom.message}`,
          'a GPU with more free memory, or fewer sessions on this device',
        );
      if (validation) throw fail(`WebGPU rejected the model's resources: ${validation.message}`);
      const subgroups = wantsSubgroups && device.features.has(SUBGROUPS);
      const shaderOf = (d: WebGpuLayout['dispatches'][number]) =>
        (subgroups ? d.subgroupShader : undefined) ?? d.shader;
      const paths = [...new Set(layout.dispatches.map(shaderOf))];
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
            const info = await Promise.race([device.lost, settleSoon()]);
            if (info) throw lostError(info, options.file);
            const compiled = await module.getCompilationInfo();
            const detail = compiled.messages.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ');
            throw fail(`shader ${path} does not compile: ${detail || (err as Error).message}`);
          }
        }),
      );
      const byPath = new Map(paths.map((p, i) => [p, built[i]!]));
      return new WebGpuInstance(
        device,
        !options.device,
        layout,
        {
          arena,
          weights: weightBuffer,
          readback,
          ...(half.length ? { halfArena: half[0], halfWeights: half[1] } : {}),
        },
        bindGroup,
        layout.dispatches.map((d) => byPath.get(shaderOf(d))!),
        subgroups && layout.dispatches.some((d) => d.subgroupShader),
        onGpu,
        options.file,
      );
    } catch (err) {
      if (options.device) created.forEach((b) => b.destroy());
      else device.destroy();
      throw err;
    }
  }

  get keepsOutputsOnGpu(): boolean {
    return this.onGpu.some(Boolean);
  }

  run(feeds: Record<string, Feed>): Promise<Record<string, Tensor | GpuTensor>> {
    const next = this.queue.then(() => this.runNow(feeds));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Free the GPU resources (the device too when the session requested it); no run afterwards. */
  release(): void {
    if (this.ownsDevice) this.device.destroy();
    else Object.values(this.buffers).forEach((b) => b.destroy());
  }

  private async runNow(feeds: Record<string, Feed>): Promise<Record<string, Tensor | GpuTensor>> {
    if (this.lost) throw lostError(this.lost, this.file);
    const tensors = checkFeeds(feeds, this.layout.inputs, this.file);
    const words = this.layout.inputs.map((io, i) => {
      const t = tensors[i]!;
      if (t instanceof GpuTensor) return this.checkGpuFeed(io.name, t);
      return inputWords(io, t, this.file);
    });
    const { device } = this;
    const { arena, readback } = this.buffers;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    const encoder = device.createCommandEncoder();
    this.layout.inputs.forEach((io, i) => {
      const w = words[i]!;
      if (w instanceof GpuTensor) {
        if (w.byteLength) encoder.copyBufferToBuffer(w.buffer, 0, arena, io.offset, w.byteLength);
      } else if (w.length) device.queue.writeBuffer(arena, io.offset, w);
    });
    const pass = encoder.beginComputePass();
    pass.setBindGroup(0, this.bindGroup);
    this.layout.dispatches.forEach((d, i) => {
      pass.setPipeline(this.pipelines[i]!);
      pass.dispatchWorkgroups(...d.workgroups);
    });
    pass.end();
    const kept = new Map<number, GPUBuffer>();
    let at = 0;
    this.layout.outputs.forEach((o, i) => {
      const bytes = outputWords(o) * 4;
      if (this.onGpu[i]) {
        const out = device.createBuffer({
          size: align4(bytes),
          usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST,
          label: `kiln output ${o.name}`,
        });
        kept.set(i, out);
        if (bytes) encoder.copyBufferToBuffer(arena, o.offset, out, 0, bytes);
      } else {
        if (bytes) encoder.copyBufferToBuffer(arena, o.offset, readback, at, bytes);
        at += bytes;
      }
    });
    device.queue.submit([encoder.finish()]);
    const [validation, oom] = await Promise.all([device.popErrorScope(), device.popErrorScope()]);
    if (oom || validation) kept.forEach((b) => b.destroy());
    if (this.lost) throw lostError(this.lost, this.file);
    if (oom)
      throw new KilnError(`out of GPU memory during a run: ${oom.message}`, {
        file: this.file,
        expected: 'free GPU memory (dispose GPU-buffer outputs no longer needed, release unused sessions)',
      });
    if (validation) {
      const gpuFed = words.some((w) => w instanceof GpuTensor);
      throw new KilnError(`WebGPU rejected a run: ${validation.message}`, {
        file: this.file,
        expected: gpuFed
          ? "GPU-buffer inputs created on this session's device (the `device` option), unmapped, with COPY_SRC usage"
          : undefined,
      });
    }
    const out: Record<string, Tensor | GpuTensor> = {};
    // nothing to map when every CPU output is empty (a zero-size tensor) or all stay on the GPU
    let all = new Float32Array(0);
    if (at > 0) {
      await this.untilDone(readback.mapAsync(MapMode.READ), 'reading the outputs back');
      all = new Float32Array(readback.getMappedRange(0, at).slice(0));
      readback.unmap();
    }
    at = 0;
    this.layout.outputs.forEach((io, i) => {
      if (this.onGpu[i]) return;
      const n = outputWords(io);
      out[io.name] = outputTensor(io, all.subarray(at, at + n));
      at += n;
    });
    this.layout.outputs.forEach((io, i) => {
      const buffer = kept.get(i);
      if (!buffer) return;
      const dtype = (io.dtype ?? 'float32') as 'float32' | 'int32';
      const download = async () => {
        const t = outputTensor(io, await this.download(buffer, outputWords(io) * 4));
        return t.data;
      };
      out[io.name] = new GpuTensor(dtype, io.shape, buffer, download, () => buffer.destroy());
    });
    return out;
  }

  /** Copy a GPU buffer's first `bytes` into a staging buffer and map it (a GPU-resident output's getData). */
  private async download(source: GPUBuffer, bytes: number): Promise<Float32Array> {
    if (this.lost) throw lostError(this.lost, this.file);
    const staging = this.device.createBuffer({
      size: align4(bytes),
      usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST,
      label: 'kiln download',
    });
    try {
      const encoder = this.device.createCommandEncoder();
      if (bytes) encoder.copyBufferToBuffer(source, 0, staging, 0, bytes);
      this.device.queue.submit([encoder.finish()]);
      await this.untilDone(staging.mapAsync(MapMode.READ), 'downloading a GPU-buffer output');
      return new Float32Array(staging.getMappedRange(0, align4(bytes)).slice(0, bytes));
    } finally {
      staging.destroy();
    }
  }

  /** A GPU-buffer feed: a dtype whose words are its bytes, a buffer large enough, usable as a copy source. */
  private checkGpuFeed(name: string, t: GpuTensor): GpuTensor {
    const fail = (msg: string, expected: string) => new KilnError(msg, { file: this.file, expected });
    if (!isGpuDType(t.dtype))
      throw fail(
        `input '${name}' is a ${t.dtype} GPU buffer`,
        'float32 or int32 GPU buffers (others as CPU tensors)',
      );
    if (t.buffer.size < t.byteLength)
      throw fail(
        `input '${name}' is a ${t.buffer.size}-byte GPU buffer`,
        `at least ${t.byteLength} bytes (${t.size} ${t.dtype} values)`,
      );
    if ((t.buffer.usage & BufferUsage.COPY_SRC) === 0)
      throw fail(
        `input '${name}' is a GPU buffer without COPY_SRC usage`,
        'a buffer created with GPUBufferUsage.COPY_SRC',
      );
    if (t.buffer.mapState !== 'unmapped')
      throw fail(`input '${name}' is a GPU buffer that is ${t.buffer.mapState}`, 'an unmapped buffer');
    return t;
  }

  /**
   * Await GPU work, but never past a device loss: a lost device may leave a mapAsync pending for
   * ever, so it is raced against `device.lost`. A failure is reported as the loss when the device was
   * lost (its promise can settle just after the failure).
   */
  private async untilDone(work: Promise<unknown>, what: string): Promise<void> {
    const lost = this.device.lost.then((info) => ({ lostInfo: info }));
    let outcome: unknown;
    try {
      outcome = await Promise.race([work, lost]);
    } catch (err) {
      const info = await Promise.race([this.device.lost, settleSoon()]);
      if (info) throw lostError((this.lost = info), this.file);
      throw new KilnError(`${what} failed: ${(err as Error).message}`, { file: this.file });
    }
    if (outcome && typeof outcome === 'object' && 'lostInfo' in outcome)
      throw lostError((this.lost = (outcome as { lostInfo: GPUDeviceLostInfo }).lostInfo), this.file);
  }
}

function lostError(info: GPUDeviceLostInfo, file?: string): KilnError {
  return new KilnError(`WebGPU device lost (${info.reason}): ${info.message}`, {
    file,
    expected: 'a new session (create one; this one cannot run again)',
  });
}

/** Which outputs stay on the GPU; only dtypes whose GPU words are their bytes can. */
function outputPlacement(
  layout: WebGpuLayout,
  location: WebGpuInstanceOptions['outputLocation'],
  file?: string,
): boolean[] {
  const names = layout.outputs.map((o) => o.name);
  if (location && typeof location === 'object')
    for (const [name, where] of Object.entries(location)) {
      if (!names.includes(name))
        throw new KilnError(`preferredOutputLocation names unknown output '${name}'`, {
          file,
          expected: `outputs named ${names.map((n) => `'${n}'`).join(', ')}`,
        });
      checkLocation(where, file);
    }
  else if (location !== undefined) checkLocation(location, file);
  return layout.outputs.map((o) => {
    const where = typeof location === 'object' ? (location[o.name] ?? 'cpu') : (location ?? 'cpu');
    if (where !== 'gpu-buffer') return false;
    const dtype = o.dtype ?? 'float32';
    if (!isGpuDType(dtype))
      throw new KilnError(`output '${o.name}' is ${dtype} and cannot be kept in a GPU buffer`, {
        file,
        expected: "float32 or int32 outputs on 'gpu-buffer' (others 'cpu')",
      });
    return true;
  });
}

function checkLocation(where: unknown, file?: string): void {
  if (where !== 'cpu' && where !== 'gpu-buffer')
    throw new KilnError(`output location '${String(where)}' is not supported`, {
      file,
      expected: "'cpu' or 'gpu-buffer'",
    });
}

/** Resolves undefined after the current GPU callbacks had a chance to run (a loss settles then). */
const settleSoon = () => new Promise<undefined>((resolve) => setTimeout(resolve, 50, undefined));

const align4 = (n: number) => Math.ceil(Math.max(n, 4) / 4) * 4;

/** An fp16 model's f16 activation buffer and its f16 weights, uploaded once. */
function halfBuffers(
  create: (desc: GPUBufferDescriptor) => GPUBuffer,
  device: GPUDevice,
  arenaBytes: number,
  weights: Uint8Array,
): GPUBuffer[] {
  const arena = create({ size: align4(arenaBytes), usage: BufferUsage.STORAGE, label: 'kiln f16 arena' });
  const buffer = create({
    size: align4(weights.length),
    usage: BufferUsage.STORAGE | BufferUsage.COPY_DST,
    label: 'kiln f16 weights',
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
