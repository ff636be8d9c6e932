import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Tensor } from '../../runtime/tensor.js';
import { tinyReluModel } from '../tiny-model.js';
import type { Engine, EngineLoader } from './engine.js';
import { feedsToOrt, outputsFromOrt } from './ort-tensors.js';

type OrtWeb = typeof import('onnxruntime-web/wasm');

let ortWeb: Promise<OrtWeb> | undefined;

/**
 * onnxruntime-web's WebAssembly build (wasm execution provider) running in this Node process. Its
 * .wasm is loaded from node_modules (`wasmPaths` points at the package's dist folder), never fetched.
 */
export function loadOrtWeb(threads: number): Promise<OrtWeb> {
  ortWeb ??= import('onnxruntime-web/wasm').then((ort) => {
    const dist = dirname(
      createRequire(import.meta.url).resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'),
    );
    ort.env.wasm.wasmPaths = pathToFileURL(dist).href + '/';
    ort.env.wasm.numThreads = threads;
    ort.env.wasm.simd = true;
    ort.env.wasm.proxy = false;
    return ort;
  });
  return ortWeb;
}

/**
 * Start onnxruntime-web's runtime (fetching nothing: compile its .wasm, start the ORT environment) by
 * opening a session on a one-node model; returns the ms it took. Done once per process, so per-model
 * first-run times do not include it.
 */
export async function startOrtWeb(threads: number): Promise<number> {
  const t0 = performance.now();
  const ort = await loadOrtWeb(threads);
  const session = await ort.InferenceSession.create(tinyReluModel(), { executionProviders: ['wasm'] });
  await session.release();
  return performance.now() - t0;
}

/**
 * startOrtWeb, or why it cannot start. onnxruntime-web 1.30 cannot run multi-threaded in Node: with
 * numThreads > 1 it fetches its threaded .mjs to import it from a blob: URL (for its pthread workers),
 * and Node's fetch reads no file: URLs and its loader imports no blob: URLs ("fetch failed").
 */
export async function tryStartOrtWeb(threads: number): Promise<{ ms: number } | { error: string }> {
  try {
    return { ms: await startOrtWeb(threads) };
  } catch (err) {
    ortWeb = undefined;
    const why = (err as Error).message.split('\n')[0]!;
    return {
      error:
        threads > 1
          ? `onnxruntime-web cannot start with ${threads} threads in Node (${why}); it is left out`
          : `onnxruntime-web cannot start (${why}); it is left out`,
    };
  }
}

export function ortWebLoader(file: string, threads: number): EngineLoader {
  return {
    name: 'ort-web',
    async load(feeds: Record<string, Tensor>): Promise<Engine> {
      const ort = await loadOrtWeb(threads);
      if (ort.env.wasm.numThreads !== threads) {
        throw new Error(`onnxruntime-web was initialised with ${String(ort.env.wasm.numThreads)} threads`);
      }
      const session = await ort.InferenceSession.create(readFileSync(file), {
        executionProviders: ['wasm'],
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
      const bound = feedsToOrt(ort.Tensor as never, feeds);
      return {
        name: 'ort-web',
        run: async () => outputsFromOrt((await session.run(bound)) as never),
        release: () => session.release(),
      };
    },
  };
}
