/** ConvTranspose: GEMM (Wᵀ·X per group) followed by col2im scatter-add into the output, in float64. */
import { isFloatDType } from '../../../../runtime/dtype.js';
import { shapeSize, stridesOf } from '../../../../runtime/tensor.js';
import { attrInt, attrIntsOpt } from '../../../ir/attrs.js';
import type { Dim, Node } from '../../../ir/graph.js';
import type { InferContext, OpDef } from '../../op.js';
import { opError, requireInput } from '../common.js';
import { gemmAcc } from './kernels.js';
import { readWindow, type WindowAttrs } from './spatial.js';
import { fromF64, toF64 } from './util.js';

interface TransposeGeometry {
  out: number[];
  padBegin: number[];
}

function outputPadding(node: Node, n: number): number[] {
  const v = attrIntsOpt(node, 'output_padding') ?? new Array<number>(n).fill(0);
  if (v.length !== n)
    throw opError(node, `output_padding has ${v.length} values`, `${n} (one per spatial axis)`);
  return v;
}

/** Spatial output sizes and begin pads, following the ConvTranspose-11 equations. */
export function transposeGeometry(node: Node, inSp: readonly number[], w: WindowAttrs): TransposeGeometry {
  const n = inSp.length;
  const outPad = outputPadding(node, n);
  let target = attrIntsOpt(node, 'output_shape');
  // Some exporters give the full [N, C, ...] shape; only the spatial part is meaningful.
  if (target && target.length === n + 2) target = target.slice(2);
  if (target && target.length !== n)
    throw opError(node, `output_shape has ${target.length} values`, `${n} (one per spatial axis)`);
  const out: number[] = [];
  const padBegin: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = w.strides[i]!;
    const eff = (w.kernel[i]! - 1) * w.dilations[i]! + 1;
    const full = s * (inSp[i]! - 1) + outPad[i]! + eff;
    let o: number;
    let pb: number;
    if (target || w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') {
      o = target ? target[i]! : inSp[i]! * s;
      const total = full - o;
      const half = Math.floor(total / 2);
      pb = w.autoPad === 'SAME_UPPER' ? half : total - half;
    } else if (w.autoPad === 'VALID') {
      o = full;
      pb = 0;
    } else {
      pb = w.pads[i]!;
      o = full - pb - w.pads[i + n]!;
    }
    if (o < 1) throw opError(node, `spatial axis ${i} would have output size ${o}`, 'a positive output size');
    out.push(o);
    padBegin.push(pb);
  }
  return { out, padBegin };
}

/** Scatter-add col (Mg·kSize rows × inSize) into the output block of Mg channels starting at yOff. */
function col2im(
  col: Float64Array,
  y: Float64Array,
  yOff: number,
  channels: number,
  inSp: readonly number[],
  outSp: readonly number[],
  w: WindowAttrs,
  padBegin: readonly number[],
): void {
  const nd = inSp.length;
  const L = nd - 1;
  const inSize = shapeSize(inSp);
  const outSize = shapeSize(outSp);
  const kSize = shapeSize(w.kernel);
  const outStr = stridesOf(outSp);
  const lastI = inSp[L]!;
  const lastO = outSp[L]!;
  const sL = w.strides[L]!;
  const outer = inSize / lastI;
  const kpos = new Array<number>(nd).fill(0);
  const ipos = new Array<number>(Math.max(0, L)).fill(0);
  let row = 0;
  for (let m = 0; m < channels; m++) {
    kpos.fill(0);
    for (let k = 0; k < kSize; k++, row++) {
      const kOffL = kpos[L]! * w.dilations[L]! - padBegin[L]!;
      // Input positions along the last axis whose output index lands inside [0, lastO).
      const lo = Math.min(lastI, Math.max(0, Math.ceil(-kOffL / sL)));
      const hi = Math.max(lo, Math.min(lastI, Math.floor((lastO - 1 - kOffL) / sL) + 1));
      ipos.fill(0);
      let src = row * inSize;
      for (let o = 0; o < outer; o++, src += lastI) {
        let base = yOff + m * outSize;
        let inside = true;
        for (let d = 0; d < L; d++) {
          const oc = ipos[d]! * w.strides[d]! - padBegin[d]! + kpos[d]! * w.dilations[d]!;
          if (oc < 0 || oc >= outSp[d]!) {
            inside = false;
            break;
          }
          base += oc * outStr[d]!;
        }
        if (inside) {
          let dst = base + lo * sL + kOffL;
          for (let j = lo; j < hi; j++, dst += sL) y[dst] += col[src + j]!;
        }
        for (let d = L - 1; d >= 0; d--) {
          if (++ipos[d]! < inSp[d]!) break;
          ipos[d] = 0;
        }
      }
      for (let d = L; d >= 0; d--) {
        if (++kpos[d]! < w.kernel[d]!) break;
        kpos[d] = 0;
      }
    }
  }
}

