import { KilnError } from '../../../runtime/errors.js';
import { attrFloat, attrFloatOpt, attrString } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import type { Expr } from '../ir.js';
import { type LowerContext, constantF32 } from './context.js';
import { broadcastIndex, loopNest } from './loops.js';

const c = (v: number): Expr => ({ k: 'const', v });
const bin = (op: 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min', a: Expr, b: Expr): Expr => ({
  k: 'bin',
  op,
  a,
  b,
});
const un = (op: Extract<Expr, { k: 'un' }>['op'], a: Expr): Expr => ({ k: 'un', op, a });
const gt0 = (x: Expr, t: Expr, f: Expr): Expr => ({ k: 'select', cmp: 'gt', a: x, b: c(0), t, f });

/** softplus(x) = max(x, 0) + log(1 + exp(-|x|)), stable for large |x|. */
const softplus = (x: Expr): Expr =>
  bin('add', bin('max', x, c(0)), un('log', bin('add', c(1), un('exp', un('neg', un('abs', x))))));

/** Unary ops as expressions of their input `x` (one definition, rendered by every target). */
export function unaryExpr(node: Node, x: Expr, ctx: LowerContext): Expr | undefined {
  switch (node.op) {
    case 'Relu':
      return bin('max', x, c(0));
    case 'Sigmoid':
      return un('sigmoid', x);
    case 'Tanh':
      return un('tanh', x);
    case 'Exp':
      return un('exp', x);
    case 'Log':
      return un('log', x);
    case 'Neg':
      return un('neg', x);
    case 'Abs':
      return un('abs', x);
    case 'Sqrt':
      return un('sqrt', x);
    case 'Erf':
      return un('erf', x);
    case 'Floor':
      return un('floor', x);
    case 'Ceil':
      return un('ceil', x);
    case 'Reciprocal':
      return un('recip', x);
    case 'Identity':
    case 'Dropout':
      return x;
    case 'LeakyRelu':
      return gt0(x, x, bin('mul', x, c(attrFloat(node, 'alpha', 0.01))));
    case 'Elu': {
      const alpha = attrFloat(node, 'alpha', 1);
      return gt0(x, x, bin('mul', c(alpha), bin('sub', un('exp', x), c(1))));
    }
    case 'Selu': {
      const alpha = attrFloat(node, 'alpha', 1.67326319217681884765625);
      const gamma = attrFloat(node, 'gamma', 1.05070102214813232421875);
      return bin('mul', c(gamma), gt0(x, x, bin('mul', c(alpha), bin('sub', un('exp', x), c(1)))));
    }
    case 'HardSigmoid':
      return bin(
        'max',
        c(0),
        bin(
          'min',
          c(1),
          bin('add', bin('mul', x, c(attrFloat(node, 'alpha', 0.2))), c(attrFloat(node, 'beta', 0.5))),
        ),
      );
    case 'HardSwish':
      return bin('mul', x, bin('max', c(0), bin('min', c(1), bin('add', bin('mul', x, c(1 / 6)), c(0.5)))));
    case 'Softplus':
      return softplus(x);
    case 'Softsign':
      return bin('div', x, bin('add', c(1), un('abs', x)));
    case 'Mish':
      return bin('mul', x, un('tanh', softplus(x)));
    case 'Gelu': {
      if (attrString(node, 'approximate', 'none') === 'tanh') {
        const inner = bin(
          'mul',
          c(Math.sqrt(2 / Math.PI)),
          bin('add', x, bin('mul', c(0.044715), bin('mul', x, bin('mul', x, x)))),
        );
        return bin('mul', bin('mul', c(0.5), x), bin('add', c(1), un('tanh', inner)));
      }
      return bin('mul', bin('mul', c(0.5), x), bin('add', c(1), un('erf', bin('mul', x, c(Math.SQRT1_2)))));
    }
    case 'Clip': {
      const [lo, hi] = clipBounds(node, ctx);
      return bin('min', bin('max', x, c(lo)), c(hi));
    }
    default:
      return undefined;
  }
}

