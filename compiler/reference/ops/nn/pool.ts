/** MaxPool, AveragePool, LpPool and their Global variants over any number of spatial axes. */
import { isFloatDType } from '../../../../runtime/dtype.js';
import { Tensor, allocData, shapeSize, stridesOf, type TensorData } from '../../../../runtime/tensor.js';
import { attrFloat, attrInt } from '../../../ir/attrs.js';
import type { Node } from '../../../ir/graph.js';
import type { InferContext, OpDef, TypeInfo } from '../../op.js';
import { opError, requireInput } from '../common.js';
import { inferWindowDims, readWindow, windowGeometry, type WindowAttrs } from './spatial.js';
import { fromF64 } from './util.js';

/**
 * Per output position, the flat in-plane offsets of its window taps (-1 for taps in padding). The
 * table is shared by every (n, c) plane. `padded[o]` counts taps inside the explicitly padded extent,
 * the divisor of AveragePool with count_include_pad.
 */
interface WindowTable {
  outSp: number[];
  kSize: number;
  offsets: Int32Array;
  padded: Int32Array;
  /** Taps' spatial coordinates as a column-major flat index (MaxPool storage_order=1). */
  colMajor: Int32Array;
}

function windowTable(node: Node, inSp: readonly number[], w: WindowAttrs): WindowTable {
  const { out: outSp, padBegin, padEnd } = windowGeometry(node, inSp, w);
  const nd = inSp.length;
  const outSize = shapeSize(outSp);
  const kSize = shapeSize(w.kernel);
  const rowStr = stridesOf(inSp);
  const colStr: number[] = [];
  for (let d = 0, acc = 1; d < nd; d++) {
    colStr.push(acc);
    acc *= inSp[d]!;
  }
  const offsets = new Int32Array(outSize * kSize);
  const colMajor = new Int32Array(outSize * kSize);
  const padded = new Int32Array(outSize);
  const opos = new Array<number>(nd).fill(0);
  const kpos = new Array<number>(nd).fill(0);
  for (let o = 0; o < outSize; o++) {
    kpos.fill(0);
    let nPadded = 0;
    for (let k = 0; k < kSize; k++) {
      let off = 0;
      let col = 0;
      let inside = true;
      let inPadded = true;
      for (let d = 0; d < nd; d++) {
        const ix = opos[d]! * w.strides[d]! - padBegin[d]! + kpos[d]! * w.dilations[d]!;
        if (ix < -padBegin[d]! || ix >= inSp[d]! + padEnd[d]!) inPadded = false;
        if (ix < 0 || ix >= inSp[d]!) inside = false;
        off += ix * rowStr[d]!;
        col += ix * colStr[d]!;
      }
      offsets[o * kSize + k] = inside ? off : -1;
      colMajor[o * kSize + k] = inside ? col : -1;
      if (inPadded) nPadded++;
      for (let d = nd - 1; d >= 0; d--) {
        if (++kpos[d]! < w.kernel[d]!) break;
        kpos[d] = 0;
      }
    }
    padded[o] = nPadded;
    for (let d = nd - 1; d >= 0; d--) {
      if (++opos[d]! < outSp[d]!) break;
      opos[d] = 0;
    }
  }
  return { outSp, kSize, offsets, padded, colMajor };
}

function poolInput(node: Node, inputs: (Tensor | undefined)[]): Tensor {
  const x = requireInput(node, inputs, 0, 'X');
  if (x.rank < 3)
    throw opError(
      node,
      `X has shape [${x.shape.join(',')}]`,
      '[N, C, D1, ...] with at least one spatial axis',
    );
  return x;
}

