/**
 * Integer and quantized linear algebra: MatMulInteger, QLinearMatMul, ConvInteger, QLinearConv.
 * Zero points are subtracted first; the integer products are exact in float64 (|values| < 2^53).
 */
import type { DType } from '../../../../runtime/dtype.js';
import { Tensor, allocData, type TensorData } from '../../../../runtime/tensor.js';
import { attrInt } from '../../../ir/attrs.js';
import type { Node } from '../../../ir/graph.js';
import type { OpDef } from '../../op.js';
import { opError, requireInput } from '../common.js';
import { inferConvShape } from './conv.js';
import { convolve } from './convCore.js';
import { inferMatMulShape, matmulF64, planMatMul } from './matmul.js';
import { quantRange, roundHalfEven, saturate } from './quantUtil.js';
import { readWindow } from './spatial.js';
import { toF64 } from './util.js';

function quantInput(node: Node, inputs: (Tensor | undefined)[], i: number, what: string): Tensor {
  const t = requireInput(node, inputs, i, what);
  if (t.dtype !== 'uint8' && t.dtype !== 'int8')
    throw opError(node, `${what} has dtype ${t.dtype}`, 'uint8 or int8');
  return t;
}

/**
 * A scale or zero point that is per-tensor (one value) or has `len` values, one per slice of the
 * axis it applies to; returns a Float64Array of `len` values.
 */
function perSlice(node: Node, t: Tensor | undefined, len: number, what: string, dflt = 0): Float64Array {
  if (!t) return new Float64Array(len).fill(dflt);
  const d = toF64(node, t, what);
  if (d.length === 1) return new Float64Array(len).fill(d[0]!);
  if (d.length !== len)
    throw opError(node, `${what} has shape [${t.shape.join(',')}]`, `a scalar or ${len} values`);
  return d;
}

/** x - zp with zp varying along rows (every `inner` elements, cycling over `len`). */
function shifted(node: Node, t: Tensor, zp: Float64Array, inner: number, what: string): Float64Array {
  const d = Float64Array.from(toF64(node, t, what));
  const len = zp.length;
  for (let i = 0; i < d.length; i++) d[i] -= zp[Math.floor(i / inner) % len]!;
  return d;
}

function zpType(node: Node, zp: Tensor | undefined, t: Tensor, what: string): void {
  if (zp && zp.dtype !== t.dtype)
    throw opError(node, `${what} is ${zp.dtype} but its tensor is ${t.dtype}`, 'equal types');
}

/** Prepare zero-point-shifted operands of a quantized matmul (a: per-tensor or per-row, b: per-column). */
function intMatMul(node: Node, a: Tensor, aZp: Tensor | undefined, b: Tensor, bZp: Tensor | undefined) {
  zpType(node, aZp, a, 'a_zero_point');
  zpType(node, bZp, b, 'b_zero_point');
  const plan = planMatMul(node, a.shape, b.shape);
  const az = perSlice(node, aZp, plan.M, 'a_zero_point');
  const bz = perSlice(node, bZp, plan.N, 'b_zero_point');
  const ad = shifted(node, a, az, plan.K, 'A');
  // b's zero point varies along columns: element i of a K×N matrix belongs to column i % N.
  const bd = Float64Array.from(toF64(node, b, 'B'));
  for (let i = 0; i < bd.length; i++) bd[i] -= bz[i % plan.N]!;
  return { plan, acc: matmulF64(plan, ad, bd) };
}

/**
 * Requantize as QuantizeLinear does (round, then add the zero point, then saturate); multipliers are
 * float32 like the scales.
 */
function requantize(
  node: Node,
  acc: Float64Array,
  shape: number[],
  mult: (i: number) => number,
  yZp: Tensor | undefined,
): Tensor {
  const outType: DType = yZp?.dtype ?? 'uint8';
  const range = quantRange(node, outType);
  const z = yZp ? toF64(node, yZp, 'y_zero_point') : new Float64Array(1);
  if (z.length !== 1) throw opError(node, `y_zero_point has ${z.length} values`, 'a scalar');
  const out = allocData(outType, acc.length) as Int32Array;
  for (let i = 0; i < acc.length; i++) out[i] = saturate(roundHalfEven(acc[i]! * mult(i)) + z[0]!, range);
  return new Tensor(outType, shape, out as unknown as TensorData);
}

function scalarScale(node: Node, t: Tensor, what: string): number {
  const d = toF64(node, t, what);
  if (d.length !== 1) throw opError(node, `${what} has shape [${t.shape.join(',')}]`, 'a scalar');
  return d[0]!;
}

const matMulInteger: OpDef = {
  op: 'MatMulInteger',
  versions: [10, 22],
  run: (inputs, { node }) => {
    const a = quantInput(node, inputs, 0, 'A');
    const b = quantInput(node, inputs, 1, 'B');
    const { plan, acc } = intMatMul(node, a, inputs[2], b, inputs[3]);
    return [new Tensor('int32', plan.outShape, Int32Array.from(acc))];
  },
  infer: (ctx) => {
    const [a, b] = ctx.inputs;
    return [{ dtype: 'int32', shape: inferMatMulShape(ctx, a?.shape, b?.shape) }];
  },
};

