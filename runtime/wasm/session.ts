import { type ArtifactContents, readArtifact } from '../artifact/index.js';
import { KilnError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { hasRelaxedSimd } from './features.js';
import { WASM_LAYOUT_PATH, type WasmLayout } from './layout.js';

export interface WasmSessionOptions {
  /** 'auto' (default) uses the relaxed-SIMD variant when the engine validates it. */
  relaxedSimd?: 'auto' | 'on' | 'off';
}

/**
 * Runs a .kiln artifact compiled for the wasm target: `create` verifies the artifact (hashes, manifest),
 * instantiates the module with weights loaded once; `run(feeds)` copies inputs in, calls `run()`,
 * copies outputs out. Works in Node and browsers (no Node built-ins here).
 */
export class WasmSession {
  readonly inputNames: string[];
  readonly outputNames: string[];
  /** Which module variant is running. */
  readonly variant: 'simd' | 'relaxed';

  private constructor(
    private readonly artifact: ArtifactContents,
    private readonly layout: WasmLayout,
    private readonly memory: WebAssembly.Memory,
    private readonly runFn: () => void,
    variant: 'simd' | 'relaxed',
    private readonly file?: string,
  ) {
    this.inputNames = layout.inputs.map((t) => t.name);
    this.outputNames = layout.outputs.map((t) => t.name);
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
    const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(layout.memoryBytes / 65536)) });
    new Uint8Array(memory.buffer, layout.weightsOffset, weights.length).set(weights);
    let instance: WebAssembly.Instance;
    try {
      instance = await WebAssembly.instantiate(await WebAssembly.compile(code), { env: { memory } });
    } catch (err) {
      throw fail(
        `cannot instantiate the model's WebAssembly: ${(err as Error).message}`,
        relaxed ? 'an engine with relaxed SIMD' : 'an engine with SIMD128',
      );
    }
    return new WasmSession(
      artifact,
      layout,
      memory,
      instance.exports.run as () => void,
      relaxed ? 'relaxed' : 'simd',
      options.file,
    );
  }

  get manifest() {
    return this.artifact.manifest;
  }

  async run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    for (const name of Object.keys(feeds)) {
      if (!this.inputNames.includes(name)) {
        throw new KilnError(`unknown input '${name}'`, {
          file: this.file,
          expected: `one of ${this.inputNames.join(', ')}`,
        });
      }
    }
    for (const io of this.layout.inputs) {
      const t = feeds[io.name];
      const want = `float32[${io.shape.join(',')}]`;
      if (!t) throw new KilnError(`missing input '${io.name}'`, { file: this.file, expected: want });
      if (
        t.dtype !== 'float32' ||
        t.shape.length !== io.shape.length ||
        t.shape.some((d, i) => d !== io.shape[i])
      ) {
        throw new KilnError(`input '${io.name}' is ${t.dtype}[${t.shape.join(',')}]`, {
          file: this.file,
          expected: want,
        });
      }
      new Float32Array(this.memory.buffer, io.offset, t.size).set(t.data as Float32Array);
    }
    this.runFn();
    const out: Record<string, Tensor> = {};
    for (const io of this.layout.outputs) {
      const n = io.shape.reduce((a, b) => a * b, 1);
      out[io.name] = new Tensor(
        'float32',
        io.shape,
        new Float32Array(this.memory.buffer, io.offset, n).slice(),
      );
    }
    return out;
  }
}
