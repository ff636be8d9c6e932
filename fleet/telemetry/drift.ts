import { chiSquareHomogeneity } from './chi-square.js';
import {
  type Baseline,
  type ChannelDrift,
  DRIFT_MIN_COUNT,
  DRIFT_PSI_THRESHOLD,
  DRIFT_P_THRESHOLD,
  type InputStatsData,
} from './types.js';

/** Shares are floored at this so an empty bin on one side gives a large but finite term. */
export const PSI_FLOOR = 1e-4;

/** Population stability index of `live` against `expected` counts over the same bins. */
export function psi(expected: readonly number[], live: readonly number[]): number {
  const ne = expected.reduce((a, b) => a + b, 0);
  const nl = live.reduce((a, b) => a + b, 0);
  if (ne === 0 || nl === 0) return 0;
  let sum = 0;
  for (let i = 0; i < Math.max(expected.length, live.length); i++) {
    const q = Math.max((expected[i] ?? 0) / ne, PSI_FLOOR);
    const p = Math.max((live[i] ?? 0) / nl, PSI_FLOOR);
    sum += (p - q) * Math.log(p / q);
  }
  return sum;
}

/**
 * Drift of every baseline channel given the live statistics merged over a window: PSI and the
 * chi-square test on the bin counts; `drifted` when PSI ≥ 0.2 and p < 0.001 (docs/monitoring.md).
 */
export function driftAgainst(baseline: Baseline, live: InputStatsData): ChannelDrift[] {
  const out: ChannelDrift[] = [];
  for (const [input, b] of Object.entries(baseline.inputs)) {
    b.channels.forEach((bc, channel) => {
      const lc =
        live[input]?.channels.length === b.channels.length ? live[input]!.channels[channel] : undefined;
      const hist = lc && lc.hist.length === bc.counts.length ? lc.hist : undefined;
      const count = hist ? hist.reduce((a, x) => a + x, 0) : 0;
      const enough = count >= DRIFT_MIN_COUNT && bc.count >= DRIFT_MIN_COUNT;
      const value = enough ? psi(bc.counts, hist!) : null;
      const pValue = enough ? chiSquareHomogeneity(bc.counts, hist!).pValue : null;
      out.push({
        input,
        channel,
        count,
        mean: lc && lc.count > 0 ? lc.mean : null,
        baselineMean: bc.mean,
        psi: value,
        pValue,
        drifted:
          value !== null && pValue !== null && value >= DRIFT_PSI_THRESHOLD && pValue < DRIFT_P_THRESHOLD,
      });
    });
  }
  return out;
}
