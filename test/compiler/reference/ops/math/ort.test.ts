/**
 * Cross-checks math ops against onnxruntime-node on one-node models, over dtypes and opsets the
 * ONNX backend data does not cover (integer widths, bitwise ops, Gelu-20, opset-dependent forms).
 */
import { describe, expect, it } from 'vitest';
import { exportModel } from '../../../../../compiler/onnx/export.js';
import type { Attribute } from '../../../../../compiler/ir/graph.js';
import type { DType } from '../../../../../runtime/dtype.js';
import { type Tensor, tensorFrom } from '../../../../../runtime/tensor.js';
import { runOrt } from '../../../../helpers/ort.js';
import { float, infer1, int, rand, run1, str } from './helpers.js';
import { oneNodeModel } from '../../../../helpers/build.js';

/** Comparisons made (each test insists on a minimum, since onnxruntime lacks some type kernels). */
let compared = 0;

async function checkOrt(
  op: string,
  inputs: (Tensor | undefined)[],
  attrs: Record<string, Attribute> = {},
  opset = 18,
  tol = 1e-6,
): Promise<boolean> {
  const mine = run1(op, inputs, attrs, opset);
  const { model, feeds } = oneNodeModel(op, inputs, attrs, [mine.dtype], opset, 8);
  let want: Tensor;
  try {
    want = (await runOrt(exportModel(model), feeds))['y0']!;
  } catch (err) {
    // onnxruntime has no kernel for some spec-listed type combinations: nothing to compare with.
    if (/Could not find an implementation/.test(String(err))) return false;
    throw err;
  }
  const where = `${op}(${inputs.map((t) => t?.dtype).join(',')}) opset ${opset}`;
  expect(mine.dtype, where).toBe(want.dtype);
  expect([...mine.shape], where).toEqual([...want.shape]);
  const inferred = infer1(
    op,
    inputs.map((t) => t && { dtype: t.dtype, shape: [...t.shape] }),
    attrs,
    opset,
  );
  expect(inferred, where).toEqual({ dtype: want.dtype, shape: [...want.shape] });
  const g = Array.from(mine.data as ArrayLike<number | bigint>);
  const w = Array.from(want.data as ArrayLike<number | bigint>);
  g.forEach((v, k) => {
    const r = w[k]!;
    if (typeof v !== 'number' || typeof r !== 'number' || !Number.isFinite(r) || Number.isNaN(r))
      expect(v, `${where}[${k}]`).toBe(r);
    else expect(Math.abs(v - r), `${where}[${k}]: ${v} vs ${r}`).toBeLessThanOrEqual(tol * (1 + Math.abs(r)));
  });
  compared++;
  return true;
}

/** Random integers within a dtype's range (kept within ±2^31 for the 64-bit types). */
function ints(dtype: DType, n: number, seed: number, lo?: number, hi?: number): Tensor {
  const ranges: Record<string, [number, number]> = {
    int8: [-128, 127],
    int16: [-32768, 32767],
    int32: [-(2 ** 31), 2 ** 31 - 1],
    int64: [-(2 ** 31), 2 ** 31],
    uint8: [0, 255],
    uint16: [0, 65535],
    uint32: [0, 2 ** 32 - 1],
    uint64: [0, 2 ** 32],
  };
  const [a, b] = ranges[dtype]!;
  const l = lo ?? a;
  const h = hi ?? b;
  const v = rand(n, seed).map((r) => Math.floor(l + ((r + 1) / 2) * (h - l + 1)));
  return tensorFrom(
    dtype,
    [n],
    v.map((x) => Math.min(h, Math.max(l, x))),
  );
}

const floats = (dtype: DType, shape: number[], seed: number, scale = 3) =>
  tensorFrom(
    dtype,
    shape,
    rand(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ).map((x) => x * scale),
  );

const INT_TYPES: DType[] = ['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64'];

