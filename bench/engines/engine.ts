import type { Tensor } from '../../runtime/tensor.js';

/** One inference engine with its inputs bound: `run` is what the benchmark times. */
export interface Engine {
  /** 'kiln-relaxed', 'kiln-simd' (on the bench's threads), 'kiln-<variant>-1thread', 'ort-web' or 'ort-node'. */
  readonly name: string;
  run(): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

/** Creates an engine for one model and input set (the load half of "first run"). */
export interface EngineLoader {
  readonly name: string;
  load(feeds: Record<string, Tensor>): Promise<Engine>;
}
