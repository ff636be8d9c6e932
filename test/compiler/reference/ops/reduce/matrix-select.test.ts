import { describe, expect, it } from 'vitest';
import { tensorFrom } from '../../../../../runtime/tensor.js';
import { expectClose, infer, run, vals } from './helpers.js';

const m = () => tensorFrom('int64', [3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]);

describe('Trilu', () => {
  it('keeps the upper or lower triangle relative to diagonal k', () => {
    expect(vals(run('Trilu', [m()])[0]!)).toEqual([1, 2, 3, 0, 5, 6, 0, 0, 9]);
    expect(vals(run('Trilu', [m()], { upper: 0 })[0]!)).toEqual([1, 0, 0, 4, 5, 0, 7, 8, 9]);
    const k = tensorFrom('int64', [], [1]);
    expect(vals(run('Trilu', [m(), k])[0]!)).toEqual([0, 2, 3, 0, 0, 6, 0, 0, 0]);
    expect(vals(run('Trilu', [m(), tensorFrom('int64', [], [-1])], { upper: 0 })[0]!)).toEqual([
      0, 0, 0, 4, 0, 0, 7, 8, 0,
    ]);
  });
});

describe('Det', () => {
  it('computes batched determinants with pivoting', () => {
    const x = tensorFrom('float32', [2, 2, 2], [0, 1, 1, 0, 2, 1, 1, 3]);
    const [y] = run('Det', [x]);
    expect(y!.shape).toEqual([2]);
    expectClose(vals(y!), [-1, 5]);
    const x3 = tensorFrom('float64', [3, 3], [2, -3, 1, 2, 0, -1, 1, 4, 5]);
    expectClose(vals(run('Det', [x3])[0]!), [49]);
    expect(() => run('Det', [tensorFrom('float32', [2, 3], [1, 2, 3, 4, 5, 6])])).toThrow(/square/);
  });
});

describe('EyeLike', () => {
  it('puts ones on diagonal k in the requested dtype', () => {
    const x = tensorFrom('float32', [2, 3], [9, 9, 9, 9, 9, 9]);
    expect(vals(run('EyeLike', [x])[0]!)).toEqual([1, 0, 0, 0, 1, 0]);
    const [y] = run('EyeLike', [x], { k: 1, dtype: 7 });
    expect(y!.dtype).toBe('int64');
    expect(vals(y!)).toEqual([0, 1, 0, 0, 0, 1]);
  });
});

describe('NonZero / Compress / Unique / OneHot', () => {
  it('NonZero lists coordinates in row-major order', () => {
    const x = tensorFrom('float32', [2, 2], [1, 0, 0, 3]);
    const [y] = run('NonZero', [x]);
    expect(y!.shape).toEqual([2, 2]);
    expect(vals(y!)).toEqual([0, 1, 0, 1]);
  });
  it('Compress selects along an axis or the flattened input', () => {
    const x = tensorFrom('float32', [3, 2], [1, 2, 3, 4, 5, 6]);
    const c = tensorFrom('bool', [3], [0, 1, 1]);
    expect(vals(run('Compress', [x, c], { axis: 0 })[0]!)).toEqual([3, 4, 5, 6]);
    expect(vals(run('Compress', [x, tensorFrom('bool', [2], [0, 1])], { axis: -1 })[0]!)).toEqual([2, 4, 6]);
    expect(vals(run('Compress', [x, c])[0]!)).toEqual([2, 3]);
    expect(() => run('Compress', [x, tensorFrom('bool', [3], [0, 0, 1])], { axis: 1 })).toThrow(/beyond/);
  });
  it('Unique returns values, first indices, inverse and counts', () => {
    const x = tensorFrom('float32', [6], [2, 1, 1, 3, 4, 3]);
    const [y, idx, inv, cnt] = run('Unique', [x], { sorted: 1 }, 11, 4);
    expect(vals(y!)).toEqual([1, 2, 3, 4]);
    expect(vals(idx!)).toEqual([1, 0, 3, 4]);
    expect(vals(inv!)).toEqual([1, 0, 0, 2, 3, 2]);
    expect(vals(cnt!)).toEqual([2, 1, 2, 1]);
    const [yu, , invu] = run('Unique', [x], { sorted: 0 }, 11, 4);
    expect(vals(yu!)).toEqual([2, 1, 3, 4]);
    expect(vals(invu!)).toEqual([0, 1, 1, 2, 3, 2]);
  });
  it('Unique along an axis compares whole slices', () => {
    const x = tensorFrom('int32', [3, 2], [1, 0, 0, 1, 1, 0]);
    const [y, idx, inv, cnt] = run('Unique', [x], { axis: 0 }, 11, 4);
    expect(y!.shape).toEqual([2, 2]);
    expect(vals(y!)).toEqual([0, 1, 1, 0]);
    expect(vals(idx!)).toEqual([1, 0]);
    expect(vals(inv!)).toEqual([1, 0, 1]);
    expect(vals(cnt!)).toEqual([1, 2]);
  });
  it('OneHot places on_value at each index along the axis', () => {
    const ind = tensorFrom('int64', [3], [0, 2, -1]);
    const depth = tensorFrom('float32', [], [3]);
    const values = tensorFrom('float32', [2], [0, 5]);
    expect(vals(run('OneHot', [ind, depth, values], {}, 11)[0]!)).toEqual([5, 0, 0, 0, 0, 5, 0, 0, 5]);
    // axis 0: output [depth, 3], column j holds the one-hot of index j
    expect(vals(run('OneHot', [ind, depth, values], { axis: 0 }, 11)[0]!)).toEqual([
      5, 0, 0, 0, 0, 0, 0, 5, 5,
    ]);
    expect(
      infer(
        'OneHot',
        [
          { dtype: 'int64', shape: ['N'] },
          { dtype: 'float32', shape: [] },
          { dtype: 'float32', shape: [2] },
        ],
        {},
        11,
        [undefined, depth],
      ),
    ).toEqual([{ dtype: 'float32', shape: ['N', 3] }]);
  });
});
