import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import type { Tensor } from '../../runtime/tensor.js';
import type { Engine, EngineLoader } from './engine.js';
import { feedsToOrt, outputsFromOrt } from './ort-tensors.js';

/**
 * onnxruntime-node (native CPU execution provider), `threads` intra-op threads, sequential execution.
 * Its pool threads do not spin between runs: by default they busy-wait after each run, and in an
 * interleaved benchmark that steals the cores from whichever engine runs next (Kiln's 2-thread runs
 * right after ort-node measured 82 ms, the same module placed elsewhere in the round 65 ms).
 */
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
        extra: { session: { intra_op: { allow_spinning: '0' } } },
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
