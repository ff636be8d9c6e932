import { KilnError } from '../../../runtime/errors.js';
import { attrInt, attrIntsOpt, attrString } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import { type Activation, type Expr, type Stmt, affine } from '../ir.js';
import { type LowerContext, constantF32 } from './context.js';
import { type ConvGeometry, type ConvOperands, lowerConvGemm } from './conv-gemm.js';
import { strides } from './loops.js';
import { padSpatial } from './pad.js';
import { lowerConvNd } from './conv-nd.js';

/** Kernel geometry shared by Conv and pooling: pads resolved from auto_pad, output sizes. */
export interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  begin: number[];
  end: number[];
  out: number[];
}

export function windowOf(node: Node, inSpatial: number[], kernel: number[], ceilMode = false): Window {
  const n = inSpatial.length;
  const st = attrIntsOpt(node, 'strides') ?? new Array<number>(n).fill(1);
  const dil = attrIntsOpt(node, 'dilations') ?? new Array<number>(n).fill(1);
  const pads = attrIntsOpt(node, 'pads') ?? new Array<number>(2 * n).fill(0);
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  const begin: number[] = [];
  const end: number[] = [];
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const ek = (kernel[i]! - 1) * dil[i]! + 1;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      const o = Math.ceil(inSpatial[i]! / st[i]!);
      const total = Math.max(0, (o - 1) * st[i]! + ek - inSpatial[i]!);
      const small = Math.floor(total / 2);
      begin.push(autoPad === 'SAME_UPPER' ? small : total - small);
      end.push(autoPad === 'SAME_UPPER' ? total - small : small);
      out.push(o);
    } else {
      const b = autoPad === 'VALID' ? 0 : pads[i]!;
      let e = autoPad === 'VALID' ? 0 : pads[i + n]!;
      const span = inSpatial[i]! + b + e - ek;
      let o = (ceilMode ? Math.ceil(span / st[i]!) : Math.floor(span / st[i]!)) + 1;
      // ceil_mode: the last window must start inside the input or its left padding
      if (ceilMode && (o - 1) * st[i]! >= inSpatial[i]! + b) o--;
      const need = (o - 1) * st[i]! + ek - (inSpatial[i]! + b + e);
      if (need > 0) e += need; // windows running past the end read the pad value
      begin.push(b);
      end.push(e);
      out.push(o);
    }
  }
  return { kernel, strides: st, dilations: dil, begin, end, out };
}

/**
 * Conv → kernels. Depthwise convs (one input channel per group) stay a direct loop kernel, where a
 * GEMM would have K = KH·KW only, unless the target asks for implicit convolutions; every other conv
 * becomes GEMMs (conv-gemm.ts).
 */
export function lowerConv(node: Node, ctx: LowerContext, activation: Activation = { kind: 'none' }): void {
  const [xName, wName, bName] = node.inputs;
  const xShape = ctx.shape(node, xName!);
  const wShape = ctx.shape(node, wName!);
  // 3-D convs and W/B fed at run time: direct loops (conv-nd.ts)
  if (xShape.length !== 4 || !ctx.constant(wName!) || (bName && !ctx.constant(bName))) {
    lowerConvNd(node, ctx, activation);
    return;
  }
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [M, icpg, KH, KW] = wShape as [number, number, number, number];
  const group = attrInt(node, 'group', 1);
  if (icpg * group !== C || M % group !== 0)
    throw new KilnError(`weights [${wShape}] do not fit ${C} input channels in ${group} groups`, {
      node: node.name,
      op: node.op,
    });
  const geo: ConvGeometry = {
    N,
    C,
    H,
    W,
    M,
    group,
    icpg,
    ocpg: M / group,
    KH,
    KW,
    win: windowOf(node, [H, W], [KH, KW]),
  };
  const [OH, OW] = geo.win.out as [number, number];
  const weights = constantF32(ctx, node, wName!, 'W');
  const bias = bName ? constantF32(ctx, node, bName, 'B') : undefined;
  const out = ctx.activation(node.outputs[0]!, N * M * OH * OW);
  const x = ctx.buffer(xName!);
  // a target rendering implicit convolutions takes depthwise ones as GEMMs of M = ocpg too (webgpu
  // renders small-M ones as a direct shader)
  const ops: ConvOperands = { x, weights, bias, out, activation };
  if (icpg === 1 && group > 1 && !ctx.options.implicitConv) lowerDirectConv(node.name, ctx, geo, ops);
  else lowerConvGemm(node.name, ctx, geo, ops);
}

/** Window terms (input channel, kh, kw) written out as one expression when there are at most this many. */
const UNROLL_WINDOW = 64;

/**
 * Direct convolution as a loop kernel: input padded once into a temp buffer, then for each output
 * channel and position an accumulator over (input channel, kernel window). The innermost output
 * column loop is vectorised (contiguous when stride is 1, gathered otherwise). Small windows are
 * unrolled into one sum so the window offsets become constant memory offsets.
 */
