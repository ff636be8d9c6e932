/** Where a compiled WASM model keeps things in its linear memory (the artifact's wasm-layout.json). */
export interface WasmLayout {
  /** Bytes of linear memory the module needs (arena + weights). */
  memoryBytes: number;
  /** Byte offset where weights.bin is loaded. */
  weightsOffset: number;
  /** Threaded artifacts: byte offset of the 64-byte block of barrier words (targets/wasm/threads.ts). */
  syncOffset?: number;
  /** `dtype` bool (absent means float32): held as 0/1 floats in memory. */
  inputs: { name: string; offset: number; shape: number[]; dtype?: 'float32' | 'bool' }[];
  /** `dtype` int64 or bool (absent means float32): floats in memory (indices, 0/1), converted on the way out. */
  outputs: { name: string; offset: number; shape: number[]; dtype?: 'float32' | 'int64' | 'bool' }[];
}

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