const qlinearMatMul: OpDef = {
  op: 'QLinearMatMul',
  versions: [10, 22],
  run: (inputs, { node }) => {
    const a = quantInput(node, inputs, 0, 'a');
    const b = quantInput(node, inputs, 3, 'b');
    const aScale = requireInput(node, inputs, 1, 'a_scale');
    const bScale = requireInput(node, inputs, 4, 'b_scale');
    const yScale = scalarScale(node, requireInput(node, inputs, 6, 'y_scale'), 'y_scale');
    const yZp = requireInput(node, inputs, 7, 'y_zero_point');
    const { plan, acc } = intMatMul(node, a, inputs[2], b, inputs[5]);
    const as = perSlice(node, aScale, plan.M, 'a_scale');
    const bs = perSlice(node, bScale, plan.N, 'b_scale');
    const f = Math.fround;
    const MN = plan.M * plan.N;
    return [
      requantize(
        node,
        acc,
        plan.outShape,
        (i) => f(f(as[Math.floor((i % MN) / plan.N)]! * bs[i % plan.N]!) / yScale),
        yZp,
      ),
    ];
  },
  infer: (ctx) => {
    const [a, , , b, , , , yz] = ctx.inputs;
    return [{ dtype: yz?.dtype ?? 'uint8', shape: inferMatMulShape(ctx, a?.shape, b?.shape) }];
  },
};

/** Integer convolution shared by ConvInteger and QLinearConv; w's zero point may be per output channel. */
function intConv(
  node: Node,
  x: Tensor,
  xZp: Tensor | undefined,
  w: Tensor,
  wZp: Tensor | undefined,
  bias: Tensor | undefined,
) {
  zpType(node, xZp, x, 'x_zero_point');
  zpType(node, wZp, w, 'w_zero_point');
  if (w.rank < 3 || x.rank !== w.rank)
    throw opError(
      node,
      `X is [${x.shape.join(',')}] and W is [${w.shape.join(',')}]`,
      '[N, C, D...] and [M, C/group, k...]',
    );
  const M = w.shape[0]!;
  const xz = perSlice(node, xZp, 1, 'x_zero_point');
  const wz = perSlice(node, wZp, M, 'w_zero_point');
  if (bias && (bias.dtype !== 'int32' || bias.size !== M))
    throw opError(node, `B is ${bias.dtype}[${bias.shape.join(',')}]`, `int32[${M}]`);
  return convolve(node, {
    x: shifted(node, x, xz, x.size, 'x'),
    xShape: x.shape,
    w: shifted(node, w, wz, w.size / M, 'w'),
    wShape: w.shape,
    bias: bias ? toF64(node, bias, 'B') : null,
    group: attrInt(node, 'group', 1),
    window: readWindow(node, x.rank - 2, w.shape.slice(2)),
  });
}

const convInteger: OpDef = {
  op: 'ConvInteger',
  versions: [10, 22],
  run: (inputs, { node }) => {
    const x = quantInput(node, inputs, 0, 'x');
    const w = quantInput(node, inputs, 1, 'w');
    const { out, shape } = intConv(node, x, inputs[2], w, inputs[3], undefined);
    return [new Tensor('int32', shape, Int32Array.from(out))];
  },
  infer: (ctx) => [
    { dtype: 'int32', shape: inferConvShape(ctx, ctx.inputs[0]?.shape, ctx.inputs[1]?.shape) },
  ],
};

const qlinearConv: OpDef = {
  op: 'QLinearConv',
  versions: [10, 22],
  run: (inputs, { node }) => {
    const x = quantInput(node, inputs, 0, 'x');
    const w = quantInput(node, inputs, 3, 'w');
    const xScale = scalarScale(node, requireInput(node, inputs, 1, 'x_scale'), 'x_scale');
    const M = w.shape[0] ?? 1;
    const ws = perSlice(node, requireInput(node, inputs, 4, 'w_scale'), M, 'w_scale');
    const yScale = scalarScale(node, requireInput(node, inputs, 6, 'y_scale'), 'y_scale');
    const { out, shape } = intConv(node, x, inputs[2], w, inputs[5], inputs[8]);
    const inner = shape.slice(2).reduce((p, d) => p * d, 1);
    const f = Math.fround;
    const mult = Float64Array.from(ws, (s) => f(f(xScale * s) / yScale));
    return [requantize(node, out, shape, (i) => mult[Math.floor(i / inner) % M]!, inputs[7])];
  },
  infer: (ctx) => {
    const yz = ctx.inputs[7];
    return [
      { dtype: yz?.dtype ?? 'uint8', shape: inferConvShape(ctx, ctx.inputs[0]?.shape, ctx.inputs[3]?.shape) },
    ];
  },
};

export const quantizedOps: OpDef[] = [matMulInteger, qlinearMatMul, convInteger, qlinearConv];
