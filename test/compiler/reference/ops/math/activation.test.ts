import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../../../runtime/errors.js';
import { expectClose, f32, f64, float, infer1, run1, str, t, ti, vals } from './helpers.js';

const x = [-2, -0.5, 0, 0.5, 2];

describe('activations', () => {
  it('Relu on floats and signed integers', () => {
    expectClose(run1('Relu', [f32([5], x)]), [5], [0, 0, 0, 0.5, 2]);
    expect(vals(run1('Relu', [t('int64', [2], [-3n, 4n])]))).toEqual([0n, 4n]);
    expect(vals(run1('Relu', [t('int8', [2], [-3, 4])]))).toEqual([0, 4]);
  });
  it('LeakyRelu, ThresholdedRelu and Shrink with their attributes', () => {
    expectClose(run1('LeakyRelu', [f64([5], x)]), [5], [-0.02, -0.005, 0, 0.5, 2]);
    expectClose(run1('LeakyRelu', [f64([5], x)], { alpha: float(0.5) }), [5], [-1, -0.25, 0, 0.5, 2]);
    expectClose(run1('ThresholdedRelu', [f64([5], x)]), [5], [0, 0, 0, 0, 2]);
    expectClose(run1('ThresholdedRelu', [f64([5], x)], { alpha: float(0.25) }), [5], [0, 0, 0, 0.5, 2]);
    expectClose(
      run1('Shrink', [f64([5], [-2, -1, 0, 1, 2])], { lambd: float(1.5), bias: float(0.5) }),
      [5],
      [-1.5, 0, 0, 0, 1.5],
    );
    expectClose(run1('Shrink', [f64([5], x)]), [5], [-2, 0, 0, 0, 2]);
    expect(vals(run1('Shrink', [t('int32', [3], [-3, 0, 3])], { bias: float(1) }))).toEqual([-2, 0, 2]);
  });
  it('exponential family (Elu, Selu, Celu)', () => {
    expectClose(run1('Elu', [f64([2], [-1, 3])]), [2], [Math.exp(-1) - 1, 3], 1e-15);
    expectClose(run1('Elu', [f64([1], [-1])], { alpha: float(2) }), [1], [2 * (Math.exp(-1) - 1)], 1e-15);
    // Selu's defaults are the float32 attribute values of the spec, not the exact SELU constants.
    const gamma = 1.05070102214813232421875;
    const alpha = 1.67326319217681884765625;
    expectClose(
      run1('Selu', [f64([2], [-1, 2])]),
      [2],
      [gamma * alpha * (Math.exp(-1) - 1), 2 * gamma],
      1e-15,
    );
    expectClose(run1('Celu', [f32([2], [-1, 3])], { alpha: float(2) }), [2], [-0.786938680574733, 3]);
    expect(() => run1('Celu', [f64([1], [1])])).toThrow(KilnError);
  });
  it('sigmoid family, stable at the extremes', () => {
    expectClose(run1('Sigmoid', [f64([3], [0, -1000, 1000])]), [3], [0.5, 0, 1]);
    expectClose(run1('Sigmoid', [f64([1], [-40])]), [1], [4.248354255291589e-18], 1e-12);
    expectClose(run1('HardSigmoid', [f64([3], [-10, 1, 10])]), [3], [0, 0.7, 1], 1e-15);
    expectClose(
      run1('HardSigmoid', [f64([1], [1])], { alpha: float(0.5), beta: float(0.25) }),
      [1],
      [0.75],
      1e-15,
    );
    expectClose(run1('HardSwish', [f64([4], [-3, 3, 1, -1])]), [4], [0, 3, 2 / 3, -1 / 3], 1e-15);
  });
  it('Tanh, Softplus, Softsign, Mish', () => {
    expectClose(run1('Tanh', [f64([2], [0.5, -30])]), [2], [0.46211715726000974, -1], 1e-15);
    expectClose(run1('Softplus', [f64([3], [0, 1000, -1000])]), [3], [Math.LN2, 1000, 0], 1e-15);
    expectClose(run1('Softsign', [f64([2], [3, -1])]), [2], [0.75, -0.5], 1e-15);
    expectClose(run1('Mish', [f64([2], [1, -1])]), [2], [0.8650983882673103, -0.30340146137410895], 1e-14);
  });
  it('Gelu with both approximations', () => {
    expectClose(run1('Gelu', [f64([2], [1, -1])]), [2], [0.8413447460685429, -0.15865525393145707], 1e-14);
    expectClose(
      run1('Gelu', [f64([1], [1])], { approximate: str('tanh') }),
      [1],
      [0.5 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * 1.044715))],
      1e-15,
    );
    expect(() => run1('Gelu', [f64([1], [1])], { approximate: str('fast') })).toThrow(KilnError);
  });
  it('reject integer inputs where the spec allows floats only', () => {
    expect(() => run1('Sigmoid', [t('int32', [1], [1])])).toThrow(KilnError);
    expect(() => infer1('Elu', [ti('int64', [1])])).toThrow(KilnError);
    expect(infer1('Elu', [ti('float16', ['B', 3])])).toEqual(ti('float16', ['B', 3]));
  });
});

