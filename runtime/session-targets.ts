import type { ArtifactContents } from './artifact/index.js';
import type { GpuTensor, OutputLocation } from './gpu-tensor.js';
import type { Tensor } from './tensor.js';
import { WasmSession, type WasmSessionOptions } from './wasm/session.js';
import { WebGpuSession } from './webgpu/session.js';

/**
 * What InferenceSession needs from a target's runtime: names, and `run` on internal tensors that
 * InferenceSession has already checked against the manifest. A target plugs in by registering a
 * factory under its manifest `target.name` (wasm and webgpu are built in).
 */
export interface TargetSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** GpuTensor feeds and outputs only on targets that take them (InferenceSession checks). */
  run(feeds: Record<string, Tensor | GpuTensor>): Promise<Record<string, Tensor | GpuTensor>>;
  release?(): void | Promise<void>;
  /** Whether feeds may be GpuTensors (the webgpu target); others get CPU tensors only. */
  readonly takesGpuBuffers?: boolean;
}

/**
 * Options every target receives; each reads its own part (wasm: relaxedSimd, threads, spawnThread;
 * webgpu: gpu, device, preferredOutputLocation).
 */
export interface TargetSessionOptions extends WasmSessionOptions {
  /** webgpu: the GPU object (default `navigator.gpu`, in Node Dawn from the `webgpu` package). */
  gpu?: GPU;
  /** webgpu: run on this device (the caller's, shared by sessions that exchange GPU buffers). */
  device?: GPUDevice;
  /** webgpu: 'gpu-buffer' keeps outputs (all, or those named) on the GPU, as onnxruntime-web. */
  preferredOutputLocation?: OutputLocation | Record<string, OutputLocation>;
  /** The artifact's name (path or URL) for error messages. */
  file?: string;
}

export type TargetSessionFactory = (
  artifact: ArtifactContents,
  options: TargetSessionOptions,
) => Promise<TargetSession>;

const factories = new Map<string, TargetSessionFactory>([
  ['wasm', (artifact, options) => WasmSession.fromArtifact(artifact, options)],
  [
    'webgpu',
    async (artifact, options) => {
      const session = await WebGpuSession.fromArtifact(artifact, options);
      return {
        inputNames: session.inputNames,
        outputNames: session.outputNames,
        run: (feeds) => session.runWithGpuOutputs(feeds),
        release: () => session.release(),
        takesGpuBuffers: true,
      };
    },
  ],
]);

/** Make artifacts whose manifest names `target` runnable by InferenceSession. */
export function registerSessionTarget(target: string, factory: TargetSessionFactory): void {
  factories.set(target, factory);
}

export function sessionTargetFactory(target: string): TargetSessionFactory | undefined {
  return factories.get(target);
}

export function registeredSessionTargets(): string[] {
  return [...factories.keys()];
}
