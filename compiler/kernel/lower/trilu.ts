import { attrInt } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import { type Expr, type Stmt, affine } from '../ir.js';
import type { LowerContext } from './context.js';
import { iota } from './iota.js';

/**
 * Trilu on any element type: keeps x[.., i, j] where j - i ≥ k (upper) or ≤ k (lower), else 0. k
 * may be a constant or a run-time int64 scalar (it selects elements, not the shape).
 */
export function lowerTrilu(node: Node, ctx: LowerContext): void {
  const shape = ctx.shape(node, node.inputs[0]!);
  const N = shape[shape.length - 2]!;
  const M = shape[shape.length - 1]!;
  const B = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const upper = attrInt(node, 'upper', 1) === 1;
  const kv = node.inputs[1];
  const kc = kv ? ctx.constant(kv) : undefined;
  const k: Expr = !kv
    ? { k: 'const', v: 0 }
    : kc
      ? { k: 'const', v: Number(kc.data[0]) }
      : { k: 'load', buf: ctx.buffer(kv), at: affine(0) };
  const diag = diagonalOffset(ctx, node, N, M);
  const at = affine(0, ['b', N * M], ['i', M], ['j', 1]);
  const x: Expr = { k: 'load', buf: ctx.buffer(node.inputs[0]!), at };
  const out = ctx.activation(node.outputs[0]!, B * N * M);
  emitNest(
    ctx,
    node,
    'trilu',
    [
      ['b', B],
      ['i', N],
      ['j', M],
    ],
    {
      k: 'store',
      buf: out,
      at,
      value: { k: 'select', cmp: upper ? 'ge' : 'le', a: diag, b: k, t: x, f: { k: 'const', v: 0 } },
    },
  );
}

/**
 * EyeLike on any element type: out[i, j] = 1 where j - i = k, else 0 (the output's dtype from the
 * `dtype` attribute or the input's; only the input's static shape is read).
 */
export function lowerEyeLike(node: Node, ctx: LowerContext): void {
  const [N, M] = ctx.shape(node, node.inputs[0]!) as [number, number];
  const k = attrInt(node, 'k', 0);
  const diag = diagonalOffset(ctx, node, N, M);
  const out = ctx.activation(node.outputs[0]!, N * M);
  emitNest(
    ctx,
    node,
    'eye_like',
    [
      ['i', N],
      ['j', M],
    ],
    {
      k: 'store',
      buf: out,
      at: affine(0, ['i', M], ['j', 1]),
      value: {
        k: 'select',
        cmp: 'eq',
        a: diag,
        b: { k: 'const', v: k },
        t: { k: 'const', v: 1 },
        f: { k: 'const', v: 0 },
      },
    },
  );
}

/** j - i for the loop variables i < N (rows) and j < M (columns): the diagonal Trilu and EyeLike select on. */
function diagonalOffset(ctx: LowerContext, node: Node, N: number, M: number): Expr {
  const rows = iota(ctx, node, 'rows', N);
  const cols = iota(ctx, node, 'cols', M);
  return {
    k: 'bin',
    op: 'sub',
    a: { k: 'load', buf: cols, at: affine(0, ['j', 1]) },
    b: { k: 'load', buf: rows, at: affine(0, ['i', 1]) },
  };
}

/** One loops kernel: `loops` ([variable, count], outermost first, none vectorised) around `inner`. */
function emitNest(ctx: LowerContext, node: Node, name: string, loops: [string, number][], inner: Stmt): void {
  ctx.emit({
    kind: 'loops',
    name,
    nodes: [node.name],
    buffers: [],
    body: [loops.reduceRight<Stmt>((body, [v, n]) => ({ k: 'loop', v, n, body: [body] }), inner)],
  });
}
