import { attrInt } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import { type Expr, type Stmt, affine, computeType } from '../ir.js';
import type { LowerContext } from './context.js';

/**
 * CumSum on any element type: for each line along the axis, a running accumulator stored at every
 * step (before the add when `exclusive`; walking the line backwards when `reverse`). The axis may be
 * a constant (one pass) or a scalar fed at run time: then one pass per possible axis, each storing
 * only where the (normalised) fed axis equals its own and keeping the element otherwise. A fed axis
 * outside [-rank, rank) leaves the output unwritten (not range-checked, like run-time indices).
 */
export function lowerCumSum(node: Node, ctx: LowerContext): void {
  const shape = ctx.shape(node, node.inputs[0]!);
  const rank = shape.length;
  const t = computeType(ctx.elemType(node, node.inputs[0]!));
  const exclusive = attrInt(node, 'exclusive', 0) === 1;
  const reverse = attrInt(node, 'reverse', 0) === 1;
  const x = ctx.buffer(node.inputs[0]!);
  const out = ctx.activation(
    node.outputs[0]!,
    shape.reduce((a, b) => a * b, 1),
  );
  const axisName = node.inputs[1]!;
  const axisConst = ctx.constant(axisName);
  let fedAxis: Expr | undefined;
  let axes: number[];
  if (axisConst) {
    const a = Number(axisConst.data[0]);
    axes = [a < 0 ? a + rank : a];
  } else {
    const ax: Expr = { k: 'load', buf: ctx.buffer(axisName), at: affine(0) };
    fedAxis = {
      k: 'select',
      cmp: 'lt',
      a: ax,
      b: { k: 'const', v: 0 },
      t: { k: 'bin', op: 'add', a: ax, b: { k: 'const', v: rank } },
      f: ax,
    };
    axes = Array.from({ length: rank }, (_, i) => i);
  }
  const body: Stmt[] = axes.map((a) => {
    const O = shape.slice(0, a).reduce((p, d) => p * d, 1);
    const D = shape[a]!;
    const I = shape.slice(a + 1).reduce((p, d) => p * d, 1);
    // j walks the line; its element is j (forward) or D-1-j (reverse)
    const at = reverse
      ? affine((D - 1) * I, ['o', D * I], ['j', -I], ['i', 1])
      : affine(0, ['o', D * I], ['j', I], ['i', 1]);
    const s: Expr = { k: 'acc', name: 's' };
    const guarded = (v: Expr): Expr =>
      fedAxis
        ? {
            k: 'select',
            cmp: 'eq',
            a: fedAxis,
            b: { k: 'const', v: a },
            t: v,
            f: { k: 'load', buf: out, at },
          }
        : v;
    const sum: Stmt = {
      k: 'set',
      acc: 's',
      value: { k: 'bin', op: 'add', a: s, b: { k: 'load', buf: x, at } },
    };
    const store: Stmt = { k: 'store', buf: out, at, value: guarded(s) };
    return {
      k: 'loop',
      v: 'o',
      n: O,
      body: [
        {
          k: 'loop',
          v: 'i',
          n: I,
          body: [
            { k: 'set', acc: 's', value: { k: 'const', v: 0, t } },
            { k: 'loop', v: 'j', n: D, body: exclusive ? [store, sum] : [sum, store] },
          ],
        },
      ],
    };
  });
  ctx.emit({ kind: 'loops', name: 'cumsum', nodes: [node.name], buffers: [], body });
}
