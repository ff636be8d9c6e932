import { attrInt } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import { type CompareOp, type Expr, type Stmt, affine, computeType } from '../ir.js';
import type { LowerContext } from './context.js';
import { iota, iotaAt } from './iota.js';

const c = (v: number): Expr => ({ k: 'const', v });
const sel = (cmp: CompareOp, a: Expr, b: Expr, t: Expr, f: Expr): Expr => ({ k: 'select', cmp, a, b, t, f });

/**
 * 1 when element j comes before element i in TopK's order, else 0 (f32): larger first (smaller
 * first when `largest` is false), equal values by lower index, NaN counted as the largest value (as
 * the reference, numpy's sort order).
 */
function before(xj: Expr, xi: Expr, jPos: Expr, iPos: Expr, largest: boolean): Expr {
  const lower = sel('lt', jPos, iPos, c(1), c(0));
  const ordered = sel(largest ? 'gt' : 'lt', xj, xi, c(1), sel('eq', xj, xi, lower, c(0)));
  // x == x is false only for NaN
  return sel(
    'eq',
    xj,
    xj,
    sel('eq', xi, xi, ordered, c(largest ? 0 : 1)),
    sel('eq', xi, xi, c(largest ? 1 : 0), lower),
  );
}

/**
 * TopK on any element type, as two loop nests: each element's rank along the axis (how many
 * elements come before it, O(n²) comparisons), then for each of the k output positions the element
 * of that rank and its index (int64). Output is always sorted, which `sorted=0` allows. K decides
 * the shape, so it is a constant (or bound, kiln compile --bind).
 */
export function lowerTopK(node: Node, ctx: LowerContext): void {
  const shape = ctx.shape(node, node.inputs[0]!);
  const outShape = ctx.shape(node, node.outputs[0]!);
  const axis = attrInt(node, 'axis', -1);
  const a = axis < 0 ? axis + shape.length : axis;
  const largest = ctx.opset(node) < 11 || attrInt(node, 'largest', 1) !== 0;
  const n = shape[a]!;
  const k = outShape[a]!;
  const outer = shape.slice(0, a).reduce((p, d) => p * d, 1);
  const inner = shape.slice(a + 1).reduce((p, d) => p * d, 1);
  const xt = computeType(ctx.elemType(node, node.inputs[0]!));
  const pos = iota(ctx, node, 'positions', Math.max(n, k), 'float32');
  const x = ctx.valueBuffer(node, node.inputs[0]!);
  const rank = ctx.temp(`${node.name}:rank`, outer * n * inner);
  const values = ctx.activation(node.outputs[0]!, outer * k * inner);
  const indices = node.outputs[1] ? ctx.activation(node.outputs[1], outer * k * inner) : undefined;
  const xAt = (v: string) => affine(0, ['o', n * inner], [v, inner], ['q', 1]);
  const ld = (v: string): Expr => ({ k: 'load', buf: x, at: xAt(v) });
  const around = (mid: string, count: number, body: Stmt[]): Stmt[] => [
    {
      k: 'loop',
      v: 'o',
      n: outer,
      body: [{ k: 'loop', v: mid, n: count, body: [{ k: 'loop', v: 'q', n: inner, body }] }],
    },
  ];
  const ranks = around('i', n, [
    { k: 'set', acc: 'r', value: c(0) },
    {
      k: 'loop',
      v: 'j',
      n,
      body: [
        {
          k: 'set',
          acc: 'r',
          value: {
            k: 'bin',
            op: 'add',
            a: { k: 'acc', name: 'r' },
            b: before(ld('j'), ld('i'), iotaAt(pos, 'j'), iotaAt(pos, 'i'), largest),
          },
        },
      ],
    },
    { k: 'store', buf: rank, at: xAt('i'), value: { k: 'acc', name: 'r' } },
  ]);
  // ranks are distinct (ties broken by index), so exactly one element matches each position
  const hit = (t: Expr, f: Expr): Expr =>
    sel('eq', { k: 'load', buf: rank, at: xAt('i') }, iotaAt(pos, 'p'), t, f);
  const outAt = affine(0, ['o', k * inner], ['p', inner], ['q', 1]);
  const picks = around('p', k, [
    { k: 'set', acc: 'v', value: { k: 'const', v: 0, t: xt } },
    { k: 'set', acc: 'ix', value: c(0) },
    {
      k: 'loop',
      v: 'i',
      n,
      body: [
        { k: 'set', acc: 'v', value: hit(ld('i'), { k: 'acc', name: 'v' }) },
        { k: 'set', acc: 'ix', value: hit(iotaAt(pos, 'i'), { k: 'acc', name: 'ix' }) },
      ],
    },
    { k: 'store', buf: values, at: outAt, value: { k: 'acc', name: 'v' } },
    ...(indices
      ? [
          {
            k: 'store',
            buf: indices,
            at: outAt,
            value: { k: 'cast', to: 'i64', a: { k: 'acc', name: 'ix' } },
          } as Stmt,
        ]
      : []),
  ]);
  ctx.emit({ kind: 'loops', name: 'top_k', nodes: [node.name], buffers: [], body: [...ranks, ...picks] });
}
