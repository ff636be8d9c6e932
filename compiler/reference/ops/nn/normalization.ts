/** BatchNormalization, LayerNormalization, InstanceNormalization, GroupNormalization, LRN, MVN. */
import { dtypeFromOnnx, isFloatDType } from '../../../../runtime/dtype.js';
import { Tensor, shapeSize } from '../../../../runtime/tensor.js';
import { attrFloat, attrInt, attrInts } from '../../../ir/attrs.js';
import type { Node } from '../../../ir/graph.js';
import type { OpDef, TypeInfo } from '../../op.js';
import { broadcastIndexMap, normalizeAxis, opError, requireInput, sameAsInput } from '../common.js';
import { moments } from './moments.js';
import { fromF64, toF64 } from './util.js';

function floatInput(node: Node, inputs: (Tensor | undefined)[], i: number, what: string): Tensor {
  const t = requireInput(node, inputs, i, what);
  if (!isFloatDType(t.dtype)) throw opError(node, `${what} has dtype ${t.dtype}`, 'a float tensor');
  return t;
}

/** A per-channel parameter: a 1-D tensor of exactly `c` values. */
function perChannel(node: Node, t: Tensor, c: number, what: string): Float64Array {
  if (t.size !== c || t.rank !== 1) throw opError(node, `${what} has shape [${t.shape.join(',')}]`, `[${c}]`);
  return toF64(node, t, what);
}

/** Per-channel affine normalization y = (x - mean[c]) * inv[c] * scale[c] + bias[c] over axis 1. */
function channelAffine(
  x: Float64Array,
  shape: readonly number[],
  mean: Float64Array,
  inv: Float64Array,
  scale: Float64Array,
  bias: Float64Array,
): Float64Array {
  const C = shape[1] ?? 1;
  const inner = shapeSize(shape.slice(2));
  const y = new Float64Array(x.length);
  for (let i = 0, n = 0; n < x.length / (C * inner || 1); n++)
    for (let c = 0; c < C; c++) {
      const m = mean[c]!;
      const k = inv[c]! * scale[c]!;
      const b = bias[c]!;
      for (let j = 0; j < inner; j++, i++) y[i] = (x[i]! - m) * k + b;
    }
  return y;
}

/**
 * BatchNormalization. Opsets 1-8 allow spatial=0 (statistics per activation, parameters shaped
 * [C, D1, ...]); opset 14 added training_mode with running-statistics outputs.
 */
const batchNorm: OpDef = {
  op: 'BatchNormalization',
  versions: [1, 22],
  run: (inputs, { node, opset }) => {
    const x = floatInput(node, inputs, 0, 'X');
    if (x.rank < 2) throw opError(node, `X has shape [${x.shape.join(',')}]`, '[N, C, ...]');
    const perActivation = opset < 9 && attrInt(node, 'spatial', 1) === 0;
    const C = perActivation ? shapeSize(x.shape.slice(1)) : x.shape[1]!;
    const scale = perChannel(node, floatInput(node, inputs, 1, 'scale'), C, 'scale');
    const bias = perChannel(node, floatInput(node, inputs, 2, 'B'), C, 'B');
    const meanT = floatInput(node, inputs, 3, 'input_mean');
    const runMean = perChannel(node, meanT, C, 'input_mean');
    const runVar = perChannel(node, floatInput(node, inputs, 4, 'input_var'), C, 'input_var');
    const eps = attrFloat(node, 'epsilon', 1e-5);
    const training = opset >= 14 && attrInt(node, 'training_mode', 0) !== 0;
    if (opset < 14 && node.outputs.slice(1).some((o) => o))
      throw opError(
        node,
        `training outputs of BatchNormalization-${opset} are not supported`,
        'opset >= 14 training_mode',
      );
    if (!training && node.outputs.slice(1).some((o) => o))
      throw opError(
        node,
        `running mean/var outputs are only produced in training mode`,
        'training_mode=1 or only output Y',
      );
    const xd = toF64(node, x, 'X');
    // Per-activation statistics are per-channel statistics of X viewed as [N, C·D1·..., 1].
    const view = perActivation ? [x.shape[0]!, C] : x.shape;
    if (!training) {
      const inv = runVar.map((v) => 1 / Math.sqrt(v + eps));
      return [fromF64(x.dtype, x.shape, channelAffine(xd, view, runMean, inv, scale, bias))];
    }
    // Training: normalize with batch statistics and blend them into the running ones.
    const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
    const st = moments(xd, x.shape, axes);
    const inv = st.variance.map((v) => 1 / Math.sqrt(v + eps));
    const y = fromF64(x.dtype, x.shape, channelAffine(xd, x.shape, st.mean, inv, scale, bias));
    const mom = attrFloat(node, 'momentum', 0.9);
    const newMean = runMean.map((m, c) => m * mom + st.mean[c]! * (1 - mom));
    const newVar = runVar.map((v, c) => v * mom + st.variance[c]! * (1 - mom));
    return [y, fromF64(meanT.dtype, [C], newMean), fromF64(meanT.dtype, [C], newVar)];
  },
  infer: (ctx) => {
    const [x, , , mean] = ctx.inputs;
    if (!x) return [undefined];
    const c = x.shape?.[1] ?? ctx.freshDim();
    const stat: TypeInfo = { dtype: mean?.dtype ?? x.dtype, shape: [c] };
    return [{ ...x }, stat, { ...stat }];
  },
};

