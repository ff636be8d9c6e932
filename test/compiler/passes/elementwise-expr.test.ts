import { describe, expect, it } from 'vitest';
import { activationExpr } from '../../../compiler/passes/activations.js';
import {
  type Expr,
  binary,
  constant,
  evaluateExpr,
  input,
  parseExpr,
  serializeExpr,
  unary,
} from '../../../compiler/passes/elementwise-expr.js';
import { identifyActivation } from '../../../compiler/passes/activation-match.js';
import { KilnError } from '../../../runtime/errors.js';

describe('elementwise expressions', () => {
  it('evaluates per element with ONNX semantics', () => {
    const e = binary('add', binary('mul', input(0), constant(2)), unary('sigmoid', input(1)));
    expect(evaluateExpr(e, [1.5, 0])).toBe(3.5);
    const clip: Expr = { kind: 'clip', arg: input(0), min: 0, max: 6 };
    expect([-1, 3, 9].map((x) => evaluateExpr(clip, [x]))).toEqual([0, 3, 6]);
    expect(evaluateExpr(clip, [NaN])).toBeNaN();
    expect(evaluateExpr({ kind: 'clip', arg: input(0), min: 2, max: 1 }, [0])).toBe(1);
    expect(evaluateExpr(binary('max', input(0), constant(NaN)), [1])).toBeNaN();
    expect(evaluateExpr(activationExpr('hard_swish'), [1])).toBeCloseTo(1 * (1 / 6 + 0.5), 12);
    expect(evaluateExpr(activationExpr('gelu'), [1])).toBeCloseTo(0.8413447460685429, 12);
  });

  it('round-trips through its JSON attribute, infinite Clip bounds included', () => {
    const e: Expr = { kind: 'clip', arg: unary('exp', input(1)), min: -Infinity, max: Infinity };
    const back = parseExpr(serializeExpr(e), 2);
    expect(back).toEqual(e);
  });

  it('rejects malformed expressions with a KilnError saying what is wrong', () => {
    expect(() => parseExpr('{', 1)).toThrow(KilnError);
    expect(() => parseExpr(serializeExpr(input(3)), 2)).toThrow(/input index 3 outside 0..1/);
    expect(() => parseExpr('{"kind":"unary","op":"cube","arg":{"kind":"input","index":0}}', 1)).toThrow(
      /unknown unary op cube/,
    );
    expect(() => parseExpr('{"kind":"const","value":"x"}', 1)).toThrow(/'value' is not a number/);
  });

  it('identifies activations by value, whatever the operand order, and rejects near misses', () => {
    const x = input(0);
    const silu = binary('div', x, binary('add', constant(1), unary('exp', unary('neg', x))));
    expect(identifyActivation(silu)?.activation).toBe('silu');
    const relu6: Expr = { kind: 'clip', arg: x, min: 0, max: 6 };
    expect(identifyActivation(relu6)).toEqual({ activation: 'clip', params: [0, 6] });
    const hs = binary('mul', binary('div', x, constant(6)), {
      kind: 'clip',
      arg: binary('add', x, constant(3)),
      min: 0,
      max: 6,
    });
    expect(identifyActivation(hs)?.activation).toBe('hard_swish');
    const almost = binary('mul', x, unary('sigmoid', binary('mul', x, constant(1.001))));
    expect(identifyActivation(almost)).toBeUndefined();
    expect(() => activationExpr('swish2')).toThrow(/unknown activation 'swish2'/);
    expect(() => activationExpr('clip', [0])).toThrow(/has 1 parameters/);
  });
});
