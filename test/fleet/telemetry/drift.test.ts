import { describe, expect, it } from 'vitest';
import { computeBaseline } from '../../../fleet/telemetry/baseline.js';
import { chiSquareHomogeneity, chiSquareSf } from '../../../fleet/telemetry/chi-square.js';
import { driftAgainst, psi } from '../../../fleet/telemetry/drift.js';
import { recordInput } from '../../../fleet/telemetry/input-stats.js';
import { DRIFT_PSI_THRESHOLD, type InputStatsData } from '../../../fleet/telemetry/types.js';
import { gaussian } from './gaussian.js';

const baseline = computeBaseline('m', 1, 'data', { x: { dims: [20_000], data: gaussian(20_000, 1) } });
const bins = [{ edges: baseline.inputs.x!.channels[0]!.edges }];
const liveDrift = (mean: number, seed: number) => {
  const live: InputStatsData = {};
  recordInput(live, 'x', [5000], gaussian(5000, seed, mean), bins);
  return driftAgainst(baseline, live)[0]!;
};

describe('drift', () => {
  it('PSI is zero for identical distributions', () => {
    expect(psi([10, 20, 30, 0], [10, 20, 30, 0])).toBe(0);
    expect(psi([10, 20, 30], [20, 40, 60])).toBeCloseTo(0, 15); // same shares, other sample size
  });

  it('matches a hand-computed PSI', () => {
    // shares 0.5/0.5 vs 0.25/0.75: (0.25-0.5)ln(0.5) + (0.75-0.5)ln(1.5)
    expect(psi([50, 50], [25, 75])).toBeCloseTo(-0.25 * Math.log(0.5) + 0.25 * Math.log(1.5), 12);
  });

  it('a one-standard-deviation shift of a normal input crosses the alert threshold; a fresh sample and a 0.1 σ shift do not', () => {
    const same = liveDrift(0, 2);
    expect(same.psi!).toBeLessThan(0.02);
    expect(same.drifted).toBe(false);
    const small = liveDrift(0.1, 3);
    expect(small.psi!).toBeLessThan(0.1);
    expect(small.drifted).toBe(false);
    const shifted = liveDrift(1, 4);
    // the documented shift (docs/monitoring.md): PSI ≈ 1 on decile bins
    expect(shifted.psi!).toBeGreaterThan(DRIFT_PSI_THRESHOLD);
    expect(shifted.psi!).toBeGreaterThan(0.8);
    expect(shifted.psi!).toBeLessThan(1.4);
    expect(shifted.pValue!).toBeLessThan(1e-10);
    expect(shifted.drifted).toBe(true);
    expect(shifted.mean!).toBeCloseTo(1, 1);
  });

  it('chi-square homogeneity matches scipy.stats.chi2_contingency documented example', () => {
    // scipy docs: chi2_contingency([[10, 10, 20], [20, 20, 20]]) → statistic 2.7777777777777777,
    // pvalue 0.24935220877729619, dof 2 (no continuity correction for dof > 1)
    const r = chiSquareHomogeneity([10, 10, 20], [20, 20, 20]);
    expect(r.statistic).toBeCloseTo(2.7777777777777777, 12);
    expect(r.dof).toBe(2);
    expect(r.pValue).toBeCloseTo(0.24935220877729619, 12);
  });

  it('the chi-square survival function matches table values', () => {
    // closed form for 2 dof: exp(-x/2); table: χ²(0.95, 1) = 3.841458820694124, χ²(0.99, 10) = 23.209251158954356
    expect(chiSquareSf(5, 2)).toBeCloseTo(Math.exp(-2.5), 14);
    expect(chiSquareSf(3.841458820694124, 1)).toBeCloseTo(0.05, 10);
    expect(chiSquareSf(23.209251158954356, 10)).toBeCloseTo(0.01, 10);
    expect(chiSquareSf(0, 3)).toBe(1);
  });

  it('gives no drift figure with too few values', () => {
    const live: InputStatsData = {};
    recordInput(live, 'x', [20], gaussian(20, 9, 3), bins);
    const d = driftAgainst(baseline, live)[0]!;
    expect(d.count).toBe(20);
    expect(d.psi).toBeNull();
    expect(d.drifted).toBe(false);
  });
});
