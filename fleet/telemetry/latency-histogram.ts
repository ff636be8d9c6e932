import { KilnError } from '../../runtime/errors.js';
import { LATENCY_BOUNDS_MS, LATENCY_BUCKETS, type LatencyHistogramData } from './types.js';

export function emptyLatency(): LatencyHistogramData {
  return { counts: new Array<number>(LATENCY_BUCKETS).fill(0), sumMs: 0 };
}

/** The bucket a latency falls in: the first bound ≥ ms (binary search), or the overflow bucket. */
export function latencyBucket(ms: number): number {
  let lo = 0;
  let hi = LATENCY_BOUNDS_MS.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ms <= LATENCY_BOUNDS_MS[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function recordLatency(h: LatencyHistogramData, ms: number): void {
  if (!Number.isFinite(ms) || ms < 0) {
    throw new KilnError(`invalid latency ${ms} ms`, { expected: 'a finite number of milliseconds ≥ 0' });
  }
  h.counts[latencyBucket(ms)]!++;
  h.sumMs += ms;
}

/** Adds b into a (bucket by bucket: exact, because every histogram has the same bounds). */
export function mergeLatency(a: LatencyHistogramData, b: LatencyHistogramData): LatencyHistogramData {
  checkLatency(b);
  for (let i = 0; i < LATENCY_BUCKETS; i++) a.counts[i]! += b.counts[i]!;
  a.sumMs += b.sumMs;
  return a;
}

export function latencyCount(h: LatencyHistogramData): number {
  let n = 0;
  for (const c of h.counts) n += c;
  return n;
}

/**
 * The q-quantile (0..1): finds the bucket holding rank q·n and interpolates geometrically between
 * its bounds (the lowest bucket from 0, the overflow bucket reports its lower bound). Null when empty.
 */
export function latencyQuantile(h: LatencyHistogramData, q: number): number | null {
  const n = latencyCount(h);
  if (n === 0) return null;
  const rank = Math.min(Math.max(q, 0), 1) * n;
  let seen = 0;
  for (let i = 0; i < LATENCY_BUCKETS; i++) {
    const c = h.counts[i]!;
    if (c === 0) continue;
    if (seen + c >= rank) {
      if (i === LATENCY_BUCKETS - 1) return LATENCY_BOUNDS_MS.at(-1)!;
      const upper = LATENCY_BOUNDS_MS[i]!;
      const lower = i === 0 ? upper / 10 ** 0.1 : LATENCY_BOUNDS_MS[i - 1]!;
      const f = c === 0 ? 1 : Math.max(0, rank - seen) / c;
      return lower * (upper / lower) ** f;
    }
    seen += c;
  }
  return LATENCY_BOUNDS_MS.at(-1)!;
}

/** Throws unless `h` has the contract's shape (used on data from devices). */
export function checkLatency(h: LatencyHistogramData, what = 'latency histogram'): void {
  if (!Array.isArray(h.counts) || h.counts.length !== LATENCY_BUCKETS) {
    throw new KilnError(`${what} has ${Array.isArray(h.counts) ? h.counts.length : 'no'} counts`, {
      expected: `${LATENCY_BUCKETS} counts (LATENCY_BOUNDS_MS + overflow)`,
    });
  }
  if (!h.counts.every((c) => Number.isInteger(c) && c >= 0) || !Number.isFinite(h.sumMs)) {
    throw new KilnError(`${what} has a negative or non-integer count or a non-finite sum`);
  }
}
