/** Resize (opset 10-19+) and Upsample (opset 7-9), separable N-D interpolation. */
import { integerRange, isBigIntDType, isIntegerDType } from '../../../../runtime/dtype.js';
import { Tensor, allocData, toNumbers } from '../../../../runtime/tensor.js';
import { attrFloat, attrFloats, attrInt, attrIntsOpt, attrString } from '../../../ir/attrs.js';
import type { Dim, Node } from '../../../ir/graph.js';
import type { InferContext, OpDef } from '../../op.js';
import { normalizeAxis, opError, requireInput } from '../common.js';
import { type AxisSpec, type Options, type Taps, axisPlan } from './resize-coeffs.js';
import { forEachIndex, stridesOf } from './util.js';

/** What decides the output size: per-axis scales or target sizes, over all axes. */
interface Target {
  scales: number[];
  sizes: number[];
  roi: number[] | undefined;
}

function floats(t: Tensor | undefined): number[] | undefined {
  if (!t || t.size === 0) return undefined;
  return toNumbers(t);
}

/** Expand per-`axes` values to all axes, filling the rest with `fill`. */
function toAllAxes(vals: number[], axes: number[], rank: number, fill: (i: number) => number): number[] {
  const out = Array.from({ length: rank }, (_, i) => fill(i));
  axes.forEach((a, i) => (out[a] = vals[i]!));
  return out;
}

/** Output sizes and effective scales from scales or sizes (with axes and keep_aspect_ratio_policy). */
export function resolveTarget(
  node: Node,
  opset: number,
  inShape: readonly number[],
  scalesIn: number[] | undefined,
  sizesIn: number[] | undefined,
  roiIn: number[] | undefined,
  axesIn: number[] | undefined,
): Target {
  const rank = inShape.length;
  const axes = axesIn
    ? axesIn.map((a) => normalizeAxis(node, a, rank))
    : Array.from({ length: rank }, (_, i) => i);
  if (new Set(axes).size !== axes.length) throw opError(node, `duplicate axes [${axesIn!.join(',')}]`);
  let roi: number[] | undefined;
  if (roiIn) {
    if (roiIn.length !== 2 * axes.length)
      throw opError(node, `roi has ${roiIn.length} values`, `${2 * axes.length}`);
    roi = [
      ...toAllAxes(roiIn.slice(0, axes.length), axes, rank, () => 0),
      ...toAllAxes(roiIn.slice(axes.length), axes, rank, () => 1),
    ];
  }
  if ((scalesIn === undefined) === (sizesIn === undefined))
    throw opError(node, 'needs exactly one of scales and sizes', 'a non-empty scales or sizes input');
  if (scalesIn) {
    if (scalesIn.length !== axes.length)
      throw opError(node, `${scalesIn.length} scales for ${axes.length} axes`, `${axes.length} scales`);
    if (scalesIn.some((s) => !(s > 0)))
      throw opError(node, `scales [${scalesIn.join(',')}]`, 'positive scales');
    const scales = toAllAxes(scalesIn, axes, rank, () => 1);
    return { scales, sizes: inShape.map((d, i) => Math.floor(d * scales[i]!)), roi };
  }
  const sz = sizesIn!;
  if (sz.length !== axes.length)
    throw opError(node, `${sz.length} sizes for ${axes.length} axes`, `${axes.length}`);
  if (sz.some((s) => s < 0)) throw opError(node, `sizes [${sz.join(',')}]`, 'non-negative sizes');
  let sizes = toAllAxes(sz, axes, rank, (i) => inShape[i]!);
  let scales = sizes.map((s, i) => s / inShape[i]!);
  const policy = opset >= 18 ? attrString(node, 'keep_aspect_ratio_policy', 'stretch') : 'stretch';
  if (policy !== 'stretch') {
    const sel = axes.map((a) => scales[a]!);
    let s: number;
    if (policy === 'not_larger') s = Math.min(...sel);
    else if (policy === 'not_smaller') s = Math.max(...sel);
    else throw opError(node, `keep_aspect_ratio_policy '${policy}'`, 'stretch, not_larger or not_smaller');
    scales = inShape.map((_, i) => (axes.includes(i) ? s : 1));
    // Round half up, as the reference does.
    sizes = inShape.map((d, i) => (axes.includes(i) ? Math.floor(s * d + 0.5) : d));
  }
  return { scales, sizes, roi };
}

