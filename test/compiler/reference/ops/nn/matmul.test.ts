import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../../../runtime/errors.js';
import { expectClose, f32, float, infer, int, rand, run1, t, ti } from './helpers.js';

/** Naive numpy-style reference for 2-D matrices. */
function naive(a: number[], b: number[], M: number, K: number, N: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[i * K + k]! * b[k * N + j]!;
      out.push(s);
    }
  return out;
}

describe('MatMul', () => {
  it('multiplies 2-D matrices', () => {
    const y = run1('MatMul', [f32([2, 3], [1, 2, 3, 4, 5, 6]), f32([3, 2], [7, 8, 9, 10, 11, 12])]);
    expectClose(y, [2, 2], [58, 64, 139, 154]);
  });

  it('promotes 1-D operands and drops the promoted axis', () => {
    expectClose(run1('MatMul', [f32([3], [1, 2, 3]), f32([3, 2], [1, 0, 0, 1, 1, 1])]), [2], [4, 5]);
    expectClose(run1('MatMul', [f32([2, 3], [1, 2, 3, 4, 5, 6]), f32([3], [1, 1, 1])]), [2], [6, 15]);
    expectClose(run1('MatMul', [f32([3], [1, 2, 3]), f32([3], [4, 5, 6])]), [], [32]);
  });

  it('broadcasts batch dimensions', () => {
    const a = rand(2 * 1 * 2 * 3, 3);
    const b = rand(3 * 3 * 4, 5);
    const y = run1('MatMul', [f32([2, 1, 2, 3], a), f32([3, 3, 4], b)]);
    const exp: number[] = [];
    const af = Float32Array.from(a);
    const bf = Float32Array.from(b);
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 3; j++)
        exp.push(...naive([...af.slice(i * 6, i * 6 + 6)], [...bf.slice(j * 12, j * 12 + 12)], 2, 3, 4));
    expectClose(y, [2, 3, 2, 4], exp);
  });

  it('computes int64 exactly with wrap-around', () => {
    const y = run1('MatMul', [t('int64', [1, 2], [2n ** 40n, 3n]), t('int64', [2, 1], [2n ** 30n, 5n])]);
    expect([...(y.data as BigInt64Array)]).toEqual([BigInt.asIntN(64, 2n ** 70n + 15n)]);
    const z = run1('MatMul', [t('int32', [1, 1], [65536]), t('int32', [1, 1], [65536])]);
    expect([...(z.data as Int32Array)]).toEqual([0]);
  });

  it('rejects mismatched inner dimensions with a KilnError', () => {
    expect(() => run1('MatMul', [f32([2, 3], rand(6)), f32([2, 2], rand(4))])).toThrow(KilnError);
  });

  it('infers symbolic batch shapes', () => {
    expect(infer('MatMul', [ti('float32', ['N', 1, 4, 3]), ti('float32', [5, 3, 7])])).toEqual([
      ti('float32', ['N', 5, 4, 7]),
    ]);
    expect(infer('MatMul', [ti('float32', [3]), ti('float32', ['B', 3, 7])])).toEqual([
      ti('float32', ['B', 7]),
    ]);
    expect(() => infer('MatMul', [ti('float32', [2, 3]), ti('float32', [4, 5])])).toThrow(KilnError);
  });
});

describe('Gemm', () => {
  const A = [1, 2, 3, 4, 5, 6]; // 2x3
  const B = [1, 0, 2, 1, 0, 3, 1, 1, 1, 2, 2, 2]; // 3x4
  it('applies alpha, beta and a broadcast C', () => {
    const y = run1('Gemm', [f32([2, 3], A), f32([3, 4], B), f32([4], [1, 2, 3, 4])], {
      alpha: float(2),
      beta: float(0.5),
    });
    const p = naive(A, B, 2, 3, 4);
    expectClose(
      y,
      [2, 4],
      p.map((v, i) => 2 * v + 0.5 * [1, 2, 3, 4][i % 4]!),
    );
  });

  it('transposes A and B', () => {
    // A^T given as 3x2, B^T given as 4x3.
    const At: number[] = [];
    for (let k = 0; k < 3; k++) for (let i = 0; i < 2; i++) At.push(A[i * 3 + k]!);
    const Bt: number[] = [];
    for (let j = 0; j < 4; j++) for (let k = 0; k < 3; k++) Bt.push(B[k * 4 + j]!);
    const y = run1('Gemm', [f32([3, 2], At), f32([4, 3], Bt)], { transA: int(1), transB: int(1) });
    expectClose(y, [2, 4], naive(A, B, 2, 3, 4));
  });

  it('infers [M, N]', () => {
    expect(infer('Gemm', [ti('float32', ['M', 3]), ti('float32', [5, 3])], { transB: int(1) })).toEqual([
      ti('float32', ['M', 5]),
    ]);
    expect(() => infer('Gemm', [ti('float32', ['M', 3]), ti('float32', [4, 5])])).toThrow(KilnError);
  });
});
