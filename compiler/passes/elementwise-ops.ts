/** ONNX elementwise ops as expressions: what the fusion and pattern passes can absorb. */
import { attrFloat, attrFloatOpt } from '../ir/attrs.js';
import type { Graph, Node } from '../ir/graph.js';
import { type BinaryOp, type Expr, type UnaryOp, binary, unary } from './elementwise-expr.js';
import { activationExpr } from './activations.js';
import { scalarConstant } from './graph-utils.js';

const UNARY: Record<string, UnaryOp> = {
  Neg: 'neg',
  Exp: 'exp',
  Log: 'log',
  Sqrt: 'sqrt',
  Tanh: 'tanh',
  Sigmoid: 'sigmoid',
  Erf: 'erf',
  Relu: 'relu',
  Abs: 'abs',
  Reciprocal: 'reciprocal',
};
const BINARY: Record<string, BinaryOp> = {
  Add: 'add',
  Sub: 'sub',
  Mul: 'mul',
  Div: 'div',
  Pow: 'pow',
  Max: 'max',
  Min: 'min',
};

/** FLT_MAX: Clip's bounds before opset 11 default to the float range. */
const FLT_MAX = 3.4028234663852886e38;

/** Inputs of `node` that carry data (Clip's min/max are parameters, read as constants). */
export function dataInputs(node: Node): number[] {
  if (node.op === 'Clip') return [0];
  return node.inputs.map((_, i) => i);
}

/**
 * The node as an expression of its data inputs (`operand(i)` is input i's expression), or undefined
 * when it is not an elementwise op Kiln fuses (other domain, non-constant Clip bounds, ...).
 */
export function nodeExpr(
  g: Graph,
  node: Node,
  opset: number,
  operand: (i: number) => Expr,
): Expr | undefined {
  if (node.outputs.length !== 1) return undefined;
  const isGelu = node.op === 'Gelu' && (node.domain === '' || node.domain === 'kiln');
  if (node.domain !== '' && !isGelu) return undefined;
  if (node.inputs.some((i) => !i) && node.op !== 'Clip') return undefined;
  // Before opset 7, binary ops broadcast only with `broadcast`=1 and align B at `axis`, not numpy-style.
  if (opset < 7 && node.attrs.broadcast) return undefined;
  const u = UNARY[node.op];
  if (u && node.inputs.length === 1) return unary(u, operand(0));
  const b = BINARY[node.op];
  const variadic = b === 'max' || b === 'min';
  if (b && (node.inputs.length === 2 || (variadic && node.inputs.length > 2))) {
    let e = binary(b, operand(0), operand(1));
    for (let i = 2; i < node.inputs.length; i++) e = binary(b, e, operand(i));
    return e;
  }
  switch (node.op) {
    case 'Clip': {
      // opset 11 moved the bounds from attributes (default ±FLT_MAX) to optional inputs (default ±∞).
      const bound = (i: number, attr: string, sign: number): number | undefined => {
        if (opset < 11) return attrFloatOpt(node, attr) ?? sign * FLT_MAX;
        const name = node.inputs[i];
        return name ? scalarConstant(g, name) : sign * Infinity;
      };
      const min = bound(1, 'min', -1);
      const max = bound(2, 'max', 1);
      if (min === undefined || max === undefined) return undefined;
      return { kind: 'clip', arg: operand(0), min, max };
    }
    case 'LeakyRelu':
      return { kind: 'leaky_relu', arg: operand(0), alpha: attrFloat(node, 'alpha', 0.01) };
    case 'HardSigmoid':
      return {
        kind: 'hard_sigmoid',
        arg: operand(0),
        alpha: attrFloat(node, 'alpha', 0.2),
        beta: attrFloat(node, 'beta', 0.5),
      };
    case 'HardSwish':
      return substitute(activationExpr('hard_swish'), operand(0));
    case 'Gelu': {
      const approximate = node.attrs.approximate;
      const tanh = approximate?.type === 'string' && approximate.value === 'tanh';
      return substitute(activationExpr(tanh ? 'gelu_tanh' : 'gelu'), operand(0));
    }
    default:
      return undefined;
  }
}

/** `e` with input 0 replaced by `x` (activation definitions are written over input 0). */
export function substitute(e: Expr, x: Expr): Expr {
  switch (e.kind) {
    case 'input':
      return x;
    case 'const':
      return e;
    case 'binary':
      return { ...e, lhs: substitute(e.lhs, x), rhs: substitute(e.rhs, x) };
    default:
      return { ...e, arg: substitute(e.arg, x) };
  }
}
