import { KilnError } from '../../../runtime/errors.js';
import { attrFloat, attrInts, attrString } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import { type ElemType, type Expr, type Stmt, affine } from '../ir.js';
import { type LowerContext, constantF32 } from './context.js';
import { loopNest, strides } from './loops.js';

/**
 * Copy `src` (shape [N, C, H, W...]) into a temp buffer padded on the spatial dims with `value`, so the
 * window loops of conv/pool read without bounds checks. Returns the temp buffer and its shape.
 * `convert` (optional) gives the temp's element type (default f32) and may map each loaded element
 * (integer convs subtract the zero point): with a map the copy is made even without padding.
 */
export function padSpatial(
  ctx: LowerContext,
  node: string,
  src: string,
  shape: number[],
  begin: number[],
  end: number[],
  value: number,
  convert?: { dtype: ElemType; map?: (e: Expr) => Expr },
): { buf: string; shape: number[] } {
  const padded = shape.map((d, i) => (i < 2 ? d : d + begin[i - 2]! + end[i - 2]!));
  if (!convert?.map && begin.every((p) => p === 0) && end.every((p) => p === 0)) return { buf: src, shape };
  const total = padded.reduce((a, b) => a * b, 1);
  const buf = ctx.temp(`${node}:pad`, total, convert?.dtype);
  const map = convert?.map ?? ((e: Expr) => e);
  const ps = strides(padded);
  const ss = strides(shape);
  ctx.emit({
    kind: 'loops',
    name: 'pad',
    nodes: [node],
    buffers: [],
    body: [
      ...(padded.some((d, i) => d !== shape[i])
        ? [
            {
              k: 'loop',
              v: 'f',
              n: total,
              vector: true,
              body: [{ k: 'store', buf, at: affine(0, ['f', 1]), value: { k: 'const', v: value } }],
            } satisfies Stmt,
          ]
        : []),
      ...loopNest(shape, 'p', (vars) => {
        const offset = begin.reduce((acc, b, i) => acc + b * ps[i + 2]!, 0);
        return [
          {
            k: 'store',
            buf,
            at: affine(offset, ...vars.map((v, i): [string, number] => [v, ps[i]!])),
            value: map({
              k: 'load',
              buf: src,
              at: affine(0, ...vars.map((v, i): [string, number] => [v, ss[i]!])),
            }),
          },
        ];
      }),
    ],
  });
  return { buf, shape: padded };
}

/**
 * Pad (constant, edge, reflect; negative pads crop): one axis at a time, each step copying the kept
 * interior as one slab and every padded position as a slab of one index whose source is a fixed
 * index (edge: the border, reflect: the mirror) or the constant. Pads are small in practice, so the
 * kernel count stays low.
 */
