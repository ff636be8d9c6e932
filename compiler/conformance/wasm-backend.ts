import { setFlagsFromString } from 'node:v8';
import { checkBoundFeeds } from '../../runtime/bound-inputs.js';
import { KilnError } from '../../runtime/errors.js';
import { hasRelaxedSimd } from '../../runtime/wasm/features.js';
import { WasmInstance } from '../../runtime/wasm/instance.js';
import { type WasmCompileResult, compileWasm } from '../../targets/wasm/compile.js';
import type { Model } from '../ir/graph.js';
import type { Value } from '../reference/value.js';
import type { Backend } from './backend.js';
import { flatFeeds, structuredOutputs } from './structured-feeds.js';

// Node 20 validates relaxed SIMD only behind this flag; it must be set before any module compiles.
setFlagsFromString('--experimental-wasm-relaxed-simd');

/**
 * The wasm target as a conformance backend: compile with compileWasm, instantiate synchronously and
 * run. A model the lowering refuses (op, dtype or shape form) is unsupported with the compile error
 * as the reason; internal errors and wrong results are failures.
 */
export function wasmBackend(variant: 'simd' | 'relaxed'): Backend {
  // unsupportedReason compiles; prepare reuses that result instead of compiling twice.
  const compiled = new WeakMap<Model, WasmCompileResult>();
  return {
    name: variant === 'relaxed' ? 'wasm' : 'wasm-simd',
    bindsShapeInputs: true,
    unsupportedReason(model, options = {}) {
      if (variant === 'relaxed' && !hasRelaxedSimd()) return 'engine lacks relaxed SIMD';
      try {
        compiled.set(
          model,
          compileWasm(model, { selfTest: false, bind: options.bind, signatures: options.signatures }),
        );
        return undefined;
      } catch (err) {
        if (err instanceof KilnError && !err.message.includes('internal error')) return err.message;
        return undefined; // prepare compiles again and reports it as a failure
      }
    },
    prepare(model, options = {}) {
      const c =
        compiled.get(model) ??
        compileWasm(model, { selfTest: false, bind: options.bind, signatures: options.signatures });
      compiled.delete(model);
      const instance = WasmInstance.instantiateSync(c.modules[variant], c.weights, c.layout);
      return {
        run(feeds: Map<string, Value>) {
          const inputs = flatFeeds(feeds, c.structured, c.layout.inputs);
          checkBoundFeeds(c.bound, inputs); // as sessions do: a bound input fed another value is refused
          return structuredOutputs(instance.run(inputs), c.structured);
        },
      };
    },
  };
}
