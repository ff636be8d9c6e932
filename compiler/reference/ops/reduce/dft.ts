/**
 * DFT (axis attribute in opset 17-19, axis input from 20) and STFT (opset 17). Complex values travel
 * as a trailing dim of 2; a trailing dim of 1 is a real signal.
 */
import { isFloatDType } from '../../../../runtime/dtype.js';
import { Tensor, allocData, shapeSize, toNumbers } from '../../../../runtime/tensor.js';
import { attrInt } from '../../../ir/attrs.js';
import type { Dim, Node } from '../../../ir/graph.js';
import type { InferContext, OpDef } from '../../op.js';
import { normalizeAxis, opError, requireInput } from '../common.js';
import { reduceLayout, scalarInput } from './util.js';

/**
 * DFT of complex lines: `re`/`im` hold `count` lines of length n (stride 1 within a line). Returns
 * `outLen` bins per line of a length-`L` transform (input zero-padded or truncated to L).
 */
function dftLines(
  re: Float64Array,
  im: Float64Array,
  n: number,
  count: number,
  L: number,
  outLen: number,
  inverse: boolean,
): [Float64Array, Float64Array] {
  const cos = new Float64Array(L);
  const sin = new Float64Array(L);
  const sign = inverse ? 1 : -1;
  for (let k = 0; k < L; k++) {
    cos[k] = Math.cos((2 * Math.PI * k) / L);
    sin[k] = sign * Math.sin((2 * Math.PI * k) / L);
  }
  const m = Math.min(n, L);
  const scale = inverse ? 1 / L : 1;
  const ore = new Float64Array(count * outLen);
  const oim = new Float64Array(count * outLen);
  for (let c = 0; c < count; c++) {
    for (let k = 0; k < outLen; k++) {
      let sr = 0;
      let si = 0;
      for (let t = 0; t < m; t++) {
        const j = (k * t) % L; // exact twiddle index keeps large transforms accurate
        const xr = re[c * n + t]!;
        const xi = im[c * n + t]!;
        sr += xr * cos[j]! - xi * sin[j]!;
        si += xr * sin[j]! + xi * cos[j]!;
      }
      ore[c * outLen + k] = sr * scale;
      oim[c * outLen + k] = si * scale;
    }
  }
  return [ore, oim];
}

function requireSignal(node: Node, x: Tensor, what: string): void {
  if (!isFloatDType(x.dtype)) throw opError(node, `${what} has dtype ${x.dtype}`, 'a float tensor');
  const last = x.shape[x.rank - 1];
  if (x.rank < 2 || (last !== 1 && last !== 2))
    throw opError(
      node,
      `${what} shape [${x.shape.join(',')}] does not end in 1 (real) or 2 (complex)`,
      '[..., 1 or 2]',
    );
}

/** The transform axis: attribute (default 1) before opset 20, input 2 (default -2) from 20; never the complex dim. */
function dftAxis(node: Node, opset: number, rank: number, axisInput: Tensor | undefined): number {
  const a = opset < 20 ? attrInt(node, 'axis', 1) : axisInput ? scalarInput(node, axisInput, 'axis') : -2;
  const axis = normalizeAxis(node, a, rank);
  if (axis === rank - 1)
    throw opError(node, `axis ${a} is the complex dimension`, `-${rank}..-2 or 0..${rank - 2}`);
  return axis;
}

function dftLength(node: Node, t: Tensor | undefined, dflt: number): number {
  if (!t) return dflt;
  const L = scalarInput(node, t, 'dft_length');
  if (!Number.isInteger(L) || L < 1) throw opError(node, `dft_length ${L} is invalid`, 'a positive integer');
  return L;
}

const dftOp: OpDef = {
  op: 'DFT',
  versions: [17, 21],
  run: (inputs, { node, opset }) => {
    const x = requireInput(node, inputs, 0, 'input');
    requireSignal(node, x, 'input');
    const axis = dftAxis(node, opset, x.rank, inputs[2]);
    const n = x.shape[axis]!;
    const L = dftLength(node, inputs[1], n);
    const inverse = attrInt(node, 'inverse', 0) !== 0;
    const onesided = attrInt(node, 'onesided', 0) !== 0;
    const outLen = onesided ? Math.floor(L / 2) + 1 : L;
    const complex = x.shape[x.rank - 1] === 2;
    // Gather lines along `axis` (the signal shape is x.shape without the last dim).
    const sigShape = x.shape.slice(0, -1);
    const { bases, offsets } = reduceLayout(sigShape, [axis]);
    const count = bases.length;
    const re = new Float64Array(count * n);
    const im = new Float64Array(count * n);
    const src = x.data as Float64Array;
    const cw = complex ? 2 : 1;
    for (let c = 0; c < count; c++) {
      for (let t = 0; t < n; t++) {
        const s = (bases[c]! + offsets[t]!) * cw;
        re[c * n + t] = src[s]!;
        if (complex) im[c * n + t] = src[s + 1]!;
      }
    }
    const [ore, oim] = dftLines(re, im, n, count, L, outLen, inverse);
    const outSig = sigShape.slice();
    outSig[axis] = outLen;
    const outL = reduceLayout(outSig, [axis]);
    const out = allocData(x.dtype, shapeSize(outSig) * 2) as Float64Array;
    for (let c = 0; c < count; c++) {
      for (let k = 0; k < outLen; k++) {
        const o = (outL.bases[c]! + outL.offsets[k]!) * 2;
        out[o] = ore[c * outLen + k]!;
        out[o + 1] = oim[c * outLen + k]!;
      }
    }
    return [new Tensor(x.dtype, [...outSig, 2], out)];
  },
  infer: (ctx) => {
    const x = ctx.inputs[0];
    if (!x) return [undefined];
    if (!x.shape) return [{ dtype: x.dtype }];
    const r = x.shape.length;
    let axis: number | undefined;
    if (ctx.opset < 20) axis = normalizeAxis(ctx.node, attrInt(ctx.node, 'axis', 1), r);
    else if (!ctx.node.inputs[2]) axis = r - 2;
    else if (ctx.constants[2]) axis = normalizeAxis(ctx.node, toNumbers(ctx.constants[2])[0]!, r);
    if (axis === undefined)
      return [{ dtype: x.dtype, shape: [...x.shape.slice(0, -1).map(() => ctx.freshDim()), 2] }];
    const onesided = attrInt(ctx.node, 'onesided', 0) !== 0;
    let L: Dim | undefined = x.shape[axis];
    if (ctx.node.inputs[1]) L = ctx.constants[1] ? toNumbers(ctx.constants[1])[0] : undefined;
    const shape = [...x.shape.slice(0, -1), 2];
    if (typeof L === 'number') shape[axis] = onesided ? Math.floor(L / 2) + 1 : L;
    else shape[axis] = L !== undefined && !onesided ? L : ctx.freshDim();
    return [{ dtype: x.dtype, shape }];
  },
};