export function lowerPad(node: Node, ctx: LowerContext): void {
  const inShape = ctx.shape(node, node.inputs[0]!);
  const rank = inShape.length;
  const mode = attrString(node, 'mode', 'constant');
  const pads = ctx.opset(node) >= 11 ? intsInput(ctx, node, 1, 'pads') : attrInts(node, 'pads');
  const value = padValue(node, ctx);
  const axes = (node.inputs[3] ? intsInput(ctx, node, 3, 'axes') : inShape.map((_, i) => i)).map((a) =>
    a < 0 ? a + rank : a,
  );
  const begin = new Array<number>(rank).fill(0);
  const end = new Array<number>(rank).fill(0);
  axes.forEach((a, j) => {
    begin[a] = pads[j]!;
    end[a] = pads[j + axes.length]!;
  });
  if (mode !== 'constant' && mode !== 'edge' && mode !== 'reflect')
    throw new KilnError(`Pad mode '${mode}'`, {
      node: node.name,
      op: node.op,
      expected: 'constant, edge or reflect',
    });
  if (mode !== 'constant' && [...begin, ...end].some((p) => p < 0))
    throw new KilnError('negative pads with edge/reflect mode', { node: node.name, op: node.op });
  let src = ctx.constant(node.inputs[0]!)
    ? ctx.constantBuffer(node, node.inputs[0]!)
    : ctx.buffer(node.inputs[0]!);
  let shape = [...inShape];
  const steps = shape.map((_, a) => a).filter((a) => begin[a] !== 0 || end[a] !== 0);
  if (!steps.length) steps.push(0); // nothing to pad: still one copy into the output
  steps.forEach((a, si) => {
    const d = shape[a]!;
    const outShape = shape.map((x, i) => (i === a ? d + begin[a]! + end[a]! : x));
    const last = si === steps.length - 1;
    const dst = last
      ? ctx.activation(
          node.outputs[0]!,
          outShape.reduce((p, x) => p * x, 1),
        )
      : ctx.temp(
          `${node.name}:pad${a}`,
          outShape.reduce((p, x) => p * x, 1),
          ctx.elemType(node, node.outputs[0]!),
        );
    const ist = strides(shape);
    const ost = strides(outShape);
    /** Copy source index `from` (or the constant) of axis a into output positions [to, to + n). */
    const slab = (to: number, n: number, from: number | undefined) => {
      if (n <= 0) return;
      const slabShape = shape.map((x, i) => (i === a ? n : x));
      ctx.emit({
        kind: 'loops',
        name: 'pad',
        nodes: [node.name],
        buffers: [],
        body: loopNest(slabShape, 'p', (v) => [
          {
            k: 'store',
            buf: dst,
            at: affine(to * ost[a]!, ...v.map((x, i): [string, number] => [x, ost[i]!])),
            value:
              from === undefined
                ? { ...value }
                : {
                    k: 'load',
                    buf: src,
                    at: affine(from * ist[a]!, ...v.map((x, i): [string, number] => [x, ist[i]!])),
                  },
          },
        ]),
      });
    };
    const lo = Math.max(0, -begin[a]!);
    const hi = d - Math.max(0, -end[a]!);
    slab(Math.max(0, begin[a]!), hi - lo, lo); // the interior (cropped by negative pads)
    for (let p = 0; p < begin[a]!; p++) slab(p, 1, border(mode, begin[a]! - p, d, 'begin'));
    for (let p = 0; p < end[a]!; p++) slab(begin[a]! + d + p, 1, border(mode, p + 1, d, 'end'));
    src = dst;
    shape = outShape;
  });
}

/**
 * The constant mode's fill: the attribute (opset < 11), else the constant_value input — read at
 * compile time when constant, else loaded at run time from its one element.
 */
function padValue(node: Node, ctx: LowerContext): Expr {
  const v = node.inputs[2];
  if (ctx.opset(node) < 11) return { k: 'const', v: attrFloat(node, 'value', 0) };
  if (!v) return { k: 'const', v: 0 };
  if (ctx.constant(v)) return { k: 'const', v: constantF32(ctx, node, v, 'constant_value')[0] ?? 0 };
  return { k: 'load', buf: ctx.buffer(v), at: affine(0) };
}

/** Source index for the position `k` (≥ 1) steps outside one side of an axis of size d. */
function border(mode: string, k: number, d: number, side: 'begin' | 'end'): number | undefined {
  if (mode === 'constant') return undefined;
  if (mode === 'edge') return side === 'begin' ? 0 : d - 1;
  // reflect excludes the border itself: positions mirror around index 0 (or d-1), period 2(d-1)
  const period = Math.max(1, 2 * (d - 1));
  let i = side === 'begin' ? -k : d - 1 + k;
  i = ((i % period) + period) % period;
  return i < d ? i : period - i;
}

function intsInput(ctx: LowerContext, node: Node, i: number, what: string): number[] {
  const t = ctx.constant(node.inputs[i]!);
  if (!t)
    throw new KilnError(`${what} must be a constant for the wasm target`, { node: node.name, op: node.op });
  return Array.from(t.data as ArrayLike<number | bigint>, Number);
}
