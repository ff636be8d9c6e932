/**
 * NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (opset 12+). Input is [N, C, d1..dk], target
 * [N, d1..dk]. Each element's loss is -input[n, t, d] * weight[t]; targets equal to ignore_index
 * contribute nothing, and 'mean' divides by the summed weights of the counted elements.
 */
import { isFloatDType } from '../../../../runtime/dtype.js';
import { Tensor, allocData, toNumbers } from '../../../../runtime/tensor.js';
import { attrIntOpt, attrString } from '../../../ir/attrs.js';
import type { Node } from '../../../ir/graph.js';
import type { InferContext, OpDef, TypeInfo } from '../../op.js';
import { opError, requireInput } from '../common.js';

const REDUCTIONS = ['none', 'sum', 'mean'];

/** Loss from log-probabilities `logp` (flat [N, C, D]); returns the loss tensor of the requested reduction. */
function nll(
  node: Node,
  logp: ArrayLike<number>,
  shape: readonly number[],
  target: Tensor,
  weight: Tensor | undefined,
  dtype: Tensor['dtype'],
): Tensor {
  const reduction = attrString(node, 'reduction', 'mean');
  if (!REDUCTIONS.includes(reduction))
    throw opError(node, `reduction '${reduction}' is not supported`, REDUCTIONS.join(', '));
  const ignore = attrIntOpt(node, 'ignore_index');
  if (shape.length < 2) throw opError(node, `input has rank ${shape.length}`, 'rank >= 2 ([N, C, ...])');
  const [N, C] = shape as [number, number];
  const D = shape.slice(2).reduce((a, b) => a * b, 1);
  const tshape = [N, ...shape.slice(2)];
  if (target.rank !== tshape.length || target.shape.some((d, i) => d !== tshape[i]))
    throw opError(
      node,
      `target shape [${target.shape.join(',')}] does not match input`,
      `[${tshape.join(',')}]`,
    );
  if (target.dtype !== 'int32' && target.dtype !== 'int64')
    throw opError(node, `target has dtype ${target.dtype}`, 'int32 or int64');
  if (weight && !isFloatDType(weight.dtype))
    throw opError(node, `weight has dtype ${weight.dtype}`, 'the float dtype of the input');
  if (weight && (weight.rank !== 1 || weight.shape[0] !== C))
    throw opError(node, `weight shape [${weight.shape.join(',')}] does not match C = ${C}`, `[${C}]`);
  const t = toNumbers(target);
  const w = weight ? (weight.data as ArrayLike<number>) : undefined;
  const loss = new Float64Array(N * D);
  let lossSum = 0;
  let weightSum = 0;
  for (let n = 0; n < N; n++) {
    for (let d = 0; d < D; d++) {
      const i = n * D + d;
      const c = t[i]!;
      if (ignore !== undefined && c === ignore) continue;
      if (!Number.isInteger(c) || c < 0 || c >= C)
        throw opError(
          node,
          `target value ${c} is out of range for ${C} classes`,
          `0..${C - 1} or ignore_index`,
        );
      const wc = w ? w[c]! : 1;
      loss[i] = -logp[(n * C + c) * D + d]! * wc;
      lossSum += loss[i]!;
      weightSum += wc;
    }
  }
  if (reduction === 'none') {
    const out = allocData(dtype, loss.length) as Float64Array;
    out.set(loss);
    return new Tensor(dtype, tshape, out);
  }
  const v = reduction === 'sum' ? lossSum : lossSum / weightSum;
  const out = allocData(dtype, 1) as Float64Array;
  out[0] = v;
  return new Tensor(dtype, [], out);
}

function checkFloat(node: Node, x: Tensor): void {
  if (!isFloatDType(x.dtype))
    throw opError(node, `input dtype ${x.dtype} is not supported`, 'a float tensor');
}

function lossType(ctx: InferContext): TypeInfo | undefined {
  const x = ctx.inputs[0];
  if (!x) return undefined;
  const reduction = attrString(ctx.node, 'reduction', 'mean');
  if (reduction !== 'none') return { dtype: x.dtype, shape: [] };
  if (!x.shape) return { dtype: x.dtype };
  return { dtype: x.dtype, shape: [x.shape[0]!, ...x.shape.slice(2)] };
}

/** log_softmax over axis 1 of a [N, C, D] layout, computed in float64. */
function logSoftmax(x: ArrayLike<number>, N: number, C: number, D: number): Float64Array {
  const out = new Float64Array(N * C * D);
  for (let n = 0; n < N; n++) {
    for (let d = 0; d < D; d++) {
      let m = -Infinity;
      for (let c = 0; c < C; c++) m = Math.max(m, x[(n * C + c) * D + d]!);
      let s = 0;
      for (let c = 0; c < C; c++) s += Math.exp(x[(n * C + c) * D + d]! - m);
      const ls = Math.log(s) + m;
      for (let c = 0; c < C; c++) out[(n * C + c) * D + d] = x[(n * C + c) * D + d]! - ls;
    }
  }
  return out;
}

export const lossOps: OpDef[] = [
  {
    op: 'NegativeLogLikelihoodLoss',
    versions: [12, 21],
    run: (inputs, { node }) => {
      const x = requireInput(node, inputs, 0, 'input');
      checkFloat(node, x);
      const target = requireInput(node, inputs, 1, 'target');
      return [nll(node, x.data as Float64Array, x.shape, target, inputs[2], x.dtype)];
    },
    infer: (ctx) => [lossType(ctx)],
  },
  {
    op: 'SoftmaxCrossEntropyLoss',
    versions: [12, 21],
    run: (inputs, { node }) => {
      const x = requireInput(node, inputs, 0, 'scores');
      checkFloat(node, x);
      if (x.rank < 2) throw opError(node, `scores have rank ${x.rank}`, 'rank >= 2 ([N, C, ...])');
      const labels = requireInput(node, inputs, 1, 'labels');
      const [N, C] = x.shape as [number, number];
      const D = x.shape.slice(2).reduce((a, b) => a * b, 1);
      const logp = logSoftmax(x.data as Float64Array, N, C, D);
      const loss = nll(node, logp, x.shape, labels, inputs[2], x.dtype);
      const lp = allocData(x.dtype, logp.length) as Float64Array;
      lp.set(logp);
      return [loss, new Tensor(x.dtype, x.shape, lp)];
    },
    infer: (ctx) => {
      const x = ctx.inputs[0];
      return [lossType(ctx), x ? { ...x } : undefined];
    },
  },
];
