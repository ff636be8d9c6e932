/**
 * GridSample (opset 16 4-D, opset 20 N-D): sample X at normalized grid locations with nearest,
 * (bi/tri)linear or (bi)cubic interpolation and zeros/border/reflection padding.
 */
import { isFloatDType } from '../../../../runtime/dtype.js';
import { shapeSize, stridesOf } from '../../../../runtime/tensor.js';
import { attrInt, attrString } from '../../../ir/attrs.js';
import type { OpDef } from '../../op.js';
import { opError, requireInput } from '../common.js';
import { roundHalfEven } from './quantUtil.js';
import { fromF64, toF64 } from './util.js';

type Mode = 'nearest' | 'linear' | 'cubic';
type Padding = 'zeros' | 'border' | 'reflection';

/** Reflect x into [lo, hi] (repeatedly, like a mirror pair). */
function reflect(x: number, lo: number, hi: number): number {
  const range = hi - lo;
  if (range <= 0) return lo;
  if (x < lo) {
    const dx = lo - x;
    const n = Math.floor(dx / range);
    const r = dx - n * range;
    return n % 2 === 0 ? lo + r : hi - r;
  }
  if (x > hi) {
    const dx = x - hi;
    const n = Math.floor(dx / range);
    const r = dx - n * range;
    return n % 2 === 0 ? hi - r : lo + r;
  }
  return x;
}

/** Cubic convolution weights (A = -0.75) for the 4 taps around a fractional offset t. */
function cubicWeights(t: number, out: Float64Array, base: number): void {
  const A = -0.75;
  const x1 = t + 1;
  const x2 = 1 - t;
  const x3 = 2 - t;
  out[base] = ((A * x1 - 5 * A) * x1 + 8 * A) * x1 - 4 * A;
  out[base + 1] = ((A + 2) * t - (A + 3)) * t * t + 1;
  out[base + 2] = ((A + 2) * x2 - (A + 3)) * x2 * x2 + 1;
  out[base + 3] = ((A * x3 - 5 * A) * x3 + 8 * A) * x3 - 4 * A;
}

