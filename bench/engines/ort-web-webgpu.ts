import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Tensor } from '../../runtime/tensor.js';
import { tinyReluModel } from '../tiny-model.js';
import type { Engine, EngineLoader } from './engine.js';
import { installNodeWebGpuGlobals } from './node-webgpu.js';
import { feedsToOrt, outputsFromOrt } from './ort-tensors.js';

type OrtWebGpu = typeof import('onnxruntime-web/webgpu');

let ortWebGpu: Promise<OrtWebGpu> | undefined;

/**
 * onnxruntime-web's WebGPU execution provider in this Node process, on Dawn. Its `.wasm` (the
 * asyncify build) is read from node_modules, never fetched; one thread (its threaded start needs
 * blob: URLs Node cannot import). Run under V8's `--liftoff-only` (bench/flags.ts): its ~26 MB module
 * otherwise spends about a minute in the optimising compiler on the first run.
 */
export function loadOrtWebGpu(): Promise<OrtWebGpu> {
  ortWebGpu ??= installNodeWebGpuGlobals().then(async () => {
    const ort = await import('onnxruntime-web/webgpu');
    const dist = dirname(
      createRequire(import.meta.url).resolve('onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm'),
    );
    ort.env.wasm.wasmPaths = pathToFileURL(dist).href + '/';
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
    return ort;
  });
  return ortWebGpu;
}

/** Start the EP (its WebAssembly runtime and WebGPU device) on a one-node model; returns the ms. */
export async function startOrtWebGpu(): Promise<number> {
  const t0 = performance.now();
  const ort = await loadOrtWebGpu();
  const session = await ort.InferenceSession.create(tinyReluModel(), { executionProviders: ['webgpu'] });
  await session.release();
  return performance.now() - t0;
}

export function ortWebGpuLoader(file: string): EngineLoader {
  return {
    name: 'ort-web-webgpu',
    async load(feeds: Record<string, Tensor>): Promise<Engine> {
      const ort = await loadOrtWebGpu();
      const session = await ort.InferenceSession.create(readFileSync(file), {
        executionProviders: ['webgpu'],
        graphOptimizationLevel: 'all',
      });
      const bound = feedsToOrt(ort.Tensor as never, feeds);
      return {
        name: 'ort-web-webgpu',
        // outputs are read back to the CPU, as Kiln's are: the same work per run
        run: async () => outputsFromOrt((await session.run(bound)) as never),
        release: () => session.release(),
      };
    },
  };
}
