import { describe, expect, it } from 'vitest';
import { tensorFrom } from '../../../../../runtime/tensor.js';
import { infer, run, vals } from './helpers.js';

describe('ArgMax/ArgMin', () => {
  const x = () => tensorFrom('float32', [2, 3], [1, 5, 5, 7, 2, 7]);
  it('returns first or last index of ties', () => {
    expect(vals(run('ArgMax', [x()], { axis: 1 })[0]!)).toEqual([1, 0]);
    expect(vals(run('ArgMax', [x()], { axis: 1, select_last_index: 1 })[0]!)).toEqual([2, 2]);
    const [y] = run('ArgMin', [x()], { axis: -2, keepdims: 0 });
    expect(y!.dtype).toBe('int64');
    expect(y!.shape).toEqual([3]);
    expect(vals(y!)).toEqual([0, 1, 0]);
  });
  it('infers int64 with kept or dropped axis', () => {
    expect(infer('ArgMax', [{ dtype: 'float32', shape: ['B', 4] }], { axis: 1 })).toEqual([
      { dtype: 'int64', shape: ['B', 1] },
    ]);
    expect(infer('ArgMin', [{ dtype: 'float32', shape: ['B', 4] }], { keepdims: 0 })).toEqual([
      { dtype: 'int64', shape: [4] },
    ]);
  });
});

describe('TopK', () => {
  const x = () => tensorFrom('float32', [2, 4], [3, 1, 3, 2, 0, 9, 8, 9]);
  const k = (v: number) => tensorFrom('int64', [1], [v]);
  it('returns the largest values, ties by lower index', () => {
    const [v, i] = run('TopK', [x(), k(2)], {}, 11, 2);
    expect(v!.shape).toEqual([2, 2]);
    expect(vals(v!)).toEqual([3, 3, 9, 9]);
    expect(vals(i!)).toEqual([0, 2, 1, 3]);
  });
  it('returns the smallest along axis 0', () => {
    const [v, i] = run('TopK', [x(), k(1)], { axis: 0, largest: 0 }, 11, 2);
    expect(vals(v!)).toEqual([0, 1, 3, 2]);
    expect(vals(i!)).toEqual([1, 0, 0, 0]);
  });
  it('reads k from the attribute before opset 10 and rejects k beyond the axis', () => {
    expect(vals(run('TopK', [x()], { k: 1 }, 1, 2)[1]!)).toEqual([0, 1]);
    expect(() => run('TopK', [x(), k(5)], {}, 11, 2)).toThrow(/out of range/);
  });
  it('infers k from a constant', () => {
    const out = infer(
      'TopK',
      [
        { dtype: 'float32', shape: ['N', 4] },
        { dtype: 'int64', shape: [1] },
      ],
      {},
      11,
      [undefined, k(3)],
    );
    expect(out).toEqual([
      { dtype: 'float32', shape: ['N', 3] },
      { dtype: 'int64', shape: ['N', 3] },
    ]);
  });
});

describe('CumSum', () => {
  const x = () => tensorFrom('float64', [2, 3], [1, 2, 3, 4, 5, 6]);
  const ax = (a: number) => tensorFrom('int32', [], [a]);
  it('sums along an axis with exclusive/reverse', () => {
    expect(vals(run('CumSum', [x(), ax(1)])[0]!)).toEqual([1, 3, 6, 4, 9, 15]);
    expect(vals(run('CumSum', [x(), ax(-1)], { exclusive: 1 })[0]!)).toEqual([0, 1, 3, 0, 4, 9]);
    expect(vals(run('CumSum', [x(), ax(1)], { reverse: 1 })[0]!)).toEqual([6, 5, 3, 15, 11, 6]);
    expect(vals(run('CumSum', [x(), ax(1)], { reverse: 1, exclusive: 1 })[0]!)).toEqual([5, 3, 0, 11, 6, 0]);
    expect(vals(run('CumSum', [x(), ax(0)])[0]!)).toEqual([1, 2, 3, 5, 7, 9]);
  });
  it('keeps int64 exact', () => {
    const t = tensorFrom('int64', [2], [2n ** 60n, 3n]);
    expect(Array.from(run('CumSum', [t, ax(0)])[0]!.data as BigInt64Array)).toEqual([
      2n ** 60n,
      2n ** 60n + 3n,
    ]);
  });
});

describe('Range', () => {
  const s = (d: 'float32' | 'int32' | 'int64', v: number) => tensorFrom(d, [], [v]);
  it('counts ceil((limit - start) / delta) elements', () => {
    expect(vals(run('Range', [s('float32', 1), s('float32', 2), s('float32', 0.25)])[0]!)).toEqual([
      1, 1.25, 1.5, 1.75,
    ]);
    expect(vals(run('Range', [s('int32', 10), s('int32', 4), s('int32', -3)])[0]!)).toEqual([10, 7]);
    expect(vals(run('Range', [s('int64', 10), s('int64', 4), s('int64', -4)])[0]!)).toEqual([10, 6]);
    expect(run('Range', [s('int64', 1), s('int64', 0), s('int64', 1)])[0]!.shape).toEqual([0]);
  });
  it('rejects zero delta and infers the length from constants', () => {
    expect(() => run('Range', [s('int32', 0), s('int32', 1), s('int32', 0)])).toThrow(/delta/);
    const t = { dtype: 'int32' as const, shape: [] };
    expect(infer('Range', [t, t, t], {}, 11, [s('int32', 0), s('int32', 5), s('int32', 2)])).toEqual([
      { dtype: 'int32', shape: [3] },
    ]);
  });
});
