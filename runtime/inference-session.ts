import {
  type ArtifactContents,
  type ManifestTensor,
  type KilnManifest,
  readArtifact,
} from './artifact/index.js';
import { type ArtifactSource, readArtifactSource } from './artifact-source.js';
import { checkBoundFeeds } from './bound-inputs.js';
import { KilnError } from './errors.js';
import type { Tensor } from './ort-tensor.js';
import {
  type TargetSession,
  type TargetSessionOptions,
  registeredSessionTargets,
  sessionTargetFactory,
} from './session-targets.js';
import { GpuTensor } from './gpu-tensor.js';
import { flattenFeeds, groupTensors, modelNames } from './structured-io.js';
import { fromKilnTensor, toKilnFeed } from './tensor-interop.js';
import { Tensor as KilnTensor } from './tensor.js';

export interface InferenceSessionOptions extends Omit<TargetSessionOptions, 'file'> {
  /**
   * As in onnxruntime: the providers the caller accepts, in order. The artifact's target must be one
   * of them ('cpu' accepts wasm, as onnxruntime-node's CPU provider); absent, any registered target.
   */
  executionProviders?: readonly (string | { name: string })[];
}

/** onnxruntime's `inputMetadata`/`outputMetadata` entry: a tensor's, or a sequence's or optional's. */
export type ValueMetadata =
  | { name: string; isTensor: true; type: string; shape: readonly (number | string)[] }
  | { name: string; isTensor: false };

/**
 * An output: a tensor; a sequence output as an array of tensors; an optional one as its value or
 * null when absent (runtime/structured-io.ts; onnxruntime-node has no sequence I/O to follow).
 */
export type OutputValue = Tensor | Tensor[] | null;

type Feeds = Record<string, unknown>;
type Fetches = readonly string[] | Record<string, unknown>;

/**
 * Runs a compiled `.kiln` artifact with onnxruntime-web's API: `await InferenceSession.create(source)`,
 * `inputNames`/`outputNames`, `await session.run(feeds)` → outputs by name as Tensors, `release()`.
 * The artifact is verified (hashes, manifest) once, then its manifest's `target.name` picks the
 * runtime (session-targets.ts). Feeds are checked here against the manifest, so every target gives
 * the same errors. No Node built-ins (see artifact-source.ts): this runs in browsers too.
 */
