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
  /**
   * How many times a barrier waiter spins before it sleeps, set by the runtime (threadSpinLimit): a
   * wake-up from sleep costs tens of µs, which resnet18's 69 barriers per run feel, but spinning only
   * pays while every thread has a core of its own.
   */
  spinLimit: 16,
  /** Size of the block. */
  bytes: 64,
} as const;

/**
 * The barrier's spin budget for `threads` threads on `cores` cores: 100 000 spins (a fraction of a ms;
 * with 2000, most of resnet18's waits ended in a futex sleep and 2 threads gave 1.17-1.46x instead of
 * 1.67-1.82x) while every thread has a core, else none: a spinning thread would hold the core the
 * thread it waits for needs.
 */
export function threadSpinLimit(threads: number, cores: number): number {
  return threads <= cores ? 100_000 : 0;
}

export const wasmPages = (bytes: number): number => Math.max(1, Math.ceil(bytes / 65536));

/** Most threads a session may use (a sanity bound: each is a Worker with its own stack). */
export const MAX_THREADS = 64;
