import type { Tensor } from '../../runtime/tensor.js';
import { WasmSession } from '../../runtime/wasm/session.js';
import type { Engine, EngineLoader } from './engine.js';

/** Kiln's WASM runtime on a compiled .kiln artifact, one module variant. */
export function kilnLoader(artifact: Uint8Array, variant: 'simd' | 'relaxed'): EngineLoader {
  const name = `kiln-${variant}`;
  return {
    name,
    async load(feeds: Record<string, Tensor>): Promise<Engine> {
      const session = await WasmSession.create(artifact, {
        relaxedSimd: variant === 'relaxed' ? 'on' : 'off',
      });
      if (session.variant !== variant)
        throw new Error(`asked for the ${variant} module, got ${session.variant}`);
      return { name, run: () => session.run(feeds), release: async () => {} };
    },
  };
}
