import { KilnError } from '../../../runtime/errors.js';
import { attrInt, attrInts } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import { type Expr, type Stmt, affine } from '../ir.js';
import type { LowerContext } from './context.js';
import { windowOf } from './conv.js';
import { strides } from './loops.js';
import { padSpatial } from './pad.js';

/**
 * MaxPool / AveragePool (any number of spatial axes) as loop kernels over a padded copy of the input.
 * AveragePool divides by a per-position count computed at compile time, which covers
 * count_include_pad both ways.
 */
export function lowerPool(node: Node, ctx: LowerContext): void {
  const xName = node.inputs[0]!;
  const xShape = ctx.shape(node, xName);
  if (xShape.length < 3)
    throw new KilnError(`pool input has rank ${xShape.length}`, {
      node: node.name,
      op: node.op,
      expected: 'rank 3 or more ([N, C, D1, ...]) on the wasm target',
    });
  if (node.outputs[1])
    throw new KilnError('MaxPool Indices output is not lowered for the wasm target', {
      node: node.name,
      op: node.op,
    });
  const [N, C] = xShape as [number, number];
  const sp = xShape.slice(2);
  const nsp = sp.length;
  const kernel = attrInts(node, 'kernel_shape');
  const isMax = node.op === 'MaxPool';
  const win = windowOf(node, sp, kernel, attrInt(node, 'ceil_mode', 0) === 1);
  const padded = padSpatial(
    ctx,
    node.name,
    ctx.buffer(xName),
    xShape,
    win.begin,
    win.end,
    isMax ? -Infinity : 0,
  );
  const ps = strides(padded.shape);
  const outSp = win.out;
  const os = strides(outSp);
  const outSize = outSp.reduce((a, b) => a * b, 1);
  const out = ctx.activation(node.outputs[0]!, N * C * outSize);
  const ov = outSp.map((_, i) => `o${i}`);
  const kv = kernel.map((_, i) => `k${i}`);
  const acc: Expr = { k: 'acc', name: 'a' };
  const x: Expr = {
    k: 'load',
    buf: padded.buf,
    at: affine(
      0,
      ['n', ps[0]!],
      ['c', ps[1]!],
      ...ov.map((v, i): [string, number] => [v, win.strides[i]! * ps[i + 2]!]),
      ...kv.map((v, i): [string, number] => [v, win.dilations[i]! * ps[i + 2]!]),
    ),
  };
  const outAt = affine(0, ...ov.map((v, i): [string, number] => [v, os[i]!]));
  let result: Expr = acc;
  if (!isMax) {
    const counts = averageDivisors(node, sp, win, outSp);
    result = {
      k: 'bin',
      op: 'mul',
      a: acc,
      b: { k: 'load', buf: ctx.weight(`${node.name}:inv_count`, counts), at: outAt },
    };
  }
  let window: Stmt[] = [{ k: 'set', acc: 'a', value: { k: 'bin', op: isMax ? 'max' : 'add', a: acc, b: x } }];
  for (let i = nsp - 1; i >= 0; i--) window = [{ k: 'loop', v: kv[i]!, n: kernel[i]!, body: window }];
  let body: Stmt[] = [
    { k: 'set', acc: 'a', value: { k: 'const', v: isMax ? -Infinity : 0 } },
    ...window,
    {
      k: 'store',
      buf: out,
      at: { ...outAt, terms: [{ v: 'n', c: C * outSize }, { v: 'c', c: outSize }, ...outAt.terms] },
      value: result,
    },
  ];
  for (let i = nsp - 1; i >= 0; i--) {
    const last = i === nsp - 1;
    body = [{ k: 'loop', v: ov[i]!, n: outSp[i]!, ...(last ? { vector: outSp[i]! >= 4 } : {}), body }];
  }
  ctx.emit({
    kind: 'loops',
    name: node.op,
    nodes: [node.name],
    buffers: [],
    body: [{ k: 'loop', v: 'n', n: N, body: [{ k: 'loop', v: 'c', n: C, body }] }],
  });
}

/** 1 / (number of elements averaged) at each output position. */
function averageDivisors(
  node: Node,
  sp: number[],
  win: ReturnType<typeof windowOf>,
  outSp: number[],
): Float32Array {
  const includePad = attrInt(node, 'count_include_pad', 0) === 1;
  const nsp = sp.length;
  const total = outSp.reduce((a, b) => a * b, 1);
  const kTotal = win.kernel.reduce((a, b) => a * b, 1);
  const out = new Float32Array(total);
  const pads = node.attrs.pads;
  const padEnd = (i: number) => (pads?.type === 'ints' ? (pads.value[i + nsp] ?? 0) : 0);
  const coords = (flat: number, dims: readonly number[]) => {
    const c = new Array<number>(dims.length);
    for (let i = dims.length - 1; i >= 0; i--) {
      c[i] = flat % dims[i]!;
      flat = Math.floor(flat / dims[i]!);
    }
    return c;
  };
  for (let o = 0; o < total; o++) {
    const oc = coords(o, outSp);
    let n = 0;
    for (let k = 0; k < kTotal; k++) {
      const kc = coords(k, win.kernel);
      let inPads = true;
      let inside = true;
      for (let i = 0; i < nsp; i++) {
        const h = oc[i]! * win.strides[i]! + kc[i]! * win.dilations[i]! - win.begin[i]!;
        // explicit pads count when count_include_pad=1; the extension added for ceil_mode never does
        if (!(h >= -win.begin[i]! && h < sp[i]! + padEnd(i))) inPads = false;
        if (!(h >= 0 && h < sp[i]!)) inside = false;
      }
      if (includePad ? inPads : inside) n++;
    }
    out[o] = n ? 1 / n : 0;
  }
  return out;
}