/** Interpolate with per-axis plans; a null tap on any axis yields the extrapolation value. */
function interpolate(x: Tensor, sizes: number[], plans: Taps[][], extrapolation: number): Tensor {
  const strides = stridesOf(x.shape);
  const n = sizes.reduce((a, b) => a * b, 1);
  const out = allocData(x.dtype, n);
  const src = x.data as ArrayLike<number | bigint>;
  const big = isBigIntDType(x.dtype);
  // Integer outputs truncate like onnxruntime and saturate where cubic overshoot leaves the range.
  const range = isIntegerDType(x.dtype) ? integerRange(x.dtype).map(Number) : undefined;
  const o = out as unknown as (number | bigint)[];
  const rank = sizes.length;
  const taps = new Array<Taps>(rank);
  forEachIndex(sizes, (idx, k) => {
    let extrap = false;
    for (let a = 0; a < rank; a++) {
      taps[a] = plans[a]![idx[a]!]!;
      if (taps[a] === null) extrap = true;
    }
    let v = extrapolation;
    if (!extrap) v = accumulate(src, strides, taps as { idx: number[]; w: number[] }[], 0, 0);
    if (range) v = Math.min(Math.max(Math.trunc(v), range[0]!), range[1]!);
    o[k] = big ? BigInt(v) : v;
  });
  return new Tensor(x.dtype, sizes, out);
}

/** Sum over the tap product of axes a.. (float64 accumulation). */
function accumulate(
  src: ArrayLike<number | bigint>,
  strides: number[],
  taps: { idx: number[]; w: number[] }[],
  a: number,
  off: number,
): number {
  if (a === taps.length) return Number(src[off]);
  const t = taps[a]!;
  let s = 0;
  for (let j = 0; j < t.idx.length; j++)
    s += t.w[j]! * accumulate(src, strides, taps, a + 1, off + t.idx[j]! * strides[a]!);
  return s;
}

export function resizeOptions(node: Node, opset: number): Options {
  const mode = attrString(node, 'mode', 'nearest');
  if (mode !== 'nearest' && mode !== 'linear' && !(mode === 'cubic' && opset >= 11))
    throw opError(
      node,
      `unknown mode '${mode}'`,
      opset >= 11 ? 'nearest, linear or cubic' : 'nearest or linear',
    );
  if (opset < 11)
    return {
      mode,
      coordMode: 'asymmetric',
      nearestMode: 'simple',
      cubicA: -0.75,
      excludeOutside: false,
      antialias: false,
    };
  const coordModes = [
    'half_pixel',
    'pytorch_half_pixel',
    'align_corners',
    'asymmetric',
    'tf_crop_and_resize',
  ];
  if (opset < 13) coordModes.push('tf_half_pixel_for_nn');
  if (opset >= 19) coordModes.push('half_pixel_symmetric');
  const coordMode = attrString(node, 'coordinate_transformation_mode', 'half_pixel');
  if (!coordModes.includes(coordMode))
    throw opError(node, `unknown coordinate_transformation_mode '${coordMode}'`, coordModes.join(', '));
  const nearestMode = attrString(node, 'nearest_mode', 'round_prefer_floor');
  if (!['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'].includes(nearestMode))
    throw opError(
      node,
      `unknown nearest_mode '${nearestMode}'`,
      'round_prefer_floor, round_prefer_ceil, floor, ceil',
    );
  const antialias = opset >= 18 && attrInt(node, 'antialias', 0) !== 0 && mode !== 'nearest';
  return {
    mode,
    coordMode,
    nearestMode,
    cubicA: attrFloat(node, 'cubic_coeff_a', -0.75),
    excludeOutside: attrInt(node, 'exclude_outside', 0) !== 0,
    antialias,
  };
}

function run(x: Tensor, node: Node, opset: number, t: Target): Tensor {
  if (x.dtype === 'string' || x.dtype === 'bool')
    throw opError(node, `input dtype ${x.dtype}`, 'a numeric tensor');
  const o = resizeOptions(node, opset);
  if (o.coordMode === 'tf_crop_and_resize' && !t.roi)
    throw opError(node, 'tf_crop_and_resize needs a roi input', 'a roi of 2 * rank values');
  const plans = x.shape.map((d, i) => {
    const spec: AxisSpec = {
      inSize: d,
      outSize: t.sizes[i]!,
      scale: t.scales[i]!,
      roi: t.roi ? [t.roi[i]!, t.roi[i + x.rank]!] : [0, 1],
    };
    if (d === 0 && spec.outSize > 0) throw opError(node, `cannot resize an empty axis ${i}`);
    return axisPlan(spec, o);
  });
  const extrapolation = opset >= 11 ? attrFloat(node, 'extrapolation_value', 0) : 0;
  return interpolate(x, t.sizes, plans, extrapolation);
}

