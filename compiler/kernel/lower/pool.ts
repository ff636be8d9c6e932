import { KilnError } from '../../../runtime/errors.js';
import { attrInt, attrInts } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import { type Affine, type ElemType, type Expr, type Stmt, affine } from '../ir.js';
import type { LowerContext } from './context.js';
import { windowOf } from './conv.js';
import { strides } from './loops.js';
import { padSpatial } from './pad.js';
import { int32Table } from './tables.js';

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
  const [N, C] = xShape as [number, number];
  const sp = xShape.slice(2);
  const nsp = sp.length;
  const kernel = attrInts(node, 'kernel_shape');
  const isMax = node.op === 'MaxPool';
  const dtype = ctx.elemType(node, xName);
  if (!POOL_TYPES.has(dtype) || (!isMax && dtype !== 'f32'))
    throw new KilnError(`X is ${ctx.dtype(xName)}`, {
      node: node.name,
      op: node.op,
      expected: isMax ? 'float32, float16, float64, int8 or uint8' : 'float32',
    });
  const win = windowOf(node, sp, kernel, attrInt(node, 'ceil_mode', 0) === 1);
  // MaxPool pads with -Infinity, which never wins a window that holds an element. 8-bit values are
  // compared as f32 (exact), so the padded copy is f32 (f64 for float64) whatever the input type.
  const work = dtype === 'f64' ? 'f64' : 'f32';
  const toWork =
    dtype === 'i8' || dtype === 'u8' ? (e: Expr): Expr => ({ k: 'cast', to: 'f32', a: e }) : undefined;
  const padded = padSpatial(
    ctx,
    node.name,
    ctx.buffer(xName),
    xShape,
    win.begin,
    win.end,
    isMax ? -Infinity : 0,
    { dtype: work, ...(toWork ? { map: toWork } : {}) },
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
  const yAt = { ...outAt, terms: [{ v: 'n', c: C * outSize }, { v: 'c', c: outSize }, ...outAt.terms] };
  const indices = isMax && node.outputs[1] ? argmaxIndices(ctx, node, xShape, padded.shape, win) : undefined;
  let window: Stmt[] = [
    ...(indices ? [indices.update(x, kv)] : []),
    { k: 'set', acc: 'a', value: { k: 'bin', op: isMax ? 'max' : 'add', a: acc, b: x } },
  ];
  for (let i = nsp - 1; i >= 0; i--) window = [{ k: 'loop', v: kv[i]!, n: kernel[i]!, body: window }];
  let body: Stmt[] = [
    { k: 'set', acc: 'a', value: { k: 'const', v: isMax ? -Infinity : 0, t: work } },
    ...(indices ? [indices.init] : []),
    ...window,
    { k: 'store', buf: out, at: yAt, value: toWork ? { k: 'cast', to: 'i32', a: result } : result },
    ...(indices ? [indices.store(N * C * outSize, yAt)] : []),
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

/** The element types MaxPool takes (AveragePool: f32 only). */
const POOL_TYPES = new Set<ElemType>(['f32', 'f16', 'f64', 'i8', 'u8']);

/**
 * MaxPool's Indices: per output, the flat index into X of the window's maximum (row-major over
 * [N, C, D...]; storage_order 1 makes the in-plane part column-major, the plane offset stays n·C + c
 * times the plane size, as the reference). Two compile-time tables give loop values as expressions:
 * each padded position's in-plane index (-1 in the padding) and each plane's offset. The first
 * element in the window is taken even when it equals the padding value (a window of -Infinity),
 * then only a strictly larger one, as the reference.
 */
function argmaxIndices(
  ctx: LowerContext,
  node: Node,
  xShape: number[],
  paddedShape: number[],
  win: ReturnType<typeof windowOf>,
) {
  const [N, C] = xShape as [number, number];
  const sp = xShape.slice(2);
  const psp = paddedShape.slice(2);
  const colMajor = attrInt(node, 'storage_order', 0) === 1;
  const inPlane = new Int32Array(psp.reduce((a, b) => a * b, 1)).fill(-1);
  const rowSt = strides(sp);
  const colSt = sp.map((_, i) => sp.slice(0, i).reduce((a, b) => a * b, 1));
  const pst = strides(psp);
  const total = sp.reduce((a, b) => a * b, 1);
  for (let f = 0; f < total; f++) {
    let at = 0;
    let idx = 0;
    sp.forEach((_, i) => {
      const x = Math.floor(f / rowSt[i]!) % sp[i]!;
      at += (x + win.begin[i]!) * pst[i]!;
      idx += x * (colMajor ? colSt[i]! : rowSt[i]!);
    });
    inPlane[at] = idx;
  }
  const table = int32Table(ctx, node, 'argmax_in_plane', inPlane);
  // in i32, cast to int64 on the store (exact: a wasm buffer has fewer than 2^31 elements), which also
  // lets the webgpu target write the int64 output
  const planes = int32Table(
    ctx,
    node,
    'argmax_plane',
    Int32Array.from({ length: N * C }, (_, p) => p * total),
  );
  const best: Expr = { k: 'acc', name: 'ix' };
  const zero: Expr = { k: 'const', v: 0 };
  return {
    init: { k: 'set', acc: 'ix', value: { k: 'const', v: -1, t: 'i32' } } satisfies Stmt,
    /** Before the max update: take a strictly larger element, or the window's first one. */
    update: (x: Expr, kv: string[]): Stmt => {
      const tap: Expr = {
        k: 'load',
        buf: table,
        at: affine(
          0,
          ...win.out.map((_, i): [string, number] => [`o${i}`, win.strides[i]! * pst[i]!]),
          ...kv.map((v, i): [string, number] => [v, win.dilations[i]! * pst[i]!]),
        ),
      };
      return {
        k: 'set',
        acc: 'ix',
        value: {
          k: 'select',
          cmp: 'gt',
          a: x,
          b: { k: 'acc', name: 'a' },
          t: tap,
          f: { k: 'select', cmp: 'lt', a: best, b: zero, t: tap, f: best },
        },
      };
    },
    store: (size: number, yAt: Affine): Stmt => {
      const buf = ctx.activation(node.outputs[1]!, size);
      const plane: Expr = { k: 'load', buf: planes, at: affine(0, ['n', C], ['c', 1]) };
      return {
        k: 'store',
        buf,
        at: yAt,
        value: {
          k: 'cast',
          to: 'i64',
          a: {
            k: 'select',
            cmp: 'lt',
            a: best,
            b: zero,
            t: { k: 'const', v: -1, t: 'i32' },
            f: { k: 'bin', op: 'add', a: plane, b: best },
          },
        },
      };
    },
  };
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
