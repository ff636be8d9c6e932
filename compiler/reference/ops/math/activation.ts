/** Elementwise activations with attribute parameters (Relu ... Mish); PRelu and Clip are in their own files. */
import { attrFloat, attrString } from '../../../ir/attrs.js';
import type { OpDef } from '../../op.js';
import { opError } from '../common.js';
import { erf } from './erf.js';
import { unaryOp } from './unary.js';
import { FLOATS, NUMERIC, SIGNED_NUMERIC } from './util.js';

/** log(1 + e^x) without overflow for large x or loss of precision for very negative x. */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** 1 / (1 + e^-x), written so that neither branch overflows. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

export const activationOps: OpDef[] = [
  unaryOp('Relu', [1, 21], SIGNED_NUMERIC, () => ({
    num: (x) => (x < 0 ? 0 : x),
    big: (x) => (x < 0n ? 0n : x),
  })),
  unaryOp('LeakyRelu', [1, 21], FLOATS, (node) => {
    const alpha = attrFloat(node, 'alpha', 0.01);
    return { num: (x) => (x < 0 ? alpha * x : x) };
  }),
  unaryOp('Elu', [1, 21], FLOATS, (node) => {
    const alpha = attrFloat(node, 'alpha', 1);
    return { num: (x) => (x < 0 ? alpha * Math.expm1(x) : x) };
  }),
  unaryOp('Selu', [1, 21], FLOATS, (node) => {
    const alpha = attrFloat(node, 'alpha', 1.67326319217681884765625);
    const gamma = attrFloat(node, 'gamma', 1.05070102214813232421875);
    return { num: (x) => (x > 0 ? gamma * x : gamma * alpha * Math.expm1(x)) };
  }),
  // Celu is defined for float32 only.
  unaryOp('Celu', [12, 21], ['float32'], (node) => {
    const alpha = attrFloat(node, 'alpha', 1);
    if (alpha === 0) throw opError(node, 'alpha must not be 0', 'a non-zero alpha');
    return { num: (x) => Math.max(0, x) + Math.min(0, alpha * Math.expm1(x / alpha)) };
  }),
  unaryOp('Sigmoid', [1, 21], FLOATS, () => ({ num: sigmoid })),
  unaryOp('HardSigmoid', [1, 21], FLOATS, (node) => {
    const alpha = attrFloat(node, 'alpha', 0.2);
    const beta = attrFloat(node, 'beta', 0.5);
    return { num: (x) => Math.max(0, Math.min(1, alpha * x + beta)) };
  }),
  unaryOp('HardSwish', [14, 21], FLOATS, () => ({
    num: (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5)),
  })),
  unaryOp('Tanh', [1, 21], FLOATS, () => ({ num: Math.tanh })),
  unaryOp('Softplus', [1, 21], FLOATS, () => ({ num: softplus })),
  unaryOp('Softsign', [1, 21], FLOATS, () => ({ num: (x) => x / (1 + Math.abs(x)) })),
  unaryOp('Gelu', [20, 21], FLOATS, (node) => {
    const approximate = attrString(node, 'approximate', 'none');
    if (approximate === 'none') return { num: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)) };
    if (approximate === 'tanh') {
      return { num: (x) => 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))) };
    }
    throw opError(node, `approximate='${approximate}'`, "'none' or 'tanh'");
  }),
  unaryOp('ThresholdedRelu', [10, 21], FLOATS, (node) => {
    const alpha = attrFloat(node, 'alpha', 1);
    return { num: (x) => (x > alpha ? x : 0) };
  }),
  // Shrink accepts every numeric type; integer results are truncated by the store.
  unaryOp('Shrink', [9, 21], NUMERIC, (node) => {
    const bias = attrFloat(node, 'bias', 0);
    const lambd = attrFloat(node, 'lambd', 0.5);
    return { num: (x) => (x < -lambd ? x + bias : x > lambd ? x - bias : 0) };
  }),
  unaryOp('Mish', [18, 21], FLOATS, () => ({ num: (x) => x * Math.tanh(softplus(x)) })),
];
