import { type ArtifactContents, readArtifact } from '../artifact/index.js';
import { KilnError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { hasRelaxedSimd } from './features.js';
import { WasmInstance } from './instance.js';
import { WASM_LAYOUT_PATH, type WasmLayout } from './layout.js';

export interface WasmSessionOptions {
  /** 'auto' (default) uses the relaxed-SIMD variant when the engine validates it. */
  relaxedSimd?: 'auto' | 'on' | 'off';
}

/**
 * Runs a .kiln artifact compiled for the wasm target: `create` verifies the artifact (hashes, manifest),
 * then instantiates it synchronously through WasmInstance (weights loaded once); `run(feeds)` copies inputs in, calls `run()`,
 * copies outputs out. Works in Node and browsers (no Node built-ins here).
 */
export class WasmSession {
  readonly inputNames: string[];
  readonly outputNames: string[];
  /** Which module variant is running. */
  readonly variant: 'simd' | 'relaxed';

  private constructor(
    private readonly artifact: ArtifactContents,
    private readonly instance: WasmInstance,
    variant: 'simd' | 'relaxed',
  ) {
    this.inputNames = instance.inputNames;
    this.outputNames = instance.outputNames;
    this.variant = variant;
  }

  static async create(
    bytes: Uint8Array,
    options: WasmSessionOptions & { file?: string } = {},
  ): Promise<WasmSession> {
    const artifact = await readArtifact(bytes, { file: options.file });
    const fail = (msg: string, expected?: string) => new KilnError(msg, { file: options.file, expected });
    if (artifact.manifest.target.name !== 'wasm')
      throw fail(`artifact targets ${artifact.manifest.target.name}`, 'a wasm artifact');
    const layoutBytes = artifact.files.get(WASM_LAYOUT_PATH);
    if (!layoutBytes) throw fail(`artifact has no ${WASM_LAYOUT_PATH}`);
    const layout = JSON.parse(new TextDecoder().decode(layoutBytes)) as WasmLayout;
    const mode = options.relaxedSimd ?? 'auto';
    const relaxed =
      mode === 'on' || (mode === 'auto' && hasRelaxedSimd() && artifact.files.has('model.relaxed.wasm'));
    const code = artifact.files.get(relaxed ? 'model.relaxed.wasm' : 'model.wasm');
    if (!code) throw fail(`artifact has no ${relaxed ? 'model.relaxed.wasm' : 'model.wasm'}`);
    const weights = artifact.files.get('weights.bin') ?? new Uint8Array(0);
    let instance: WasmInstance;
    try {
      const memory = WasmInstance.memory(layout, weights);
      const inst = await WebAssembly.instantiate(await WebAssembly.compile(code), { env: { memory } });
      instance = new WasmInstance(inst, memory, layout, options.file);
    } catch (err) {
      throw fail(
        `cannot instantiate the model's WebAssembly: ${(err as Error).message}`,
        relaxed ? 'an engine with relaxed SIMD' : 'an engine with SIMD128',
      );
    }
    return new WasmSession(artifact, instance, relaxed ? 'relaxed' : 'simd');
  }

  get manifest() {
    return this.artifact.manifest;
  }

  /** Async for API symmetry with other runtimes (WebGPU); the work itself is synchronous. */
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    try {
      return Promise.resolve(this.instance.run(feeds));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }
}
