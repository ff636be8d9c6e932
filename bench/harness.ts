import type { Engine } from './engines/engine.js';
import { type BenchOptions, MIN_BUDGET_RUNS } from './options.js';
import { median } from './stats.js';

/**
 * Time engines side by side: each round runs every engine once, starting one engine later every round
 * (round-robin), so machine noise and cache state hit them all alike. `warmup` untimed rounds first.
 * Returns the per-round wall times in ms, one array per engine (index-aligned with `engines`).
 */
export async function timeInterleaved(
  engines: readonly Engine[],
  warmup: number,
  runs: number,
  now: () => number = () => performance.now(),
): Promise<number[][]> {
  const samples = engines.map(() => [] as number[]);
  for (let round = 0; round < warmup + runs; round++) {
    for (let k = 0; k < engines.length; k++) {
      const e = (round + k) % engines.length;
      const t0 = now();
      await engines[e]!.run();
      const ms = now() - t0;
      if (round >= warmup) samples[e]!.push(ms);
    }
  }
  return samples;
}

/** opts.runs, or fewer when opts.budgetMs is set and the warm-up rounds say they would not fit. */
export function roundsFor(opts: BenchOptions, warmSamples: number[][]): number {
  if (opts.budgetMs === undefined || warmSamples.some((s) => s.length === 0)) return opts.runs;
  const roundMs = warmSamples.reduce((a, s) => a + median(s), 0);
  return Math.min(opts.runs, Math.max(MIN_BUDGET_RUNS, Math.floor(opts.budgetMs / roundMs)));
}
