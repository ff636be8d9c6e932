import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../../../runtime/errors.js';
import { f64ToBfloat16, f64ToFloat16 } from '../../../../../compiler/reference/ops/math/util.js';
import { roundToBfloat16, roundToFloat16 } from '../../../../../runtime/half.js';
import { tensorFrom } from '../../../../../runtime/tensor.js';
import { f32, f64, infer1, int, rand, run1, str, t, ti, vals } from './helpers.js';

/** TensorProto.DataType codes used below. */
const FLOAT = 1,
  UINT8 = 2,
  INT8 = 3,
  STRING = 8,
  BOOL = 9,
  FLOAT16 = 10,
  DOUBLE = 11,
  INT32 = 6,
  INT64 = 7;
const BFLOAT16 = 16,
  FLOAT8E4M3FN = 17;
const cast = (x: Parameters<typeof run1>[1][0], to: number) => run1('Cast', [x], { to: int(to) });
const strings = (values: string[]) => tensorFrom('string', [values.length], values as unknown as number[]);

describe('Cast between numeric types', () => {
  it('truncates floats toward zero and wraps out-of-range values', () => {
    expect(vals(cast(f32([5], [1.9, -1.9, 300.5, -0.5, NaN]), INT8))).toEqual([1, -1, 44, 0, 0]);
    expect(vals(cast(f32([2], [-1.5, 255.9]), UINT8))).toEqual([255, 255]);
    expect(vals(cast(f64([3], [1e10 + 0.7, -3.9, NaN]), INT64))).toEqual([10000000000n, -3n, 0n]);
  });
  it('keeps the exact low bits when narrowing int64', () => {
    expect(vals(cast(t('int64', [2], [257n, -129n]), INT8))).toEqual([1, 127]);
    expect(vals(cast(t('int64', [1], [2n ** 53n + 1n]), INT32))).toEqual([1]);
    expect(vals(cast(t('int64', [1], [2n ** 53n + 1n]), DOUBLE))).toEqual([2 ** 53]);
    expect(vals(cast(t('int32', [1], [-1]), INT64))).toEqual([-1n]);
  });
  it('rounds to float16 once, straight from float64', () => {
    // Halfway (1 + 2^-11) plus 2^-40: float32 would first drop the 2^-40 and then tie to even (1).
    expect(vals(cast(f64([1], [1 + 2 ** -11 + 2 ** -40]), FLOAT16))).toEqual([1 + 2 ** -10]);
    expect(vals(cast(f32([4], [1 + 2 ** -11, 65519, 65520, 2 ** -25]), FLOAT16))).toEqual([
      1,
      65504,
      Infinity,
      0,
    ]);
    expect(vals(cast(f32([1], [3 * 2 ** -25]), FLOAT16))).toEqual([2 ** -23]); // subnormal, tie to even
  });
  it('rounds to bfloat16 to nearest even', () => {
    expect(vals(cast(f32([3], [1 + 2 ** -8, 1 + 3 * 2 ** -8, -1e39]), BFLOAT16))).toEqual([
      1,
      1 + 2 ** -6,
      -Infinity,
    ]);
  });
  it('casts to and from bool', () => {
    expect(vals(cast(f32([4], [0, -0, NaN, 0.1]), BOOL))).toEqual([0, 0, 1, 1]);
    expect(vals(cast(t('int64', [2], [0n, -5n]), BOOL))).toEqual([0, 1]);
    expect(vals(cast(t('bool', [2], [1, 0]), FLOAT))).toEqual([1, 0]);
    expect(vals(cast(t('bool', [2], [1, 0]), INT64))).toEqual([1n, 0n]);
  });
  it('accepts the string-valued `to` of Cast-1', () => {
    const y = run1('Cast', [f32([1], [1.5])], { to: str('INT32') }, 1);
    expect(y.dtype).toBe('int32');
    expect(vals(y)).toEqual([1]);
  });
});