function lowerDirectConv(nodeName: string, ctx: LowerContext, geo: ConvGeometry, ops: ConvOperands): void {
  const { N, C, M, group, icpg, ocpg, KH, KW, win } = geo;
  const { x, weights, bias: biasData, out, activation } = ops;
  const [OH, OW] = win.out as [number, number];
  const padded = padSpatial(ctx, nodeName, x, [N, C, geo.H, geo.W], win.begin, win.end, 0);
  const [, , HP, WP] = padded.shape as [number, number, number, number];
  const wBuf = ctx.weight(`${nodeName}:W`, weights);
  const bBuf = biasData ? ctx.weight(`${nodeName}:B`, biasData) : undefined;
  const [sh, sw] = win.strides as [number, number];
  const [dh, dw] = win.dilations as [number, number];
  const ws = strides([M, icpg, KH, KW]);
  // oc = g*ocpg + o ; input channel = g*icpg + ic
  const xAt = (ic: number, kh: number, kw: number) =>
    affine(
      ic * HP * WP + kh * dh * WP + kw * dw,
      ['n', C * HP * WP],
      ['g', icpg * HP * WP],
      ['oh', sh * WP],
      ['ow', sw],
    );
  const wAt = (ic: number, kh: number, kw: number) =>
    affine(ic * ws[1]! + kh * ws[2]! + kw * ws[3]!, ['g', ocpg * ws[0]!], ['o', ws[0]!]);
  const term = (ic: number, kh: number, kw: number): Expr => ({
    k: 'bin',
    op: 'mul',
    a: { k: 'load', buf: padded.buf, at: xAt(ic, kh, kw) },
    b: { k: 'load', buf: wBuf, at: wAt(ic, kh, kw) },
  });
  const acc: Expr = { k: 'acc', name: 's' };
  let sum: Expr = bBuf
    ? { k: 'load', buf: bBuf, at: affine(0, ['g', ocpg], ['o', 1]) }
    : { k: 'const', v: 0 };
  const body: Stmt[] = [];
  if (icpg * KH * KW <= UNROLL_WINDOW) {
    for (let ic = 0; ic < icpg; ic++)
      for (let kh = 0; kh < KH; kh++)
        for (let kw = 0; kw < KW; kw++) sum = { k: 'bin', op: 'add', a: sum, b: term(ic, kh, kw) };
    body.push({ k: 'set', acc: 's', value: sum });
  } else {
    // loop variables as extra affine terms on the (0, 0, 0) window position
    const withVars = (e: Expr): Expr => {
      if (e.k !== 'load') return e;
      const extra: [string, number][] =
        e.buf === wBuf
          ? [
              ['ic', ws[1]!],
              ['kh', ws[2]!],
              ['kw', ws[3]!],
            ]
          : [
              ['ic', HP * WP],
              ['kh', dh * WP],
              ['kw', dw],
            ];
      return { ...e, at: { terms: [...e.at.terms, ...extra.map(([v, c]) => ({ v, c }))], c: e.at.c } };
    };
    const t = term(0, 0, 0) as Extract<Expr, { k: 'bin' }>;
    body.push({ k: 'set', acc: 's', value: sum });
    body.push(
      loop('ic', icpg, [
        loop('kh', KH, [
          loop('kw', KW, [
            {
              k: 'set',
              acc: 's',
              value: { k: 'bin', op: 'add', a: acc, b: { ...t, a: withVars(t.a), b: withVars(t.b) } },
            },
          ]),
        ]),
      ]),
    );
  }
  body.push({
    k: 'store',
    buf: out,
    at: affine(0, ['n', M * OH * OW], ['g', ocpg * OH * OW], ['o', OH * OW], ['oh', OW], ['ow', 1]),
    value: applyActivation(acc, activation),
  });
  ctx.emit({
    kind: 'loops',
    name: group === C && group > 1 ? 'depthwise_conv' : 'conv',
    nodes: [nodeName],
    buffers: [],
    body: [
      loop('n', N, [
        loop('g', group, [
          loop('o', ocpg, [loop('oh', OH, [{ k: 'loop', v: 'ow', n: OW, vector: OW >= 4, body }])]),
        ]),
      ]),
    ],
  });
}

function loop(v: string, n: number, body: Stmt[]): Stmt {
  return { k: 'loop', v, n, body };
}

export function applyActivation(x: Expr, a: Activation): Expr {
  switch (a.kind) {
    case 'none':
      return x;
    case 'relu':
      return { k: 'bin', op: 'max', a: x, b: { k: 'const', v: 0 } };
    case 'clip':
      return {
        k: 'bin',
        op: 'min',
        a: { k: 'bin', op: 'max', a: x, b: { k: 'const', v: a.min } },
        b: { k: 'const', v: a.max },
      };
    case 'leaky_relu':
      return {
        k: 'select',
        cmp: 'gt',
        a: x,
        b: { k: 'const', v: 0 },
        t: x,
        f: { k: 'bin', op: 'mul', a: x, b: { k: 'const', v: a.alpha } },
      };
  }
}
