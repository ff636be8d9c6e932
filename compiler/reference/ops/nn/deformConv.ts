/**
 * DeformConv (opset 19, 2-D): a convolution whose taps sample X at learned fractional offsets
 * (bilinear, zero outside) scaled by an optional mask; unfolded into columns, then the grouped GEMM.
 */
import { isFloatDType } from '../../../../runtime/dtype.js';
import { attrInt } from '../../../ir/attrs.js';
import type { Node } from '../../../ir/graph.js';
import type { OpDef } from '../../op.js';
import { opError, requireInput } from '../common.js';
import { inferConvShape } from './conv.js';
import { gemmAcc } from './kernels.js';
import { readWindow, windowGeometry } from './spatial.js';
import { fromF64, toF64 } from './util.js';

/** Bilinear sample of a H×W plane at (h, w); corners outside the plane read as zero. */
function bilinear(x: Float64Array, base: number, H: number, W: number, h: number, w: number): number {
  if (h <= -1 || h >= H || w <= -1 || w >= W) return 0;
  const hl = Math.floor(h);
  const wl = Math.floor(w);
  const lh = h - hl;
  const lw = w - wl;
  const hh = 1 - lh;
  const hw = 1 - lw;
  const v1 = hl >= 0 && wl >= 0 ? x[base + hl * W + wl]! : 0;
  const v2 = hl >= 0 && wl + 1 < W ? x[base + hl * W + wl + 1]! : 0;
  const v3 = hl + 1 < H && wl >= 0 ? x[base + (hl + 1) * W + wl]! : 0;
  const v4 = hl + 1 < H && wl + 1 < W ? x[base + (hl + 1) * W + wl + 1]! : 0;
  return hh * hw * v1 + hh * lw * v2 + lh * hw * v3 + lh * lw * v4;
}

function expectShape(node: Node, what: string, shape: readonly number[], want: number[]): void {
  if (shape.length !== want.length || shape.some((d, i) => d !== want[i]))
    throw opError(node, `${what} has shape [${shape.join(',')}]`, `[${want.join(',')}]`);
}

const deformConv: OpDef = {
  op: 'DeformConv',
  versions: [19, 22],
  run: (inputs, { node }) => {
    const x = requireInput(node, inputs, 0, 'X');
    const w = requireInput(node, inputs, 1, 'W');
    const off = requireInput(node, inputs, 2, 'offset');
    const b = inputs[3];
    const mask = inputs[4];
    if (!isFloatDType(x.dtype)) throw opError(node, `X has dtype ${x.dtype}`, 'a float tensor');
    if (x.rank !== 4 || w.rank !== 4)
      throw opError(
        node,
        `X is [${x.shape.join(',')}] and W is [${w.shape.join(',')}]`,
        '2-D convolution: [N, C, H, W] and [oC, C/group, kH, kW]',
      );
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const [M, Cg, KH, KW] = w.shape as [number, number, number, number];
    const group = attrInt(node, 'group', 1);
    const og = attrInt(node, 'offset_group', 1);
    if (group < 1 || C % group !== 0 || M % group !== 0 || Cg * group !== C)
      throw opError(node, `W [${w.shape.join(',')}] does not split X's ${C} channels into ${group} groups`);
    if (og < 1 || C % og !== 0) throw opError(node, `offset_group ${og} does not divide ${C} channels`);
    const window = readWindow(node, 2, [KH, KW]);
    if (window.kernel[0] !== KH || window.kernel[1] !== KW)
      throw opError(node, `kernel_shape [${window.kernel}] does not match W [${w.shape.join(',')}]`);
    const { out, padBegin } = windowGeometry(node, [H, W], window);
    const [OH, OW] = out as [number, number];
    const K = KH * KW;
    expectShape(node, 'offset', off.shape, [N, og * 2 * K, OH, OW]);
    if (mask) expectShape(node, 'mask', mask.shape, [N, og * K, OH, OW]);
    if (b) expectShape(node, 'B', b.shape, [M]);
    const xd = toF64(node, x, 'X');
    const wd = toF64(node, w, 'W');
    const od = toF64(node, off, 'offset');
    const md = mask ? toF64(node, mask, 'mask') : null;
    const outSize = OH * OW;
    const CK = Cg * K;
    const Mg = M / group;
    const perOg = C / og;
    const col = new Float64Array(C * K * outSize);
    const y = new Float64Array(N * M * outSize);
    const [sh, sw] = window.strides as [number, number];
    const [dh, dw] = window.dilations as [number, number];
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < C; c++) {
        const g = Math.floor(c / perOg);
        const plane = (n * C + c) * H * W;
        for (let k = 0; k < K; k++) {
          const kh = Math.floor(k / KW);
          const kw = k % KW;
          const offH = (n * og * 2 * K + g * 2 * K + 2 * k) * outSize;
          const offW = offH + outSize;
          const mOff = ((n * og + g) * K + k) * outSize;
          const row = (c * K + k) * outSize;
          for (let oh = 0, o = 0; oh < OH; oh++)
            for (let ow = 0; ow < OW; ow++, o++) {
              const hIn = oh * sh - padBegin[0]! + kh * dh + od[offH + o]!;
              const wIn = ow * sw - padBegin[1]! + kw * dw + od[offW + o]!;
              const v = bilinear(xd, plane, H, W, hIn, wIn);
              col[row + o] = md ? v * md[mOff + o]! : v;
            }
        }
      }
      for (let gi = 0; gi < group; gi++)
        gemmAcc(
          wd,
          gi * Mg * CK,
          CK,
          1,
          col,
          gi * CK * outSize,
          y,
          (n * M + gi * Mg) * outSize,
          Mg,
          CK,
          outSize,
        );
      if (b) {
        const bd = toF64(node, b, 'B');
        for (let m = 0; m < M; m++)
          for (let j = (n * M + m) * outSize; j < (n * M + m + 1) * outSize; j++) y[j] += bd[m]!;
      }
    }
    return [fromF64(x.dtype, [N, M, OH, OW], y)];
  },
  infer: (ctx) => {
    const [x, w] = ctx.inputs;
    if (!x) return [undefined];
    return [{ dtype: x.dtype, shape: inferConvShape(ctx, x.shape, w?.shape) }];
  },
};

export const deformConvOps: OpDef[] = [deformConv];
