import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../../../runtime/errors.js';
import { expectClose, f32, infer1, int, run1, t, ti, vals } from './helpers.js';

describe('Add/Sub/Mul/Div', () => {
  it('broadcast numpy-style', () => {
    const a = f32([2, 3], [1, 2, 3, 4, 5, 6]);
    const b = f32([3], [10, 20, 30]);
    expectClose(run1('Add', [a, b]), [2, 3], [11, 22, 33, 14, 25, 36]);
    expectClose(run1('Sub', [a, b]), [2, 3], [-9, -18, -27, -6, -15, -24]);
    expectClose(run1('Mul', [f32([2, 1], [2, 3]), b]), [2, 3], [20, 40, 60, 30, 60, 90]);
    expectClose(run1('Div', [a, f32([], [2])]), [2, 3], [0.5, 1, 1.5, 2, 2.5, 3]);
  });

  it('wrap integer results like C', () => {
    expect(vals(run1('Add', [t('int8', [1], [100]), t('int8', [1], [100])]))).toEqual([-56]);
    expect(vals(run1('Sub', [t('uint8', [1], [3]), t('uint8', [1], [5])]))).toEqual([254]);
    const big = Number(BigInt.asIntN(32, 123456789n * 987654321n));
    expect(
      vals(run1('Mul', [t('int32', [2], [65536, 123456789]), t('int32', [2], [65536, 987654321])])),
    ).toEqual([0, big]);
    expect(vals(run1('Mul', [t('uint32', [1], [4294967295]), t('uint32', [1], [4294967295])]))).toEqual([1]);
    expect(vals(run1('Add', [t('int64', [1], [9223372036854775807n]), t('int64', [1], [1n])]))).toEqual([
      -9223372036854775808n,
    ]);
  });

  it('truncate integer division toward zero', () => {
    const a = [7, -7, 7, -7];
    const b = [2, 2, -2, -2];
    expect(vals(run1('Div', [t('int32', [4], a), t('int32', [4], b)]))).toEqual([3, -3, -3, 3]);
    expect(vals(run1('Div', [t('int64', [4], a), t('int64', [4], b)]))).toEqual([3n, -3n, -3n, 3n]);
    expect(vals(run1('Div', [t('uint8', [1], [200]), t('uint8', [1], [7])]))).toEqual([28]);
  });

  it('refuse integer division by zero but give IEEE results for floats', () => {
    expect(() => run1('Div', [t('int32', [1], [1]), t('int32', [1], [0])])).toThrow(KilnError);
    expect(() => run1('Div', [t('int64', [1], [1]), t('int64', [1], [0])])).toThrow(/division by zero/);
    expectClose(run1('Div', [f32([2], [1, -1]), f32([2], [0, 0])]), [2], [Infinity, -Infinity]);
  });

  it('round float16 results once', () => {
    // 1 + 2^-11 is halfway between float16 neighbours 1 and 1 + 2^-10: ties to even gives 1.
    const r = run1('Add', [t('float16', [2], [1, 1]), t('float16', [2], [2 ** -11, 2 ** -10])]);
    expect(vals(r)).toEqual([1, 1 + 2 ** -10]);
  });

  it('reject mismatched and unsupported types', () => {
    expect(() => run1('Add', [f32([1], [1]), t('float64', [1], [1])])).toThrow(/different types/);
    expect(() => run1('Add', [t('bool', [1], [1]), t('bool', [1], [1])])).toThrow(KilnError);
    expect(() => run1('Add', [f32([2], [1, 2]), f32([3], [1, 2, 3])])).toThrow(/broadcast/);
  });

  it('follow the opset 1-6 broadcast attribute', () => {
    const a = f32([2, 3, 2], [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    const b = f32([3], [10, 20, 30]);
    const y = run1('Add', [a, b], { broadcast: int(1), axis: int(1) }, 6);
    expectClose(y, [2, 3, 2], [10, 10, 20, 20, 30, 30, 11, 11, 21, 21, 31, 31]);
    // Suffix alignment without axis.
    expectClose(
      run1('Mul', [f32([2, 2], [1, 2, 3, 4]), f32([2], [10, 100])], { broadcast: int(1) }, 6),
      [2, 2],
      [10, 200, 30, 400],
    );
    expect(() => run1('Add', [a, b], {}, 6)).toThrow(/broadcast=0/);
  });

  it('infer broadcast shapes with symbols', () => {
    expect(infer1('Add', [ti('float32', ['N', 3]), ti('float32', [3])])).toEqual(ti('float32', ['N', 3]));
    expect(infer1('Mul', [ti('int64', ['N', 1]), ti('int64', [1, 'M'])])).toEqual(ti('int64', ['N', 'M']));
    expect(infer1('Add', [ti('float32', [2, 3, 4]), ti('float32', [3])], { broadcast: int(1) }, 6)).toEqual(
      ti('float32', [2, 3, 4]),
    );
    expect(() => infer1('Sub', [ti('float32', [2]), ti('int32', [2])])).toThrow(KilnError);
    expect(infer1('Div', [ti('float32', [2]), ti('float32')])).toEqual(ti('float32', undefined));
  });
});

describe('Mod', () => {
  const a = [-4, 7, 5, -5];
  const b = [3, -3, -3, 3];
  it('takes the sign of the divisor when fmod=0 (Python %)', () => {
    expect(vals(run1('Mod', [t('int32', [4], a), t('int32', [4], b)]))).toEqual([2, -2, -1, 1]);
    expect(vals(run1('Mod', [t('int64', [4], a), t('int64', [4], b)]))).toEqual([2n, -2n, -1n, 1n]);
    expect(vals(run1('Mod', [t('uint8', [2], [250, 7]), t('uint8', [2], [7, 250])]))).toEqual([5, 7]);
  });

  it('takes the sign of the dividend when fmod=1 (C fmod)', () => {
    expect(vals(run1('Mod', [t('int16', [4], a), t('int16', [4], b)], { fmod: int(1) }))).toEqual([
      -1, 1, 2, -2,
    ]);
    expectClose(
      run1('Mod', [f32([3], [-4.5, 7.5, 5]), f32([3], [2, -2, 0])], { fmod: int(1) }),
      [3],
      [-0.5, 1.5, NaN],
    );
  });

  it('refuses float inputs without fmod=1 and integer division by zero', () => {
    expect(() => run1('Mod', [f32([1], [1]), f32([1], [2])])).toThrow(/fmod=1/);
    expect(() => infer1('Mod', [ti('float32', [1]), ti('float32', [1])])).toThrow(/fmod=1/);
    expect(() => run1('Mod', [t('int32', [1], [1]), t('int32', [1], [0])])).toThrow(/division by zero/);
  });
});

describe('Pow', () => {
  it('computes float powers with exponents of any numeric type', () => {
    expectClose(run1('Pow', [f32([3], [2, 4, -2]), f32([3], [3, 0.5, 2])]), [3], [8, 2, 4]);
    expectClose(run1('Pow', [f32([2], [1.5, 2]), t('int64', [2], [2, -1])]), [2], [2.25, 0.5]);
    expectClose(run1('Pow', [f32([1], [-8]), f32([1], [1 / 3])]), [1], [NaN]);
  });

  it('truncates integer bases with float exponents', () => {
    expect(vals(run1('Pow', [t('int32', [3], [2, 10, -3]), f32([3], [0.5, 1.5, 2])]))).toEqual([1, 31, 9]);
  });

  it('is exact for integer powers, wrapping like C', () => {
    expect(vals(run1('Pow', [t('int64', [2], [3, -2]), t('int64', [2], [40, 63])]))).toEqual([
      BigInt.asIntN(64, 3n ** 40n),
      -(2n ** 63n),
    ]);
    expect(vals(run1('Pow', [t('int32', [2], [3, 7]), t('int32', [2], [20, 13])]))).toEqual([
      Number(BigInt.asIntN(32, 3n ** 20n)),
      Number(BigInt.asIntN(32, 7n ** 13n)),
    ]);
    expect(vals(run1('Pow', [t('int32', [4], [2, 1, -1, -1]), t('int32', [4], [-1, -3, -3, -2])]))).toEqual([
      0, 1, -1, 1,
    ]);
    expect(() => run1('Pow', [t('int32', [1], [0]), t('int32', [1], [-1])])).toThrow(KilnError);
  });

  it('infers the base type and refuses unsupported bases', () => {
    expect(infer1('Pow', [ti('int32', ['N']), ti('float32', [1])])).toEqual(ti('int32', ['N']));
    expect(() => run1('Pow', [t('uint8', [1], [2]), t('uint8', [1], [2])])).toThrow(KilnError);
  });
});
