import { nodeWebGpu } from '../../runtime/webgpu/node-gpu.js';
import { WebGpuSession } from '../../runtime/webgpu/session.js';
import type { Tensor } from '../../runtime/tensor.js';
import type { Engine, EngineLoader } from './engine.js';

/** Kiln's WebGPU runtime on a compiled .kiln artifact, on Dawn; each run uploads the inputs and reads every output back. */
export function kilnWebGpuLoader(artifact: Uint8Array): EngineLoader {
  return {
    name: 'kiln-webgpu',
    async load(feeds: Record<string, Tensor>): Promise<Engine> {
      const session = await WebGpuSession.create(artifact, { gpu: await nodeWebGpu() });
      return {
        name: 'kiln-webgpu',
        run: () => session.run(feeds),
        release: async () => session.release(),
      };
    },
  };
}
