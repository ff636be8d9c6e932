/**
 * Per-axis sampling plans for Resize/Upsample, following the ONNX reference algorithm: each output
 * coordinate maps to an input coordinate x (coordinate_transformation_mode), then to a set of input taps
 * around x with weights (nearest/linear/cubic, optional antialias), or to the extrapolation value.
 * Interpolation is separable, so an N-D resize is the product of per-axis plans.
 */

export interface AxisSpec {
  inSize: number;
  outSize: number;
  scale: number;
  /** [start, end] of the region of interest for tf_crop_and_resize, as fractions of the input. */
  roi: [number, number];
}

export interface Options {
  mode: 'nearest' | 'linear' | 'cubic';
  coordMode: string;
  /** round_prefer_floor | round_prefer_ceil | floor | ceil | simple (opset 10 / Upsample). */
  nearestMode: string;
  cubicA: number;
  excludeOutside: boolean;
  antialias: boolean;
}

/** For one output position: input indices (already clamped to the axis) and weights; null = extrapolate. */
export type Taps = { idx: number[]; w: number[] } | null;

/** Map an output coordinate to the input coordinate system. Returns null for tf_crop_and_resize outside. */
export function originalCoord(x: number, a: AxisSpec, coordMode: string): number | null {
  const inW = a.inSize;
  // The reference uses the un-truncated output length scale * in here, not the integer output size.
  const outW = a.scale * inW;
  switch (coordMode) {
    case 'align_corners':
      return outW === 1 ? 0 : (x * (inW - 1)) / (outW - 1);
    case 'asymmetric':
      return x / a.scale;
    case 'tf_crop_and_resize': {
      const [r0, r1] = a.roi;
      let xo = outW === 1 ? ((r1 - r0) * (inW - 1)) / 2 : (x * (r1 - r0) * (inW - 1)) / (outW - 1);
      xo += r0 * (inW - 1);
      return xo < 0 || xo > inW - 1 ? null : xo;
    }
    case 'pytorch_half_pixel':
      // The spec and onnxruntime use 0 for a single output (the onnx Python reference uses -0.5,
      // which only differs for cubic) and test the integer output length.
      return a.outSize > 1 ? (x + 0.5) / a.scale - 0.5 : 0;
    case 'half_pixel':
      return (x + 0.5) / a.scale - 0.5;
    case 'tf_half_pixel_for_nn':
      return (x + 0.5) / a.scale;
    case 'half_pixel_symmetric': {
      const adjustment = a.outSize / outW;
      const offset = (inW / 2) * (1 - adjustment);
      return offset + (x + 0.5) / a.scale - 0.5;
    }
    default:
      throw new Error(`unknown coordinate_transformation_mode '${coordMode}'`);
  }
}

function cubicKernel(x: number, A: number): number {
  x = Math.abs(x);
  if (x <= 1) return ((A + 2) * x - (A + 3)) * x * x + 1;
  if (x < 2) return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  return 0;
}

/**
 * Weights for taps at offsets start..start+n-1 relative to xInt (the index just below x, where
 * ratio = x - xInt lies in (0, 1]).
 */
function weights(o: Options, ratio: number, scale: number): { start: number; w: number[] } {
  if (o.mode === 'linear') {
    if (!o.antialias) return { start: 0, w: [1 - ratio, ratio] };
    const s = Math.min(scale, 1);
    const start = Math.floor(-1 / s) + 1;
    const n = 2 - 2 * start;
    const w = Array.from({ length: n }, (_, j) =>
      Math.min(1, Math.max(0, 1 - Math.abs((start + j - ratio) * s))),
    );
    return { start, w: normalize(w) };
  }
  // cubic
  if (!o.antialias) return { start: -1, w: [-1, 0, 1, 2].map((j) => cubicKernel(j - ratio, o.cubicA)) };
  const s = Math.min(scale, 1);
  const start = Math.floor(-2 / s) + 1;
  const n = 2 - 2 * start;
  const w = Array.from({ length: n }, (_, j) => cubicKernel(s * (start + j - ratio), o.cubicA));
  return { start, w: normalize(w) };
}

function normalize(w: number[]): number[] {
  const sum = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / sum);
}

/** Input index chosen by nearest mode for input coordinate x (before clamping). */
function nearestIndex(x: number, mode: string, scale: number): number {
  if (Number.isInteger(x)) return x;
  const f = Math.floor(x);
  const r = x - f;
  switch (mode) {
    case 'round_prefer_floor':
      return r <= 0.5 ? f : f + 1;
    case 'round_prefer_ceil':
      return r < 0.5 ? f : f + 1;
    case 'floor':
      return f;
    case 'ceil':
      return f + 1;
    case 'simple':
      // Opset 10 Resize / Upsample: truncate when upsampling, round up when downsampling.
      return scale < 1 ? f + 1 : Math.trunc(x);
    default:
      throw new Error(`unknown nearest_mode '${mode}'`);
  }
}

/** The sampling plan of one axis: taps for every output index. */
export function axisPlan(a: AxisSpec, o: Options): Taps[] {
  const plan: Taps[] = [];
  const last = a.inSize - 1;
  for (let x = 0; x < a.outSize; x++) {
    const xo = originalCoord(x, a, o.coordMode);
    if (xo === null) {
      plan.push(null);
      continue;
    }
    if (o.mode === 'nearest') {
      const i = nearestIndex(xo, o.nearestMode, a.scale);
      plan.push({ idx: [Math.min(Math.max(i, 0), last)], w: [1] });
      continue;
    }
    // ratio in (0, 1]: an integral x counts as the right end of the interval below it.
    const xInt = Number.isInteger(xo) ? xo - 1 : Math.floor(xo);
    const ratio = xo - xInt;
    const { start, w } = weights(o, ratio, a.scale);
    let idx = w.map((_, j) => xInt + start + j);
    let ws = w;
    if (o.excludeOutside) {
      ws = w.map((v, j) => (idx[j]! < 0 || idx[j]! > last ? 0 : v));
      ws = normalize(ws);
    }
    // Out-of-range taps read the edge value (the reference pads the input in 'edge' mode).
    idx = idx.map((i) => Math.min(Math.max(i, 0), last));
    const keep = ws.map((v, j) => [v, idx[j]!] as const).filter(([v]) => v !== 0);
    plan.push({ idx: keep.map((k) => k[1]), w: keep.map((k) => k[0]) });
  }
  return plan;
}
