/** Constant, ConstantOfShape, Identity, Shape, Size, Reshape, Flatten, Squeeze, Unsqueeze: run + infer. */
import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../../../runtime/errors.js';
import { Tensor } from '../../../../../runtime/tensor.js';
import { OptionalValue, TensorSequence } from '../../../../../compiler/reference/value.js';
import { expectTensor, f32, i64, infer1, int, ints, iota, opDef, run1, t, ti, vals } from './helpers.js';

describe('Constant', () => {
  it('produces each value attribute form', () => {
    expectTensor(run1('Constant', [], { value_floats: { type: 'floats', value: [1.5, 2] } }), [2], [1.5, 2]);
    const vi = run1('Constant', [], { value_int: int(7) });
    expect(vi.dtype).toBe('int64');
    expect([...vi.shape]).toEqual([]);
    expect(vi.data[0]).toBe(7n);
    const vs = run1('Constant', [], { value_strings: { type: 'strings', value: ['a', 'b'] } });
    expect(vs.data).toEqual(['a', 'b']);
    const sp = run1('Constant', [], { sparse_value: { type: 'sparse_tensor', value: f32([3], [0, 4, 0]) } });
    expectTensor(sp, [3], [0, 4, 0]);
  });
  it('rejects zero or several value attributes', () => {
    expect(() => run1('Constant', [], {})).toThrow(KilnError);
    expect(() =>
      run1('Constant', [], { value_int: int(1), value_float: { type: 'float', value: 1 } }),
    ).toThrow(/several value attributes/);
  });
  it('infers the attribute type', () => {
    expect(infer1('Constant', [], { value_ints: ints([1, 2, 3]) })).toEqual(ti('int64', [3]));
  });
});

describe('ConstantOfShape', () => {
  it('fills with the value attribute', () => {
    const out = run1('ConstantOfShape', [i64([2, 3])], {
      value: { type: 'tensor', value: t('int32', [1], [5]) },
    });
    expect(out.dtype).toBe('int32');
    expectTensor(out, [2, 3], [5, 5, 5, 5, 5, 5]);
    expectTensor(run1('ConstantOfShape', [i64([2, 0])]), [2, 0], []);
  });
  it('infers from a constant shape, or only the rank', () => {
    expect(infer1('ConstantOfShape', [ti('int64', [2])], {}, { constants: [i64([4, 5])] })).toEqual(
      ti('float32', [4, 5]),
    );
    expect(infer1('ConstantOfShape', [ti('int64', [2])])).toEqual(ti('float32', ['unk__0', 'unk__1']));
  });
});

describe('Identity', () => {
  it('passes tensors, sequences and optionals through', () => {
    const x = f32([2], [1, 2]);
    const ctx = {
      node: { name: 'n', op: 'Identity', domain: '', inputs: ['a'], outputs: ['b'], attrs: {} },
      opset: 21,
      runSubgraph: () => [],
    };
    const out = opDef('Identity').runValues!([x], ctx)[0] as Tensor;
    expectTensor(out, [2], [1, 2]);
    expect(out.data).not.toBe(x.data);
    const seq = opDef('Identity').runValues!([new TensorSequence('float32', [x])], ctx)[0] as TensorSequence;
    expect(seq.items).toHaveLength(1);
    const opt = opDef('Identity').runValues!(
      [new OptionalValue(undefined, 'float32')],
      ctx,
    )[0] as OptionalValue;
    expect(opt.value).toBeUndefined();
  });
});

describe('Shape and Size', () => {
  const x = f32([2, 3, 4], iota(24));
  it('Shape with start/end (opset 15) and without (opset 13)', () => {
    expect(vals(run1('Shape', [x]))).toEqual([2, 3, 4]);
    expect(vals(run1('Shape', [x], { start: int(-2) }))).toEqual([3, 4]);
    expect(vals(run1('Shape', [x], { start: int(1), end: int(-1) }))).toEqual([3]);
    expect(vals(run1('Shape', [x], { start: int(-10), end: int(10) }))).toEqual([2, 3, 4]);
    expect(vals(run1('Shape', [x], { start: int(2), end: int(1) }))).toEqual([]);
    expect(vals(run1('Shape', [x], { start: int(1) }, 13))).toEqual([2, 3, 4]);
    expect(infer1('Shape', [ti('float32', ['N', 3, 4])], { end: int(-1) })).toEqual(ti('int64', [2]));
  });
  it('Size', () => {
    const s = run1('Size', [x]);
    expect([...s.shape]).toEqual([]);
    expect(s.data[0]).toBe(24n);
  });
});