const stftOp: OpDef = {
  op: 'STFT',
  versions: [17, 21],
  run: (inputs, { node }) => {
    const x = requireInput(node, inputs, 0, 'signal');
    requireSignal(node, x, 'signal');
    if (x.rank !== 3) throw opError(node, `signal has rank ${x.rank}`, '[batch, signal_length, 1 or 2]');
    const step = scalarInput(node, requireInput(node, inputs, 1, 'frame_step'), 'frame_step');
    if (!Number.isInteger(step) || step < 1)
      throw opError(node, `frame_step ${step} is invalid`, 'a positive integer');
    const window = inputs[2];
    if (window && window.rank !== 1) throw opError(node, `window has rank ${window.rank}`, 'a 1-D tensor');
    const frameLength = inputs[3]
      ? scalarInput(node, inputs[3], 'frame_length')
      : window
        ? window.shape[0]!
        : x.shape[1]!;
    if (window && window.shape[0] !== frameLength)
      throw opError(node, `window length ${window.shape[0]} differs from frame_length ${frameLength}`);
    const [batch, len] = x.shape as [number, number];
    if (!Number.isInteger(frameLength) || frameLength < 1 || frameLength > len)
      throw opError(
        node,
        `frame_length ${frameLength} is invalid for a signal of length ${len}`,
        `1..${len}`,
      );
    const onesided = attrInt(node, 'onesided', 1) !== 0;
    const frames = Math.floor((len - frameLength) / step) + 1;
    const bins = onesided ? Math.floor(frameLength / 2) + 1 : frameLength;
    const complex = x.shape[2] === 2;
    const w = window ? toNumbers(window) : undefined;
    const count = batch * frames;
    const re = new Float64Array(count * frameLength);
    const im = new Float64Array(count * frameLength);
    const src = x.data as Float64Array;
    const cw = complex ? 2 : 1;
    for (let b = 0; b < batch; b++) {
      for (let f = 0; f < frames; f++) {
        const line = (b * frames + f) * frameLength;
        for (let t = 0; t < frameLength; t++) {
          const s = (b * len + f * step + t) * cw;
          const wt = w ? w[t]! : 1;
          re[line + t] = src[s]! * wt;
          if (complex) im[line + t] = src[s + 1]! * wt;
        }
      }
    }
    const [ore, oim] = dftLines(re, im, frameLength, count, frameLength, bins, false);
    const out = allocData(x.dtype, count * bins * 2) as Float64Array;
    for (let i = 0; i < count * bins; i++) {
      out[2 * i] = ore[i]!;
      out[2 * i + 1] = oim[i]!;
    }
    return [new Tensor(x.dtype, [batch, frames, bins, 2], out)];
  },
  infer: (ctx) => inferStft(ctx),
};

function inferStft(ctx: InferContext) {
  const x = ctx.inputs[0];
  if (!x) return [undefined];
  const batch = x.shape?.[0] ?? ctx.freshDim();
  const len = x.shape?.[1];
  const cst = (i: number) => (ctx.constants[i]?.size === 1 ? toNumbers(ctx.constants[i]!)[0] : undefined);
  const step = cst(1);
  const frameLength = ctx.node.inputs[3]
    ? cst(3)
    : (ctx.inputs[2]?.shape?.[0] ?? (ctx.node.inputs[2] ? undefined : len));
  const onesided = attrInt(ctx.node, 'onesided', 1) !== 0;
  const frames =
    typeof len === 'number' && typeof frameLength === 'number' && step !== undefined
      ? Math.floor((len - frameLength) / step) + 1
      : ctx.freshDim();
  const bins =
    typeof frameLength === 'number'
      ? onesided
        ? Math.floor(frameLength / 2) + 1
        : frameLength
      : ctx.freshDim();
  return [{ dtype: x.dtype, shape: [batch, frames, bins, 2] }];
}

export const dftOps: OpDef[] = [dftOp, stftOp];
