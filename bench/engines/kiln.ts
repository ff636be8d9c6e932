import type { Tensor } from '../../runtime/tensor.js';
import { WasmSession } from '../../runtime/wasm/session.js';
import type { Engine, EngineLoader } from './engine.js';

/**
 * Kiln's WASM runtime on a compiled .kiln artifact, one module variant, on `threads` threads. `name`
 * defaults to kiln-<variant>; a single-threaded reference run beside a threaded one gets its own.
 */
export function kilnLoader(
  artifact: Uint8Array,
  variant: 'simd' | 'relaxed',
  threads = 1,
  name = `kiln-${variant}`,
): EngineLoader {
  return {
    name,
    async load(feeds: Record<string, Tensor>): Promise<Engine> {
      const session = await WasmSession.create(artifact, {
        relaxedSimd: variant === 'relaxed' ? 'on' : 'off',
        threads,
      });
      if (session.variant !== variant)
        throw new Error(`asked for the ${variant} module, got ${session.variant}`);
      return { name, run: () => session.run(feeds), release: () => session.release() };
    },
  };
}
