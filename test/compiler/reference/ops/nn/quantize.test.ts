import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../../../runtime/errors.js';
import { expectClose, f32, infer, int, run, run1, t, ti } from './helpers.js';

const values = (x: { data: unknown }) => Array.from(x.data as ArrayLike<number>);

describe('QuantizeLinear / DequantizeLinear', () => {
  it('rounds half to even and saturates', () => {
    const x = f32([6], [0.5, 1.5, 2.5, -0.5, 300, -300]);
    const y = run1('QuantizeLinear', [x, f32([], [1]), t('uint8', [], [10])]);
    expect(y.dtype).toBe('uint8');
    expect(values(y)).toEqual([10, 12, 12, 10, 255, 0]);
    const z = run1('QuantizeLinear', [x, f32([], [1]), t('int8', [], [0])]);
    expect(values(z)).toEqual([0, 2, 2, 0, 127, -128]);
  });

  it('defaults to uint8 with zero point 0', () => {
    expect(values(run1('QuantizeLinear', [f32([2], [3, -3]), f32([], [2])]))).toEqual([2, 0]);
  });

  it('quantizes per axis', () => {
    const x = f32([2, 2], [1, 2, 3, 4]);
    const y = run1('QuantizeLinear', [x, f32([2], [1, 0.5]), t('int8', [2], [0, 1])], { axis: int(0) }, 13);
    expect(values(y)).toEqual([1, 2, 7, 9]);
  });

  it('quantizes in blocks (opset 21)', () => {
    const x = f32([1, 4], [2, 4, 30, 60]);
    const y = run1('QuantizeLinear', [x, f32([1, 2], [2, 10]), t('uint8', [1, 2], [0, 0])], {
      axis: int(1),
      block_size: int(2),
    });
    expect(values(y)).toEqual([1, 2, 3, 6]);
  });

  it('dequantizes per axis into the scale type', () => {
    const x = t('int8', [2, 2], [1, 2, 3, 4]);
    const y = run1('DequantizeLinear', [x, f32([2], [0.5, 2]), t('int8', [2], [1, 0])], { axis: int(1) }, 13);
    expect(y.dtype).toBe('float32');
    expectClose(y, [2, 2], [0, 4, 1, 8]);
  });

  it('rejects a scale of the wrong length', () => {
    expect(() =>
      run1('QuantizeLinear', [f32([2, 3], [1, 2, 3, 4, 5, 6]), f32([2], [1, 1])], { axis: int(1) }, 13),
    ).toThrow(KilnError);
  });

  it('infers the zero point type', () => {
    expect(infer('QuantizeLinear', [ti('float32', ['N', 3]), ti('float32', []), ti('int8', [])])).toEqual([
      ti('int8', ['N', 3]),
    ]);
  });
});

describe('DynamicQuantizeLinear', () => {
  it('derives scale and zero point from the data range', () => {
    const [y, s, zp] = run('DynamicQuantizeLinear', [f32([3], [-1, 0, 2.5])]);
    // range [-1, 2.5] → scale 3.5/255; zero point rint(1/scale) = rint(72.857) = 73.
    expectClose(s!, [], [Math.fround(3.5 / 255)]);
    expect(values(zp!)).toEqual([73]);
    expect(values(y!)).toEqual([0, 73, 255]);
  });
});

describe('MatMulInteger / QLinearMatMul', () => {
  it('subtracts per-tensor and per-column zero points', () => {
    const a = t('uint8', [2, 2], [1, 2, 3, 4]);
    const b = t('uint8', [2, 2], [5, 6, 7, 8]);
    const y = run1('MatMulInteger', [a, b, t('uint8', [], [1]), t('uint8', [2], [5, 6])]);
    // A-1 = [[0,1],[2,3]], B-zp = [[0,0],[2,2]].
    expect(y.dtype).toBe('int32');
    expect(values(y)).toEqual([2, 2, 6, 6]);
  });

  it('requantizes products', () => {
    const a = t('uint8', [1, 2], [10, 20]);
    const b = t('uint8', [2, 1], [3, 4]);
    const y = run1('QLinearMatMul', [
      a,
      f32([], [0.5]),
      t('uint8', [], [0]),
      b,
      f32([], [1]),
      t('uint8', [], [0]),
      f32([], [2]),
      t('uint8', [], [1]),
    ]);
    // acc = 110; 110 * 0.5 * 1 / 2 = 27.5 → rint 28 (even), then + zero point 1.
    expect(values(y)).toEqual([29]);
  });
});

describe('ConvInteger / QLinearConv', () => {
  it('pads with the input zero point', () => {
    const x = t('uint8', [1, 1, 1, 3], [3, 4, 5]);
    const w = t('uint8', [1, 1, 1, 3], [1, 1, 1]);
    const y = run1('ConvInteger', [x, w, t('uint8', [], [3])], {
      pads: { type: 'ints', value: [0, 1, 0, 1] },
    });
    // x - 3 = [0,1,2] padded with zeros: sums [1, 3, 3].
    expect(values(y)).toEqual([1, 3, 3]);
  });

  it('requantizes with per-channel weight scales and bias', () => {
    const x = t('uint8', [1, 1, 1, 2], [2, 4]);
    const w = t('int8', [2, 1, 1, 1], [1, -1]);
    const y = run1('QLinearConv', [
      x,
      f32([], [1]),
      t('uint8', [], [0]),
      w,
      f32([2], [1, 2]),
      t('int8', [2], [0, 0]),
      f32([], [1]),
      t('uint8', [], [10]),
      t('int32', [2], [1, 0]),
    ]);
    // ch0: (x*1 + 1) * 1 + 10 = [13, 15]; ch1: (-x) * 2 + 10 = [6, 2].
    expect(values(y)).toEqual([13, 15, 6, 2]);
  });
});