function inferPool(ctx: InferContext, nOut: number): (TypeInfo | undefined)[] {
  const x = ctx.inputs[0];
  if (!x) return [undefined];
  let shape = x.shape;
  if (shape) {
    if (shape.length < 3)
      throw opError(ctx.node, `X has rank ${shape.length}`, 'rank >= 3 ([N, C, D1, ...])');
    const w = readWindow(ctx.node, shape.length - 2);
    shape = [shape[0]!, shape[1]!, ...inferWindowDims(ctx, shape.slice(2), w)];
  }
  const outs: TypeInfo[] = [{ dtype: x.dtype, shape }];
  if (nOut > 1 && ctx.node.outputs[1]) outs.push({ dtype: 'int64', shape: shape ? [...shape] : undefined });
  return outs;
}

const maxPool: OpDef = {
  op: 'MaxPool',
  versions: [1, 22],
  run: (inputs, { node }) => {
    const x = poolInput(node, inputs);
    if (!isFloatDType(x.dtype) && x.dtype !== 'int8' && x.dtype !== 'uint8')
      throw opError(node, `X has dtype ${x.dtype}`, 'float, int8 or uint8');
    const w = readWindow(node, x.rank - 2);
    const storageOrder = attrInt(node, 'storage_order', 0);
    const inSp = x.shape.slice(2);
    const tab = windowTable(node, inSp, w);
    const planes = x.shape[0]! * x.shape[1]!;
    const inSize = shapeSize(inSp);
    const outSize = shapeSize(tab.outSp);
    const xd = x.data as Float32Array;
    const y = allocData(x.dtype, planes * outSize) as Float32Array;
    const wantIdx = !!node.outputs[1];
    const idx = wantIdx ? new BigInt64Array(planes * outSize) : null;
    const idxTable = storageOrder === 1 ? tab.colMajor : tab.offsets;
    const { kSize, offsets } = tab;
    for (let p = 0; p < planes; p++) {
      const base = p * inSize;
      for (let o = 0; o < outSize; o++) {
        let best = -Infinity;
        let bestK = -1;
        for (let k = o * kSize, end = k + kSize; k < end; k++) {
          const off = offsets[k]!;
          if (off < 0) continue;
          const v = xd[base + off]!;
          if (v > best || bestK < 0) {
            best = v;
            bestK = k;
          }
        }
        y[p * outSize + o] = best;
        if (idx) idx[p * outSize + o] = BigInt(bestK < 0 ? -1 : base + idxTable[bestK]!);
      }
    }
    const shape = [x.shape[0]!, x.shape[1]!, ...tab.outSp];
    const out = new Tensor(x.dtype, shape, y as TensorData);
    return idx ? [out, new Tensor('int64', shape, idx)] : [out];
  },
  infer: (ctx) => inferPool(ctx, 2),
};

const averagePool: OpDef = {
  op: 'AveragePool',
  versions: [1, 22],
  run: (inputs, { node }) => {
    const x = poolInput(node, inputs);
    if (!isFloatDType(x.dtype)) throw opError(node, `X has dtype ${x.dtype}`, 'a float tensor');
    const w = readWindow(node, x.rank - 2);
    const includePad = attrInt(node, 'count_include_pad', 0) !== 0;
    const inSp = x.shape.slice(2);
    const tab = windowTable(node, inSp, w);
    const planes = x.shape[0]! * x.shape[1]!;
    const inSize = shapeSize(inSp);
    const outSize = shapeSize(tab.outSp);
    const xd = x.data as Float32Array;
    const y = new Float64Array(planes * outSize);
    const { kSize, offsets, padded } = tab;
    for (let p = 0; p < planes; p++) {
      const base = p * inSize;
      for (let o = 0; o < outSize; o++) {
        let s = 0;
        let n = 0;
        for (let k = o * kSize, end = k + kSize; k < end; k++) {
          const off = offsets[k]!;
          if (off < 0) continue;
          s += xd[base + off]!;
          n++;
        }
        y[p * outSize + o] = s / (includePad ? padded[o]! : n);
      }
    }
    return [fromF64(x.dtype, [x.shape[0]!, x.shape[1]!, ...tab.outSp], y)];
  },
  infer: (ctx) => inferPool(ctx, 1),
};

