import { attrInt } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import { type Expr, affine } from '../ir.js';
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
  const rows = iota(ctx, node, 'rows', N);
  const cols = iota(ctx, node, 'cols', M);
  const diag: Expr = {
    k: 'bin',
    op: 'sub',
    a: { k: 'load', buf: cols, at: affine(0, ['j', 1]) },
    b: { k: 'load', buf: rows, at: affine(0, ['i', 1]) },
  };
  const at = affine(0, ['b', N * M], ['i', M], ['j', 1]);
  const x: Expr = { k: 'load', buf: ctx.buffer(node.inputs[0]!), at };
  const out = ctx.activation(node.outputs[0]!, B * N * M);
  ctx.emit({
    kind: 'loops',
    name: 'trilu',
    nodes: [node.name],
    buffers: [],
    body: [
      {
        k: 'loop',
        v: 'b',
        n: B,
        body: [
          {
            k: 'loop',
            v: 'i',
            n: N,
            body: [
              {
                k: 'loop',
                v: 'j',
                n: M,
                body: [
                  {
                    k: 'store',
                    buf: out,
                    at,
                    value: {
                      k: 'select',
                      cmp: upper ? 'ge' : 'le',
                      a: diag,
                      b: k,
                      t: x,
                      f: { k: 'const', v: 0 },
                    },
                  },
                ],
              },
            ],
          },
        ],
      },
    ],
  });
}

/**
 * EyeLike on any element type: out[i, j] = 1 where j - i = k, else 0 (the output's dtype from the
 * `dtype` attribute or the input's; only the input's static shape is read).
 */
export function lowerEyeLike(node: Node, ctx: LowerContext): void {
  const [N, M] = ctx.shape(node, node.inputs[0]!) as [number, number];
  const k = attrInt(node, 'k', 0);
  const rows = iota(ctx, node, 'rows', N);
  const cols = iota(ctx, node, 'cols', M);
  const out = ctx.activation(node.outputs[0]!, N * M);
  const diag: Expr = {
    k: 'bin',
    op: 'sub',
    a: { k: 'load', buf: cols, at: affine(0, ['j', 1]) },
    b: { k: 'load', buf: rows, at: affine(0, ['i', 1]) },
  };
  ctx.emit({
    kind: 'loops',
    name: 'eye_like',
    nodes: [node.name],
    buffers: [],
    body: [
      {
        k: 'loop',
        v: 'i',
        n: N,
        body: [
          {
            k: 'loop',
            v: 'j',
            n: M,
            body: [
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
            ],
          },
        ],
      },
    ],
  });
}
