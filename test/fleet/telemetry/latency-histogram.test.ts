import { describe, expect, it } from 'vitest';
import {
  emptyLatency,
  latencyBucket,
  latencyCount,
  latencyQuantile,
  mergeLatency,
  recordLatency,
} from '../../../fleet/telemetry/latency-histogram.js';
import { LATENCY_BOUNDS_MS, LATENCY_BUCKETS } from '../../../fleet/telemetry/types.js';
import { seededRandom } from '../../../runtime/prng.js';

describe('latency histogram', () => {
  it('has 10 log-spaced bounds per decade from 0.01 ms to 100 s, plus overflow', () => {
    expect(LATENCY_BOUNDS_MS[0]).toBe(0.01);
    expect(LATENCY_BOUNDS_MS[10]).toBe(0.1);
    expect(LATENCY_BOUNDS_MS.at(-1)).toBe(100_000);
    expect(LATENCY_BUCKETS).toBe(72);
    for (let i = 1; i < LATENCY_BOUNDS_MS.length; i++) {
      expect(LATENCY_BOUNDS_MS[i]! / LATENCY_BOUNDS_MS[i - 1]!).toBeCloseTo(10 ** 0.1, 2);
    }
    expect(latencyBucket(0)).toBe(0);
    expect(latencyBucket(0.1)).toBe(10); // upper bounds are inclusive
    expect(latencyBucket(0.1001)).toBe(11);
    expect(latencyBucket(1e6)).toBe(71);
  });

  it('histograms from many devices merge to exactly the histogram of all samples', () => {
    const r = seededRandom(7);
    const all = emptyLatency();
    const devices = Array.from({ length: 200 }, () => emptyLatency());
    for (let i = 0; i < 50_000; i++) {
      // log-uniform over 0.005 ms .. 200 s, so every bucket and both ends are hit
      const ms = 0.005 * 10 ** (r() * 7.6);
      recordLatency(all, ms);
      recordLatency(devices[Math.floor(r() * devices.length)]!, ms);
    }
    // merge in a tree of uneven partial sums, as servers merging batches in any order would
    const halves = [devices.slice(0, 37), devices.slice(37)].map((g) =>
      g.reduce((acc, h) => mergeLatency(acc, h), emptyLatency()),
    );
    const merged = mergeLatency(halves[1]!, halves[0]!);
    expect(merged.counts).toEqual(all.counts);
    expect(latencyCount(merged)).toBe(50_000);
    expect(merged.sumMs).toBeCloseTo(all.sumMs, 3);
    for (const q of [0.5, 0.95, 0.99]) expect(latencyQuantile(merged, q)).toBe(latencyQuantile(all, q));
    expect(all.counts[0]).toBeGreaterThan(0);
    expect(all.counts[71]).toBeGreaterThan(0);
  });

  it('quantiles fall within one bucket of the exact sample quantile', () => {
    const r = seededRandom(3);
    const h = emptyLatency();
    const xs: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const ms = 2 + 30 * r() ** 3;
      xs.push(ms);
      recordLatency(h, ms);
    }
    xs.sort((a, b) => a - b);
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = xs[Math.floor(q * xs.length)]!;
      const got = latencyQuantile(h, q)!;
      expect(got / exact).toBeGreaterThan(1 / 10 ** 0.1);
      expect(got / exact).toBeLessThan(10 ** 0.1);
    }
    expect(latencyQuantile(emptyLatency(), 0.5)).toBeNull();
  });

  it('refuses invalid latencies and malformed histograms', () => {
    expect(() => recordLatency(emptyLatency(), -1)).toThrow(/invalid latency/);
    expect(() => recordLatency(emptyLatency(), NaN)).toThrow(/invalid latency/);
    expect(() => mergeLatency(emptyLatency(), { counts: [1, 2], sumMs: 0 })).toThrow(/72 counts/);
  });
});
