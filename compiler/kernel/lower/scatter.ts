import { KilnError } from '../../../runtime/errors.js';
import { attrInt, attrString } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import { type Affine, type BinaryOp, type Expr, type Stmt, affine } from '../ir.js';
import type { LowerContext } from './context.js';
import { normalised } from './gather-dynamic.js';
import { loopNest, strides } from './loops.js';

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** A buffer for a value: its weight when constant, else its activation. */
const source = (ctx: LowerContext, node: Node, v: string) =>
  ctx.constant(v) ? ctx.constantBuffer(node, v) : ctx.buffer(v);

/** How an update combines with the element it lands on (the reduction attribute, opset 16/18). */
function combiner(node: Node, ctx: LowerContext): ((old: Expr, upd: Expr) => Expr) | undefined {
  const r = ctx.opset(node) >= 16 ? attrString(node, 'reduction', 'none') : 'none';
  // bool is held as f32 0/1: add is or (max), mul is and
  const bool = ctx.dtype(node.inputs[0]!) === 'bool';
  const op: Record<string, BinaryOp | undefined> = {
    none: undefined,
    add: bool ? 'max' : 'add',
    mul: 'mul',
    max: 'max',
    min: 'min',
  };
  if (!(r in op))
    throw new KilnError(`reduction '${r}'`, {
      node: node.name,
      op: node.op,
      expected: 'none, add, mul, max or min',
    });
  const b = op[r];
  return b ? (old, upd) => ({ k: 'bin', op: b, a: old, b: upd }) : undefined;
}

/** out = data, element by element (the scatter then overwrites in place). */
function copyOf(ctx: LowerContext, node: Node, out: string, n: number): Stmt[] {
  const data = source(ctx, node, node.inputs[0]!);
  return loopNest(
    [n],
    'z',
    ([z]) => [
      {
        k: 'store',
        buf: out,
        at: affine(0, [z!, 1]),
        value: { k: 'load', buf: data, at: affine(0, [z!, 1]) },
      },
    ],
    false,
  );
}

function scatterStore(out: string, at: Affine, upd: Expr, combine: ReturnType<typeof combiner>): Stmt {
  return { k: 'store', buf: out, at, value: combine ? combine({ k: 'load', buf: out, at }, upd) : upd };
}

/**
 * ScatterElements / Scatter on any element type: a copy of data, then for every index position p in
 * order, out[p with its `axis` coordinate replaced by indices[p]] = updates[p] (or combined with the
 * element by the reduction). Updates run sequentially, so duplicate indices behave as in the reference;
 * negative indices count from the end; indices are not range-checked at run time.
 */
export function lowerScatterElements(node: Node, ctx: LowerContext): void {
  const ds = ctx.shape(node, node.inputs[0]!);
  const is = ctx.shape(node, node.inputs[1]!);
  const axis = attrInt(node, 'axis', 0);
  const a = axis < 0 ? axis + ds.length : axis;
  const dSt = strides(ds);
  const iSt = strides(is);
  const out = ctx.activation(node.outputs[0]!, size(ds));
  const idx = source(ctx, node, node.inputs[1]!);
  const upd = source(ctx, node, node.inputs[2]!);
  const combine = combiner(node, ctx);
  const scatter = loopNest(
    is,
    's',
    (v) => {
      const at = affine(0, ...v.map((x, k): [string, number] => [x, iSt[k]!]));
      const ix = normalised({ k: 'load', buf: idx, at }, ds[a]!);
      const to: Affine = {
        ...affine(0, ...v.flatMap((x, k): [string, number][] => (k === a ? [] : [[x, dSt[k]!]]))),
        dyn: [{ e: ix, c: dSt[a]! }],
      };
      return [scatterStore(out, to, { k: 'load', buf: upd, at }, combine)];
    },
    false,
  );
  ctx.emit({
    kind: 'loops',
    name: 'scatter_elements',
    nodes: [node.name],
    buffers: [],
    body: [...copyOf(ctx, node, out, size(ds)), ...scatter],
  });
}

/**
 * ScatterND on any element type: a copy of data, then for every index tuple t (in order) the slice
 * out[indices[t, 0..k), ...] = updates[t, ...] (or combined by the reduction).
 */
export function lowerScatterND(node: Node, ctx: LowerContext): void {
  const ds = ctx.shape(node, node.inputs[0]!);
  const is = ctx.shape(node, node.inputs[1]!);
  const k = is[is.length - 1]!;
  const T = size(is.slice(0, -1));
  const S = size(ds.slice(k));
  const dSt = strides(ds);
  const out = ctx.activation(node.outputs[0]!, size(ds));
  const idx = source(ctx, node, node.inputs[1]!);
  const upd = source(ctx, node, node.inputs[2]!);
  const combine = combiner(node, ctx);
  const dyn = Array.from({ length: k }, (_, j) => ({
    e: normalised({ k: 'load', buf: idx, at: affine(j, ['t', k]) }, ds[j]!),
    c: dSt[j]!,
  }));
  const scatter: Stmt = {
    k: 'loop',
    v: 't',
    n: T,
    body: [
      {
        k: 'loop',
        v: 'e',
        n: S,
        body: [
          scatterStore(
            out,
            { ...affine(0, ['e', 1]), dyn },
            { k: 'load', buf: upd, at: affine(0, ['t', S], ['e', 1]) },
            combine,
          ),
        ],
      },
    ],
  };
  ctx.emit({
    kind: 'loops',
    name: 'scatter_nd',
    nodes: [node.name],
    buffers: [],
    body: [...copyOf(ctx, node, out, size(ds)), scatter],
  });
}

/**
 * GatherND on any element type: out[b, t, e] = data[b, indices[b, t, 0..k), e] for batch_dims leading
 * batch axes shared by data and indices.
 */
export function lowerGatherND(node: Node, ctx: LowerContext): void {
  const ds = ctx.shape(node, node.inputs[0]!);
  const is = ctx.shape(node, node.inputs[1]!);
  const bd = attrInt(node, 'batch_dims', 0);
  const k = is[is.length - 1]!;
  const B = size(ds.slice(0, bd));
  const T = size(is.slice(bd, -1));
  const S = size(ds.slice(bd + k));
  const perBatch = size(ds.slice(bd));
  const dSt = strides(ds);
  const out = ctx.activation(node.outputs[0]!, B * T * S);
  const data = source(ctx, node, node.inputs[0]!);
  const idx = source(ctx, node, node.inputs[1]!);
  const dyn = Array.from({ length: k }, (_, j) => ({
    e: normalised({ k: 'load', buf: idx, at: affine(j, ['b', T * k], ['t', k]) }, ds[bd + j]!),
    c: dSt[bd + j]!,
  }));
  const body: Stmt[] = [
    {
      k: 'store',
      buf: out,
      at: affine(0, ['b', T * S], ['t', S], ['e', 1]),
      value: { k: 'load', buf: data, at: { ...affine(0, ['b', perBatch], ['e', 1]), dyn } },
    },
  ];
  const loop = (v: string, n: number, b: Stmt[]): Stmt => ({ k: 'loop', v, n, body: b });
  ctx.emit({
    kind: 'loops',
    name: 'gather_nd',
    nodes: [node.name],
    buffers: [],
    body: [loop('b', B, [loop('t', T, [loop('e', S, body)])])],
  });
}
