import { KilnError } from '../../../runtime/errors.js';
import { attrInt } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import { transposeGeometry } from '../../reference/ops/nn/convTranspose.js';
import { readWindow } from '../../reference/ops/nn/spatial.js';
import { type Affine, type Expr, type Stmt, affine } from '../ir.js';
import type { LowerContext } from './context.js';
import { lowerConvTransposeGemm } from './conv-transpose-gemm.js';
import { loopNest, strides } from './loops.js';

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** A buffer for a value: its weight when constant, else its activation. */
const source = (ctx: LowerContext, node: Node, v: string) =>
  ctx.constant(v) ? ctx.constantBuffer(node, v) : ctx.buffer(v);

/**
 * ConvTranspose (any number of spatial axes, groups, dilations, output_padding, output_shape,
 * auto_pad) as a scatter-add, which keeps every index affine:
 * 1. zero a temporary T that covers both the uncropped output (s·(in−1) + output_padding + eff) and the
 *    cropped window [padBegin, padBegin + out) (output_shape may ask for more than the full size);
 * 2. T[n, g·Mg+m, ih·s + kh·d] += Σ_c X[n, g·Cg+c, ih] · W[g·Cg+c, m, kh] for every kernel and input
 *    position (iterations over n, g, m write disjoint channels; kernel positions overlap, so they run in
 *    order within a channel);
 * 3. Y[n, oc, o] = T[n, oc, o + padBegin] + B[oc].
 * X and W (and B) may be constants or fed at run time. A 2-D one with kernel = stride and constant
 * weights is a GEMM plus a placement copy instead (conv-transpose-gemm.ts).
 */
export function lowerConvTranspose(node: Node, ctx: LowerContext): void {
  const [xName, wName, bName] = node.inputs;
  const xs = ctx.shape(node, xName!);
  const ws = ctx.shape(node, wName!);
  const ys = ctx.shape(node, node.outputs[0]!);
  const nsp = xs.length - 2;
  const group = attrInt(node, 'group', 1);
  const win = readWindow(node, nsp, ws.slice(2));
  if (win.kernel.some((k, i) => k !== ws[i + 2]))
    throw new KilnError(
      `kernel_shape [${win.kernel.join(',')}] differs from W's [${ws.slice(2).join(',')}]`,
      {
        node: node.name,
        op: node.op,
        expected: "kernel_shape equal to W's spatial dims on the wasm target",
      },
    );
  const inSp = xs.slice(2);
  const geo = transposeGeometry(node, inSp, win);
  const [N, C] = [xs[0]!, xs[1]!];
  const Cg = C / group;
  const Mg = ws[1]!;
  const M = Mg * group;
  if (ys[1] !== M || geo.out.some((o, i) => o !== ys[i + 2]))
    throw new KilnError(`output shape [${ys.join(',')}] disagrees with the attributes`, {
      node: node.name,
      op: node.op,
      expected: `[${[N, M, ...geo.out].join(',')}]`,
    });
  if (lowerConvTransposeGemm(node, ctx, xs, ws, group, win, geo)) return;
  // T's spatial extent: the scatter range [0, full) and the read window [pb, pb + out), shifted by lo.
  const lo: number[] = [];
  const tsp: number[] = [];
  for (let i = 0; i < nsp; i++) {
    const full = win.strides[i]! * (inSp[i]! - 1) + (win.kernel[i]! - 1) * win.dilations[i]! + 1;
    const pb = geo.padBegin[i]!;
    lo.push(Math.min(0, pb));
    tsp.push(Math.max(full, pb + geo.out[i]!) - Math.min(0, pb));
  }
  const tShape = [N, M, ...tsp];
  const T = ctx.temp(`${node.name}:scatter`, size(tShape));
  const tSt = strides(tShape);
  const xSt = strides(xs);
  const wSt = strides(ws);
  const X = ctx.buffer(xName!);
  const W = source(ctx, node, wName!);
  const out = ctx.activation(node.outputs[0]!, size(ys));

  const zero = loopNest([size(tShape)], 'z', ([z]) => [
    { k: 'store', buf: T, at: affine(0, [z!, 1]), value: { k: 'const', v: 0 } },
  ]);

  // n, g, m, kernel position, input position; c innermost (the accumulation)
  const kv = win.kernel.map((_, i) => `k${i}`);
  const iv = inSp.map((_, i) => `i${i}`);
  const tAt: Affine = affine(
    -lo.reduce((a, l, i) => a + l * tSt[i + 2]!, 0),
    ['n', tSt[0]!],
    ['g', Mg * tSt[1]!],
    ['m', tSt[1]!],
    ...kv.map((v, i): [string, number] => [v, win.dilations[i]! * tSt[i + 2]!]),
    ...iv.map((v, i): [string, number] => [v, win.strides[i]! * tSt[i + 2]!]),
  );
  const xAt = affine(
    0,
    ['n', xSt[0]!],
    ['g', Cg * xSt[1]!],
    ['c', xSt[1]!],
    ...iv.map((v, i): [string, number] => [v, xSt[i + 2]!]),
  );
  const wAt = affine(
    0,
    ['g', Cg * wSt[0]!],
    ['c', wSt[0]!],
    ['m', wSt[1]!],
    ...kv.map((v, i): [string, number] => [v, wSt[i + 2]!]),
  );
  const acc: Expr = { k: 'acc', name: 's' };
  let scatter: Stmt[] = [
    { k: 'set', acc: 's', value: { k: 'const', v: 0 } },
    {
      k: 'loop',
      v: 'c',
      n: Cg,
      body: [
        {
          k: 'set',
          acc: 's',
          value: {
            k: 'bin',
            op: 'add',
            a: acc,
            b: { k: 'bin', op: 'mul', a: { k: 'load', buf: X, at: xAt }, b: { k: 'load', buf: W, at: wAt } },
          },
        },
      ],
    },
    {
      k: 'store',
      buf: T,
      at: tAt,
      value: { k: 'bin', op: 'add', a: { k: 'load', buf: T, at: tAt }, b: acc },
    },
  ];
  const loops: [string, number][] = [
    ['n', N],
    ['g', group],
    ['m', Mg],
    ...kv.map((v, i): [string, number] => [v, win.kernel[i]!]),
    ...iv.map((v, i): [string, number] => [v, inSp[i]!]),
  ];
  for (let i = loops.length - 1; i >= 0; i--)
    scatter = [{ k: 'loop', v: loops[i]![0], n: loops[i]![1], body: scatter }];

  const ySt = strides(ys);
  const crop = loopNest(ys, 'y', (v) => {
    const at = affine(0, ...v.map((x, i): [string, number] => [x, ySt[i]!]));
    const from = affine(
      geo.padBegin.reduce((a, pb, i) => a + (pb - lo[i]!) * tSt[i + 2]!, 0),
      ...v.map((x, i): [string, number] => [x, tSt[i]!]),
    );
    const t: Expr = { k: 'load', buf: T, at: from };
    const value: Expr = bName
      ? {
          k: 'bin',
          op: 'add',
          a: t,
          b: { k: 'load', buf: source(ctx, node, bName), at: affine(0, [v[1]!, 1]) },
        }
      : t;
    return [{ k: 'store', buf: out, at, value }];
  });
  ctx.emit({
    kind: 'loops',
    name: 'conv_transpose',
    nodes: [node.name],
    buffers: [],
    body: [...zero, ...scatter, ...crop],
  });
}
