/**
 * Signal ops (opset 17): HannWindow, HammingWindow, BlackmanWindow, DFT (axis attribute in 17-19,
 * axis input from 20), STFT and MelWeightMatrix. Complex values travel as a trailing dim of 2.
 */
import { type DType, dtypeFromOnnx, isFloatDType } from '../../../../runtime/dtype.js';
import { Tensor, allocData, shapeSize, toNumbers } from '../../../../runtime/tensor.js';
import { attrInt } from '../../../ir/attrs.js';
import type { Dim, Node } from '../../../ir/graph.js';
import type { InferContext, OpDef } from '../../op.js';
import { normalizeAxis, opError, requireInput } from '../common.js';
import { reduceLayout, scalarInput } from './util.js';

function outputDType(node: Node): DType {
  const code = attrInt(node, 'output_datatype', 1);
  const d = dtypeFromOnnx(code);
  if (!d || d === 'string' || d === 'bool')
    throw opError(node, `output_datatype ${code} is not supported`, 'a numeric TensorProto type');
  return d;
}

function fromFloat64(dtype: DType, shape: number[], v: Float64Array): Tensor {
  const out = allocData(dtype, v.length);
  const big = dtype === 'int64' || dtype === 'uint64';
  for (let i = 0; i < v.length; i++) {
    if (big) (out as BigInt64Array)[i] = BigInt(Math.trunc(v[i]!));
    else (out as Float64Array)[i] = isFloatDType(dtype) ? v[i]! : Math.trunc(v[i]!);
  }
  return new Tensor(dtype, shape, out);
}

/** A cosine-sum window: w[n] = sum_k a_k cos(2 pi k n / N), N = size (periodic) or size - 1 (symmetric). */
function windowOp(op: string, coeffs: number[]): OpDef {
  return {
    op,
    versions: [17, 21],
    run: (inputs, { node }) => {
      const size = scalarInput(node, requireInput(node, inputs, 0, 'size'), 'size');
      if (!Number.isInteger(size) || size < 0)
        throw opError(node, `size ${size} is invalid`, 'a non-negative integer');
      const periodic = attrInt(node, 'periodic', 1) !== 0;
      const N = periodic ? size : size - 1;
      const w = new Float64Array(size);
      for (let n = 0; n < size; n++) {
        // A symmetric window of one sample is [1] (N = 0 would divide by zero).
        if (N === 0) w[n] = 1;
        else w[n] = coeffs.reduce((s, a, k) => s + a * Math.cos((2 * Math.PI * k * n) / N), 0);
      }
      return [fromFloat64(outputDType(node), [size], w)];
    },
    infer: (ctx) => {
      const c = ctx.constants[0];
      const size: Dim = c && c.size === 1 ? toNumbers(c)[0]! : ctx.freshDim();
      return [{ dtype: outputDType(ctx.node), shape: [size] }];
    },
  };
}

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

/** MelWeightMatrix, following the ONNX reference's integer bin placement (so results match its data). */
const melOp: OpDef = {
  op: 'MelWeightMatrix',
  versions: [17, 21],
  run: (inputs, { node }) => {
    const names = ['num_mel_bins', 'dft_length', 'sample_rate', 'lower_edge_hertz', 'upper_edge_hertz'];
    const [mels, dftLen, rate, lo, hi] = names.map((n, i) =>
      scalarInput(node, requireInput(node, inputs, i, n), n),
    ) as [number, number, number, number, number];
    if (!Number.isInteger(mels) || mels < 1)
      throw opError(node, `num_mel_bins ${mels} is invalid`, 'a positive integer');
    if (!Number.isInteger(dftLen) || dftLen < 1)
      throw opError(node, `dft_length ${dftLen} is invalid`, 'a positive integer');
    if (!(rate > 0)) throw opError(node, `sample_rate ${rate} is invalid`, 'a positive number');
    if (!(lo >= 0 && hi >= lo))
      throw opError(node, `edges ${lo}..${hi} Hz are invalid`, '0 <= lower <= upper');
    const specBins = Math.floor(dftLen / 2) + 1;
    const toMel = (hz: number) => 2595 * Math.log10(1 + hz / 700);
    const lowMel = toMel(lo);
    const step = (toMel(hi) - lowMel) / (mels + 2);
    const bin = Array.from({ length: mels + 2 }, (_, i) => {
      const hz = 700 * (10 ** ((i * step + lowMel) / 2595) - 1);
      return Math.floor(((dftLen + 1) * hz) / rate);
    });
    const w = new Float64Array(specBins * mels);
    const set = (j: number, i: number, v: number) => {
      if (j < 0 || j >= specBins)
        throw opError(node, `mel bin ${i} reaches spectrogram bin ${j} of ${specBins}`);
      w[j * mels + i] = v;
    };
    for (let i = 0; i < mels; i++) {
      const [l, c, h] = [bin[i]!, bin[i + 1]!, bin[i + 2]!];
      if (c === l) set(c, i, 1);
      else for (let j = l; j <= c; j++) set(j, i, (j - l) / (c - l));
      for (let j = c; j < h; j++) set(j, i, (h - j) / (h - c));
    }
    return [fromFloat64(outputDType(node), [specBins, mels], w)];
  },
  infer: (ctx) => {
    const cst = (i: number) => (ctx.constants[i]?.size === 1 ? toNumbers(ctx.constants[i]!)[0] : undefined);
    const mels = cst(0);
    const dftLen = cst(1);
    return [
      {
        dtype: outputDType(ctx.node),
        shape: [dftLen !== undefined ? Math.floor(dftLen / 2) + 1 : ctx.freshDim(), mels ?? ctx.freshDim()],
      },
    ];
  },
};

export const signalOps: OpDef[] = [
  windowOp('HannWindow', [0.5, -0.5]),
  windowOp('HammingWindow', [25 / 46, -21 / 46]),
  windowOp('BlackmanWindow', [0.42, -0.5, 0.08]),
  dftOp,
  stftOp,
  melOp,
];
