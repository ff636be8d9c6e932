/** Where a compiled WASM model keeps things in its linear memory (the artifact's wasm-layout.json). */
export interface WasmLayout {
  /** Bytes of linear memory the module needs (arena + weights). */
  memoryBytes: number;
  /** Byte offset where weights.bin is loaded. */
  weightsOffset: number;
  inputs: { name: string; offset: number; shape: number[] }[];
  /** `dtype` int64 (absent means float32): float indices in memory, written out as int64. */
  outputs: { name: string; offset: number; shape: number[]; dtype?: 'float32' | 'int64' }[];
}

export const WASM_LAYOUT_PATH = 'wasm-layout.json';
