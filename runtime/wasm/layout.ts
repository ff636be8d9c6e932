/** Where a compiled WASM model keeps things in its linear memory (the artifact's wasm-layout.json). */
export interface WasmLayout {
  /** Bytes of linear memory the module needs (arena + weights). */
  memoryBytes: number;
  /** Byte offset where weights.bin is loaded. */
  weightsOffset: number;
  /** `dtype` bool (absent means float32): held as 0/1 floats in memory. */
  inputs: { name: string; offset: number; shape: number[]; dtype?: 'float32' | 'bool' }[];
  /** `dtype` int64 or bool (absent means float32): floats in memory (indices, 0/1), converted on the way out. */
  outputs: { name: string; offset: number; shape: number[]; dtype?: 'float32' | 'int64' | 'bool' }[];
}

export const WASM_LAYOUT_PATH = 'wasm-layout.json';
