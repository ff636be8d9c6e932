import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../../../runtime/errors.js';
import { tensorFrom } from '../../../../../runtime/tensor.js';
import { expectClose, infer, run, vals } from './helpers.js';

// x = [[1, 2, 3], [4, 5, 6]]
const x = () => tensorFrom('float32', [2, 3], [1, 2, 3, 4, 5, 6]);
const axes = (a: number[]) => tensorFrom('int64', [a.length], a);

describe('Reduce* ops', () => {
  it('ReduceSum over axis 1 with keepdims, axes as input (opset 13)', () => {
    const [y] = run('ReduceSum', [x(), axes([1])], {}, 13);
    expect(y!.shape).toEqual([2, 1]);
    expect(vals(y!)).toEqual([6, 15]);
  });

  it('ReduceSum with axes attribute before opset 13 and negative axis', () => {
    const [y] = run('ReduceSum', [x()], { axes: [-2], keepdims: 0 }, 11);
    expect(y!.shape).toEqual([3]);
    expect(vals(y!)).toEqual([5, 7, 9]);
  });

  it('reduces all axes when axes are omitted; noop_with_empty_axes keeps the input', () => {
    expect(vals(run('ReduceSum', [x()], { keepdims: 0 }, 13)[0]!)).toEqual([21]);
    const [noop] = run('ReduceSum', [x(), axes([])], { noop_with_empty_axes: 1 }, 13);
    expect(noop!.shape).toEqual([2, 3]);
    expect(vals(noop!)).toEqual([1, 2, 3, 4, 5, 6]);
    // ReduceSumSquare over no axes squares each element (as the ONNX reference does).
    expect(vals(run('ReduceSumSquare', [x()], { noop_with_empty_axes: 1 }, 18)[0]!)).toEqual([
      1, 4, 9, 16, 25, 36,
    ]);
  });

  it('computes each reduction over axis 0', () => {
    const r = (op: string) => vals(run(op, [x()], { axes: [0], keepdims: 0 }, 13)[0]!);
    expect(r('ReduceMean')).toEqual([2.5, 3.5, 4.5]);
    expect(r('ReduceMax')).toEqual([4, 5, 6]);
    expect(r('ReduceMin')).toEqual([1, 2, 3]);
    expect(r('ReduceProd')).toEqual([4, 10, 18]);
    expect(r('ReduceL1')).toEqual([5, 7, 9]);
    expectClose(r('ReduceL2'), [Math.sqrt(17), Math.sqrt(29), Math.sqrt(45)]);
    expectClose(r('ReduceLogSum'), [Math.log(5), Math.log(7), Math.log(9)]);
    expectClose(
      r('ReduceLogSumExp'),
      [1, 2, 3].map((v) => Math.log(Math.exp(v) + Math.exp(v + 3))),
    );
    expect(r('ReduceSumSquare')).toEqual([17, 29, 45]);
  });

  it('ReduceLogSumExp does not overflow for large inputs', () => {
    const big = tensorFrom('float32', [2], [1000, 1000]);
    expectClose(vals(run('ReduceLogSumExp', [big], { keepdims: 0 }, 13)[0]!), [1000 + Math.log(2)]);
  });

  it('empty reductions give the identity of each op', () => {
    const e = tensorFrom('float32', [2, 0], []);
    const r = (op: string) => vals(run(op, [e, axes([1])], { keepdims: 0 }, 18)[0]!);
    expect(r('ReduceSum')).toEqual([0, 0]);
    expect(r('ReduceProd')).toEqual([1, 1]);
    expect(r('ReduceMax')).toEqual([-Infinity, -Infinity]);
    expect(r('ReduceMin')).toEqual([Infinity, Infinity]);
    expect(r('ReduceLogSumExp')).toEqual([-Infinity, -Infinity]);
    const ei = tensorFrom('int32', [0, 3], []);
    expect(vals(run('ReduceMax', [ei, axes([0])], { keepdims: 1 }, 18)[0]!)).toEqual([
      -(2 ** 31),
      -(2 ** 31),
      -(2 ** 31),
    ]);
  });

  it('reduces int64 exactly beyond 2^53', () => {
    const big = tensorFrom('int64', [2], [2n ** 60n, 1n]);
    const [y] = run('ReduceSum', [big], { keepdims: 0 }, 13);
    expect(y!.dtype).toBe('int64');
    expect((y!.data as BigInt64Array)[0]).toBe(2n ** 60n + 1n);
    expect(
      (
        run('ReduceMean', [tensorFrom('int64', [2], [3n, 4n])], { keepdims: 0 }, 13)[0]!.data as BigInt64Array
      )[0],
    ).toBe(3n);
  });

  it('wraps narrow integer results exactly like integer kernels', () => {
    const p = tensorFrom('int32', [3], [65536, 65536, 3]);
    expect(vals(run('ReduceProd', [p], { keepdims: 0 }, 13)[0]!)).toEqual([0]);
    // 46341^2 = 2147488281 overflows int32 to -2147479015
    expect(
      vals(run('ReduceSumSquare', [tensorFrom('int32', [1], [46341])], { keepdims: 0 }, 13)[0]!),
    ).toEqual([-2147479015]);
    expect(vals(run('ReduceSum', [tensorFrom('int8', [2], [100, 100])], { keepdims: 0 }, 13)[0]!)).toEqual([
      -56,
    ]);
    expect(vals(run('ReduceSum', [tensorFrom('uint8', [2], [200, 100])], { keepdims: 0 }, 13)[0]!)).toEqual([
      44,
    ]);
  });

  it('rejects repeated and out-of-range axes and misplaced axes', () => {
    expect(() => run('ReduceSum', [x(), axes([1, -1])], {}, 13)).toThrow(KilnError);
    expect(() => run('ReduceMax', [x()], { axes: [2] }, 13)).toThrow(/out of range/);
    expect(() => run('ReduceMax', [x()], { axes: [0] }, 18)).toThrow(/input 1/);
  });

  it('propagates NaN in ReduceMax', () => {
    const t = tensorFrom('float32', [3], [1, NaN, 3]);
    expect(Number.isNaN(vals(run('ReduceMax', [t], {}, 13)[0]!)[0]!)).toBe(true);
  });

  it('infers shapes with symbolic dims, constant axes and unknown axes', () => {
    const xt = { dtype: 'float32' as const, shape: ['N', 3, 4] };
    expect(infer('ReduceMean', [xt], { axes: [-1], keepdims: 0 }, 13)).toEqual([
      { dtype: 'float32', shape: ['N', 3] },
    ]);
    expect(infer('ReduceSum', [xt, { dtype: 'int64', shape: [1] }], {}, 13, [undefined, axes([1])])).toEqual([
      { dtype: 'float32', shape: ['N', 1, 4] },
    ]);
    expect(
      infer('ReduceSum', [xt, { dtype: 'int64', shape: [2] }], { keepdims: 0 }, 13)[0]!.shape,
    ).toHaveLength(1);
    expect(infer('ReduceMax', [xt], { keepdims: 1 }, 18)).toEqual([{ dtype: 'float32', shape: [1, 1, 1] }]);
  });
});
