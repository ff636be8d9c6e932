import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../../../runtime/errors.js';
import { expectClose, f32, infer1, int, run1, str, t, ti, vals } from './helpers.js';

describe('BitShift', () => {
  it('shifts unsigned integers, keeping the low bits and giving 0 past the width', () => {
    const left = { direction: str('LEFT') };
    const right = { direction: str('RIGHT') };
    expect(
      vals(run1('BitShift', [t('uint8', [4], [1, 255, 16, 3]), t('uint8', [4], [7, 1, 2, 8])], left)),
    ).toEqual([128, 254, 64, 0]);
    expect(
      vals(run1('BitShift', [t('uint32', [2], [0xffffffff, 1]), t('uint32', [2], [4, 31])], left)),
    ).toEqual([0xfffffff0, 0x80000000]);
    expect(
      vals(run1('BitShift', [t('uint32', [2], [0xffffffff, 16]), t('uint32', [2], [28, 2])], right)),
    ).toEqual([15, 4]);
    expect(
      vals(
        run1(
          'BitShift',
          [t('uint64', [3], [2n ** 63n + 5n, 1n, 7n]), t('uint64', [3], [1n, 63n, 64n])],
          left,
        ),
      ),
    ).toEqual([10n, 2n ** 63n, 0n]);
    expect(
      vals(run1('BitShift', [t('uint64', [1], [2n ** 64n - 1n]), t('uint64', [1], [60n])], right)),
    ).toEqual([15n]);
  });

  it('requires a valid direction and unsigned inputs', () => {
    expect(() => run1('BitShift', [t('uint8', [1], [1]), t('uint8', [1], [1])])).toThrow(/direction/);
    expect(() =>
      run1('BitShift', [t('uint8', [1], [1]), t('uint8', [1], [1])], { direction: str('UP') }),
    ).toThrow(KilnError);
    expect(() =>
      run1('BitShift', [t('int32', [1], [1]), t('int32', [1], [1])], { direction: str('LEFT') }),
    ).toThrow(/unsupported type/);
  });
});

describe('Bitwise ops', () => {
  it('compute two-complement bit operations for every integer width', () => {
    expect(vals(run1('BitwiseAnd', [t('int8', [2], [-1, 12]), t('int8', [2], [5, 10])]))).toEqual([5, 8]);
    expect(vals(run1('BitwiseOr', [t('uint32', [1], [0xf0000000]), t('uint32', [1], [0x0f])]))).toEqual([
      0xf000000f,
    ]);
    expect(vals(run1('BitwiseXor', [t('int64', [1], [-1n]), t('int64', [1], [5n])]))).toEqual([-6n]);
    expect(vals(run1('BitwiseNot', [t('uint8', [2], [0, 0xf0])]))).toEqual([255, 0x0f]);
    expect(vals(run1('BitwiseNot', [t('uint64', [1], [0n])]))).toEqual([2n ** 64n - 1n]);
    expect(vals(run1('BitwiseNot', [t('int32', [1], [5])]))).toEqual([-6]);
  });
  it('reject floats', () => {
    expect(() => run1('BitwiseAnd', [f32([1], [1]), f32([1], [1])])).toThrow(KilnError);
  });
});

describe('Sum/Mean/Max/Min', () => {
  it('broadcast any number of inputs', () => {
    const a = f32([2, 1], [1, 2]);
    const b = f32([3], [10, 20, 30]);
    const c = f32([], [100]);
    expectClose(run1('Sum', [a, b, c]), [2, 3], [111, 121, 131, 112, 122, 132]);
    expectClose(run1('Mean', [a, b, c]), [2, 3], [37, 121 / 3, 131 / 3, 112 / 3, 122 / 3, 44]);
    expectClose(run1('Max', [f32([3], [1, 5, 3]), f32([3], [4, 2, 3]), f32([1], [2])]), [3], [4, 5, 3]);
    expectClose(run1('Min', [f32([3], [1, 5, 3]), f32([3], [4, 2, 3])]), [3], [1, 2, 3]);
  });
  it('propagate NaN in Max and Min', () => {
    expectClose(run1('Max', [f32([3], [NaN, 1, 2]), f32([3], [1, NaN, 1])]), [3], [NaN, NaN, 2]);
    expectClose(run1('Min', [f32([2], [NaN, 1]), f32([2], [1, NaN])]), [2], [NaN, NaN]);
  });
  it('handle integer Max/Min exactly and copy a single input', () => {
    expect(vals(run1('Max', [t('int64', [2], [2n ** 62n, -5n]), t('int64', [2], [1n, -4n])]))).toEqual([
      2n ** 62n,
      -4n,
    ]);
    expect(vals(run1('Min', [t('uint8', [2], [200, 3]), t('uint8', [2], [100, 4])]))).toEqual([100, 3]);
    const x = f32([2], [1, 2]);
    const y = run1('Sum', [x]);
    expect(vals(y)).toEqual([1, 2]);
    expect(y.data).not.toBe(x.data);
  });
  it('check types and infer broadcast shapes', () => {
    expect(() => run1('Sum', [t('int32', [1], [1]), t('int32', [1], [1])])).toThrow(KilnError);
    expect(() => run1('Max', [f32([1], [1]), t('float64', [1], [1])])).toThrow(/different types/);
    expect(() => run1('Sum', [])).toThrow(/at least one input/);
    expect(infer1('Max', [ti('float32', ['N', 1]), ti('float32', [4]), ti('float32', [])])).toEqual(
      ti('float32', ['N', 4]),
    );
  });
});

