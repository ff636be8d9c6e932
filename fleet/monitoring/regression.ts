import { type Aggregate, errorRate } from '../telemetry/aggregate.js';
import { latencyCount, latencyQuantile } from '../telemetry/latency-histogram.js';
import {
  DEFAULT_MAX_ERROR_RATE_INCREASE,
  DEFAULT_MAX_P95_RATIO,
  REGRESSION_MIN_RUNS,
} from '../telemetry/types.js';

export interface RegressionThresholds {
  maxErrorRateIncrease?: number | null | undefined;
  maxP95Ratio?: number | null | undefined;
}

export interface Regression {
  kind: 'error_rate_regression' | 'latency_regression';
  value: number;
  threshold: number;
  message: string;
}

/**
 * A new version against the previous one: error rate up by more than maxErrorRateIncrease, or p95
 * latency over maxP95Ratio × the previous p95. Each side needs REGRESSION_MIN_RUNS runs (latency:
 * that many successful calls) to be judged.
 */
export function regressions(
  label: { newer: string; older: string },
  newer: Aggregate,
  older: Aggregate,
  t: RegressionThresholds = {},
): Regression[] {
  const out: Regression[] = [];
  const maxInc = t.maxErrorRateIncrease ?? DEFAULT_MAX_ERROR_RATE_INCREASE;
  const maxRatio = t.maxP95Ratio ?? DEFAULT_MAX_P95_RATIO;
  if (newer.runs >= REGRESSION_MIN_RUNS && older.runs >= REGRESSION_MIN_RUNS) {
    const inc = errorRate(newer) - errorRate(older);
    if (inc > maxInc) {
      out.push({
        kind: 'error_rate_regression',
        value: inc,
        threshold: maxInc,
        message: `${label.newer} error rate ${errorRate(newer).toFixed(4)} vs ${errorRate(older).toFixed(4)} on ${label.older} (+${inc.toFixed(4)}, limit +${maxInc})`,
      });
    }
  }
  if (
    latencyCount(newer.latency) >= REGRESSION_MIN_RUNS &&
    latencyCount(older.latency) >= REGRESSION_MIN_RUNS
  ) {
    const pn = latencyQuantile(newer.latency, 0.95)!;
    const po = latencyQuantile(older.latency, 0.95)!;
    const ratio = pn / po;
    if (ratio > maxRatio) {
      out.push({
        kind: 'latency_regression',
        value: ratio,
        threshold: maxRatio,
        message: `${label.newer} p95 latency ${pn.toFixed(3)} ms vs ${po.toFixed(3)} ms on ${label.older} (×${ratio.toFixed(2)}, limit ×${maxRatio})`,
      });
    }
  }
  return out;
}
