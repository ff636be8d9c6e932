import type { RunningStatsData } from './types.js';

export function emptyStats(): RunningStatsData {
  return { count: 0, mean: 0, m2: 0, min: null, max: null };
}

/** Welford's update with one value. */
export function recordValue(s: RunningStatsData, x: number): void {
  s.count++;
  const d = x - s.mean;
  s.mean += d / s.count;
  s.m2 += d * (x - s.mean);
  if (s.min === null || x < s.min) s.min = x;
  if (s.max === null || x > s.max) s.max = x;
}

/** Adds b into a with Chan et al.'s parallel formula: the same result as one pass over both. */
export function mergeStats<T extends RunningStatsData>(a: T, b: RunningStatsData): T {
  if (b.count === 0) return a;
  if (a.count === 0) {
    a.count = b.count;
    a.mean = b.mean;
    a.m2 = b.m2;
    a.min = b.min;
    a.max = b.max;
    return a;
  }
  const n = a.count + b.count;
  const d = b.mean - a.mean;
  a.mean += (d * b.count) / n;
  a.m2 += b.m2 + (d * d * a.count * b.count) / n;
  a.count = n;
  a.min = Math.min(a.min!, b.min!);
  a.max = Math.max(a.max!, b.max!);
  return a;
}

/** Sample variance (n − 1); 0 below two values. */
export function variance(s: RunningStatsData): number {
  return s.count > 1 ? s.m2 / (s.count - 1) : 0;
}