/** `p` is a float in opset 1 and an int from opset 2 on. */
function pAttr(node: Node): number {
  return node.attrs.p?.type === 'float' ? attrFloat(node, 'p') : attrInt(node, 'p', 2);
}

function lpNorm(s: number, p: number): number {
  return p === 1 ? s : p === 2 ? Math.sqrt(s) : Math.pow(s, 1 / p);
}

const lpPool: OpDef = {
  op: 'LpPool',
  versions: [1, 22],
  run: (inputs, { node }) => {
    const x = poolInput(node, inputs);
    if (!isFloatDType(x.dtype)) throw opError(node, `X has dtype ${x.dtype}`, 'a float tensor');
    const p = pAttr(node);
    const w = readWindow(node, x.rank - 2);
    const inSp = x.shape.slice(2);
    const tab = windowTable(node, inSp, w);
    const planes = x.shape[0]! * x.shape[1]!;
    const inSize = shapeSize(inSp);
    const outSize = shapeSize(tab.outSp);
    const xd = x.data as Float32Array;
    const y = new Float64Array(planes * outSize);
    const { kSize, offsets } = tab;
    for (let q = 0; q < planes; q++) {
      const base = q * inSize;
      for (let o = 0; o < outSize; o++) {
        let s = 0;
        for (let k = o * kSize, end = k + kSize; k < end; k++) {
          const off = offsets[k]!;
          if (off >= 0) s += Math.pow(Math.abs(xd[base + off]!), p);
        }
        y[q * outSize + o] = lpNorm(s, p);
      }
    }
    return [fromF64(x.dtype, [x.shape[0]!, x.shape[1]!, ...tab.outSp], y)];
  },
  infer: (ctx) => inferPool(ctx, 1),
};

/** Global pools reduce every spatial axis to 1; `reduce` folds one plane [start, start+n). */
function globalPool(
  op: string,
  reduce: (d: ArrayLike<number>, start: number, n: number, node: Node) => number,
): OpDef {
  return {
    op,
    versions: [1, 22],
    run: (inputs, { node }) => {
      const x = poolInput(node, inputs);
      if (!isFloatDType(x.dtype)) throw opError(node, `X has dtype ${x.dtype}`, 'a float tensor');
      const planes = x.shape[0]! * x.shape[1]!;
      const n = shapeSize(x.shape.slice(2));
      const y = new Float64Array(planes);
      for (let p = 0; p < planes; p++) y[p] = reduce(x.data as Float32Array, p * n, n, node);
      return [fromF64(x.dtype, [x.shape[0]!, x.shape[1]!, ...x.shape.slice(2).map(() => 1)], y)];
    },
    infer: (ctx) => {
      const x = ctx.inputs[0];
      if (!x) return [undefined];
      if (x.shape && x.shape.length < 3)
        throw opError(ctx.node, `X has rank ${x.shape.length}`, 'rank >= 3 ([N, C, D1, ...])');
      return [
        {
          dtype: x.dtype,
          shape: x.shape ? [x.shape[0]!, x.shape[1]!, ...x.shape.slice(2).map(() => 1)] : undefined,
        },
      ];
    },
  };
}

export const poolOps: OpDef[] = [
  maxPool,
  averagePool,
  lpPool,
  globalPool('GlobalAveragePool', (d, start, n) => {
    let s = 0;
    for (let i = start; i < start + n; i++) s += d[i]!;
    return s / n;
  }),
  globalPool('GlobalMaxPool', (d, start, n) => {
    let m = -Infinity;
    for (let i = start; i < start + n; i++) if (d[i]! > m || i === start) m = d[i]!;
    return m;
  }),
  globalPool('GlobalLpPool', (d, start, n, node) => {
    const p = pAttr(node);
    let s = 0;
    for (let i = start; i < start + n; i++) s += Math.pow(Math.abs(d[i]!), p);
    return lpNorm(s, p);
  }),
];
