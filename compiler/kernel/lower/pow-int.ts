import type { Node } from '../../ir/graph.js';
import { type BinaryOp, type CompareOp, type Expr, type ScalarType, computeType } from '../ir.js';
import type { LowerContext } from './context.js';
import { powExpr } from './elementwise.js';
import { broadcastIndex, loopNest } from './loops.js';

const c = (v: number): Expr => ({ k: 'const', v });
const acc = (name: string): Expr => ({ k: 'acc', name });
const bin = (op: BinaryOp, a: Expr, b: Expr): Expr => ({ k: 'bin', op, a, b });
const sel = (cmp: CompareOp, a: Expr, b: Expr, t: Expr, f: Expr): Expr => ({ k: 'select', cmp, a, b, t, f });
const cast = (to: ScalarType, a: Expr): Expr => ({ k: 'cast', to, a });

/**
 * p moved to the nearest integer when within a few ulps of it: exp·log is not correctly rounded, and
 * truncating 2.9999999999999996 (for 9^0.5) would give 2 where std::pow gives exactly 3.
 */
function snapped(p: Expr): Expr {
  const r: Expr = { k: 'un', op: 'round', a: p };
  const gap: Expr = { k: 'un', op: 'abs', a: bin('sub', p, r) };
  return sel('le', gap, bin('mul', { k: 'un', op: 'abs', a: r }, c(1e-13)), r, p);
}

/** Whether a Pow has an integer base (an integer output): floats take the elementwise path. */
export function isIntPow(node: Node, ctx: LowerContext): boolean {
  return node.op === 'Pow' && !computeType(ctx.elemType(node, node.inputs[0]!)).startsWith('f');
}

/**
 * Pow with an integer base, as the reference (onnxruntime) computes it. An integer exponent is exact:
 * square-and-multiply over every bit of the exponent, wrapping like C integer multiplication; a
 * negative one gives 1/x^|y| truncated (1, ±1 for a base of -1, else 0). A float exponent goes
 * through float64 pow, truncated back to the base's type.
 */
export function lowerIntPow(node: Node, ctx: LowerContext): void {
  const outShape = ctx.shape(node, node.outputs[0]!);
  const t = computeType(ctx.elemType(node, node.inputs[0]!));
  const et = computeType(ctx.elemType(node, node.inputs[1]!));
  const bits = t === 'i64' ? 64 : 32;
  const load = (i: number, vars: string[]): Expr => ({
    k: 'load',
    buf: ctx.valueBuffer(node, node.inputs[i]!),
    at: broadcastIndex(ctx.shape(node, node.inputs[i]!), outShape, vars),
  });
  const out = ctx.activation(
    node.outputs[0]!,
    outShape.reduce((a, b) => a * b, 1),
  );
  const body = loopNest(
    outShape,
    'i',
    (vars) => {
      const at = broadcastIndex(outShape, outShape, vars);
      const x = load(0, vars);
      const one: Expr = { k: 'const', v: 1, t };
      const float = et.startsWith('f');
      const fy = et === 'f64' ? load(1, vars) : cast('f64', load(1, vars));
      // an integral float exponent takes the exact path too (exp·log would give 728.99… for 9^3)
      const y = et === t ? load(1, vars) : cast(t, load(1, vars));
      const odd = sel('eq', bin('and', y, one), c(0), one, c(-1));
      const negative = sel('eq', x, one, one, sel('eq', x, c(-1), odd, c(0)));
      const exact = sel('lt', y, c(0), negative, acc('r'));
      return [
        { k: 'set', acc: 'r', value: one },
        { k: 'set', acc: 'b', value: x },
        { k: 'set', acc: 'e', value: y },
        {
          k: 'loop',
          v: 'bit',
          n: bits,
          body: [
            {
              k: 'set',
              acc: 'r',
              value: sel('eq', bin('and', acc('e'), one), one, bin('mul', acc('r'), acc('b')), acc('r')),
            },
            { k: 'set', acc: 'b', value: bin('mul', acc('b'), acc('b')) },
            { k: 'set', acc: 'e', value: bin('shr_u', acc('e'), one) },
          ],
        },
        {
          k: 'store',
          buf: out,
          at,
          value: float
            ? sel(
                'eq',
                { k: 'un', op: 'floor', a: fy },
                fy,
                exact,
                cast(t, snapped(powExpr(cast('f64', x), fy))),
              )
            : exact,
        },
      ];
    },
    false,
  );
  ctx.emit({ kind: 'loops', name: 'pow_int', nodes: [node.name], buffers: [], body });
}