describe('Reshape', () => {
  const x = f32([2, 3, 4], iota(24));
  it('copies 0 dims, infers -1, honours allowzero', () => {
    expectTensor(run1('Reshape', [x, i64([0, -1])]), [2, 12], iota(24));
    expectTensor(run1('Reshape', [x, i64([4, 0, -1])]), [4, 3, 2], iota(24));
    const empty = f32([0, 3], []);
    expectTensor(run1('Reshape', [empty, i64([3, 0])], { allowzero: int(1) }), [3, 0], []);
    expect(() => run1('Reshape', [x, i64([5, -1])])).toThrow(/cannot reshape/);
    expect(() => run1('Reshape', [x, i64([-1, -1])])).toThrow(/more than one -1/);
  });
  it('reads the shape attribute before opset 5', () => {
    expectTensor(run1('Reshape', [x], { shape: ints([6, 4]) }, 4), [6, 4], iota(24));
  });
  it('infers symbolic dims by cancelling symbols', () => {
    const c = (s: number[]) => ({ constants: [undefined, i64(s)] });
    expect(infer1('Reshape', [ti('float32', ['N', 3, 4]), ti('int64', [2])], {}, c([0, -1]))).toEqual(
      ti('float32', ['N', 12]),
    );
    expect(infer1('Reshape', [ti('float32', ['N', 3, 4]), ti('int64', [3])], {}, c([-1, 4, 3]))).toEqual(
      ti('float32', ['N', 4, 3]),
    );
    expect(infer1('Reshape', [ti('float32', ['N', 'M']), ti('int64', [1])], {}, c([-1]))).toEqual(
      ti('float32', ['unk__0']),
    );
    expect(infer1('Reshape', [ti('float32', ['N', 4]), ti('int64', [2])])).toEqual(
      ti('float32', ['unk__0', 'unk__1']),
    );
  });
});

describe('Flatten', () => {
  const x = f32([2, 3, 4], iota(24));
  it('flattens at the axis, including 0, rank and negatives', () => {
    expectTensor(run1('Flatten', [x]), [2, 12], iota(24));
    expectTensor(run1('Flatten', [x], { axis: int(0) }), [1, 24], iota(24));
    expectTensor(run1('Flatten', [x], { axis: int(3) }), [24, 1], iota(24));
    expectTensor(run1('Flatten', [x], { axis: int(-1) }), [6, 4], iota(24));
    expect(() => run1('Flatten', [x], { axis: int(4) })).toThrow(KilnError);
  });
  it('keeps a lone symbol', () => {
    expect(infer1('Flatten', [ti('float32', ['N', 3, 4])])).toEqual(ti('float32', ['N', 12]));
  });
});

describe('Squeeze and Unsqueeze', () => {
  const x = f32([1, 3, 1], [1, 2, 3]);
  it('Squeeze with axes input, attribute (opset 11) and none', () => {
    expectTensor(run1('Squeeze', [x, i64([-1])]), [1, 3], [1, 2, 3]);
    expectTensor(run1('Squeeze', [x], { axes: ints([0]) }, 11), [3, 1], [1, 2, 3]);
    expectTensor(run1('Squeeze', [x]), [3], [1, 2, 3]);
    expect(() => run1('Squeeze', [x, i64([1])])).toThrow(/cannot squeeze/);
  });
  it('Unsqueeze with unsorted and negative axes', () => {
    expectTensor(run1('Unsqueeze', [f32([3], [1, 2, 3]), i64([2, 0])]), [1, 3, 1], [1, 2, 3]);
    expectTensor(run1('Unsqueeze', [f32([3], [1, 2, 3]), i64([-1])]), [3, 1], [1, 2, 3]);
    expectTensor(run1('Unsqueeze', [f32([3], [1, 2, 3])], { axes: ints([1]) }, 11), [3, 1], [1, 2, 3]);
    expect(() => run1('Unsqueeze', [f32([3], [1, 2, 3]), i64([0, 0])])).toThrow(/duplicate/);
  });
  it('infer keeps symbols', () => {
    expect(
      infer1(
        'Unsqueeze',
        [ti('float32', ['N', 3]), ti('int64', [1])],
        {},
        { constants: [undefined, i64([1])] },
      ),
    ).toEqual(ti('float32', ['N', 1, 3]));
    expect(
      infer1(
        'Squeeze',
        [ti('float32', ['N', 1]), ti('int64', [1])],
        {},
        { constants: [undefined, i64([1])] },
      ),
    ).toEqual(ti('float32', ['N']));
    // Without axes a symbolic dim might be 1, so the rank is unknown.
    expect(infer1('Squeeze', [ti('float32', ['N', 1])])).toEqual(ti('float32', undefined));
  });
});

it('string tensors survive data-movement ops', () => {
  const s = new Tensor('string', [2, 2], ['a', 'b', 'c', 'd']);
  expect(run1('Reshape', [s, i64([4])]).data).toEqual(['a', 'b', 'c', 'd']);
  expect(run1('Transpose', [s]).data).toEqual(['a', 'c', 'b', 'd']);
});
