import { type ArtifactContents, readArtifact } from '../artifact/index.js';
import { KilnError } from '../errors.js';
import type { GpuTensor, OutputLocation } from '../gpu-tensor.js';
import type { Tensor } from '../tensor.js';
import { WebGpuInstance } from './instance.js';
import { WEBGPU_HALF_WEIGHTS_PATH, WEBGPU_LAYOUT_PATH, type WebGpuLayout } from './layout.js';

export interface WebGpuSessionOptions {
  /** Defaults to `navigator.gpu`, and in Node to Dawn from the `webgpu` package (node-gpu.ts). */
  gpu?: GPU;
  /**
   * Run on this device (the caller's; not destroyed at release). Sessions that exchange GPU buffers
   * must share one. Absent, the session requests its own device from `gpu`.
   */
  device?: GPUDevice;
  /** onnxruntime's option: 'gpu-buffer' keeps outputs (all, or those named) in GPU buffers. */
  preferredOutputLocation?: OutputLocation | Record<string, OutputLocation>;
  file?: string;
  /** Use the subgroup variants of row reductions where the device has `subgroups` (default true). */
  subgroups?: boolean;
}

/**
 * Runs a .kiln artifact compiled for the webgpu target: `create` verifies the artifact, then sets up
 * the device once (pipelines, weights, buffers; see WebGpuInstance); `run(feeds)` is one command
 * buffer. Works in browsers and in Node on Dawn (no Node built-ins here).
 */
export class WebGpuSession {
  readonly inputNames: string[];
  readonly outputNames: string[];

  private constructor(
    private readonly artifact: ArtifactContents,
    readonly instance: WebGpuInstance,
    private readonly file?: string,
  ) {
    this.inputNames = instance.inputNames;
    this.outputNames = instance.outputNames;
  }

  static async create(bytes: Uint8Array, options: WebGpuSessionOptions = {}): Promise<WebGpuSession> {
    return WebGpuSession.fromArtifact(await readArtifact(bytes, { file: options.file }), options);
  }

  /** From an artifact already read and verified (InferenceSession reads it once to pick the target). */
  static async fromArtifact(
    artifact: ArtifactContents,
    options: WebGpuSessionOptions = {},
  ): Promise<WebGpuSession> {
    const fail = (msg: string, expected?: string) => new KilnError(msg, { file: options.file, expected });
    if (artifact.manifest.target.name !== 'webgpu')
      throw fail(`artifact targets ${artifact.manifest.target.name}`, 'a webgpu artifact');
    const layoutBytes = artifact.files.get(WEBGPU_LAYOUT_PATH);
    if (!layoutBytes) throw fail(`artifact has no ${WEBGPU_LAYOUT_PATH}`);
    const layout = JSON.parse(new TextDecoder().decode(layoutBytes)) as WebGpuLayout;
    const gpu = options.device ? undefined : (options.gpu ?? (await defaultGpu()));
    if (!gpu && !options.device)
      throw fail(
        'WebGPU is not available here',
        'navigator.gpu, or options.gpu (in Node the `webgpu` package: npm install webgpu)',
      );
    const utf8 = new TextDecoder();
    const shader = (path: string) => {
      const file = artifact.files.get(path);
      if (!file) throw fail(`artifact has no shader ${path}`);
      return utf8.decode(file);
    };
    const weights = artifact.files.get('weights.bin') ?? new Uint8Array(0);
    // weights.bin may sit at any offset of the artifact's buffer; WebGPU wants 4-byte-aligned data
    const aligned = weights.byteOffset % 4 ? weights.slice() : weights;
    const half = artifact.files.get(WEBGPU_HALF_WEIGHTS_PATH);
    if (layout.precision === 'fp16' && !half) throw fail(`artifact has no ${WEBGPU_HALF_WEIGHTS_PATH}`);
    const instance = await WebGpuInstance.create(layout, shader, aligned, {
      gpu,
      device: options.device,
      outputLocation: options.preferredOutputLocation,
      file: options.file,
      subgroups: options.subgroups,
      ...(half ? { halfWeights: half.byteOffset % 4 ? half.slice() : half } : {}),
    });
    return new WebGpuSession(artifact, instance, options.file);
  }

  get manifest() {
    return this.artifact.manifest;
  }

  /** Feeds may be GPU buffers of this session's device; every output is read back (CPU tensors). */
  async run(feeds: Record<string, Tensor | GpuTensor>): Promise<Record<string, Tensor>> {
    if (this.instance.keepsOutputsOnGpu)
      throw new KilnError('this session keeps outputs in GPU buffers (preferredOutputLocation)', {
        file: this.file,
        expected: 'runWithGpuOutputs(feeds), or a session without preferredOutputLocation',
      });
    return (await this.instance.run(feeds)) as Record<string, Tensor>;
  }

  /** As `run`, but outputs placed on the GPU (preferredOutputLocation) are GpuTensors the caller owns. */
  runWithGpuOutputs(feeds: Record<string, Tensor | GpuTensor>): Promise<Record<string, Tensor | GpuTensor>> {
    return this.instance.run(feeds);
  }

  /** Free the session's buffers, and its device when it requested one (then its GPU outputs go too). */
  release(): void {
    this.instance.release();
  }
}

/** `navigator.gpu` where there is one; in Node, Dawn (imported only there). */
async function defaultGpu(): Promise<GPU | undefined> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (nav) return nav;
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (typeof proc?.versions?.node !== 'string') return undefined;
  // A computed specifier, so browser bundlers do not follow it into the native module.
  const nodeGpu = './node-gpu.js';
  try {
    return await ((await import(/* @vite-ignore */ nodeGpu)) as typeof import('./node-gpu.js')).nodeWebGpu();
  } catch {
    return undefined;
  }
}