describe('comparison and logic', () => {
  const a = f32([4], [1, 2, 3, NaN]);
  const b = f32([4], [2, 2, 2, NaN]);
  it('compare with broadcasting into bool', () => {
    expect(vals(run1('Equal', [a, b]))).toEqual([0, 1, 0, 0]);
    expect(vals(run1('Greater', [a, b]))).toEqual([0, 0, 1, 0]);
    expect(vals(run1('GreaterOrEqual', [a, b]))).toEqual([0, 1, 1, 0]);
    expect(vals(run1('Less', [a, b]))).toEqual([1, 0, 0, 0]);
    expect(vals(run1('LessOrEqual', [a, b]))).toEqual([1, 1, 0, 0]);
    expect(vals(run1('Less', [t('int64', [2, 1], [1n, 5n]), t('int64', [2], [3n, 4n])]))).toEqual([
      1, 1, 0, 0,
    ]);
    expect(
      vals(
        run1('Equal', [
          t('string', [2], ['a', 'b'] as unknown as number[]),
          t('string', [1], ['b'] as unknown as number[]),
        ]),
      ),
    ).toEqual([0, 1]);
    expect(run1('Equal', [a, b]).dtype).toBe('bool');
  });
  it('combine booleans', () => {
    const p = t('bool', [4], [0, 0, 1, 1]);
    const q = t('bool', [4], [0, 1, 0, 1]);
    expect(vals(run1('And', [p, q]))).toEqual([0, 0, 0, 1]);
    expect(vals(run1('Or', [p, q]))).toEqual([0, 1, 1, 1]);
    expect(vals(run1('Xor', [p, q]))).toEqual([0, 1, 1, 0]);
    expect(vals(run1('Not', [p]))).toEqual([1, 1, 0, 0]);
    expect(
      vals(
        run1(
          'And',
          [t('bool', [2, 3], [1, 1, 1, 0, 0, 0]), t('bool', [3], [1, 0, 1])],
          { broadcast: int(1) },
          6,
        ),
      ),
    ).toEqual([1, 0, 1, 0, 0, 0]);
    expect(() => run1('And', [f32([1], [1]), f32([1], [1])])).toThrow(KilnError);
  });
  it('select with Where', () => {
    const c = t('bool', [2, 1], [1, 0]);
    expectClose(run1('Where', [c, f32([2], [1, 2]), f32([], [9])]), [2, 2], [1, 2, 9, 9]);
    expect(
      vals(run1('Where', [t('bool', [2], [0, 1]), t('int64', [2], [1n, 2n]), t('int64', [2], [3n, 4n])])),
    ).toEqual([3n, 2n]);
    expect(() => run1('Where', [f32([1], [1]), f32([1], [1]), f32([1], [1])])).toThrow(KilnError);
    expect(infer1('Where', [ti('bool', ['N', 1]), ti('float32', [3]), ti('float32', [])])).toEqual(
      ti('float32', ['N', 3]),
    );
  });
  it('infer bool outputs', () => {
    expect(infer1('Greater', [ti('float32', ['N', 2]), ti('float32', [2])])).toEqual(ti('bool', ['N', 2]));
    expect(() => infer1('Less', [ti('float32', [2]), ti('int32', [2])])).toThrow(KilnError);
  });
});
