import * as ortNode from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { KilnError } from '../../runtime/errors.js';
import { Tensor } from '../../runtime/ort-tensor.js';
import { fromKilnTensor, toKilnTensor } from '../../runtime/tensor-interop.js';
import { Tensor as KilnTensor } from '../../runtime/tensor.js';

describe('public Tensor (onnxruntime-web constructor forms)', () => {
  it('new Tensor(type, data, dims) keeps the typed array and freezes dims', () => {
    const data = new Float32Array([1, 2, 3, 4, 5, 6]);
    const t = new Tensor('float32', data, [2, 3]);
    expect(t.type).toBe('float32');
    expect(t.data).toBe(data);
    expect(t.dims).toEqual([2, 3]);
    expect(t.size).toBe(6);
    expect(Object.isFrozen(t.dims)).toBe(true);
  });

  it('new Tensor(data, dims) infers the type as onnxruntime does; dims default to [length]', () => {
    expect(new Tensor(new Int32Array(4), [2, 2]).type).toBe('int32');
    expect(new Tensor(new BigInt64Array(2)).type).toBe('int64');
    expect(new Tensor(new Uint8ClampedArray(3)).type).toBe('uint8');
    expect(new Tensor([1, 2, 3]).type).toBe('float32');
    expect(new Tensor([1, 2, 3]).data).toBeInstanceOf(Float32Array);
    expect(new Tensor([true, false]).type).toBe('bool');
    expect(new Tensor(['a', 'b']).dims).toEqual([2]);
  });

  it('plain arrays are converted to the type storage', () => {
    expect(new Tensor('int64', [1, 2], [2]).data).toEqual(new BigInt64Array([1n, 2n]));
    expect(new Tensor('bool', [true, false, true]).data).toEqual(new Uint8Array([1, 0, 1]));
    expect(new Tensor('float16', [15360]).data).toEqual(new Uint16Array([15360]));
  });

  it('bad type, data or dims is a KilnError saying what was expected', () => {
    expect(() => new Tensor('float32', new Float32Array(6), [4, 2])).toThrow(
      /6 elements but dims \[4,2\] need 8/,
    );
    expect(() => new Tensor('float32', new Float64Array(2))).toThrow(
      /float32 tensor's data is a Float64Array.*Float32Array/,
    );
    expect(() => new Tensor('complex64' as never, [1])).toThrow(/unknown tensor type 'complex64'/);
    expect(() => new Tensor('float32', [1, 2], [-1, -2])).toThrow(/non-negative integers/);
    expect(() => new Tensor('float32', ['a'] as never)).toThrow(KilnError);
    expect(() => new Tensor({} as never)).toThrow(/cannot infer a tensor type/);
  });

  it('reshape shares the data', () => {
    const t = new Tensor('float32', new Float32Array(6), [6]);
    const r = t.reshape([3, 2]);
    expect(r.data).toBe(t.data);
    expect(r.dims).toEqual([3, 2]);
  });
});

describe('tensor interop', () => {
  it('public, onnxruntime-node and internal tensors become internal tensors', () => {
    const data = new Float32Array([1, 2, 3, 4]);
    for (const feed of [new Tensor('float32', data, [2, 2]), new ortNode.Tensor('float32', data, [2, 2])]) {
      const k = toKilnTensor(feed, "input 'x'");
      expect(k.dtype).toBe('float32');
      expect(k.shape).toEqual([2, 2]);
      expect(k.data).toBe(data);
    }
    const internal = new KilnTensor('float32', [4], data);
    expect(toKilnTensor(internal, "input 'x'")).toBe(internal);
  });

  it('float16 bits and bools convert both ways', () => {
    const half = toKilnTensor(new Tensor('float16', new Uint16Array([0x3c00, 0xc000]), [2]), 'h');
    expect(Array.from(half.data as Float32Array)).toEqual([1, -2]);
    expect(fromKilnTensor(half).data).toEqual(new Uint16Array([0x3c00, 0xc000]));
    const bools = toKilnTensor(new Tensor('bool', new Uint8Array([0, 7]), [2]), 'b');
    expect(Array.from(bools.data as Uint8Array)).toEqual([0, 1]);
  });

  it('a feed that is not a tensor, or whose data does not fit its type, names the input', () => {
    expect(() => toKilnTensor(new Float32Array(3), "input 'x'", 'm.kiln')).toThrow(
      /\[file m.kiln\] input 'x' is a Float32Array, not a tensor/,
    );
    const lying = { type: 'float32', data: new Int32Array(2), dims: [2] };
    expect(() => toKilnTensor(lying, "input 'x'")).toThrow(
      /input 'x' is a float32 tensor holding a Int32Array/,
    );
    const short = { type: 'float32', data: new Float32Array(2), dims: [3] };
    expect(() => toKilnTensor(short, "input 'x'")).toThrow(/input 'x' has 2 elements but dims \[3\]/);
  });
});
