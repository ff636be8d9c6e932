import { attrInt } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import { type Expr, type Stmt, computeType } from '../ir.js';
import { splitAxes } from './axes.js';
import type { LowerContext } from './context.js';

/**
 * ArgMax / ArgMin along one axis, on any element type. Indices are tracked as floats (exact below
 * 2^24) from an iota weight and converted to the int64 output when stored. The first extreme wins
 * unless select_last_index is set.
 */
export function lowerArgExtreme(node: Node, ctx: LowerContext): void {
  const shape = ctx.shape(node, node.inputs[0]!);
  const axis = attrInt(node, 'axis', 0);
  const a = axis < 0 ? axis + shape.length : axis;
  const last = attrInt(node, 'select_last_index', 0) === 1;
  const max = node.op === 'ArgMax';
  const sp = splitAxes(shape, [a]);
  const d = shape[a]!;
  const iota = ctx.weight(
    `${node.name}:iota`,
    Float32Array.from({ length: d }, (_, i) => i),
  );
  const out = ctx.activation(node.outputs[0]!, sp.outer);
  const x: Expr = { k: 'load', buf: ctx.buffer(node.inputs[0]!), at: sp.inAt };
  const m: Expr = { k: 'acc', name: 'm' };
  const cmp = max ? (last ? 'ge' : 'gt') : last ? 'le' : 'lt';
  const pick = (t: Expr, f: Expr): Expr => ({ k: 'select', cmp, a: x, b: m, t, f });
  const body: Stmt[] = [
    {
      k: 'set',
      acc: 'm',
      // ±Infinity in an integer type is its extreme value
      value: {
        k: 'const',
        v: max ? -Infinity : Infinity,
        t: computeType(ctx.elemType(node, node.inputs[0]!)),
      },
    },
    { k: 'set', acc: 'i', value: { k: 'const', v: 0 } },
    ...sp.reduceLoops([
      {
        k: 'set',
        acc: 'i',
        value: pick(
          { k: 'load', buf: iota, at: { terms: [{ v: 'r0', c: 1 }], c: 0 } },
          { k: 'acc', name: 'i' },
        ),
      },
      { k: 'set', acc: 'm', value: pick(x, m) },
    ]),
    { k: 'store', buf: out, at: sp.outAt, value: { k: 'cast', to: 'i64', a: { k: 'acc', name: 'i' } } },
  ];
  ctx.emit({ kind: 'loops', name: node.op, nodes: [node.name], buffers: [], body: sp.keptLoops(body) });
}
