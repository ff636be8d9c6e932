import { describe, expect, it } from 'vitest';
import type { Attribute } from '../../../../../compiler/ir/graph.js';
import { OptionalValue, TensorSequence, type Value } from '../../../../../compiler/reference/value.js';
import { KilnError } from '../../../../../runtime/errors.js';
import { Tensor } from '../../../../../runtime/tensor.js';
import { expectClose, f32, i64, inferOp, int, runOp, t } from './helpers.js';

const seqOf = (...items: Tensor[]) => new TensorSequence('float32', items);
const one = (op: string, inputs: (Value | undefined)[], attrs: Record<string, Attribute> = {}, opset = 21) =>
  runOp(op, inputs, attrs, opset, 1)[0];
const items = (v: Value | undefined): Tensor[] => {
  expect(v).toBeInstanceOf(TensorSequence);
  return (v as TensorSequence).items;
};
const a = f32([1], [1]);
const b = f32([2], [2, 3]);
const c = f32([1], [4]);

describe('sequence construction and access', () => {
  it('SequenceEmpty takes its element type from dtype', () => {
    const s = one('SequenceEmpty', [], { dtype: int(7) }) as TensorSequence;
    expect(s.items).toEqual([]);
    expect(s.dtype).toBe('int64');
    expect(() => one('SequenceEmpty', [], { dtype: int(999) })).toThrow(KilnError);
  });
  it('SequenceConstruct keeps order and rejects mixed dtypes', () => {
    expect(items(one('SequenceConstruct', [a, b, c]))).toEqual([a, b, c]);
    expect(() => one('SequenceConstruct', [a, i64([1], [1])])).toThrow(/int64/);
  });
  it('SequenceAt accepts negative positions and rejects out-of-range ones', () => {
    const s = seqOf(a, b, c);
    expect(one('SequenceAt', [s, i64([], [1])])).toBe(b);
    expect(one('SequenceAt', [s, t('int32', [], [-1])])).toBe(c);
    expect(() => one('SequenceAt', [s, i64([], [3])])).toThrow(/out of range/);
    expect(() => one('SequenceAt', [s, i64([], [-4])])).toThrow(/out of range/);
  });
  it('SequenceInsert appends by default and inserts before a position, leaving the input intact', () => {
    const s = seqOf(a, c);
    expect(items(one('SequenceInsert', [s, b]))).toEqual([a, c, b]);
    expect(items(one('SequenceInsert', [s, b, i64([], [1])]))).toEqual([a, b, c]);
    expect(items(one('SequenceInsert', [s, b, i64([], [-2])]))).toEqual([b, a, c]);
    expect(items(one('SequenceInsert', [s, b, i64([], [2])]))).toEqual([a, c, b]);
    expect(s.items).toEqual([a, c]);
    expect(() => one('SequenceInsert', [s, b, i64([], [3])])).toThrow(/out of range/);
    expect(() => one('SequenceInsert', [s, i64([1], [1])])).toThrow(/int64/);
  });
  it('SequenceErase removes the last item by default or the given one', () => {
    const s = seqOf(a, b, c);
    expect(items(one('SequenceErase', [s]))).toEqual([a, b]);
    expect(items(one('SequenceErase', [s, i64([], [0])]))).toEqual([b, c]);
    expect(() => one('SequenceErase', [seqOf()])).toThrow(/out of range/);
  });
  it('SequenceLength counts items as an int64 scalar', () => {
    const n = one('SequenceLength', [seqOf(a, b)]) as Tensor;
    expect(n.dtype).toBe('int64');
    expect([...n.shape]).toEqual([]);
    expect(n.data[0]).toBe(2n);
    expect(() => one('SequenceLength', [a])).toThrow(/a tensor/);
  });
});

