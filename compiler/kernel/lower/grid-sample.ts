import { KilnError } from '../../../runtime/errors.js';
import { attrInt, attrString } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import { type BinaryOp, type CompareOp, type Expr, affine } from '../ir.js';
import type { LowerContext } from './context.js';
import { loopNest, strides } from './loops.js';

const c = (v: number): Expr => ({ k: 'const', v });
const bin = (op: BinaryOp, a: Expr, b: Expr): Expr => ({ k: 'bin', op, a, b });
const floor = (a: Expr): Expr => ({ k: 'un', op: 'floor', a });
const sel = (cmp: CompareOp, a: Expr, b: Expr, t: Expr, f: Expr): Expr => ({ k: 'select', cmp, a, b, t, f });
const even = (n: Expr): Expr => bin('sub', n, bin('mul', c(2), floor(bin('mul', n, c(0.5)))));

/** Reflect x into [lo, hi] repeatedly, like a mirror pair (the reference's `reflect`). */
function reflect(x: Expr, lo: number, hi: number): Expr {
  const range = hi - lo;
  if (range <= 0) return c(lo);
  const fold = (dx: Expr, near: number, far: number): Expr => {
    const n = floor(bin('div', dx, c(range)));
    const r = bin('sub', dx, bin('mul', n, c(range)));
    const towardFar = near < far ? bin('add', c(near), r) : bin('sub', c(near), r);
    const towardNear = near < far ? bin('sub', c(far), r) : bin('add', c(far), r);
    return sel('eq', even(n), c(0), towardFar, towardNear);
  };
  return sel(
    'lt',
    x,
    c(lo),
    fold(bin('sub', c(lo), x), lo, hi),
    sel('gt', x, c(hi), fold(bin('sub', x, c(hi)), hi, lo), x),
  );
}

/** Cubic convolution weights (A = -0.75) of the 4 taps around a fractional offset t. */
function cubicWeights(t: Expr): Expr[] {
  const A = -0.75;
  const poly = (x: Expr, k: number[]): Expr =>
    // ((k0·x + k1)·x + k2)·x + k3
    bin(
      'add',
      bin('mul', bin('add', bin('mul', bin('add', bin('mul', c(k[0]!), x), c(k[1]!)), x), c(k[2]!)), x),
      c(k[3]!),
    );
  const outer = [A, -5 * A, 8 * A, -4 * A];
  const inner = [A + 2, -(A + 3), 0, 1];
  return [
    poly(bin('add', t, c(1)), outer),
    poly(t, inner),
    poly(bin('sub', c(1), t), inner),
    poly(bin('sub', c(2), t), outer),
  ];
}

/**
 * GridSample (float32): per output position and axis, the sampling coordinate from the grid, its taps
 * (nearest: 1, linear: 2, cubic: 4) with their weights, each tap index resolved by the padding mode
 * (zeros: out-of-range taps read 0; border: clamped; reflection: mirrored, then clamped), and the sum
 * over the product of taps of weight × X at the run-time index. As the reference, padding applies to
 * the integer taps, not to the coordinate.
 */
