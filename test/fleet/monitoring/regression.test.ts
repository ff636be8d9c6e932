import { describe, expect, it } from 'vitest';
import { regressions } from '../../../fleet/monitoring/regression.js';
import { type Aggregate, emptyAggregate } from '../../../fleet/telemetry/aggregate.js';
import { recordLatency } from '../../../fleet/telemetry/latency-histogram.js';

/** `ok` successful calls of `ms` each and `failed` errors. */
function version(ok: number, ms: number, failed = 0): Aggregate {
  const a = emptyAggregate();
  for (let i = 0; i < ok; i++) recordLatency(a.latency, ms);
  a.runs = ok + failed;
  if (failed) a.errors.KilnError = failed;
  return a;
}
const label = { newer: 'm@2', older: 'm@1' };

describe('regressions against the previous version', () => {
  it('flags an error-rate increase over the limit, not one under it', () => {
    expect(regressions(label, version(90, 1, 10), version(100, 1))).toEqual([
      expect.objectContaining({ kind: 'error_rate_regression', value: 0.1, threshold: 0.05 }),
    ]);
    expect(regressions(label, version(96, 1, 4), version(100, 1))).toEqual([]);
    expect(
      regressions(label, version(96, 1, 4), version(100, 1), { maxErrorRateIncrease: 0.01 }),
    ).toHaveLength(1);
  });

  it('flags a p95 latency over the ratio, judged on histogram quantiles', () => {
    const r = regressions(label, version(100, 4), version(100, 2));
    expect(r).toHaveLength(1);
    expect(r[0]!.kind).toBe('latency_regression');
    expect(r[0]!.value).toBeGreaterThan(1.5); // 4 ms vs 2 ms, within one bucket (×1.26) of 2
    expect(r[0]!.value).toBeLessThan(2.6);
    expect(r[0]!.message).toMatch(/m@2 p95 latency .* vs .* on m@1/);
    expect(regressions(label, version(100, 2.2), version(100, 2))).toEqual([]);
    expect(regressions(label, version(100, 4), version(100, 2), { maxP95Ratio: 3 })).toEqual([]);
  });

  it('does not judge with fewer than 20 runs on either side', () => {
    expect(regressions(label, version(0, 1, 19), version(100, 1))).toEqual([]);
    expect(regressions(label, version(100, 9), version(19, 1))).toEqual([]);
  });
});
