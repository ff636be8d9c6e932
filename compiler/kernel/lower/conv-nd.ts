import { KilnError } from '../../../runtime/errors.js';
import { attrInt } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import { type Activation, type Affine, type ElemType, type Expr, type Stmt, affine } from '../ir.js';
import type { LowerContext } from './context.js';
import { applyActivation, windowOf } from './conv.js';
import { strides } from './loops.js';
import { padSpatial } from './pad.js';

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** A buffer for a value: its weight when constant, else its activation. */
const source = (ctx: LowerContext, node: Node, v: string) =>
  ctx.constant(v) ? ctx.constantBuffer(node, v) : ctx.buffer(v);

/**
 * Conv by direct loops, for what the GEMM and depthwise lowerings do not take: any number of spatial
 * axes (3-D convs), and W or B fed at run time (they cannot be packed at compile time). The input is
 * padded once (padSpatial); then per output channel and position an accumulator runs over the input
 * channels of its group and the kernel window. The epilogue activation is applied on the store.
 */
export function lowerConvNd(node: Node, ctx: LowerContext, activation: Activation = { kind: 'none' }): void {
  const [xName, wName, bName] = node.inputs;
  const B = bName ? source(ctx, node, bName) : undefined;
  directConv(node, ctx, {
    x: ctx.buffer(xName!),
    xShape: ctx.shape(node, xName!),
    w: source(ctx, node, wName!),
    wShape: ctx.shape(node, wName!),
    init: (channel) => (B ? { k: 'load', buf: B, at: channel } : { k: 'const', v: 0 }),
    term: (x, w) => ({ k: 'bin', op: 'mul', a: x, b: w }),
    finish: (acc) => applyActivation(acc, activation),
    name: 'conv_direct',
  });
}

/**
 * The parts of a direct convolution that differ by op (ConvInteger and QLinearConv compute in i32):
 * `padX` converts the padded copy (type, zero-point shift); `init` starts the accumulator and
 * `finish` gives the stored value, both at an output channel (`channel` indexes per-channel values);
 * `term` is one window tap's contribution.
 */
export interface DirectConvParts {
  x: string;
  xShape: number[];
  w: string;
  wShape: number[];
  padX?: { dtype: ElemType; map?: (e: Expr) => Expr };
  init: (channel: Affine) => Expr;
  term: (x: Expr, w: Expr, channel: Affine) => Expr;
  finish: (acc: Expr, channel: Affine) => Expr;
  name: string;
}

/** A direct N-D convolution loop kernel (see lowerConvNd); Conv's attributes give the window. */
export function directConv(node: Node, ctx: LowerContext, p: DirectConvParts): void {
  const xs = p.xShape;
  const ws = p.wShape;
  const nsp = xs.length - 2;
  const [N, C] = [xs[0]!, xs[1]!];
  const [M, icpg] = [ws[0]!, ws[1]!];
  const kernel = ws.slice(2);
  const group = attrInt(node, 'group', 1);
  if (nsp < 1 || ws.length !== xs.length || icpg * group !== C || M % group !== 0)
    throw new KilnError(`weights [${ws}] do not fit input [${xs}] in ${group} groups`, {
      node: node.name,
      op: node.op,
      expected: 'W of shape [M, C/group, k...] with M divisible by group',
    });
  const ocpg = M / group;
  const win = windowOf(node, xs.slice(2), kernel);
  const ys = [N, M, ...win.out];
  const padded = padSpatial(ctx, node.name, p.x, xs, win.begin, win.end, 0, p.padX);
  const ps = strides(padded.shape);
  const wSt = strides(ws);
  const ySt = strides(ys);
  const out = ctx.activation(node.outputs[0]!, size(ys));
  const ov = win.out.map((_, i) => `o${i}`);
  const kv = kernel.map((_, i) => `k${i}`);
  const channel = affine(0, ['g', ocpg], ['m', 1]);
  const xAt = affine(
    0,
    ['n', ps[0]!],
    ['g', icpg * ps[1]!],
    ['c', ps[1]!],
    ...ov.map((v, i): [string, number] => [v, win.strides[i]! * ps[i + 2]!]),
    ...kv.map((v, i): [string, number] => [v, win.dilations[i]! * ps[i + 2]!]),
  );
  const wAt = affine(
    0,
    ['g', ocpg * wSt[0]!],
    ['m', wSt[0]!],
    ['c', wSt[1]!],
    ...kv.map((v, i): [string, number] => [v, wSt[i + 2]!]),
  );
  const acc: Expr = { k: 'acc', name: 's' };
  let window: Stmt[] = [
    {
      k: 'set',
      acc: 's',
      value: {
        k: 'bin',
        op: 'add',
        a: acc,
        b: p.term({ k: 'load', buf: padded.buf, at: xAt }, { k: 'load', buf: p.w, at: wAt }, channel),
      },
    },
  ];
  for (let i = nsp - 1; i >= 0; i--) window = [{ k: 'loop', v: kv[i]!, n: kernel[i]!, body: window }];
  window = [{ k: 'loop', v: 'c', n: icpg, body: window }];
  const yAt = affine(
    0,
    ['n', ySt[0]!],
    ['g', ocpg * ySt[1]!],
    ['m', ySt[1]!],
    ...ov.map((v, i): [string, number] => [v, ySt[i + 2]!]),
  );
  let body: Stmt[] = [
    { k: 'set', acc: 's', value: p.init(channel) },
    ...window,
    { k: 'store', buf: out, at: yAt, value: p.finish(acc, channel) },
  ];
  const loops: [string, number][] = [
    ['n', N],
    ['g', group],
    ['m', ocpg],
    ...ov.map((v, i): [string, number] => [v, win.out[i]!]),
  ];
  for (let i = loops.length - 1; i >= 0; i--) body = [{ k: 'loop', v: loops[i]![0], n: loops[i]![1], body }];
  ctx.emit({ kind: 'loops', name: p.name, nodes: [node.name], buffers: [], body });
}