describe('PRelu', () => {
  it('broadcasts the slope unidirectionally', () => {
    const xs = f32([2, 2], [-1, 2, -3, 4]);
    expectClose(run1('PRelu', [xs, f32([2], [0.1, 0.2])]), [2, 2], [-0.1, 2, -0.3, 4]);
    expectClose(run1('PRelu', [xs, f32([2, 1], [0.1, 0.2])]), [2, 2], [-0.1, 2, -0.6, 4]);
    expect(vals(run1('PRelu', [t('int64', [2], [-3n, 3n]), t('int64', [1], [2n])]))).toEqual([-6n, 3n]);
    expect(() => run1('PRelu', [f32([2], [1, 2]), f32([2, 2], [1, 2, 3, 4])])).toThrow(/broadcast/);
  });
  it('applies a 1-D slope per channel before opset 7', () => {
    const xs = f32([1, 2, 3], [-1, -1, -1, -1, -1, 1]);
    expectClose(
      run1('PRelu', [xs, f32([2], [0.1, 0.2])], {}, 6),
      [1, 2, 3],
      [-0.1, -0.1, -0.1, -0.2, -0.2, 1],
    );
  });
});

describe('Clip', () => {
  it('takes bounds from attributes before opset 11', () => {
    expectClose(run1('Clip', [f32([3], [-5, 0, 5])], { min: float(-1), max: float(2) }, 6), [3], [-1, 0, 2]);
    expectClose(run1('Clip', [f32([2], [-5e38, 1])], {}, 6), [2], [-3.4028234663852886e38, 1]);
  });
  it('takes optional scalar inputs from opset 11, for any numeric type', () => {
    const xs = f32([4], [-5, 0, 5, NaN]);
    expectClose(run1('Clip', [xs, f32([], [-1]), f32([], [2])]), [4], [-1, 0, 2, NaN]);
    expectClose(run1('Clip', [xs, undefined, f32([], [2])]), [4], [-5, 0, 2, NaN]);
    expectClose(run1('Clip', [xs, f32([], [3]), f32([], [1])]), [4], [1, 1, 1, NaN]);
    expect(
      vals(run1('Clip', [t('int64', [3], [-9n, 0n, 9n]), t('int64', [], [-2n]), t('int64', [], [2n])])),
    ).toEqual([-2n, 0n, 2n]);
    expect(vals(run1('Clip', [t('int8', [2], [-128, 127]), t('int8', [], [-3])]))).toEqual([-3, 127]);
  });
  it('refuses non-scalar or mistyped bounds', () => {
    expect(() => run1('Clip', [f32([2], [1, 2]), f32([2], [0, 0])])).toThrow(/scalar/);
    expect(() => run1('Clip', [f32([2], [1, 2]), t('float64', [], [0])])).toThrow(/different types/);
  });
});
