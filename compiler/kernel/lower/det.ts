import type { Node } from '../../ir/graph.js';
import { type CompareOp, type Expr, type Stmt, affine } from '../ir.js';
import type { LowerContext } from './context.js';
import { iota, iotaAt } from './iota.js';

const c = (v: number): Expr => ({ k: 'const', v });
const acc = (name: string): Expr => ({ k: 'acc', name });
const sel = (cmp: CompareOp, a: Expr, b: Expr, t: Expr, f: Expr): Expr => ({ k: 'select', cmp, a, b, t, f });
const abs = (a: Expr): Expr => ({ k: 'un', op: 'abs', a });
const loop = (v: string, n: number, body: Stmt[]): Stmt => ({ k: 'loop', v, n, body });

/**
 * Det of float32 [..., n, n] matrices by LU decomposition with partial pivoting, as the reference:
 * per column the row with the largest magnitude (the first of equals) is swapped up (run-time
 * indexed), the determinant takes the pivot (negated for a swap) and the rows below are eliminated.
 * Loops have static trip counts, so "rows below the pivot" is a select on row numbers; a zero pivot
 * makes the result 0. Works on a copy of the input.
 */
export function lowerDet(node: Node, ctx: LowerContext): void {
  const shape = ctx.shape(node, node.inputs[0]!);
  const n = shape[shape.length - 1]!;
  const B = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const x = ctx.valueBuffer(node, node.inputs[0]!);
  const a = ctx.temp(`${node.name}:lu`, B * n * n);
  const out = ctx.activation(node.outputs[0]!, B);
  const pos = iota(ctx, node, 'rows', n, 'float32');
  const at = (r: string, k: string) => affine(0, ['b', n * n], [r, n], [k, 1]);
  const ld = (r: string, k: string): Expr => ({ k: 'load', buf: a, at: at(r, k) });
  // row p (a run-time value, held as a float) of batch item b, column k
  const pivotRow = (k: string) => ({
    ...affine(0, ['b', n * n], [k, 1]),
    dyn: [{ e: { k: 'cast', to: 'i32', a: acc('p') } as Expr, c: n }],
  });
  const below = (r: string, t: Expr, f: Expr) => sel('gt', iotaAt(pos, r), iotaAt(pos, 'c'), t, f);
  const column: Stmt[] = [
    { k: 'set', acc: 'p', value: iotaAt(pos, 'c') },
    { k: 'set', acc: 'best', value: abs(ld('c', 'c')) },
    loop('r', n, [
      {
        k: 'set',
        acc: 'p',
        value: below('r', sel('gt', abs(ld('r', 'c')), acc('best'), iotaAt(pos, 'r'), acc('p')), acc('p')),
      },
      {
        k: 'set',
        acc: 'best',
        value: below('r', { k: 'bin', op: 'max', a: abs(ld('r', 'c')), b: acc('best') }, acc('best')),
      },
    ]),
    { k: 'set', acc: 'piv', value: { k: 'load', buf: a, at: pivotRow('c') } },
    loop('k', n, [
      { k: 'set', acc: 'tmp', value: ld('c', 'k') },
      { k: 'store', buf: a, at: at('c', 'k'), value: { k: 'load', buf: a, at: pivotRow('k') } },
      { k: 'store', buf: a, at: pivotRow('k'), value: acc('tmp') },
    ]),
    { k: 'set', acc: 'zero', value: sel('eq', acc('piv'), c(0), c(1), acc('zero')) },
    {
      k: 'set',
      acc: 'det',
      value: {
        k: 'bin',
        op: 'mul',
        a: acc('det'),
        b: sel('eq', acc('p'), iotaAt(pos, 'c'), acc('piv'), { k: 'un', op: 'neg', a: acc('piv') }),
      },
    },
    { k: 'set', acc: 'div', value: sel('eq', acc('piv'), c(0), c(1), acc('piv')) },
    loop('r', n, [
      {
        k: 'set',
        acc: 'f',
        value: below('r', { k: 'bin', op: 'div', a: ld('r', 'c'), b: acc('div') }, c(0)),
      },
      loop('k', n, [
        {
          k: 'store',
          buf: a,
          at: at('r', 'k'),
          value: {
            k: 'bin',
            op: 'sub',
            a: ld('r', 'k'),
            b: { k: 'bin', op: 'mul', a: acc('f'), b: ld('c', 'k') },
          },
        },
      ]),
    ]),
  ];
  ctx.emit({
    kind: 'loops',
    name: 'det',
    nodes: [node.name],
    buffers: [],
    body: [
      loop('b', B, [
        loop('i', n, [
          loop('j', n, [
            { k: 'store', buf: a, at: at('i', 'j'), value: { k: 'load', buf: x, at: at('i', 'j') } },
          ]),
        ]),
        { k: 'set', acc: 'det', value: c(1) },
        { k: 'set', acc: 'zero', value: c(0) },
        loop('c', n, column),
        {
          k: 'store',
          buf: out,
          at: affine(0, ['b', 1]),
          value: sel('eq', acc('zero'), c(1), c(0), acc('det')),
        },
      ]),
    ],
  });
}
