import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../../../runtime/errors.js';
import { expectClose, f32, f64, infer1, int, run1, t, ti, vals } from './helpers.js';

// softmax([1, 2, 3]) computed by hand: e^k / (e + e^2 + e^3).
const SM3 = [0.09003057317038046, 0.24472847105479767, 0.6652409557748219];

describe('Softmax', () => {
  it('runs along the last axis by default from opset 13', () => {
    expectClose(run1('Softmax', [f64([2, 3], [1, 2, 3, 11, 12, 13])]), [2, 3], [...SM3, ...SM3], 1e-15);
  });
  it('runs along any axis from opset 13', () => {
    const y = run1('Softmax', [f64([3, 2], [1, 5, 2, 5, 3, 5])], { axis: int(0) });
    expectClose(y, [3, 2], [SM3[0]!, 1 / 3, SM3[1]!, 1 / 3, SM3[2]!, 1 / 3], 1e-15);
    const z = run1('Softmax', [f64([3, 2], [1, 5, 2, 5, 3, 5])], { axis: int(-2) });
    expect(vals(z)).toEqual(vals(y));
  });
  it('coerces to 2-D at axis (default 1) before opset 13', () => {
    // [1, 2, 2]: axis 1 flattens the last two dims, so all four elements form one row.
    const x = f64([1, 2, 2], [0, 0, 0, 0]);
    expectClose(run1('Softmax', [x], {}, 11), [1, 2, 2], [0.25, 0.25, 0.25, 0.25], 1e-15);
    expectClose(run1('Softmax', [x], {}, 13), [1, 2, 2], [0.5, 0.5, 0.5, 0.5], 1e-15);
    // axis = rank makes rows of one element.
    expectClose(run1('Softmax', [f64([2], [3, 4])], { axis: int(1) }, 11), [2], [1, 1], 1e-15);
  });
  it('is stable for large inputs and rounds float16 once', () => {
    expectClose(run1('Softmax', [f32([2], [1000, 1000])]), [2], [0.5, 0.5]);
    expectClose(
      run1('LogSoftmax', [f64([2], [1000, 1001])]),
      [2],
      [-1.3132616875182228, -0.31326168751822286],
      1e-15,
    );
    // numpy.float16 of SM3.
    expect(vals(run1('Softmax', [t('float16', [3], [1, 2, 3])]))).toEqual([
      0.09002685546875, 0.2447509765625, 0.6650390625,
    ]);
  });
  it('rejects bad axes and integer inputs', () => {
    expect(() => run1('Softmax', [f32([2, 2], [1, 2, 3, 4])], { axis: int(2) })).toThrow(KilnError);
    expect(() => run1('Softmax', [f32([2, 2], [1, 2, 3, 4])], { axis: int(3) }, 11)).toThrow(/out of range/);
    expect(() => run1('Softmax', [t('int32', [2], [1, 2])])).toThrow(KilnError);
    expect(() => infer1('LogSoftmax', [ti('float32', ['N', 3])], { axis: int(-3) })).toThrow(KilnError);
    expect(infer1('LogSoftmax', [ti('float32', ['N', 3])])).toEqual(ti('float32', ['N', 3]));
  });
});

describe('LogSoftmax', () => {
  it('is log of softmax', () => {
    expectClose(run1('LogSoftmax', [f64([3], [1, 2, 3])]), [3], SM3.map(Math.log), 1e-15);
    expectClose(run1('LogSoftmax', [f64([1, 3], [1, 2, 3])], {}, 1), [1, 3], SM3.map(Math.log), 1e-15);
  });
});

describe('Hardmax', () => {
  it('marks the first maximum along the axis', () => {
    expect(vals(run1('Hardmax', [f32([2, 3], [1, 3, 3, 5, 4, -1])]))).toEqual([0, 1, 0, 1, 0, 0]);
    expect(vals(run1('Hardmax', [f32([2, 3], [1, 3, 3, 5, 4, -1])], { axis: int(0) }))).toEqual([
      0, 0, 1, 1, 1, 0,
    ]);
  });
  it('flattens from axis before opset 13', () => {
    expect(vals(run1('Hardmax', [f32([1, 2, 2], [1, 9, 3, 4])], {}, 11))).toEqual([0, 1, 0, 0]);
    expect(vals(run1('Hardmax', [f32([1, 2, 2], [1, 9, 3, 4])], {}, 13))).toEqual([0, 1, 0, 1]);
  });
});
