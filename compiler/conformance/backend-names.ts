/**
 * The conformance backends by name, apart from their implementations (compiler/conformance/backend.ts
 * `BACKENDS`), so a command line can offer them without loading the compilers behind them.
 */
export const BACKEND_NAMES = ['reference', 'wasm', 'wasm-simd', 'webgpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