/** Resize inputs by opset: (X, scales) in 10; (X, roi, scales, sizes) from 11; axes attribute from 18. */
export function resizeInputs(node: Node, opset: number, inputs: (Tensor | undefined)[]) {
  if (opset < 11)
    return { scales: floats(requireInput(node, inputs, 1, 'scales')), sizes: undefined, roi: undefined };
  const sizes = inputs[3] && inputs[3].size > 0 ? toNumbers(inputs[3]) : undefined;
  return { roi: floats(inputs[1]), scales: floats(inputs[2]), sizes };
}

const Resize: OpDef = {
  op: 'Resize',
  versions: [10, 21],
  run: (inputs, { node, opset }) => {
    const x = requireInput(node, inputs, 0, 'X');
    const { scales, sizes, roi } = resizeInputs(node, opset, inputs);
    const axes = opset >= 18 ? attrIntsOpt(node, 'axes') : undefined;
    return [run(x, node, opset, resolveTarget(node, opset, x.shape, scales, sizes, roi, axes))];
  },
  infer: (ctx) => {
    const x = ctx.inputs[0];
    if (!x) return [undefined];
    if (!x.shape) return [{ dtype: x.dtype }];
    const c = ctx.constants;
    const scaleIdx = ctx.opset < 11 ? 1 : 2;
    const scales = floats(c[scaleIdx]);
    const sizes = ctx.opset >= 11 && c[3] && c[3].size > 0 ? toNumbers(c[3]) : undefined;
    const axes = ctx.opset >= 18 ? attrIntsOpt(ctx.node, 'axes') : undefined;
    const shapeKnown = (i: number) => ctx.node.inputs[i] && (!c[i] || c[i].size > 0);
    if (!scales && !sizes) {
      // Unknown (non-constant) scales or sizes: only the rank is known.
      if (shapeKnown(scaleIdx) || shapeKnown(3))
        return [{ dtype: x.dtype, shape: x.shape.map(() => ctx.freshDim()) }];
    }
    return [{ dtype: x.dtype, shape: inferSizes(ctx, x.shape, scales, sizes, axes) }];
  },
};

function inferSizes(
  ctx: InferContext,
  shape: Dim[],
  scales: number[] | undefined,
  sizes: number[] | undefined,
  axes: number[] | undefined,
): Dim[] {
  // Validate counts and values against a stand-in shape (symbols as 1), then size each dim.
  const concrete = shape.map((d) => (typeof d === 'number' ? d : 1));
  const t = resolveTarget(ctx.node, ctx.opset, concrete, scales, sizes, undefined, axes);
  const sel = (axes ?? shape.map((_, j) => j)).map((a) => normalizeAxis(ctx.node, a, shape.length));
  if (sizes) {
    const policy = ctx.opset >= 18 ? attrString(ctx.node, 'keep_aspect_ratio_policy', 'stretch') : 'stretch';
    // A kept aspect ratio depends on every selected input dim.
    if (policy !== 'stretch' && sel.some((a) => typeof shape[a] !== 'number'))
      return shape.map((d, i) => (sel.includes(i) ? ctx.freshDim() : d));
    return shape.map((d, i) => (sel.includes(i) ? t.sizes[i]! : d));
  }
  return shape.map((d, i) => {
    if (typeof d === 'number') return t.sizes[i]!;
    return t.scales[i] === 1 ? d : ctx.freshDim();
  });
}

/** Upsample: scales as an attribute (7-8) or input (9); nearest or linear, asymmetric coordinates. */
const Upsample: OpDef = {
  op: 'Upsample',
  versions: [7, 9],
  run: (inputs, { node, opset }) => {
    const x = requireInput(node, inputs, 0, 'X');
    const scales = opset >= 9 ? floats(requireInput(node, inputs, 1, 'scales')) : attrFloats(node, 'scales');
    if (!scales || scales.length !== x.rank || scales.some((s) => s < 1))
      throw opError(node, `scales [${scales?.join(',') ?? ''}] for rank ${x.rank}`, `${x.rank} scales >= 1`);
    const mode = attrString(node, 'mode', 'nearest');
    if (mode !== 'nearest' && mode !== 'linear')
      throw opError(node, `unknown mode '${mode}'`, 'nearest or linear');
    return [run(x, node, 10, resolveTarget(node, 10, x.shape, scales, undefined, undefined, undefined))];
  },
  infer: (ctx) => {
    const x = ctx.inputs[0];
    if (!x) return [undefined];
    if (!x.shape) return [{ dtype: x.dtype }];
    const scales = ctx.opset >= 9 ? floats(ctx.constants[1]) : attrFloats(ctx.node, 'scales');
    if (!scales) return [{ dtype: x.dtype, shape: x.shape.map(() => ctx.freshDim()) }];
    return [{ dtype: x.dtype, shape: inferSizes(ctx, x.shape, scales, undefined, undefined) }];
  },
};

export const resizeOps: OpDef[] = [Resize, Upsample];
