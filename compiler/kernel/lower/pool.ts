import { KilnError } from '../../../runtime/errors.js';
import { attrInt, attrInts } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import { type Expr, type Stmt, affine } from '../ir.js';
import type { LowerContext } from './context.js';
import { windowOf } from './conv.js';
import { padSpatial } from './pad.js';

/**
 * MaxPool / AveragePool (2-D) as loop kernels over a padded copy of the input. AveragePool divides
 * by a per-position count computed at compile time, which covers count_include_pad both ways.
 */
export function lowerPool(node: Node, ctx: LowerContext): void {
  const xName = node.inputs[0]!;
  const xShape = ctx.shape(node, xName);
  if (xShape.length !== 4)
    throw new KilnError(`pool input has rank ${xShape.length}`, {
      node: node.name,
      op: node.op,
      expected: 'rank 4 on the wasm target',
    });
  if (node.outputs[1])
    throw new KilnError('MaxPool Indices output is not lowered for the wasm target', {
      node: node.name,
      op: node.op,
    });
  const [N, C, H, W] = xShape as [number, number, number, number];
  const kernel = attrInts(node, 'kernel_shape');
  const isMax = node.op === 'MaxPool';
  const win = windowOf(node, [H, W], kernel, attrInt(node, 'ceil_mode', 0) === 1);
  const [OH, OW] = win.out as [number, number];
  const [KH, KW] = kernel as [number, number];
  const [sh, sw] = win.strides as [number, number];
  const [dh, dw] = win.dilations as [number, number];
  const padded = padSpatial(
    ctx,
    node.name,
    ctx.buffer(xName),
    xShape,
    win.begin,
    win.end,
    isMax ? -Infinity : 0,
  );
  const [, , HP, WP] = padded.shape as [number, number, number, number];
  const out = ctx.activation(node.outputs[0]!, N * C * OH * OW);
  const acc: Expr = { k: 'acc', name: 'a' };
  const x: Expr = {
    k: 'load',
    buf: padded.buf,
    at: affine(
      0,
      ['n', C * HP * WP],
      ['c', HP * WP],
      ['oh', sh * WP],
      ['kh', dh * WP],
      ['ow', sw],
      ['kw', dw],
    ),
  };
  let result: Expr = acc;
  if (!isMax) {
    const counts = averageDivisors(node, H, W, win, OH, OW);
    result = {
      k: 'bin',
      op: 'mul',
      a: acc,
      b: {
        k: 'load',
        buf: ctx.weight(`${node.name}:inv_count`, counts),
        at: affine(0, ['oh', OW], ['ow', 1]),
      },
    };
  }
  const body: Stmt[] = [
    { k: 'set', acc: 'a', value: { k: 'const', v: isMax ? -Infinity : 0 } },
    {
      k: 'loop',
      v: 'kh',
      n: KH,
      body: [
        {
          k: 'loop',
          v: 'kw',
          n: KW,
          body: [{ k: 'set', acc: 'a', value: { k: 'bin', op: isMax ? 'max' : 'add', a: acc, b: x } }],
        },
      ],
    },
    {
      k: 'store',
      buf: out,
      at: affine(0, ['n', C * OH * OW], ['c', OH * OW], ['oh', OW], ['ow', 1]),
      value: result,
    },
  ];
  ctx.emit({
    kind: 'loops',
    name: node.op,
    nodes: [node.name],
    buffers: [],
    body: [
      {
        k: 'loop',
        v: 'n',
        n: N,
        body: [
          {
            k: 'loop',
            v: 'c',
            n: C,
            body: [
              { k: 'loop', v: 'oh', n: OH, body: [{ k: 'loop', v: 'ow', n: OW, vector: OW >= 4, body }] },
            ],
          },
        ],
      },
    ],
  });
}

/** 1 / (number of elements averaged) at each output position. */
function averageDivisors(
  node: Node,
  H: number,
  W: number,
  win: ReturnType<typeof windowOf>,
  OH: number,
  OW: number,
): Float32Array {
  const includePad = attrInt(node, 'count_include_pad', 0) === 1;
  const out = new Float32Array(OH * OW);
  const [KH, KW] = win.kernel as [number, number];
  for (let oh = 0; oh < OH; oh++) {
    for (let ow = 0; ow < OW; ow++) {
      let n = 0;
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++) {
          const h = oh * win.strides[0]! + kh * win.dilations[0]! - win.begin[0]!;
          const w = ow * win.strides[1]! + kw * win.dilations[1]! - win.begin[1]!;
          // explicit pads count when count_include_pad=1; the extension added for ceil_mode never does
          const inPads =
            h >= -win.begin[0]! &&
            h < H + (attrPadEnd(node, 0) ?? 0) &&
            w >= -win.begin[1]! &&
            w < W + (attrPadEnd(node, 1) ?? 0);
          if (includePad ? inPads : h >= 0 && h < H && w >= 0 && w < W) n++;
        }
      }
      out[oh * OW + ow] = n ? 1 / n : 0;
    }
  }
  return out;
}

function attrPadEnd(node: Node, i: number): number | undefined {
  const pads = node.attrs.pads;
  return pads?.type === 'ints' ? pads.value[i + 2] : undefined;
}
