/** Where a compiled WASM model keeps things in its linear memory (the artifact's wasm-layout.json). */
export interface WasmLayout {
  /** Bytes of linear memory the module needs (arena + weights). */
  memoryBytes: number;
  /** Byte offset where weights.bin is loaded. */
  weightsOffset: number;
  /** Threaded artifacts: byte offset of the 64-byte block of barrier words (targets/wasm/threads.ts). */
  syncOffset?: number;
  /**
   * `dtype` absent means float32. Each numeric dtype is stored as itself (little-endian; bfloat16 and
   * float16 as their 16 bits) except bool, held as 0/1 floats and converted on the way in and out.
   */
  inputs: WasmIO[];
  outputs: WasmIO[];
}

export interface WasmIO {
  name: string;
  offset: number;
  shape: number[];
  dtype?: WasmDType;
}

/** The dtypes a compiled wasm model takes and gives. */
export type WasmDType =
  | 'float32'
  | 'float64'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'bfloat16'
  | 'float16'
  | 'bool';

export const WASM_LAYOUT_PATH = 'wasm-layout.json';

/** The threaded module variants (shared memory, `run(tid, nthreads)`), present when compiled with threads. */
export const THREADED_MODULES = {
  simd: 'model.threads.wasm',
  relaxed: 'model.threads.relaxed.wasm',
} as const;

/** The threaded variants' synchronisation block at `syncOffset`: byte offsets of its words. */
export const SYNC = {
  /** Threads arrived at the current barrier. */
  count: 0,
  /** Barrier generation: bumped by the last thread to arrive; waiters sleep on it. */
  generation: 4,
  /** Set by the runtime when a thread failed: waiters trap instead of waiting forever. */
  abort: 8,
  /** Bumped by the runtime before each run (a seq-cst store that publishes the inputs it wrote). */
  run: 12,
  /** Size of the block. */
  bytes: 64,
} as const;

export const wasmPages = (bytes: number): number => Math.max(1, Math.ceil(bytes / 65536));

/** Most threads a session may use (a sanity bound: each is a Worker with its own stack). */
export const MAX_THREADS = 64;
