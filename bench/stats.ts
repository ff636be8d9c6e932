/** Order statistics for benchmark samples (pure; no timing here). */

/** The q-quantile (0..1) of `xs` by linear interpolation between closest ranks (numpy's default). */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) throw new RangeError('quantile of an empty sample');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile ${q} is outside 0..1`);
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

export const median = (xs: readonly number[]): number => quantile(xs, 0.5);
export const p90 = (xs: readonly number[]): number => quantile(xs, 0.9);

/** Geometric mean of positive numbers (the right mean for speedup ratios). */
export function geomean(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('geometric mean of an empty sample');
  if (xs.some((x) => !(x > 0))) throw new RangeError('geometric mean needs positive numbers');
  return Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);
}

/**
 * Speedup of `fast` over `slow` from paired samples taken side by side (iteration i of both ran in the
 * same round): the median of the per-round ratios slow[i] / fast[i], so a noisy round hits both sides.
 */
export function pairedSpeedup(fast: readonly number[], slow: readonly number[]): number {
  if (fast.length !== slow.length) throw new RangeError('paired samples must have the same length');
  return median(fast.map((f, i) => slow[i]! / f));
}
