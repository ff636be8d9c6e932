import { setFlagsFromString } from 'node:v8';

/**
 * Compile model WebAssembly fully and optimised before its first run. V8 otherwise compiles each
 * function on its first call and runs it in the baseline tier until it is hot, which makes a model's
 * first inference several times slower than the next (mobilenet_v2: bench/compile-budget.ts measures
 * both). Only modules compiled afterwards are affected, so commands call this when they are about to
 * load a model and not at start-up, where it would also make binaryen's large module (kiln compile)
 * compile eagerly.
 */
export function compileWasmEagerly(): void {
  setFlagsFromString('--no-wasm-lazy-compilation');
  setFlagsFromString('--no-wasm-dynamic-tiering');
}
