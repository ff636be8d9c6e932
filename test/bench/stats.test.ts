import { describe, expect, it } from 'vitest';
import { geomean, median, p90, pairedSpeedup, quantile } from '../../bench/stats.js';

describe('bench statistics', () => {
  it('median of odd and even samples, order-independent', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('p90 interpolates between closest ranks (numpy linear)', () => {
    expect(p90([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])).toBeCloseTo(9.1, 12);
    expect(p90([10, 1])).toBeCloseTo(9.1, 12);
    expect(quantile([5, 1, 3], 0)).toBe(1);
    expect(quantile([5, 1, 3], 1)).toBe(5);
  });

  it('refuses empty samples and quantiles outside 0..1', () => {
    expect(() => median([])).toThrow(RangeError);
    expect(() => quantile([1], 1.5)).toThrow(/outside 0\.\.1/);
    expect(() => geomean([])).toThrow(RangeError);
    expect(() => geomean([1, 0])).toThrow(/positive/);
  });

  it('geometric mean of ratios', () => {
    expect(geomean([2, 8])).toBeCloseTo(4, 12);
    expect(geomean([0.5, 2])).toBeCloseTo(1, 12);
  });

  it('paired speedup is the median of per-round ratios', () => {
    // rounds: ratios 2, 3, 1.5 -> median 2
    expect(pairedSpeedup([10, 10, 20], [20, 30, 30])).toBe(2);
    expect(() => pairedSpeedup([1], [1, 2])).toThrow(/same length/);
  });
});
