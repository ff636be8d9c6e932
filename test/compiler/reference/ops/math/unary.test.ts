import { describe, expect, it } from 'vitest';
import { erf } from '../../../../../compiler/reference/ops/math/erf.js';
import { roundHalfEven } from '../../../../../compiler/reference/ops/math/unary.js';
import { KilnError } from '../../../../../runtime/errors.js';
import { expectClose, f32, f64, infer1, int, run1, t, ti, vals } from './helpers.js';

/** erf by composite Simpson's rule on 2/sqrt(pi) * exp(-t^2): an independent check of the rational fits. */
function erfSimpson(x: number, n = 4000): number {
  const h = x / n;
  let s = 1 + Math.exp(-x * x);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * Math.exp(-((i * h) ** 2));
  return ((s * h) / 3) * (2 / Math.sqrt(Math.PI));
}

describe('erf', () => {
  it('matches numerical integration to 1e-12 across all three approximation ranges', () => {
    for (const x of [1e-3, 0.1, 0.3, 0.46875, 0.5, 0.9, 1.7, 2.5, 3.9, 4, 4.2, 5.5]) {
      expect(Math.abs(erf(x) - erfSimpson(x))).toBeLessThan(1e-12);
      expect(erf(-x)).toBe(-erf(x));
    }
  });
  it('has tiny relative error in the far tail and the right limits', () => {
    // 1 - erf(5) = erfc(5) = 1.5374597944280348e-12 (A&S table 7.1); erf(5) rounds to the nearest double.
    expect(erf(5)).toBe(1 - 1.5374597944280347e-12);
    expect(erf(30)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(erf(0)).toBe(0);
    expect(erf(NaN)).toBeNaN();
  });
  it('runs as the Erf op for floats and integers', () => {
    expectClose(run1('Erf', [f64([2], [1, -0.5])]), [2], [0.8427007929497149, -0.5204998778130465], 1e-15);
    expect(vals(run1('Erf', [t('int32', [3], [0, 3, -3])]))).toEqual([0, 0, 0]);
  });
});

describe('unary math', () => {
  it('rounds half to even, keeping the sign of zero', () => {
    const xs = [0.5, 1.5, 2.5, -0.5, -1.5, 2.4, -2.6, -0.2, 4503599627370497];
    const want = [0, 2, 2, -0, -2, 2, -3, -0, 4503599627370497];
    xs.forEach((x, i) => expect(Object.is(roundHalfEven(x), want[i])).toBe(true));
    expect(vals(run1('Round', [f32([3], [0.5, 1.5, -2.5])]))).toEqual([0, 2, -2]);
  });
  it('computes Abs/Neg/Sign on every signed and unsigned type', () => {
    expect(vals(run1('Abs', [t('int8', [3], [-128, -5, 5])]))).toEqual([-128, 5, 5]);
    expect(vals(run1('Abs', [t('int64', [1], [-(2n ** 62n)])]))).toEqual([2n ** 62n]);
    expect(vals(run1('Neg', [t('int64', [2], [5n, -7n])]))).toEqual([-5n, 7n]);
    expect(vals(run1('Sign', [f32([4], [-2, 0, 3, NaN])])).map(String)).toEqual(['-1', '0', '1', 'NaN']);
    expect(vals(run1('Sign', [t('uint64', [2], [0n, 9n])]))).toEqual([0n, 1n]);
    expect(() => run1('Neg', [t('uint8', [1], [1])])).toThrow(KilnError);
  });
  it('computes transcendental functions in float64', () => {
    const y = run1('Sin', [f64([1], [Math.PI / 6])]);
    expectClose(y, [1], [0.5], 1e-15);
    expectClose(run1('Acos', [f64([1], [0.5])]), [1], [Math.PI / 3], 1e-15);
    expectClose(run1('Atanh', [f64([1], [0.5])]), [1], [0.5493061443340549], 1e-15);
    expectClose(run1('Asinh', [f64([1], [1])]), [1], [0.881373587019543], 1e-15);
    expectClose(run1('Cosh', [f64([1], [1])]), [1], [1.5430806348152437], 1e-15);
    expectClose(run1('Log', [f32([3], [Math.E, 0, -1])]), [3], [1, -Infinity, NaN]);
    expectClose(run1('Sqrt', [f32([2], [4, -1])]), [2], [2, NaN]);
    expectClose(run1('Reciprocal', [f32([2], [4, 0])]), [2], [0.25, Infinity]);
    expectClose(run1('Floor', [f32([2], [-1.5, 1.5])]), [2], [-2, 1]);
    expectClose(run1('Ceil', [f32([2], [-1.5, 1.5])]), [2], [-1, 2]);
    // float16 results are rounded once: e = 2.71828... → 2.71875 (10 fraction bits).
    expect(vals(run1('Exp', [t('float16', [1], [1])]))).toEqual([2.71875]);
    expect(() => run1('Exp', [t('int32', [1], [1])])).toThrow(/unsupported type int32/);
  });
  it('detects NaN and infinities per the IsInf attributes', () => {
    const x = f32([4], [Infinity, -Infinity, NaN, 1]);
    expect(vals(run1('IsNaN', [x]))).toEqual([0, 0, 1, 0]);
    expect(vals(run1('IsInf', [x]))).toEqual([1, 1, 0, 0]);
    expect(vals(run1('IsInf', [x], { detect_negative: int(0) }))).toEqual([1, 0, 0, 0]);
    expect(vals(run1('IsInf', [x], { detect_positive: int(0) }))).toEqual([0, 1, 0, 0]);
    expect(infer1('IsNaN', [ti('float16', ['N', 2])])).toEqual(ti('bool', ['N', 2]));
  });
});
