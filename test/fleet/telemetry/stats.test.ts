import { describe, expect, it } from 'vitest';
import { computeBaseline } from '../../../fleet/telemetry/baseline.js';
import {
  binIndex,
  channelCount,
  emptyChannel,
  mergeChannel,
  recordInput,
} from '../../../fleet/telemetry/input-stats.js';
import { emptyStats, mergeStats, recordValue, variance } from '../../../fleet/telemetry/running-stats.js';
import type { InputStatsData } from '../../../fleet/telemetry/types.js';
import { gaussian } from './gaussian.js';

describe('running stats and input statistics', () => {
  it('merges exactly: the same count, mean, variance, min and max as one pass', () => {
    const xs = gaussian(10_000, 11, 5, 3);
    const one = emptyStats();
    xs.forEach((x) => recordValue(one, x));
    const parts = [0, 1234, 1235, 7000, 10_000];
    const merged = emptyStats();
    for (let i = 0; i + 1 < parts.length; i++) {
      const s = emptyStats();
      xs.subarray(parts[i], parts[i + 1]).forEach((x) => recordValue(s, x));
      mergeStats(merged, s);
    }
    expect(merged.count).toBe(10_000);
    expect(merged.mean).toBeCloseTo(one.mean, 10);
    expect(variance(merged)).toBeCloseTo(variance(one), 8);
    expect([merged.min, merged.max]).toEqual([one.min, one.max]);
    // against the textbook two-pass formulas
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(merged.mean).toBeCloseTo(mean, 10);
    expect(variance(merged)).toBeCloseTo(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1), 8);
  });

  it('splits channels on axis 1 and bins over the baseline edges', () => {
    expect(channelCount([1, 3])).toBe(3);
    expect(channelCount([1, 3, 8, 8])).toBe(3);
    expect(channelCount([5])).toBe(1);
    expect(channelCount([1, 1000])).toBe(1);
    const edges = [0, 1, 2, 3];
    expect([-1, 0, 0.5, 1, 2.9, 3, 3.1].map((x) => binIndex(edges, x))).toEqual([0, 1, 1, 2, 3, 3, 4]);

    const stats: InputStatsData = {};
    // [2, 2, 2]: channel 0 holds 0..3 and 8..11, channel 1 holds 4..7 and 12..15... of a [2,2,2,2]
    const data = Float32Array.from({ length: 16 }, (_, i) => i);
    const bins = [{ edges: [0, 8, 16] }, { edges: [0, 8, 16] }];
    recordInput(stats, 'x', [2, 2, 2, 2], data, bins);
    const [c0, c1] = stats.x!.channels;
    expect(c0!.count).toBe(8);
    expect(c0!.mean).toBeCloseTo((0 + 1 + 2 + 3 + 8 + 9 + 10 + 11) / 8);
    expect(c1!.mean).toBeCloseTo((4 + 5 + 6 + 7 + 12 + 13 + 14 + 15) / 8);
    expect(c0!.hist).toEqual([0, 4, 4, 0]);
    expect(c1!.hist).toEqual([0, 4, 4, 0]);
    const sum = mergeChannel(emptyChannel(bins[0]), c0!);
    mergeChannel(sum, c1!);
    expect(sum.hist).toEqual([0, 8, 8, 0]);
    expect(sum.count).toBe(16);
  });

  it('computes a baseline with quantile edges, and one bin per value for discrete data', () => {
    const b = computeBaseline('m', 1, 'data', {
      x: { dims: [5000, 2], data: Float64Array.from({ length: 10_000 }, (_, i) => (i % 2 ? i / 2 : 1)) },
    });
    const [c0, c1] = b.inputs.x!.channels;
    expect(c0!.edges).toEqual([1, 1]); // a constant channel
    expect(c0!.counts).toEqual([0, 5000, 0]);
    expect(c1!.edges).toHaveLength(11);
    expect(c1!.counts.slice(1, 11).every((n) => n >= 499 && n <= 501)).toBe(true);
    const binary = computeBaseline('m', 1, 'data', { y: { dims: [4], data: [0, 1, 1, 1] } });
    expect(binary.inputs.y!.channels[0]!.edges).toEqual([0, 0.5, 1]);
    expect(binary.inputs.y!.channels[0]!.counts).toEqual([0, 1, 3, 0]);
    expect(() => computeBaseline('m', 1, 'data', { z: { dims: [3, 2], data: [1, 2] } })).toThrow(/dims/);
  });
});
