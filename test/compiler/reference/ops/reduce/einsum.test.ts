import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../../../runtime/errors.js';
import { tensorFrom } from '../../../../../runtime/tensor.js';
import { infer, run, vals } from './helpers.js';

const a = () => tensorFrom('float32', [2, 3], [1, 2, 3, 4, 5, 6]);
const b = () => tensorFrom('float32', [3, 2], [1, 0, 0, 1, 1, 1]);

describe('Einsum', () => {
  it('matmul, explicit and implicit', () => {
    // [[1+3, 2+3], [4+6, 5+6]]
    const [y] = run('Einsum', [a(), b()], { equation: 'ij,jk->ik' });
    expect(y!.shape).toEqual([2, 2]);
    expect(vals(y!)).toEqual([4, 5, 10, 11]);
    expect(vals(run('Einsum', [a(), b()], { equation: 'ij,jk' })[0]!)).toEqual([4, 5, 10, 11]);
  });
  it('transpose, sums, traces and diagonals', () => {
    expect(vals(run('Einsum', [a()], { equation: 'ij->ji' })[0]!)).toEqual([1, 4, 2, 5, 3, 6]);
    // implicit 'ba' output is 'ab', the transpose of the operand read as 'ba'
    expect(vals(run('Einsum', [a()], { equation: 'ba' })[0]!)).toEqual([1, 4, 2, 5, 3, 6]);
    expect(vals(run('Einsum', [a()], { equation: 'ij->i' })[0]!)).toEqual([6, 15]);
    expect(vals(run('Einsum', [a()], { equation: 'ij->' })[0]!)).toEqual([21]);
    const sq = tensorFrom('float32', [2, 2], [1, 2, 3, 4]);
    expect(vals(run('Einsum', [sq], { equation: 'ii' })[0]!)).toEqual([5]);
    expect(vals(run('Einsum', [sq], { equation: 'ii->i' })[0]!)).toEqual([1, 4]);
  });
  it('batch matmul with ellipsis broadcasting', () => {
    const x = tensorFrom('float32', [2, 1, 2], [1, 2, 3, 4]);
    const w = tensorFrom('float32', [2, 1], [10, 1]);
    const [y] = run('Einsum', [x, w], { equation: '...ij,jk->...ik' });
    expect(y!.shape).toEqual([2, 1, 1]);
    expect(vals(y!)).toEqual([12, 34]);
    // ellipsis dims broadcast 1 against 3
    const p = tensorFrom('int64', [1, 2], [1, 2]);
    const q = tensorFrom('int64', [3, 2], [1, 1, 2, 2, 3, 3]);
    expect(vals(run('Einsum', [p, q], { equation: '...i,...i->...' })[0]!)).toEqual([3, 6, 9]);
  });
  it('outer product and dot product', () => {
    const u = tensorFrom('int32', [2], [1, 2]);
    const v = tensorFrom('int32', [3], [3, 4, 5]);
    expect(vals(run('Einsum', [u, v], { equation: 'i,j->ij' })[0]!)).toEqual([3, 4, 5, 6, 8, 10]);
    expect(vals(run('Einsum', [u, u], { equation: 'i,i' })[0]!)).toEqual([5]);
  });
  it('rejects malformed equations and mismatched sizes', () => {
    expect(() => run('Einsum', [a(), a()], { equation: 'ij,jk->ik' })).toThrow(KilnError);
    expect(() => run('Einsum', [a()], { equation: 'ijk->i' })).toThrow(/rank/);
    expect(() => run('Einsum', [a()], { equation: 'ij->q' })).toThrow(/does not appear/);
  });
  it('infers the output shape', () => {
    const out = infer(
      'Einsum',
      [
        { dtype: 'float32', shape: ['B', 'M', 'K'] },
        { dtype: 'float32', shape: ['B', 'K', 7] },
      ],
      { equation: 'bmk,bkn->bnm' },
    );
    expect(out).toEqual([{ dtype: 'float32', shape: ['B', 7, 'M'] }]);
  });
});
