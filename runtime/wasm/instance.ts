import { checkFeeds } from '../feeds.js';
import { Tensor } from '../tensor.js';
import { readTensor, writeTensor } from './io-types.js';
import { type WasmLayout, wasmPages } from './layout.js';

/**
 * A compiled model's module bound to its linear memory (weights copied in once), with a synchronous
 * `run`. No verification here: WasmSession checks the artifact first; the conformance backend builds
 * modules itself. `instantiateSync` is for Node and workers; browsers refuse synchronous compilation
 * of large modules on the main thread, so WasmSession instantiates asynchronously and wraps the result.
 */
export class WasmInstance {
  readonly inputNames: string[];
  readonly outputNames: string[];
  private readonly runFn: () => void;

  /** `instance` null: the module runs elsewhere (threaded sessions' workers); only IO happens here. */
  constructor(
    instance: WebAssembly.Instance | null,
    private readonly memory: WebAssembly.Memory,
    private readonly layout: WasmLayout,
    private readonly file?: string,
  ) {
    this.inputNames = layout.inputs.map((t) => t.name);
    this.outputNames = layout.outputs.map((t) => t.name);
    this.runFn = (instance?.exports.run ?? (() => {})) as () => void;
  }

  /**
   * Linear memory sized by the layout, with the weights at their planned offset. `shared`: for the
   * threaded variants, whose import is a shared memory of exactly this size.
   */
  static memory(layout: WasmLayout, weights: Uint8Array, shared = false): WebAssembly.Memory {
    const pages = wasmPages(layout.memoryBytes);
    const memory = new WebAssembly.Memory(
      shared ? { initial: pages, maximum: pages, shared } : { initial: pages },
    );
    new Uint8Array(memory.buffer, layout.weightsOffset, weights.length).set(weights);
    return memory;
  }

  static instantiateSync(
    code: Uint8Array,
    weights: Uint8Array,
    layout: WasmLayout,
    file?: string,
  ): WasmInstance {
    const memory = WasmInstance.memory(layout, weights);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(code), { env: { memory } });
    return new WasmInstance(instance, memory, layout, file);
  }

  run(feeds: Record<string, Tensor>): Record<string, Tensor> {
    this.writeInputs(feeds);
    this.runFn();
    return this.readOutputs();
  }

  /** Check the feeds against the layout and copy them into linear memory. */
  writeInputs(feeds: Record<string, Tensor>): void {
    const tensors = checkFeeds(feeds, this.layout.inputs, this.file);
    this.layout.inputs.forEach((io, i) => {
      writeTensor(this.memory.buffer, io.offset, tensors[i]!, io.dtype ?? 'float32');
    });
  }

  /** Copy the outputs out of linear memory (converting int64/bool ones). */
  readOutputs(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const io of this.layout.outputs)
      out[io.name] = readTensor(this.memory.buffer, io.offset, io.shape, io.dtype ?? 'float32');
    return out;
  }
}