describe('Cast with strings', () => {
  it('parses decimal numbers, NaN and infinities', () => {
    const y = cast(strings(['1.5', ' -2e3 ', 'NaN', '+INF', '-inf', '.25']), DOUBLE);
    expect(vals(y).map(String)).toEqual(['1.5', '-2000', 'NaN', 'Infinity', '-Infinity', '0.25']);
    expect(vals(cast(strings(['9007199254740993', '-7']), INT64))).toEqual([9007199254740993n, -7n]);
    expect(() => cast(strings(['abc']), FLOAT)).toThrow(/cannot parse 'abc'/);
    expect(() => cast(strings(['1.5']), INT32)).toThrow(KilnError);
  });
  it('formats with the shortest string that reads back in the source type', () => {
    expect(vals(cast(f32([4], [0.1, 1 / 3, NaN, -Infinity]), STRING))).toEqual([
      '0.1',
      '0.33333334',
      'NaN',
      '-INF',
    ]);
    expect(vals(cast(f64([2], [1 / 3, 1e21]), STRING))).toEqual(['0.3333333333333333', '1e+21']);
    expect(vals(cast(t('int64', [1], [-5n]), STRING))).toEqual(['-5']);
    expect(vals(cast(t('float16', [1], [0.1]), STRING))).toEqual(['0.1']);
  });
  it('refuses bool <-> string', () => {
    expect(() => cast(t('bool', [1], [1]), STRING)).toThrow(KilnError);
  });
});

describe('Cast inference and CastLike', () => {
  it('infers the target type and keeps the shape', () => {
    expect(infer1('Cast', [ti('float32', ['N', 2])], { to: int(INT64) })).toEqual(ti('int64', ['N', 2]));
    expect(() => infer1('Cast', [ti('float32', [1])], { to: int(999) })).toThrow(/unknown target type/);
    expect(() => infer1('Cast', [ti('float32', [1])], { to: int(FLOAT8E4M3FN) })).toThrow(/not supported/);
    expect(() => infer1('Cast', [ti('float32', [1])])).toThrow(/'to'/);
  });
  it('CastLike takes the type of its second input', () => {
    const y = run1('CastLike', [f32([2], [2.7, -2.7]), t('int16', [], [0])]);
    expect(y.dtype).toBe('int16');
    expect(vals(y)).toEqual([2, -2]);
    expect(infer1('CastLike', [ti('float32', ['N']), ti('float16', [])])).toEqual(ti('float16', ['N']));
  });
});

/** Exact nearest-even rounding to `mant` fraction bits, min normal exponent `emin`, by scaling. */
function roundExact(x: number, mant: number, emin: number, max: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const a = Math.abs(x);
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  const ulp = 2 ** (Math.max(e, emin) - mant);
  const q = a / ulp;
  const f = Math.floor(q);
  const m = q - f > 0.5 || (q - f === 0.5 && f % 2 === 1) ? f + 1 : f;
  const r = m * ulp > max ? Infinity : m * ulp;
  return x < 0 ? -r : r;
}

describe('half rounding from float64', () => {
  it('equals exact single rounding for random doubles, ties and subnormals included', () => {
    const xs = rand(20000, 99).map((v, i) => v * 2 ** ((i % 60) - 30));
    // Values just above float16/bfloat16 ties, where float64 → float32 → half would round wrongly.
    for (let k = 0; k < 50; k++)
      xs.push((1 + 2 ** -11 + 2 ** -40) * 2 ** (k - 25), -(1 + 2 ** -8 + 2 ** -45) * 2 ** k);
    for (const x of xs) {
      expect(f64ToFloat16(x)).toBe(roundExact(x, 10, -14, 65504));
      expect(f64ToBfloat16(x)).toBe(roundExact(x, 7, -126, (2 - 2 ** -7) * 2 ** 127));
    }
  });

  it('agrees with the runtime float32 → half conversions on float32 inputs', () => {
    const u = new Uint32Array(1);
    const f = new Float32Array(u.buffer);
    let s = 12345;
    for (let i = 0; i < 20000; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      u[0] = s;
      const v = f[0]!;
      if (Number.isNaN(v)) continue;
      expect(f64ToFloat16(v)).toBe(roundToFloat16(v));
      expect(f64ToBfloat16(v)).toBe(roundToBfloat16(v));
    }
  });
});
