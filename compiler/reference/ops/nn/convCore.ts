/**
 * N-D grouped convolution as im2col + GEMM in float64. Shared by Conv, ConvInteger and QLinearConv
 * (the integer ops pass zero-point-shifted values, so zero padding is exact for them too).
 */
import { shapeSize, stridesOf } from '../../../../runtime/tensor.js';
import type { Node } from '../../../ir/graph.js';
import { opError } from '../common.js';
import { gemmAcc } from './kernels.js';
import { type WindowAttrs, windowGeometry } from './spatial.js';

export interface ConvProblem {
  x: Float64Array;
  xShape: readonly number[];
  w: Float64Array;
  wShape: readonly number[];
  /** Per output channel, added after the product (may be null). */
  bias: Float64Array | null;
  group: number;
  window: WindowAttrs;
}

/** Check Conv input/weight shapes and the group split; returns output shape. */
export function convOutputShape(
  node: Node,
  p: Omit<ConvProblem, 'x' | 'w' | 'bias'>,
): {
  shape: number[];
  padBegin: number[];
} {
  const { xShape, wShape, group } = p;
  if (xShape.length < 3)
    throw opError(
      node,
      `X has shape [${xShape.join(',')}]`,
      '[N, C, D1, ...] with at least one spatial axis',
    );
  if (wShape.length !== xShape.length)
    throw opError(node, `W has rank ${wShape.length} but X has rank ${xShape.length}`, 'equal ranks');
  const C = xShape[1]!;
  const M = wShape[0]!;
  if (!Number.isInteger(group) || group < 1 || C % group !== 0 || M % group !== 0)
    throw opError(node, `group ${group} does not divide input channels ${C} and output channels ${M}`);
  if (wShape[1]! * group !== C)
    throw opError(
      node,
      `W has ${wShape[1]} input channels per group but X has ${C} channels in ${group} groups`,
    );
  const geo = windowGeometry(node, xShape.slice(2), p.window);
  return { shape: [xShape[0]!, M, ...geo.out], padBegin: geo.padBegin };
}

/**
 * Unfold one channel block of `x` (channels × inSp, starting at xOff) into `col` of shape
 * (channels·kSize) × outSize: row c·kSize+k holds input values seen by kernel tap k at each output.
 */
function im2col(
  x: Float64Array,
  xOff: number,
  channels: number,
  inSp: readonly number[],
  outSp: readonly number[],
  w: WindowAttrs,
  padBegin: readonly number[],
  col: Float64Array,
): void {
  const nd = inSp.length;
  const inSize = shapeSize(inSp);
  const outSize = shapeSize(outSp);
  const kSize = shapeSize(w.kernel);
  const inStr = stridesOf(inSp);
  const L = nd - 1;
  const lastO = outSp[L]!;
  const lastI = inSp[L]!;
  const sL = w.strides[L]!;
  const outerCount = outSize / lastO;
  const kpos = new Array<number>(nd).fill(0);
  const opos = new Array<number>(Math.max(0, nd - 1)).fill(0);
  let row = 0;
  for (let c = 0; c < channels; c++) {
    kpos.fill(0);
    for (let k = 0; k < kSize; k++, row++) {
      const kOffL = kpos[L]! * w.dilations[L]! - padBegin[L]!;
      // Output positions along the last axis whose input index lands inside [0, lastI).
      const lo = Math.min(lastO, Math.max(0, Math.ceil(-kOffL / sL)));
      const hi = Math.max(lo, Math.min(lastO, Math.floor((lastI - 1 - kOffL) / sL) + 1));
      opos.fill(0);
      let dst = row * outSize;
      for (let o = 0; o < outerCount; o++) {
        let base = xOff + c * inSize;
        let inside = true;
        for (let d = 0; d < L; d++) {
          const ix = opos[d]! * w.strides[d]! - padBegin[d]! + kpos[d]! * w.dilations[d]!;
          if (ix < 0 || ix >= inSp[d]!) {
            inside = false;
            break;
          }
          base += ix * inStr[d]!;
        }
        if (!inside) {
          col.fill(0, dst, dst + lastO);
        } else {
          col.fill(0, dst, dst + lo);
          let src = base + lo * sL + kOffL;
          for (let j = lo; j < hi; j++, src += sL) col[dst + j] = x[src]!;
          col.fill(0, dst + hi, dst + lastO);
        }
        dst += lastO;
        for (let d = L - 1; d >= 0; d--) {
          if (++opos[d]! < outSp[d]!) break;
          opos[d] = 0;
        }
      }
      for (let d = L; d >= 0; d--) {
        if (++kpos[d]! < w.kernel[d]!) break;
        kpos[d] = 0;
      }
    }
  }
}

/** Run the convolution; returns the float64 output and its shape. */
export function convolve(node: Node, p: ConvProblem): { out: Float64Array; shape: number[] } {
  const { shape, padBegin } = convOutputShape(node, p);
  const { x, xShape, w, bias, group, window } = p;
  const [N, C] = [xShape[0]!, xShape[1]!];
  const M = shape[1]!;
  const inSp = xShape.slice(2);
  const outSp = shape.slice(2);
  const inSize = shapeSize(inSp);
  const outSize = shapeSize(outSp);
  const kSize = shapeSize(window.kernel);
  const Cg = C / group;
  const Mg = M / group;
  const CK = Cg * kSize;
  const out = new Float64Array(shapeSize(shape));
  // A 1×1 kernel with unit stride and no padding reads X directly: no unfolding needed.
  const direct =
    kSize === 1 &&
    window.strides.every((s) => s === 1) &&
    padBegin.every((v) => v === 0) &&
    outSize === inSize;
  const col = direct ? x : new Float64Array(CK * outSize);
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < group; g++) {
      const xOff = (n * C + g * Cg) * inSize;
      if (!direct) im2col(x, xOff, Cg, inSp, outSp, window, padBegin, col);
      const oOff = (n * M + g * Mg) * outSize;
      gemmAcc(w, g * Mg * CK, CK, 1, col, direct ? xOff : 0, out, oOff, Mg, CK, outSize);
    }
    if (bias) {
      for (let m = 0; m < M; m++) {
        const b = bias[m]!;
        const o = (n * M + m) * outSize;
        for (let j = 0; j < outSize; j++) out[o + j] += b;
      }
    }
  }
  return { out, shape };
}