/** LayerNormalization-17: normalize over axes [axis, rank); Mean/InvStdDev keep those axes as 1. */
const layerNorm: OpDef = {
  op: 'LayerNormalization',
  versions: [17, 22],
  run: (inputs, { node }) => {
    const x = floatInput(node, inputs, 0, 'X');
    const scale = floatInput(node, inputs, 1, 'Scale');
    const b = inputs[2];
    const axis = normalizeAxis(node, attrInt(node, 'axis', -1), x.rank);
    const eps = attrFloat(node, 'epsilon', 1e-5);
    const stash = stashType(node);
    const xd = toF64(node, x, 'X');
    const axes = x.shape.map((_, i) => i).filter((i) => i >= axis);
    const st = moments(xd, x.shape, axes);
    const inv = st.variance.map((v) => 1 / Math.sqrt(v + eps));
    const sMap = unidirectionalMap(node, scale.shape, x.shape, 'Scale');
    const bMap = b ? unidirectionalMap(node, b.shape, x.shape, 'B') : null;
    const sd = toF64(node, scale, 'Scale');
    const bd = b ? toF64(node, b, 'B') : null;
    const y = new Float64Array(xd.length);
    for (let i = 0; i < xd.length; i++) {
      const g = st.group[i]!;
      let v = (xd[i]! - st.mean[g]!) * inv[g]! * sd[sMap ? sMap[i]! : i]!;
      if (bd) v += bd[bMap ? bMap[i]! : i]!;
      y[i] = v;
    }
    return [
      fromF64(x.dtype, x.shape, y),
      fromF64(stash, st.statShape, st.mean),
      fromF64(stash, st.statShape, inv),
    ];
  },
  infer: (ctx) => {
    const x = ctx.inputs[0];
    if (!x) return [undefined];
    const stash = stashType(ctx.node);
    if (!x.shape) return [{ ...x }, { dtype: stash }, { dtype: stash }];
    const axis = normalizeAxis(ctx.node, attrInt(ctx.node, 'axis', -1), x.shape.length);
    const stat = x.shape.map((d, i) => (i >= axis ? 1 : d));
    return [{ ...x }, { dtype: stash, shape: stat }, { dtype: stash, shape: [...stat] }];
  },
};

function stashType(node: Node) {
  const code = attrInt(node, 'stash_type', 1);
  const dt = dtypeFromOnnx(code);
  if (!dt || !isFloatDType(dt))
    throw opError(node, `stash_type ${code} is not a float type`, '1 (float) or 11 (double)');
  return dt;
}

/** Index map broadcasting `shape` onto `target` without growing it (Scale/B of LayerNormalization). */
function unidirectionalMap(node: Node, shape: readonly number[], target: readonly number[], what: string) {
  const ok =
    shape.length <= target.length &&
    shape.every((d, i) => d === 1 || d === target[target.length - shape.length + i]);
  if (!ok)
    throw opError(node, `${what} of shape [${shape.join(',')}] does not broadcast to [${target.join(',')}]`);
  return broadcastIndexMap(shape, target);
}

const instanceNorm: OpDef = {
  op: 'InstanceNormalization',
  versions: [1, 22],
  run: (inputs, { node }) => {
    const x = floatInput(node, inputs, 0, 'input');
    if (x.rank < 3) throw opError(node, `input has shape [${x.shape.join(',')}]`, '[N, C, D1, ...]');
    const C = x.shape[1]!;
    const scale = perChannel(node, floatInput(node, inputs, 1, 'scale'), C, 'scale');
    const bias = perChannel(node, floatInput(node, inputs, 2, 'B'), C, 'B');
    const eps = attrFloat(node, 'epsilon', 1e-5);
    const xd = toF64(node, x, 'input');
    const st = moments(
      xd,
      x.shape,
      x.shape.map((_, i) => i).filter((i) => i >= 2),
    );
    const inner = shapeSize(x.shape.slice(2));
    const y = new Float64Array(xd.length);
    for (let p = 0; p < st.mean.length; p++) {
      const c = p % C;
      const k = scale[c]! / Math.sqrt(st.variance[p]! + eps);
      const m = st.mean[p]!;
      for (let i = p * inner; i < (p + 1) * inner; i++) y[i] = (xd[i]! - m) * k + bias[c]!;
    }
    return [fromF64(x.dtype, x.shape, y)];
  },
  infer: sameAsInput(0),
};

