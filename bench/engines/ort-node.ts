import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import type { Tensor } from '../../runtime/tensor.js';
import type { Engine, EngineLoader } from './engine.js';
import { feedsToOrt, outputsFromOrt } from './ort-tensors.js';

/** onnxruntime-node (native CPU execution provider), `threads` intra-op threads, sequential execution. */
export function ortNodeLoader(file: string, threads: number): EngineLoader {
  return {
    name: 'ort-node',
    async load(feeds: Record<string, Tensor>): Promise<Engine> {
      const session = await ort.InferenceSession.create(readFileSync(file), {
        executionProviders: ['cpu'],
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
      const bound = feedsToOrt(ort.Tensor as never, feeds);
      return {
        name: 'ort-node',
        run: async () => outputsFromOrt(await session.run(bound)),
        release: () => session.release(),
      };
    },
  };
}