describe('SplitToSequence', () => {
  const x = f32([2, 3], [1, 2, 3, 4, 5, 6]);
  it('splits into single slices without split, keepdims choosing whether the axis stays', () => {
    const kept = items(one('SplitToSequence', [x], { axis: int(1) }));
    expect(kept.length).toBe(3);
    expectClose(kept[1], [2, 1], [2, 5]);
    const dropped = items(one('SplitToSequence', [x], { axis: int(1), keepdims: int(0) }));
    expectClose(dropped[2], [2], [3, 6]);
  });
  it('splits into equal chunks for a scalar split, the last one shorter', () => {
    const parts = items(one('SplitToSequence', [x, i64([], [2])], { axis: int(-1) }));
    expect(parts.length).toBe(2);
    expectClose(parts[0], [2, 2], [1, 2, 4, 5]);
    expectClose(parts[1], [2, 1], [3, 6]);
  });
  it('splits into the listed lengths, which must cover the axis', () => {
    const parts = items(one('SplitToSequence', [x, i64([2], [1, 2])], { axis: int(1) }));
    expectClose(parts[0], [2, 1], [1, 4]);
    expectClose(parts[1], [2, 2], [2, 3, 5, 6]);
    expect(() => one('SplitToSequence', [x, i64([2], [1, 1])], { axis: int(1) })).toThrow(/summing to 3/);
    expect(() => one('SplitToSequence', [x, i64([], [0])])).toThrow(KilnError);
  });
});

describe('ConcatFromSequence', () => {
  it('concatenates along an existing axis', () => {
    const y = one('ConcatFromSequence', [seqOf(f32([1, 2], [1, 2]), f32([2, 2], [3, 4, 5, 6]))], {
      axis: int(0),
    });
    expectClose(y, [3, 2], [1, 2, 3, 4, 5, 6]);
  });
  it('stacks along a new axis, which may be the last (axis=-1)', () => {
    const s = seqOf(f32([2], [1, 2]), f32([2], [3, 4]));
    expectClose(one('ConcatFromSequence', [s], { axis: int(-1), new_axis: int(1) }), [2, 2], [1, 3, 2, 4]);
    expectClose(one('ConcatFromSequence', [s], { axis: int(0), new_axis: int(1) }), [2, 2], [1, 2, 3, 4]);
  });
  it('rejects mismatched shapes and empty sequences', () => {
    expect(() =>
      one('ConcatFromSequence', [seqOf(f32([1, 2], [1, 2]), f32([1, 3], [1, 2, 3]))], { axis: int(0) }),
    ).toThrow(KilnError);
    expect(() => one('ConcatFromSequence', [seqOf()], { axis: int(0) })).toThrow(/empty/);
  });
});

describe('optionals', () => {
  it('Optional wraps a value, or makes an empty optional of the given type', () => {
    const o = one('Optional', [a]) as OptionalValue;
    expect(o).toBeInstanceOf(OptionalValue);
    expect(o.value).toBe(a);
    const typeAttr: Attribute = { type: 'type_proto', value: { name: '', type: { dtype: 'int32' } } };
    const e = one('Optional', [undefined], { type: typeAttr }) as OptionalValue;
    expect(e.value).toBeUndefined();
    expect(e.elemDtype).toBe('int32');
    expect(() => one('Optional', [undefined])).toThrow(/type attribute/);
  });
  it('OptionalHasElement tells empty from full; from opset 18 also takes tensors and no input', () => {
    const has = (v: Value | undefined, opset = 18) =>
      (one('OptionalHasElement', [v], {}, opset) as Tensor).data[0];
    expect(has(new OptionalValue(a))).toBe(1);
    expect(has(new OptionalValue(undefined, 'float32'))).toBe(0);
    expect(has(a)).toBe(1);
    expect(has(undefined)).toBe(0);
    expect(() => has(a, 15)).toThrow(KilnError);
  });
  it('OptionalGetElement unwraps, fails on empty, passes plain values from opset 18', () => {
    expect(one('OptionalGetElement', [new OptionalValue(b)])).toBe(b);
    expect(() => one('OptionalGetElement', [new OptionalValue(undefined)])).toThrow(/empty/);
    expect(one('OptionalGetElement', [b], {}, 18)).toBe(b);
    expect(() => one('OptionalGetElement', [b], {}, 15)).toThrow(KilnError);
  });
  it('infers bool scalars for OptionalHasElement and int64 for SequenceLength', () => {
    expect(inferOp('OptionalHasElement', [undefined], {}, 18, 1)).toEqual([{ dtype: 'bool', shape: [] }]);
    expect(inferOp('SequenceLength', [{ dtype: 'float32' }], {}, 18, 1)).toEqual([
      { dtype: 'int64', shape: [] },
    ]);
  });
});