export class InferenceSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly ValueMetadata[];
  readonly outputMetadata: readonly ValueMetadata[];
  private target: TargetSession | undefined;

  private constructor(
    private readonly artifact: ArtifactContents,
    target: TargetSession,
    private readonly file: string | undefined,
  ) {
    this.target = target;
    const { inputs, outputs, structuredIo } = artifact.manifest;
    // a sequence or optional, flattened into several manifest tensors, is one value here
    this.inputNames = modelNames(
      inputs.map((t) => t.name),
      structuredIo?.inputs,
    );
    this.outputNames = modelNames(
      outputs.map((t) => t.name),
      structuredIo?.outputs,
    );
    this.inputMetadata = this.inputNames.map((n) => metadata(n, inputs));
    this.outputMetadata = this.outputNames.map((n) => metadata(n, outputs));
  }

  /** onnxruntime's forms: a path/URL, bytes, or (buffer, byteOffset, byteLength?), each with options. */
  static async create(source: ArtifactSource, options?: InferenceSessionOptions): Promise<InferenceSession>;
  static async create(
    buffer: ArrayBufferLike,
    byteOffset: number,
    byteLength?: number,
    options?: InferenceSessionOptions,
  ): Promise<InferenceSession>;
  static async create(
    source: ArtifactSource,
    a?: InferenceSessionOptions | number,
    b?: number,
    c?: InferenceSessionOptions,
  ): Promise<InferenceSession> {
    const options = (typeof a === 'object' ? a : c) ?? {};
    if (typeof a === 'number') {
      const buffer = source as ArrayBufferLike;
      source = new Uint8Array(buffer, a, b ?? buffer.byteLength - a);
    }
    const { bytes, file } = await readArtifactSource(source);
    const artifact = await readArtifact(bytes, { file });
    const targetName = artifact.manifest.target.name;
    checkProviders(targetName, options.executionProviders, file);
    const factory = sessionTargetFactory(targetName);
    if (!factory) {
      throw new KilnError(`artifact targets ${targetName}, which this runtime cannot run`, {
        file,
        expected: `a ${registeredSessionTargets().join(' or ')} artifact`,
      });
    }
    return new InferenceSession(artifact, await factory(artifact, { ...options, file }), file);
  }

  /** The artifact's files by path (verified when the session was created), e.g. its self-test sample. */
  get files(): ReadonlyMap<string, Uint8Array> {
    return this.artifact.files;
  }

  get manifest(): KilnManifest {
    return this.artifact.manifest;
  }

  /**
   * `run(feeds)`, `run(feeds, fetches)` with fetches a list of output names or an object keyed by
   * them (onnxruntime's forms); run options are accepted and ignored. Returns the outputs asked for.
   * Sequence inputs take arrays of tensors and optional ones their value or null; such outputs come
   * back the same way (OutputValue). The result is typed as onnxruntime's, tensors only, unless the
   * caller names the type: `run<{ y: Tensor[] }>(feeds)`.
   */
  run(feeds: Feeds, fetches?: Fetches | object, options?: object): Promise<Record<string, Tensor>>;
  run<R extends Record<string, OutputValue>>(
    feeds: Feeds,
    fetches?: Fetches | object,
    options?: object,
  ): Promise<R>;
  async run(
    feeds: Feeds,
    fetches?: Fetches | object,
    _options?: object,
  ): Promise<Record<string, OutputValue>> {
    if (!this.target) throw this.error('the session was released', 'a session that has not been released');
    const wanted = this.fetchNames(fetches);
    const structured = this.artifact.manifest.structuredIo;
    const outputs = await this.target.run(this.checkFeeds(feeds));
    const grouped = groupTensors(outputs, structured?.outputs);
    const result: Record<string, OutputValue> = {};
    for (const name of wanted) {
      const v = grouped[name]!;
      result[name] = v === null ? null : Array.isArray(v) ? v.map(fromKilnTensor) : fromKilnTensor(v);
    }
    // GPU buffers of outputs not asked for would have no owner
    for (const [name, v] of Object.entries(grouped))
      if (!wanted.includes(name))
        for (const t of Array.isArray(v) ? v : [v]) if (t instanceof GpuTensor) t.dispose?.();
    return result;
  }

  async release(): Promise<void> {
    const target = this.target;
    this.target = undefined;
    await target?.release?.();
  }

  private checkFeeds(feeds: Feeds): Record<string, KilnTensor | GpuTensor> {
    if (typeof feeds !== 'object' || feeds === null) {
      throw this.error(
        `feeds are ${feeds === null ? 'null' : typeof feeds}`,
        'an object of tensors by input name',
      );
    }
    for (const name of Object.keys(feeds)) {
      if (!this.inputNames.includes(name)) {
        throw this.error(
          `unknown input '${name}'`,
          `inputs named ${this.inputNames.map((n) => `'${n}'`).join(', ')}`,
        );
      }
    }
    const manifest = this.artifact.manifest;
    feeds = flattenFeeds(feeds, manifest.structuredIo?.inputs, manifest.inputs, this.file);
    const out: Record<string, KilnTensor | GpuTensor> = {};
    const cpu: Record<string, KilnTensor> = {};
    for (const io of manifest.inputs) {
      if (!Object.hasOwn(feeds, io.name)) {
        throw this.error(
          `missing input '${io.name}'`,
          `a ${io.dtype} tensor of dims [${io.shape.join(',')}]`,
        );
      }
      const t = toKilnFeed(feeds[io.name], `input '${io.name}'`, this.file);
      if (t.dtype !== io.dtype)
        throw this.error(`input '${io.name}' is ${t.dtype}`, `${io.dtype} (the model's input type)`);
      const dimsMatch =
        t.shape.length === io.shape.length &&
        io.shape.every((d, i) => typeof d === 'string' || d === t.shape[i]);
      if (!dimsMatch) {
        throw this.error(
          `input '${io.name}' has dims [${t.shape.join(',')}]`,
          `dims [${io.shape.join(',')}]`,
        );
      }
      out[io.name] = t;
      if (t instanceof KilnTensor) cpu[io.name] = t;
      else this.checkGpuFeed(io.name);
    }
    checkBoundFeeds(this.artifact.manifest.boundInputs, cpu, this.file);
    return out;
  }

  /** A GPU-buffer feed needs a target that takes them, and an input whose value is not bound. */
  private checkGpuFeed(name: string): void {
    const target = this.artifact.manifest.target.name;
    if (!this.target?.takesGpuBuffers)
      throw this.error(
        `input '${name}' is a GPU buffer; the ${target} target runs on the CPU`,
        'a CPU tensor (await tensor.getData())',
      );
    if (this.artifact.manifest.boundInputs?.some((b) => b.name === name))
      throw this.error(
        `input '${name}' is a GPU buffer but was bound at compile time`,
        'a CPU tensor holding the bound value',
      );
  }

  private fetchNames(fetches: Fetches | object | undefined): readonly string[] {
    if (fetches === undefined) return this.outputNames;
    const names = Array.isArray(fetches)
      ? (fetches as unknown[])
      : Object.keys(fetches).filter((k) => this.outputNames.includes(k));
    // an object naming no output is onnxruntime's run-options form
    if (!Array.isArray(fetches) && names.length === 0) return this.outputNames;
    for (const name of names) {
      if (typeof name !== 'string' || !this.outputNames.includes(name)) {
        throw this.error(
          `unknown output '${String(name)}' in fetches`,
          `outputs named ${this.outputNames.map((n) => `'${n}'`).join(', ')}`,
        );
      }
    }
    return names as string[];
  }

  private error(message: string, expected: string): KilnError {
    return new KilnError(message, { file: this.file, expected });
  }
}

function metadata(name: string, tensors: readonly ManifestTensor[]): ValueMetadata {
  const t = tensors.find((io) => io.name === name);
  return t ? { name, isTensor: true, type: t.dtype, shape: t.shape } : { name, isTensor: false };
}

function checkProviders(
  target: string,
  providers: InferenceSessionOptions['executionProviders'],
  file: string | undefined,
): void {
  if (!providers || providers.length === 0) return;
  const names = providers.map((p) => (typeof p === 'string' ? p : p.name));
  if (names.includes(target) || (target === 'wasm' && names.includes('cpu'))) return;
  throw new KilnError(`artifact targets ${target}, not one of the execution providers ${names.join(', ')}`, {
    file,
    expected: `executionProviders including '${target}', or an artifact compiled for ${names.join(' or ')}`,
  });
}
