import type { Node } from '../../ir/graph.js';
import type { Taps } from '../../reference/ops/tensor/resize-coeffs.js';
import { type Affine, type Expr, type Stmt, affine } from '../ir.js';
import type { LowerContext } from './context.js';
import { strides } from './loops.js';
import { int32Table } from './tables.js';

/** How one axis maps output positions to input positions. */
type AxisMap =
  | { kind: 'affine'; scale: number; offset: number } // in = scale·out + offset (identity, integer downscale)
  | { kind: 'repeat'; times: number } // in = floor(out / times) (integer upscale, floor-like modes)
  | { kind: 'table'; idx: Int32Array };

/** The cheapest exact description of one axis's nearest-neighbour source indices. */
function axisMap(idx: Int32Array): AxisMap {
  const n = idx.length;
  const step = n > 1 ? idx[1]! - idx[0]! : 1;
  if (idx.every((j, i) => j === idx[0]! + step * i)) return { kind: 'affine', scale: step, offset: idx[0]! };
  for (let s = 2; s <= n; s++) {
    if (idx.every((j, i) => j === Math.floor(i / s))) return { kind: 'repeat', times: s };
    if (idx[s - 1] !== 0) break;
  }
  return { kind: 'table', idx };
}

/**
 * Nearest-neighbour Resize as one gather copy over every axis: Y[..., i, ...] = X[..., src(i), ...],
 * src per axis from the reference's taps, each a single input index. An axis whose source index is
 * affine (unresized, integer downscale) or a repeat (integer upscale: out i → in ⌊i/s⌋, split into
 * loops q·s + r) keeps the access affine, so the innermost axis can be vectorised; any other mapping
 * reads a compile-time int32 table. Returns false (nothing emitted) when a position has no source
 * (tf_crop_and_resize outside the roi), which the interpolation-matrix path handles.
 */
export function lowerResizeNearest(
  node: Node,
  ctx: LowerContext,
  inShape: number[],
  outShape: number[],
  plans: Taps[][],
): boolean {
  if (plans.some((p) => p.some((t) => !t || t.idx.length !== 1))) return false;
  const maps = plans.map((p) => axisMap(Int32Array.from(p, (t) => t!.idx[0]!)));
  const [ist, ost] = [strides(inShape), strides(outShape)];
  const src = ctx.buffer(node.inputs[0]!);
  const dst = ctx.activation(
    node.outputs[0]!,
    outShape.reduce((a, b) => a * b, 1),
  );
  const loops: [string, number][] = [];
  const outAt: Affine = affine(0);
  const inAt: Affine = affine(0);
  const dyn: { e: Expr; c: number }[] = [];
  maps.forEach((m, a) => {
    const v = `a${a}`;
    if (m.kind === 'affine') {
      loops.push([v, outShape[a]!]);
      outAt.terms.push({ v, c: ost[a]! });
      if (m.scale) inAt.terms.push({ v, c: m.scale * ist[a]! });
      inAt.c += m.offset * ist[a]!;
    } else if (m.kind === 'repeat') {
      // r outer, q inner: the inner loop reads contiguously and stores with stride s
      loops.push([`${v}r`, m.times], [`${v}q`, inShape[a]!]);
      outAt.terms.push({ v: `${v}q`, c: m.times * ost[a]! }, { v: `${v}r`, c: ost[a]! });
      inAt.terms.push({ v: `${v}q`, c: ist[a]! });
    } else {
      loops.push([v, outShape[a]!]);
      outAt.terms.push({ v, c: ost[a]! });
      const table = int32Table(ctx, node, `nearest${a}`, m.idx);
      dyn.push({ e: { k: 'load', buf: table, at: affine(0, [v, 1]) }, c: ist[a]! });
    }
  });
  if (dyn.length) inAt.dyn = dyn;
  // the repeat split can leave a loop of the last axis before its inner one; vectorise the innermost
  const inner = loops.length - 1;
  let body: Stmt[] = [{ k: 'store', buf: dst, at: outAt, value: { k: 'load', buf: src, at: inAt } }];
  for (let i = inner; i >= 0; i--) {
    const [v, n] = loops[i]!;
    body = [{ k: 'loop', v, n, body, vector: i === inner && !dyn.length && n >= 4 }];
  }
  ctx.emit({ kind: 'loops', name: 'resize_nearest', nodes: [node.name], buffers: [], body });
  return true;
}