/**
 * GroupNormalization: statistics per (n, group) over its channels and spatial axes. Opset 18 has one
 * scale/bias per group; opset 21 changed them to one per channel.
 */
const groupNorm: OpDef = {
  op: 'GroupNormalization',
  versions: [18, 22],
  run: (inputs, { node, opset }) => {
    const x = floatInput(node, inputs, 0, 'X');
    if (x.rank < 2) throw opError(node, `X has shape [${x.shape.join(',')}]`, '[N, C, ...]');
    const [N, C] = [x.shape[0]!, x.shape[1]!];
    const G = attrInt(node, 'num_groups');
    if (G < 1 || C % G !== 0) throw opError(node, `num_groups ${G} does not divide ${C} channels`);
    const perGroup = opset < 21;
    const pLen = perGroup ? G : C;
    const scale = perChannel(node, floatInput(node, inputs, 1, 'scale'), pLen, 'scale');
    const bias = perChannel(node, floatInput(node, inputs, 2, 'bias'), pLen, 'bias');
    const eps = attrFloat(node, 'epsilon', 1e-5);
    const xd = toF64(node, x, 'X');
    const inner = shapeSize(x.shape.slice(2));
    const Cg = C / G;
    const st = moments(xd, [N, G, Cg * inner], [2]);
    const y = new Float64Array(xd.length);
    for (let n = 0; n < N; n++)
      for (let c = 0; c < C; c++) {
        const g = Math.floor(c / Cg);
        const p = n * G + g;
        const inv = 1 / Math.sqrt(st.variance[p]! + eps);
        const k = perGroup ? g : c;
        const base = (n * C + c) * inner;
        for (let i = base; i < base + inner; i++) y[i] = (xd[i]! - st.mean[p]!) * inv * scale[k]! + bias[k]!;
      }
    return [fromF64(x.dtype, x.shape, y)];
  },
  infer: sameAsInput(0),
};

const lrn: OpDef = {
  op: 'LRN',
  versions: [1, 22],
  run: (inputs, { node }) => {
    const x = floatInput(node, inputs, 0, 'X');
    if (x.rank < 2) throw opError(node, `X has shape [${x.shape.join(',')}]`, '[N, C, ...]');
    const size = attrInt(node, 'size');
    if (size < 1) throw opError(node, `size is ${size}`, 'size >= 1');
    const alpha = attrFloat(node, 'alpha', 1e-4);
    const beta = attrFloat(node, 'beta', 0.75);
    const bias = attrFloat(node, 'bias', 1);
    const [N, C] = [x.shape[0]!, x.shape[1]!];
    const inner = shapeSize(x.shape.slice(2));
    const xd = toF64(node, x, 'X');
    const y = new Float64Array(xd.length);
    const lo = Math.floor((size - 1) / 2);
    const hi = Math.ceil((size - 1) / 2);
    for (let n = 0; n < N; n++)
      for (let c = 0; c < C; c++)
        for (let j = 0; j < inner; j++) {
          let sq = 0;
          for (let cc = Math.max(0, c - lo); cc <= Math.min(C - 1, c + hi); cc++) {
            const v = xd[(n * C + cc) * inner + j]!;
            sq += v * v;
          }
          const i = (n * C + c) * inner + j;
          y[i] = xd[i]! / Math.pow(bias + (alpha / size) * sq, beta);
        }
    return [fromF64(x.dtype, x.shape, y)];
  },
  infer: sameAsInput(0),
};

/** MeanVarianceNormalization: (X - E[X]) / (sqrt(Var[X]) + 1e-9) over `axes`, as its function body. */
const mvn: OpDef = {
  op: 'MeanVarianceNormalization',
  versions: [9, 22],
  run: (inputs, { node }) => {
    const x = floatInput(node, inputs, 0, 'X');
    const axes = [...new Set(attrInts(node, 'axes', [0, 2, 3]).map((a) => normalizeAxis(node, a, x.rank)))];
    const xd = toF64(node, x, 'X');
    const st = moments(xd, x.shape, axes);
    const y = new Float64Array(xd.length);
    for (let i = 0; i < xd.length; i++) {
      const g = st.group[i]!;
      y[i] = (xd[i]! - st.mean[g]!) / (Math.sqrt(st.variance[g]!) + 1e-9);
    }
    return [fromF64(x.dtype, x.shape, y)];
  },
  infer: sameAsInput(0),
};

export const normalizationOps: OpDef[] = [batchNorm, layerNorm, instanceNorm, groupNorm, lrn, mvn];
