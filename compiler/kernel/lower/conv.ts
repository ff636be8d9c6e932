import { KilnError } from '../../../runtime/errors.js';
import { attrInt, attrIntsOpt, attrString } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import { type Activation, type Expr, affine } from '../ir.js';
import { type LowerContext, constantF32 } from './context.js';
import { strides } from './loops.js';
import { padSpatial } from './pad.js';

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
 * Direct convolution as a loop kernel: input padded once into a temp buffer, then for each output
 * channel and position an accumulator over (input channel, kernel window). The innermost output
 * column loop is vectorised (contiguous when stride is 1, gathered otherwise).
 */
export function lowerConv(node: Node, ctx: LowerContext, activation: Activation = { kind: 'none' }): void {
  const [xName, wName, bName] = node.inputs;
  const xShape = ctx.shape(node, xName!);
  const wShape = ctx.shape(node, wName!);
  if (xShape.length !== 4) {
    throw new KilnError(`Conv input has rank ${xShape.length}`, {
      node: node.name,
      op: node.op,
      expected: '2-D convolution (rank 4 input) on the wasm target',
    });
  }
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [M, icpg, KH, KW] = wShape as [number, number, number, number];
  const group = attrInt(node, 'group', 1);
  const ocpg = M / group;
  if (icpg * group !== C)
    throw new KilnError(`weights expect ${icpg * group} input channels, input has ${C}`, {
      node: node.name,
      op: node.op,
    });
  const win = windowOf(node, [H, W], [KH, KW]);
  const [OH, OW] = win.out as [number, number];
  const padded = padSpatial(ctx, node.name, ctx.buffer(xName!), xShape, win.begin, win.end, 0);
  const [, , HP, WP] = padded.shape as [number, number, number, number];
  const wBuf = ctx.weight(wName!, constantF32(ctx, node, wName!, 'W'));
  const bBuf = bName ? ctx.weight(bName, constantF32(ctx, node, bName, 'B')) : undefined;
  const out = ctx.activation(node.outputs[0]!, N * M * OH * OW);
  const [sh, sw] = win.strides as [number, number];
  const [dh, dw] = win.dilations as [number, number];
  const ws = strides(wShape);
  // oc = g*ocpg + o ; input channel = g*icpg + ic
  const xAt = affine(
    0,
    ['n', C * HP * WP],
    ['g', icpg * HP * WP],
    ['ic', HP * WP],
    ['oh', sh * WP],
    ['kh', dh * WP],
    ['ow', sw],
    ['kw', dw],
  );
  const wAt = affine(0, ['g', ocpg * ws[0]!], ['o', ws[0]!], ['ic', ws[1]!], ['kh', ws[2]!], ['kw', ws[3]!]);
  const acc: Expr = { k: 'acc', name: 's' };
  const init: Expr = bBuf
    ? { k: 'load', buf: bBuf, at: affine(0, ['g', ocpg], ['o', 1]) }
    : { k: 'const', v: 0 };
  const body = [
    { k: 'set' as const, acc: 's', value: init },
    loop('ic', icpg, [
      loop('kh', KH, [
        loop('kw', KW, [
          {
            k: 'set' as const,
            acc: 's',
            value: {
              k: 'bin' as const,
              op: 'add' as const,
              a: acc,
              b: {
                k: 'bin' as const,
                op: 'mul' as const,
                a: { k: 'load' as const, buf: padded.buf, at: xAt },
                b: { k: 'load' as const, buf: wBuf, at: wAt },
              },
            },
          },
        ]),
      ]),
    ]),
    {
      k: 'store' as const,
      buf: out,
      at: affine(0, ['n', M * OH * OW], ['g', ocpg * OH * OW], ['o', OH * OW], ['oh', OW], ['ow', 1]),
      value: applyActivation(acc, activation),
    },
  ];
  ctx.emit({
    kind: 'loops',
    name: group === C && group > 1 ? 'depthwise_conv' : 'conv',
    nodes: [node.name],
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

function loop(v: string, n: number, body: import('../ir.js').Stmt[]): import('../ir.js').Stmt {
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
