/** Pad: constant/reflect/edge/wrap padding; negative pads crop (applied before padding, as onnxruntime does). */
import { Tensor, allocData } from '../../../../runtime/tensor.js';
import { attrFloat, attrIntsOpt, attrString } from '../../../ir/attrs.js';
import type { Dim, Node } from '../../../ir/graph.js';
import type { InferContext, OpDef } from '../../op.js';
import { normalizeAxis, opError, requireInput } from '../common.js';
import { constInts, forEachIndex, intList, stridesOf } from './util.js';

/** Full per-axis [begins..., ends...] from pads given for `axes` (opset 18) or for all axes. */
function fullPads(node: Node, rank: number, pads: number[], axes: number[] | undefined): number[] {
  const ax = axes ? axes.map((a) => normalizeAxis(node, a, rank)) : Array.from({ length: rank }, (_, i) => i);
  if (pads.length !== 2 * ax.length)
    throw opError(node, `${pads.length} pads for ${ax.length} axes`, `${2 * ax.length} pads`);
  const out = new Array<number>(2 * rank).fill(0);
  ax.forEach((a, i) => {
    out[a] = pads[i]!;
    out[a + rank] = pads[i + ax.length]!;
  });
  return out;
}

function padMode(node: Node, opset: number): string {
  const mode = attrString(node, 'mode', 'constant');
  const modes = opset >= 19 ? ['constant', 'reflect', 'edge', 'wrap'] : ['constant', 'reflect', 'edge'];
  if (!modes.includes(mode)) throw opError(node, `unknown mode '${mode}'`, modes.join(', '));
  return mode;
}

/** Map an index relative to a (cropped) axis of length n into [0, n), or -1 for constant padding. */
function sourceIndex(mode: string, i: number, n: number): number {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case 'edge':
      return i < 0 ? 0 : n - 1;
    case 'reflect': {
      if (n === 1) return 0;
      const period = 2 * (n - 1);
      const m = ((i % period) + period) % period;
      return m < n ? m : period - m;
    }
    case 'wrap':
      return ((i % n) + n) % n;
    default:
      return -1;
  }
}

const Pad: OpDef = {
  op: 'Pad',
  versions: [1, 21],
  run: (inputs, { node, opset }) => {
    const x = requireInput(node, inputs, 0, 'data');
    const rank = x.rank;
    const mode = padMode(node, opset);
    let pads: number[];
    let fill: unknown = 0;
    if (opset < 11) {
      pads = fullPads(node, rank, attrIntsOpt(node, opset < 2 ? 'paddings' : 'pads') ?? [], undefined);
      fill = attrFloat(node, 'value', 0);
    } else {
      const axes = opset >= 18 && inputs[3] ? intList(node, inputs[3], 'axes') : undefined;
      pads = fullPads(node, rank, intList(node, requireInput(node, inputs, 1, 'pads'), 'pads'), axes);
      const cv = inputs[2];
      if (cv && cv.size > 0) {
        if (cv.dtype !== x.dtype) throw opError(node, `constant_value dtype ${cv.dtype}`, x.dtype);
        fill = cv.data[0];
      } else if (x.dtype === 'string') fill = '';
      else if (x.dtype === 'int64' || x.dtype === 'uint64') fill = 0n;
    }
    if (typeof fill === 'number' && (x.dtype === 'int64' || x.dtype === 'uint64'))
      fill = BigInt(Math.trunc(fill));
    const begin = pads.slice(0, rank);
    const end = pads.slice(rank);
    // Crop (negative pads) first, then pad the cropped extent.
    const cropStart = begin.map((b) => Math.max(0, -b));
    const kept = x.shape.map((d, i) => d - cropStart[i]! - Math.max(0, -end[i]!));
    if (kept.some((k) => k < 0))
      throw opError(node, `negative pads [${pads.join(',')}] crop more than the input`);
    const shape = kept.map((k, i) => k + Math.max(0, begin[i]!) + Math.max(0, end[i]!));
    if (mode !== 'constant' && kept.some((k, i) => k === 0 && shape[i]! > 0))
      throw opError(node, `mode '${mode}' cannot pad an empty axis`, 'non-empty axes');
    const strides = stridesOf(x.shape);
    const out = allocData(
      x.dtype,
      shape.reduce((a, b) => a * b, 1),
    );
    const o = out as unknown as unknown[];
    const src = x.data as ArrayLike<unknown>;
    forEachIndex(shape, (idx, k) => {
      let off = 0;
      for (let a = 0; a < rank; a++) {
        const s = sourceIndex(mode, idx[a]! - Math.max(0, begin[a]!), kept[a]!);
        if (s < 0) {
          o[k] = fill;
          return;
        }
        off += (s + cropStart[a]!) * strides[a]!;
      }
      o[k] = src[off];
    });
    return [new Tensor(x.dtype, shape, out)];
  },
  infer: (ctx: InferContext) => {
    const x = ctx.inputs[0];
    if (!x) return [undefined];
    if (!x.shape) return [{ dtype: x.dtype }];
    const rank = x.shape.length;
    let pads: number[] | undefined;
    let axes: number[] | undefined;
    if (ctx.opset < 11) pads = attrIntsOpt(ctx.node, ctx.opset < 2 ? 'paddings' : 'pads') ?? [];
    else {
      pads = constInts(ctx, 1, 'pads');
      if (ctx.opset >= 18 && ctx.node.inputs[3]) {
        axes = constInts(ctx, 3, 'axes');
        if (!axes) pads = undefined;
      }
    }
    if (!pads) return [{ dtype: x.dtype, shape: x.shape.map(() => ctx.freshDim()) }];
    const full = fullPads(ctx.node, rank, pads, axes);
    const shape: Dim[] = x.shape.map((d, i) => {
      const add = full[i]! + full[i + rank]!;
      if (typeof d === 'number') return d + add;
      return add === 0 ? d : ctx.freshDim();
    });
    return [{ dtype: x.dtype, shape }];
  },
};

export const padOps: OpDef[] = [Pad];
