import { type ArtifactContents, readArtifact } from '../artifact/index.js';
import { checkBoundFeeds } from '../bound-inputs.js';
import { KilnError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { hasRelaxedSimd } from './features.js';
import { WasmInstance } from './instance.js';
import { MAX_THREADS, THREADED_MODULES, WASM_LAYOUT_PATH, type WasmLayout } from './layout.js';
import { type SpawnThread, ThreadPool } from './thread-pool.js';

export interface WasmSessionOptions {
  /** 'auto' (default) uses the relaxed-SIMD variant when the engine validates it. */
  relaxedSimd?: 'auto' | 'on' | 'off';
  /**
   * Threads to run on (default: the artifact's `compiler.threads`, else 1). More than 1 needs an
   * artifact compiled with threads (`kiln compile --threads N`) and runs every thread on a Worker.
   */
  threads?: number;
  /** How to start a worker (default: worker_threads in Node, a blob-URL Worker in browsers). */
  spawnThread?: SpawnThread;
}

/**
 * Runs a .kiln artifact compiled for the wasm target: `create` verifies the artifact (hashes, manifest),
 * then instantiates it through WasmInstance (weights loaded once); `run(feeds)` copies inputs in, calls
 * `run()`, copies outputs out. Threaded sessions run the threaded variant on a pool of workers sharing
 * one memory (thread-pool.ts); `release()` ends them. Works in Node and browsers (no Node built-ins
 * here; Node's worker_threads are imported only when running in Node).
 */
export class WasmSession {
  readonly inputNames: string[];
  readonly outputNames: string[];
  /** Which module variant is running. */
  readonly variant: 'simd' | 'relaxed';
  /** Threads each run uses. */
  readonly threads: number;
  /** Runs of a threaded session go one after another (they share the memory). */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly artifact: ArtifactContents,
    private readonly instance: WasmInstance,
    variant: 'simd' | 'relaxed',
    private readonly pool?: ThreadPool,
  ) {
    this.inputNames = instance.inputNames;
    this.outputNames = instance.outputNames;
    this.variant = variant;
    this.threads = pool?.size ?? 1;
  }

  static async create(
    bytes: Uint8Array,
    options: WasmSessionOptions & { file?: string } = {},
  ): Promise<WasmSession> {
    return WasmSession.fromArtifact(await readArtifact(bytes, { file: options.file }), options);
  }

  /** From an artifact already read and verified (InferenceSession reads it once to pick the target). */
  static async fromArtifact(
    artifact: ArtifactContents,
    options: WasmSessionOptions & { file?: string } = {},
  ): Promise<WasmSession> {
    const fail = (msg: string, expected?: string) => new KilnError(msg, { file: options.file, expected });
    if (artifact.manifest.target.name !== 'wasm')
      throw fail(`artifact targets ${artifact.manifest.target.name}`, 'a wasm artifact');
    const layoutBytes = artifact.files.get(WASM_LAYOUT_PATH);
    if (!layoutBytes) throw fail(`artifact has no ${WASM_LAYOUT_PATH}`);
    const layout = JSON.parse(new TextDecoder().decode(layoutBytes)) as WasmLayout;
    const compiledThreads = artifact.manifest.compiler['threads'];
    const threads = options.threads ?? (typeof compiledThreads === 'number' ? compiledThreads : 1);
    if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS)
      throw fail(`threads: ${threads}`, `an integer from 1 to ${MAX_THREADS}`);
    const threaded = threads > 1;
    if (threaded && (layout.syncOffset === undefined || !artifact.files.has(THREADED_MODULES.simd)))
      throw fail(
        `the artifact was compiled without threads, so it cannot run on ${threads}`,
        'an artifact from `kiln compile --threads N`, or threads 1',
      );
    const mode = options.relaxedSimd ?? 'auto';
    const names = threaded ? THREADED_MODULES : { simd: 'model.wasm', relaxed: 'model.relaxed.wasm' };
    const relaxed =
      mode === 'on' || (mode === 'auto' && hasRelaxedSimd() && artifact.files.has(names.relaxed));
    const path = relaxed ? names.relaxed : names.simd;
    const code = artifact.files.get(path);
    if (!code) throw fail(`artifact has no ${path}`);
    const weights = artifact.files.get('weights.bin') ?? new Uint8Array(0);
    const variant = relaxed ? 'relaxed' : 'simd';
    let module: WebAssembly.Module;
    let memory: WebAssembly.Memory;
    try {
      memory = WasmInstance.memory(layout, weights, threaded);
      module = await WebAssembly.compile(code);
    } catch (err) {
      throw fail(
        `cannot compile the model's WebAssembly: ${(err as Error).message}`,
        `an engine with ${relaxed ? 'relaxed SIMD' : 'SIMD128'}${threaded ? ', threads and shared memory' : ''}`,
      );
    }
    if (threaded) {
      const spawn = options.spawnThread ?? (await defaultSpawner());
      const pool = await ThreadPool.start(spawn, module, memory, threads, layout.syncOffset!, {
        file: options.file,
        cores: await coreCount(),
      });
      return new WasmSession(artifact, new WasmInstance(null, memory, layout, options.file), variant, pool);
    }
    let instance: WasmInstance;
    try {
      const inst = await WebAssembly.instantiate(module, { env: { memory } });
      instance = new WasmInstance(inst, memory, layout, options.file);
    } catch (err) {
      throw fail(
        `cannot instantiate the model's WebAssembly: ${(err as Error).message}`,
        relaxed ? 'an engine with relaxed SIMD' : 'an engine with SIMD128',
      );
    }
    return new WasmSession(artifact, instance, variant);
  }

  get manifest() {
    return this.artifact.manifest;
  }

  /** Async for API symmetry with other runtimes (WebGPU); single-threaded, the work is synchronous. */
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    try {
      checkBoundFeeds(this.artifact.manifest.boundInputs, feeds);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const pool = this.pool;
    if (!pool) {
      try {
        return Promise.resolve(this.instance.run(feeds));
      } catch (err) {
        return Promise.reject(err as Error);
      }
    }
    const result = this.queue.then(async () => {
      this.instance.writeInputs(feeds);
      await pool.run();
      return this.instance.readOutputs();
    });
    this.queue = result.catch(() => {});
    return result;
  }

  /** End the session's workers (threaded); later runs reject. A no-op for single-threaded sessions. */
  release(): Promise<void> {
    this.pool?.release();
    return Promise.resolve();
  }
}

/** Node's thread module, imported only in Node. */
async function nodeThreads(): Promise<typeof import('./node-threads.js') | undefined> {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (typeof proc?.versions?.node !== 'string') return undefined;
  // A computed specifier, so browser bundlers do not follow it into node:worker_threads
  // (test/runtime/browser-entry.test.ts bundles the runtime for the browser).
  const path = './node-threads.js';
  return (await import(/* @vite-ignore */ path)) as typeof import('./node-threads.js');
}

/** worker_threads in Node, Workers from a blob URL elsewhere. */
async function defaultSpawner(): Promise<SpawnThread> {
  return (await nodeThreads())?.spawnNodeThread ?? (await import('./browser-threads.js')).spawnBrowserThread;
}

/** Cores this process may use: the browser's hardwareConcurrency, Node's availableParallelism. */
async function coreCount(): Promise<number | undefined> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return nav?.hardwareConcurrency ?? (await nodeThreads())?.availableCores();
}
