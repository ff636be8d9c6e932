import { attrInt } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import { type Expr, affine } from '../ir.js';
import type { LowerContext } from './context.js';
import { loopNest, strides } from './loops.js';

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** A buffer for a value: its weight when constant, else its activation. */
const source = (ctx: LowerContext, node: Node, v: string) =>
  ctx.constant(v) ? ctx.constantBuffer(node, v) : ctx.buffer(v);

/**
 * A run-time index read from `indices`, negative values counted from the end of an axis of size
 * `dim` (as the reference does). Indices outside [-dim, dim) are not checked at run time.
 */
export function normalised(index: Expr, dim: number): Expr {
  return {
    k: 'select',
    cmp: 'lt',
    a: index,
    b: { k: 'const', v: 0 },
    t: { k: 'bin', op: 'add', a: index, b: { k: 'const', v: dim } },
    f: index,
  };
}

/** Gather with run-time indices: out[o, j.., i] = data[o, idx[j..], i]. */
export function lowerGatherDynamic(node: Node, ctx: LowerContext): void {
  const inShape = ctx.shape(node, node.inputs[0]!);
  const idxShape = ctx.shape(node, node.inputs[1]!);
  const axis = attrInt(node, 'axis', 0);
  const a = axis < 0 ? axis + inShape.length : axis;
  const outer = size(inShape.slice(0, a));
  const inner = size(inShape.slice(a + 1));
  const D = inShape[a]!;
  const J = size(idxShape);
  const out = ctx.activation(node.outputs[0]!, outer * J * inner);
  const src = source(ctx, node, node.inputs[0]!);
  const idx: Expr = { k: 'load', buf: source(ctx, node, node.inputs[1]!), at: affine(0, ['j', 1]) };
  ctx.emit({
    kind: 'loops',
    name: 'gather',
    nodes: [node.name],
    buffers: [],
    body: loopNest(
      [outer, J, inner],
      'g',
      ([o, j, i]) => [
        { k: 'set', acc: 'ix', value: normalised({ ...idx, at: affine(0, [j!, 1]) }, D) },
        {
          k: 'store',
          buf: out,
          at: affine(0, [o!, J * inner], [j!, inner], [i!, 1]),
          value: {
            k: 'load',
            buf: src,
            at: { ...affine(0, [o!, D * inner], [i!, 1]), dyn: [{ e: { k: 'acc', name: 'ix' }, c: inner }] },
          },
        },
      ],
      false,
    ),
  });
}

/** GatherElements: out[p] = data[p with its `axis` coordinate replaced by idx[p]]. */
export function lowerGatherElements(node: Node, ctx: LowerContext): void {
  const inShape = ctx.shape(node, node.inputs[0]!);
  const idxShape = ctx.shape(node, node.inputs[1]!);
  const axis = attrInt(node, 'axis', 0);
  const a = axis < 0 ? axis + inShape.length : axis;
  const ds = strides(inShape);
  const is = strides(idxShape);
  const out = ctx.activation(node.outputs[0]!, size(idxShape));
  const src = source(ctx, node, node.inputs[0]!);
  const idxBuf = source(ctx, node, node.inputs[1]!);
  ctx.emit({
    kind: 'loops',
    name: 'gather_elements',
    nodes: [node.name],
    buffers: [],
    body: loopNest(
      idxShape,
      'g',
      (v) => {
        const at = affine(0, ...v.map((x, k): [string, number] => [x, is[k]!]));
        const ix = normalised({ k: 'load', buf: idxBuf, at }, inShape[a]!);
        return [
          {
            k: 'store',
            buf: out,
            at,
            value: {
              k: 'load',
              buf: src,
              at: {
                ...affine(0, ...v.flatMap((x, k): [string, number][] => (k === a ? [] : [[x, ds[k]!]]))),
                dyn: [{ e: ix, c: ds[a]! }],
              },
            },
          },
        ];
      },
      false,
    ),
  });
}