function clipBounds(node: Node, ctx: LowerContext): [number, number] {
  if (
    node.inputs.length <= 1 &&
    (attrFloatOpt(node, 'min') !== undefined || attrFloatOpt(node, 'max') !== undefined)
  ) {
    return [attrFloat(node, 'min', -3.4028234663852886e38), attrFloat(node, 'max', 3.4028234663852886e38)];
  }
  const lo = node.inputs[1] ? constantF32(ctx, node, node.inputs[1], 'Clip min')[0]! : -3.4028234663852886e38;
  const hi = node.inputs[2] ? constantF32(ctx, node, node.inputs[2], 'Clip max')[0]! : 3.4028234663852886e38;
  return [lo, hi];
}

const BINARY: Record<string, 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min'> = {
  Add: 'add',
  Sub: 'sub',
  Mul: 'mul',
  Div: 'div',
  Max: 'max',
  Min: 'min',
};

export function isElementwise(op: string): boolean {
  return (
    op in BINARY ||
    op === 'Pow' ||
    op === 'PRelu' ||
    unaryExpr({ name: '', op, domain: '', inputs: [], outputs: [], attrs: {} }, c(0), null as never) !==
      undefined
  );
}

/**
 * One elementwise node → one loop kernel over the output shape; inputs broadcast by stride-0 indexing,
 * the innermost loop vectorised. Constant operands become weight buffers.
 */
export function lowerElementwise(node: Node, ctx: LowerContext): void {
  const out = node.outputs[0]!;
  const outShape = ctx.shape(node, out);
  // Operands that are read per element: both inputs of binary ops, the first input otherwise
  // (Clip bounds and Pow exponents are compile-time scalars folded into the expression).
  const used = node.op in BINARY || node.op === 'PRelu' ? [0, 1] : [0];
  const loads = used.map((i) => {
    const name = node.inputs[i]!;
    const shape = ctx.shape(node, name);
    const buf = ctx.constant(name)
      ? ctx.weight(name, constantF32(ctx, node, name, `input ${i}`))
      : ctx.buffer(name);
    return (vars: string[]): Expr => ({ k: 'load', buf, at: broadcastIndex(shape, outShape, vars) });
  });
  const value = (vars: string[]): Expr => {
    const x = loads[0]!(vars);
    if (node.op in BINARY) return bin(BINARY[node.op]!, x, loads[1]!(vars));
    if (node.op === 'PRelu')
      return { k: 'select', cmp: 'lt', a: x, b: c(0), t: bin('mul', x, loads[1]!(vars)), f: x };
    if (node.op === 'Pow') return powExpr(node, ctx, x);
    const e = unaryExpr(node, x, ctx);
    if (!e)
      throw new KilnError(`op ${node.op} cannot be lowered for the wasm target`, {
        node: node.name,
        op: node.op,
      });
    return e;
  };
  const dst = ctx.activation(
    out,
    outShape.reduce((a, b) => a * b, 1),
  );
  ctx.emit({
    kind: 'loops',
    name: node.op,
    nodes: [node.name],
    buffers: [],
    body: loopNest(outShape, 'i', (vars) => [
      { k: 'store', buf: dst, at: broadcastIndex(outShape, outShape, vars), value: value(vars) },
    ]),
  });
}

/** x^p for a constant scalar exponent; other exponents are not lowered (no general pow on WASM yet). */
function powExpr(node: Node, ctx: LowerContext, x: Expr): Expr {
  const p = ctx.constant(node.inputs[1]!);
  if (!p || p.size !== 1) {
    throw new KilnError('Pow needs a constant scalar exponent on the wasm target', {
      node: node.name,
      op: node.op,
      expected: 'a scalar initializer',
    });
  }
  const e = Number((p.data as ArrayLike<number | bigint>)[0]);
  if (e === 1) return x;
  if (e === 2) return bin('mul', x, x);
  if (e === 3) return bin('mul', x, bin('mul', x, x));
  if (e === 0.5) return un('sqrt', x);
  if (e === -1) return un('recip', x);
  if (e === -0.5) return un('recip', un('sqrt', x));
  // x^e = exp(e·log x) is exact to float32 only for x > 0; ONNX allows negative bases with integer e.
  throw new KilnError(`Pow with exponent ${e} is not lowered for the wasm target`, {
    node: node.name,
    op: node.op,
    expected: 'exponent 1, 2, 3, 0.5, -1 or -0.5',
  });
}