function inferTranspose(ctx: InferContext): Dim[] | undefined {
  const [x, w] = ctx.inputs;
  const rank = x?.shape?.length ?? w?.shape?.length;
  if (rank === undefined) return undefined;
  if (rank < 3) throw opError(ctx.node, `X has rank ${rank}`, 'rank >= 3 ([N, C, D1, ...])');
  const group = attrInt(ctx.node, 'group', 1);
  const wm = w?.shape?.[1];
  const M: Dim = typeof wm === 'number' ? wm * group : ctx.freshDim();
  const wk = w?.shape?.slice(2);
  const kernel =
    attrIntsOpt(ctx.node, 'kernel_shape') ??
    (wk?.every((d) => typeof d === 'number') ? (wk as number[]) : undefined);
  const xs = x?.shape;
  const sp = xs?.slice(2);
  if (!xs || !sp || !kernel)
    return [xs?.[0] ?? ctx.freshDim(), M, ...Array.from({ length: rank - 2 }, () => ctx.freshDim())];
  // Axes are independent: compute with 1 in place of symbols, then keep only what the input fixes
  // (an explicit output_shape fixes every axis).
  const fixed = attrIntsOpt(ctx.node, 'output_shape') !== undefined;
  const geo = transposeGeometry(
    ctx.node,
    sp.map((d) => (typeof d === 'number' ? d : 1)),
    readWindow(ctx.node, rank - 2, kernel),
  );
  return [xs[0]!, M, ...geo.out.map((o, i) => (fixed || typeof sp[i] === 'number' ? o : ctx.freshDim()))];
}

const convTranspose: OpDef = {
  op: 'ConvTranspose',
  versions: [1, 22],
  run: (inputs, { node }) => {
    const x = requireInput(node, inputs, 0, 'X');
    const w = requireInput(node, inputs, 1, 'W');
    const b = inputs[2];
    if (!isFloatDType(x.dtype)) throw opError(node, `X has dtype ${x.dtype}`, 'a float tensor');
    if (x.rank < 3 || w.rank !== x.rank)
      throw opError(
        node,
        `X is [${x.shape.join(',')}] and W is [${w.shape.join(',')}]`,
        '[N, C, D...] and [C, M/group, k...]',
      );
    if (w.dtype !== x.dtype || (b && b.dtype !== x.dtype))
      throw opError(
        node,
        `X is ${x.dtype}, W is ${w.dtype}${b ? `, B is ${b.dtype}` : ''}`,
        'one float type for X, W and B',
      );
    const group = attrInt(node, 'group', 1);
    const [N, C] = [x.shape[0]!, x.shape[1]!];
    if (group < 1 || C % group !== 0 || w.shape[0] !== C)
      throw opError(
        node,
        `W has ${w.shape[0]} input channels, X has ${C}, group ${group}`,
        'W[0] = C, divisible by group',
      );
    const Mg = w.shape[1]!;
    const M = Mg * group;
    const window = readWindow(node, x.rank - 2, w.shape.slice(2));
    if (window.kernel.some((k, i) => k !== w.shape[i + 2]))
      throw opError(node, `kernel_shape [${window.kernel}] does not match W [${w.shape.join(',')}]`);
    if (b && (b.rank !== 1 || b.shape[0] !== M))
      throw opError(node, `B has shape [${b.shape.join(',')}]`, `[${M}] (one bias per output channel)`);
    const inSp = x.shape.slice(2);
    const { out: outSp, padBegin } = transposeGeometry(node, inSp, window);
    const inSize = shapeSize(inSp);
    const outSize = shapeSize(outSp);
    const kSize = shapeSize(window.kernel);
    const Cg = C / group;
    const rows = Mg * kSize;
    const xd = toF64(node, x, 'X');
    const wd = toF64(node, w, 'W');
    const y = new Float64Array(N * M * outSize);
    const col = new Float64Array(rows * inSize);
    for (let n = 0; n < N; n++)
      for (let g = 0; g < group; g++) {
        col.fill(0);
        // col[r, i] = sum_c W[g·Cg + c, r] · X[n, g·Cg + c, i]: A is Wᵀ read with swapped strides.
        gemmAcc(wd, g * Cg * rows, 1, rows, xd, (n * C + g * Cg) * inSize, col, 0, rows, Cg, inSize);
        col2im(col, y, (n * M + g * Mg) * outSize, Mg, inSp, outSp, window, padBegin);
      }
    if (b) {
      const bd = toF64(node, b, 'B');
      for (let p = 0; p < N * M; p++)
        for (let j = p * outSize; j < (p + 1) * outSize; j++) y[j] += bd[p % M]!;
    }
    return [fromF64(x.dtype, [N, M, ...outSp], y)];
  },
  infer: (ctx) => {
    const x = ctx.inputs[0];
    if (!x) return [undefined];
    return [{ dtype: x.dtype, shape: inferTranspose(ctx) }];
  },
};

export const convTransposeOps: OpDef[] = [convTranspose];
