import { emptyLatency, latencyCount, latencyQuantile, mergeLatency } from './latency-histogram.js';
import { mergeInputs } from './input-stats.js';
import type { InputStatsData, LatencyHistogramData, MonitoringWindow, TelemetryBatch } from './types.js';

/** Batches of one version merged: what a window or a comparison works on. */
export interface Aggregate {
  runs: number;
  errors: Record<string, number>;
  latency: LatencyHistogramData;
  inputs: InputStatsData;
  devices: Set<string>;
}

export function emptyAggregate(): Aggregate {
  return { runs: 0, errors: {}, latency: emptyLatency(), inputs: {}, devices: new Set() };
}

export function addBatch(
  a: Aggregate,
  b: Omit<TelemetryBatch, 'id' | 'variantId'>,
  deviceId: string,
): Aggregate {
  a.runs += b.runs;
  for (const [k, n] of Object.entries(b.errors)) a.errors[k] = (a.errors[k] ?? 0) + n;
  mergeLatency(a.latency, b.latency);
  mergeInputs(a.inputs, b.inputs);
  a.devices.add(deviceId);
  return a;
}

export function errorTotal(a: Pick<Aggregate, 'errors'>): number {
  return Object.values(a.errors).reduce((s, n) => s + n, 0);
}

export function errorRate(a: Aggregate): number {
  return a.runs > 0 ? errorTotal(a) / a.runs : 0;
}

/** The figures of a window (drift is added by the caller, which has the baseline). */
export function windowFigures(a: Aggregate, start: number, end: number): MonitoringWindow {
  const n = latencyCount(a.latency);
  return {
    start,
    end,
    runs: a.runs,
    errors: a.errors,
    errorRate: errorRate(a),
    latency: {
      count: n,
      meanMs: n > 0 ? a.latency.sumMs / n : null,
      p50: latencyQuantile(a.latency, 0.5),
      p95: latencyQuantile(a.latency, 0.95),
      p99: latencyQuantile(a.latency, 0.99),
    },
    drift: [],
    devices: a.devices.size,
  };
}