const gridSample: OpDef = {
  op: 'GridSample',
  versions: [16, 22],
  run: (inputs, { node, opset }) => {
    const x = requireInput(node, inputs, 0, 'X');
    const grid = requireInput(node, inputs, 1, 'grid');
    if (!isFloatDType(x.dtype)) throw opError(node, `X has dtype ${x.dtype}`, 'a float tensor');
    const nd = x.rank - 2;
    if (nd < 1 || (opset < 20 && nd !== 2))
      throw opError(
        node,
        `X has shape [${x.shape.join(',')}]`,
        opset < 20 ? '[N, C, H, W]' : '[N, C, D1, ...]',
      );
    const [N, C] = [x.shape[0]!, x.shape[1]!];
    if (grid.rank !== x.rank || grid.shape[0] !== N || grid.shape[x.rank - 1] !== nd)
      throw opError(node, `grid has shape [${grid.shape.join(',')}]`, `[${N}, out..., ${nd}]`);
    const rawMode = attrString(node, 'mode', opset >= 20 ? 'linear' : 'bilinear');
    const modes: Record<string, Mode> = {
      nearest: 'nearest',
      bilinear: 'linear',
      linear: 'linear',
      bicubic: 'cubic',
      cubic: 'cubic',
    };
    const mode = modes[rawMode];
    if (!mode) throw opError(node, `mode is '${rawMode}'`, 'nearest, linear (bilinear) or cubic (bicubic)');
    if (mode === 'cubic' && nd !== 2) throw opError(node, `cubic mode needs 4-D input`, '[N, C, H, W]');
    const padding = attrString(node, 'padding_mode', 'zeros') as Padding;
    if (!['zeros', 'border', 'reflection'].includes(padding))
      throw opError(node, `padding_mode is '${padding}'`, 'zeros, border or reflection');
    const align = attrInt(node, 'align_corners', 0) !== 0;
    const inSp = x.shape.slice(2);
    const outSp = grid.shape.slice(1, -1);
    const inSize = shapeSize(inSp);
    const outSize = shapeSize(outSp);
    const inStr = stridesOf(inSp);
    const xd = toF64(node, x, 'X');
    const gd = toF64(node, grid, 'grid');
    const y = new Float64Array(N * C * outSize);
    const taps = mode === 'nearest' ? 1 : mode === 'linear' ? 2 : 4;
    const nTaps = taps ** nd;
    const tapOff = new Int32Array(nTaps);
    const tapW = new Float64Array(nTaps);
    const coord = new Float64Array(nd);
    const axisIdx = new Int32Array(nd * taps);
    const axisW = new Float64Array(nd * taps);
    // Taps beyond these bounds are mirrored back (reflection padding).
    const lo = () => (align ? 0 : -0.5);
    const hi = (d: number) => (align ? inSp[d]! - 1 : inSp[d]! - 0.5);
    /** Resolve an integer tap index on axis d under the padding mode; -1 means it reads zero. */
    const tapIndex = (i: number, d: number): number => {
      const size = inSp[d]!;
      if (i >= 0 && i < size) return i;
      if (padding === 'zeros') return -1;
      if (padding === 'border') return i < 0 ? 0 : size - 1;
      const r = Math.trunc(reflect(i, lo(), hi(d)));
      return Math.min(size - 1, Math.max(0, r));
    };
    for (let n = 0; n < N; n++)
      for (let o = 0; o < outSize; o++) {
        const g = (n * outSize + o) * nd;
        for (let d = 0; d < nd; d++) {
          // grid[..., 0] is x (the last axis): reverse the component order.
          const v = gd[g + nd - 1 - d]!;
          const size = inSp[d]!;
          // Padding applies to the integer taps (tapIndex), not to the coordinate: for nearest and
          // linear the two agree, and for cubic this is what onnxruntime computes.
          coord[d] = align ? ((v + 1) / 2) * (size - 1) : ((v + 1) * size - 1) / 2;
        }
        for (let d = 0; d < nd; d++) {
          const c = coord[d]!;
          const b = d * taps;
          if (mode === 'nearest') {
            axisIdx[b] = tapIndex(roundHalfEven(c), d);
            axisW[b] = 1;
          } else if (mode === 'linear') {
            const f = Math.floor(c);
            axisIdx[b] = tapIndex(f, d);
            axisIdx[b + 1] = tapIndex(f + 1, d);
            axisW[b] = 1 - (c - f);
            axisW[b + 1] = c - f;
          } else {
            const f = Math.floor(c);
            for (let k = 0; k < 4; k++) axisIdx[b + k] = tapIndex(f - 1 + k, d);
            cubicWeights(c - f, axisW, b);
          }
        }
        // Combine per-axis taps into flat offsets and product weights.
        for (let t = 0; t < nTaps; t++) {
          let rem = t;
          let off = 0;
          let w = 1;
          for (let d = nd - 1; d >= 0; d--) {
            const k = rem % taps;
            rem = (rem - k) / taps;
            const i = axisIdx[d * taps + k]!;
            if (i < 0) off = -Infinity;
            off += i * inStr[d]!;
            w *= axisW[d * taps + k]!;
          }
          tapOff[t] = Number.isFinite(off) ? off : -1;
          tapW[t] = w;
        }
        for (let c = 0; c < C; c++) {
          const plane = (n * C + c) * inSize;
          let s = 0;
          for (let t = 0; t < nTaps; t++) if (tapOff[t]! >= 0) s += tapW[t]! * xd[plane + tapOff[t]!]!;
          y[(n * C + c) * outSize + o] = s;
        }
      }
    return [fromF64(x.dtype, [N, C, ...outSp], y)];
  },
  infer: (ctx) => {
    const [x, grid] = ctx.inputs;
    if (!x) return [undefined];
    const rank = x.shape?.length ?? grid?.shape?.length;
    if (rank === undefined) return [{ dtype: x.dtype }];
    const out = grid?.shape
      ? grid.shape.slice(1, -1)
      : Array.from({ length: rank - 2 }, () => ctx.freshDim());
    return [
      {
        dtype: x.dtype,
        shape: [x.shape?.[0] ?? grid?.shape?.[0] ?? ctx.freshDim(), x.shape?.[1] ?? ctx.freshDim(), ...out],
      },
    ];
  },
};

export const gridSampleOps: OpDef[] = [gridSample];