export function lowerGridSample(node: Node, ctx: LowerContext): void {
  const xShape = ctx.shape(node, node.inputs[0]!);
  const gShape = ctx.shape(node, node.inputs[1]!);
  const outShape = ctx.shape(node, node.outputs[0]!);
  const nd = xShape.length - 2;
  const opset = ctx.opset(node);
  const rawMode = attrString(node, 'mode', opset >= 20 ? 'linear' : 'bilinear');
  const mode = { nearest: 'nearest', bilinear: 'linear', linear: 'linear', bicubic: 'cubic', cubic: 'cubic' }[
    rawMode
  ];
  const padding = attrString(node, 'padding_mode', 'zeros');
  if (!mode || !['zeros', 'border', 'reflection'].includes(padding))
    throw new KilnError(`GridSample with mode '${rawMode}' and padding_mode '${padding}'`, {
      node: node.name,
      op: node.op,
      expected: 'mode nearest/linear/cubic, padding_mode zeros/border/reflection',
    });
  const align = attrInt(node, 'align_corners', 0) !== 0;
  const inSp = xShape.slice(2);
  const inStr = strides(xShape);
  const gStr = strides(gShape);
  const oStr = strides(outShape);
  const xBuf = ctx.valueBuffer(node, node.inputs[0]!);
  const gBuf = ctx.valueBuffer(node, node.inputs[1]!);
  const out = ctx.activation(
    node.outputs[0]!,
    outShape.reduce((a, b) => a * b, 1),
  );
  const taps = mode === 'nearest' ? 1 : mode === 'linear' ? 2 : 4;
  const body = loopNest(
    outShape,
    'g',
    (v) => {
      const [n, ch, ...o] = v as [string, string, ...string[]];
      // per axis: [index (a float holding an integer, in range), weight (0 where it reads zero)]
      const axisTaps = inSp.map((size, d) => {
        const g: Expr = {
          k: 'load',
          buf: gBuf,
          at: affine(nd - 1 - d, [n, gStr[0]!], ...o.map((x, k): [string, number] => [x, gStr[k + 1]!])),
        };
        const coord = align
          ? bin('mul', bin('mul', bin('add', g, c(1)), c(0.5)), c(size - 1))
          : bin('mul', bin('sub', bin('mul', bin('add', g, c(1)), c(size)), c(1)), c(0.5));
        const f = floor(coord);
        const t = bin('sub', coord, f);
        const first =
          mode === 'nearest'
            ? ({ k: 'un', op: 'round', a: coord } as Expr)
            : mode === 'linear'
              ? f
              : bin('sub', f, c(1));
        const weights =
          mode === 'nearest' ? [c(1)] : mode === 'linear' ? [bin('sub', c(1), t), t] : cubicWeights(t);
        const clamp = (i: Expr) => bin('min', bin('max', i, c(0)), c(size - 1));
        return weights.map((w, k): [Expr, Expr] => {
          const i = k === 0 ? first : bin('add', first, c(k));
          if (padding === 'border') return [clamp(i), w];
          if (padding === 'zeros') {
            const inRange = sel('lt', i, c(0), c(0), sel('gt', i, c(size - 1), c(0), w));
            return [clamp(i), inRange];
          }
          const lo = align ? 0 : -0.5;
          const hi = align ? size - 1 : size - 0.5;
          // truncate toward zero (the reference's Math.trunc), then clamp
          const r = reflect(i, lo, hi);
          const trunc = sel('lt', r, c(0), { k: 'un', op: 'ceil', a: r }, floor(r));
          return [clamp(trunc), w];
        });
      });
      let sum: Expr | undefined;
      for (let tap = 0; tap < taps ** nd; tap++) {
        let rem = tap;
        let w: Expr | undefined;
        const dyn: { e: Expr; c: number }[] = [];
        for (let d = nd - 1; d >= 0; d--) {
          const k = rem % taps;
          rem = (rem - k) / taps;
          const [i, wd] = axisTaps[d]![k]!;
          w = w ? bin('mul', w, wd) : wd;
          dyn.push({ e: { k: 'cast', to: 'i32', a: i }, c: inStr[d + 2]! });
        }
        const x: Expr = { k: 'load', buf: xBuf, at: { ...affine(0, [n, inStr[0]!], [ch, inStr[1]!]), dyn } };
        // a zero weight skips the tap (X there may be Inf or NaN, which 0· would spread)
        const term = sel('eq', w!, c(0), c(0), bin('mul', w!, x));
        sum = sum ? bin('add', sum, term) : term;
      }
      return [
        {
          k: 'store',
          buf: out,
          at: affine(0, ...v.map((x, k): [string, number] => [x, oStr[k]!])),
          value: sum!,
        },
      ];
    },
    false,
  );
  ctx.emit({ kind: 'loops', name: 'grid_sample', nodes: [node.name], buffers: [], body });
}