describe('math ops agree with onnxruntime', () => {
  it('integer arithmetic of every width (wrapping, truncating division, both Mods)', async () => {
    const before = compared;
    for (const [k, d] of INT_TYPES.entries()) {
      const a = ints(d, 24, 10 + k);
      const b = ints(d, 24, 40 + k);
      const nz = ints(d, 24, 70 + k, d.startsWith('u') ? 1 : -100, 100);
      const nzData = Array.from(nz.data as ArrayLike<number | bigint>).map((v) => (Number(v) === 0 ? 7 : v));
      const divisor = tensorFrom(d, [24], nzData);
      for (const op of ['Add', 'Sub', 'Mul']) await checkOrt(op, [a, b], {}, 14);
      await checkOrt('Div', [a, divisor], {}, 14);
      await checkOrt('Mod', [a, divisor], {}, 13);
      await checkOrt('Mod', [a, divisor], { fmod: int(1) }, 13);
      await checkOrt('Max', [a, b], {}, 13);
      await checkOrt('Min', [a, b, divisor], {}, 13);
      await checkOrt('Abs', [a], {}, 13);
      await checkOrt('Sign', [a], {}, 13);
      await checkOrt('Equal', [a, b], {}, 13);
      await checkOrt('Greater', [a, b], {}, 13);
      await checkOrt('LessOrEqual', [a, b], {}, 16);
    }
    expect(compared - before).toBeGreaterThanOrEqual(100);
  });

  it('bitwise ops and shifts', async () => {
    const before = compared;
    for (const [k, d] of INT_TYPES.entries()) {
      const a = ints(d, 16, 100 + k);
      const b = ints(d, 16, 200 + k);
      for (const op of ['BitwiseAnd', 'BitwiseOr', 'BitwiseXor']) await checkOrt(op, [a, b], {}, 18);
      await checkOrt('BitwiseNot', [a], {}, 18);
      if (d.startsWith('u')) {
        const bits = Number(d.slice(4));
        const s = ints(d, 16, 300 + k, 0, bits - 1);
        await checkOrt('BitShift', [a, s], { direction: str('LEFT') }, 11);
        await checkOrt('BitShift', [a, s], { direction: str('RIGHT') }, 11);
      }
    }
    expect(compared - before).toBeGreaterThanOrEqual(38);
  });

  it('float activations and unary math in float32 and float64', async () => {
    const before = compared;
    const unary = [
      'Sigmoid',
      'Tanh',
      'Erf',
      'Exp',
      'Softplus',
      'Softsign',
      'Round',
      'Floor',
      'Ceil',
      'Sin',
      'Cos',
    ];
    const more = ['Atan', 'Asinh', 'Sinh', 'Cosh', 'Abs', 'Neg', 'Sign', 'Reciprocal', 'Relu', 'HardSwish'];
    for (const d of ['float32', 'float64'] as DType[]) {
      const x = floats(d, [2, 3, 4], 5, 4);
      for (const op of [...unary, ...more]) await checkOrt(op, [x], {}, 18, 2e-6);
      await checkOrt('Mish', [x], {}, 18, 2e-6);
      if (d === 'float32') await checkOrt('Celu', [x], { alpha: float(0.5) }, 18, 2e-6);
      await checkOrt('Elu', [x], { alpha: float(0.7) }, 18, 2e-6);
      await checkOrt('Selu', [x], {}, 18, 2e-6);
      await checkOrt('LeakyRelu', [x], { alpha: float(0.2) }, 18);
      await checkOrt('HardSigmoid', [x], { alpha: float(0.3), beta: float(0.4) }, 18);
      await checkOrt('ThresholdedRelu', [x], { alpha: float(0.5) }, 18);
      await checkOrt('Shrink', [x], { lambd: float(1), bias: float(0.25) }, 18);
      const unit = floats(d, [8], 6, 0.99);
      for (const op of ['Asin', 'Acos', 'Atanh']) await checkOrt(op, [unit], {}, 18, 2e-6);
      const pos = tensorFrom(
        d,
        [8],
        rand(8, 7).map((v) => 1.5 + v),
      );
      for (const op of ['Log', 'Sqrt', 'Acosh']) await checkOrt(op, [pos], {}, 18, 2e-6);
    }
    expect(compared - before).toBeGreaterThanOrEqual(60);
  });

  it('Gelu (opset 20), both approximations', async () => {
    const before = compared;
    const x = floats('float32', [3, 5], 9, 4);
    await checkOrt('Gelu', [x], {}, 20, 2e-6);
    await checkOrt('Gelu', [x], { approximate: str('tanh') }, 20, 2e-6);
    expect(compared - before).toBeGreaterThanOrEqual(2);
  });

  it('integer Relu, Clip and PRelu', async () => {
    const before = compared;
    for (const d of ['int8', 'int32', 'int64'] as DType[]) {
      const a = ints(d, 12, 400, -50, 50);
      await checkOrt('Relu', [a], {}, 14);
      await checkOrt('Clip', [a, tensorFrom(d, [], [-10]), tensorFrom(d, [], [20])], {}, 13);
      await checkOrt('Clip', [a, undefined, tensorFrom(d, [], [5])], {}, 13);
    }
    for (const d of ['int32', 'int64', 'float32'] as DType[]) {
      const x = tensorFrom(
        d,
        [2, 3, 2],
        rand(12, 41).map((v) => Math.round(v * 20)),
      );
      await checkOrt('PRelu', [x, tensorFrom(d, [3, 1], [2, 3, -1])], {}, 16);
    }
    const f = floats('float32', [2, 3], 13, 5);
    await checkOrt('Clip', [f], { min: float(-1), max: float(2) }, 6);
    await checkOrt('Clip', [f, tensorFrom('float32', [], [-1])], {}, 12);
    expect(compared - before).toBeGreaterThanOrEqual(13);
  });

  it('Pow with mixed types', async () => {
    const before = compared;
    const base = floats('float32', [6], 21, 3);
    const iexp = tensorFrom('int64', [6], [0, 1, 2, 3, -1, -2]);
    await checkOrt('Pow', [base, iexp], {}, 15);
    const ib = tensorFrom('int32', [6], [2, -3, 5, 7, 1, -1]);
    await checkOrt('Pow', [ib, tensorFrom('int32', [6], [10, 3, 4, 2, 9, 5])], {}, 15);
    await checkOrt('Pow', [ib, tensorFrom('float32', [6], [0.5, 2, 1.5, 0.3, 3, 2])], {}, 15);
    const ib64 = tensorFrom('int64', [4], [2, -3, 10, 7]);
    await checkOrt('Pow', [ib64, tensorFrom('int64', [4], [40, 21, 15, 3])], {}, 15);
    expect(compared - before).toBeGreaterThanOrEqual(4);
  });

  it('softmax family at opsets 11 and 13', async () => {
    const before = compared;
    const x = floats('float32', [2, 3, 4], 31, 5);
    for (const op of ['Softmax', 'LogSoftmax', 'Hardmax']) {
      for (const opset of [11, 13]) {
        await checkOrt(op, [x], {}, opset);
        await checkOrt(op, [x], { axis: int(0) }, opset);
        await checkOrt(op, [x], { axis: int(-2) }, opset);
      }
    }
    expect(compared - before).toBeGreaterThanOrEqual(18);
  });

  it('Cast between numeric types and bool', async () => {
    const before = compared;
    const x = tensorFrom('float32', [8], [0, -0.5, 1.9, -1.9, 100.7, -100.7, 3.5, 127]);
    for (const to of [2, 3, 4, 5, 6, 7, 9, 11, 12, 13]) await checkOrt('Cast', [x], { to: int(to) }, 13);
    const i64 = tensorFrom('int64', [5], [0n, 1n, -1n, 300n, -(2n ** 40n) - 3n]);
    for (const to of [1, 2, 3, 5, 6, 9, 11, 12]) await checkOrt('Cast', [i64], { to: int(to) }, 13);
    const b = tensorFrom('bool', [3], [1, 0, 1]);
    for (const to of [1, 3, 7, 11]) await checkOrt('Cast', [b], { to: int(to) }, 13);
    await checkOrt('Cast', [tensorFrom('float64', [3], [1 / 3, 1e-40, 3.5e38])], { to: int(1) }, 13);
    expect(compared - before).toBeGreaterThanOrEqual(23);
  });

  it('Where, logic and variadic ops', async () => {
    const before = compared;
    const c = tensorFrom('bool', [2, 1, 3], [1, 0, 1, 0, 0, 1]);
    await checkOrt(
      'Where',
      [c, tensorFrom('int64', [4, 1], [1n, 2n, 3n, 4n]), tensorFrom('int64', [3], [7n, 8n, 9n])],
      {},
      16,
    );
    const p = tensorFrom('bool', [2, 2], [1, 0, 1, 0]);
    const q = tensorFrom('bool', [2], [1, 1]);
    for (const op of ['And', 'Or', 'Xor']) await checkOrt(op, [p, q], {}, 7);
    const a = floats('float64', [3, 1], 51);
    const b = floats('float64', [4], 52);
    for (const op of ['Sum', 'Mean', 'Max', 'Min'])
      await checkOrt(op, [a, b, floats('float64', [1, 4], 53)], {}, 13);
    expect(compared - before).toBeGreaterThanOrEqual(7);
  });
});
