/** MatMul (numpy semantics) and Gemm. */
import { isBigIntDType, isFloatDType, type DType } from '../../../../runtime/dtype.js';
import { Tensor, allocData, shapeSize, type TensorData } from '../../../../runtime/tensor.js';
import { attrFloat, attrInt } from '../../../ir/attrs.js';
import type { Dim, Node } from '../../../ir/graph.js';
import type { InferContext, OpDef, TypeInfo } from '../../op.js';
import { broadcastDims, broadcastIndexMap, broadcastShapes, opError, requireInput } from '../common.js';
import { gemmAcc } from './kernels.js';
import { fromF64, toF64 } from './util.js';

/** Shapes of a numpy matmul after 1-D promotion: batch dims, M, K, N and the final output shape. */
export interface MatMulPlan {
  batch: number[];
  aBatch: number[];
  bBatch: number[];
  M: number;
  K: number;
  N: number;
  outShape: number[];
}

export function planMatMul(node: Node, aShape: readonly number[], bShape: readonly number[]): MatMulPlan {
  if (aShape.length === 0 || bShape.length === 0)
    throw opError(node, `MatMul inputs must not be scalars`, 'rank >= 1 for both inputs');
  const a = aShape.length === 1 ? [1, aShape[0]!] : [...aShape];
  const b = bShape.length === 1 ? [bShape[0]!, 1] : [...bShape];
  const M = a[a.length - 2]!;
  const K = a[a.length - 1]!;
  const K2 = b[b.length - 2]!;
  const N = b[b.length - 1]!;
  if (K !== K2)
    throw opError(
      node,
      `inner dimensions differ: A is [${aShape.join(',')}], B is [${bShape.join(',')}]`,
      'A[..., K] and B[..., K, N] with equal K',
    );
  const aBatch = a.slice(0, -2);
  const bBatch = b.slice(0, -2);
  const batch = broadcastShapes(node, aBatch, bBatch);
  const outShape = [...batch];
  if (aShape.length > 1) outShape.push(M);
  if (bShape.length > 1) outShape.push(N);
  return { batch, aBatch, bBatch, M, K, N, outShape };
}

/** Batched float64 product following `plan`; inputs and output are row-major. */
export function matmulF64(plan: MatMulPlan, a: Float64Array, b: Float64Array): Float64Array {
  const { batch, aBatch, bBatch, M, K, N } = plan;
  const nb = shapeSize(batch);
  const out = new Float64Array(nb * M * N);
  const am = broadcastIndexMap(aBatch, batch);
  const bm = broadcastIndexMap(bBatch, batch);
  for (let t = 0; t < nb; t++) {
    const ai = am ? am[t]! : t;
    const bi = bm ? bm[t]! : t;
    gemmAcc(a, ai * M * K, K, 1, b, bi * K * N, out, t * M * N, M, K, N);
  }
  return out;
}

/** Exact integer product with wrap-around to the dtype's width (as a C accumulator of that type would). */
function matmulInt(plan: MatMulPlan, a: Tensor, b: Tensor, dtype: DType): TensorData {
  const { batch, aBatch, bBatch, M, K, N } = plan;
  const nb = shapeSize(batch);
  const out = allocData(dtype, nb * M * N);
  const am = broadcastIndexMap(aBatch, batch);
  const bm = broadcastIndexMap(bBatch, batch);
  const ad = a.data as ArrayLike<number | bigint>;
  const bd = b.data as ArrayLike<number | bigint>;
  const bits = dtype.endsWith('64') ? 64 : 32;
  const signed = dtype.startsWith('int');
  for (let t = 0; t < nb; t++) {
    const ao = (am ? am[t]! : t) * M * K;
    const bo = (bm ? bm[t]! : t) * K * N;
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0n;
        for (let k = 0; k < K; k++) s += BigInt(ad[ao + i * K + k]!) * BigInt(bd[bo + k * N + j]!);
        const w = signed ? BigInt.asIntN(bits, s) : BigInt.asUintN(bits, s);
        (out as unknown as (number | bigint)[])[t * M * N + i * N + j] = isBigIntDType(dtype) ? w : Number(w);
      }
  }
  return out;
}

const MATMUL_TYPES = new Set<DType>([
  'float32',
  'float16',
  'bfloat16',
  'float64',
  'int32',
  'int64',
  'uint32',
  'uint64',
]);

/** Symbolic output shape of a numpy matmul; undefined when a rank is unknown. */
export function inferMatMulShape(ctx: InferContext, a?: Dim[], b?: Dim[]): Dim[] | undefined {
  if (!a || !b) return undefined;
  if (a.length === 0 || b.length === 0)
    throw opError(ctx.node, `MatMul inputs must not be scalars`, 'rank >= 1 for both inputs');
  const ap = a.length === 1 ? [1, a[0]!] : a;
  const bp = b.length === 1 ? [b[0]!, 1] : b;
  const K = ap[ap.length - 1]!;
  const K2 = bp[bp.length - 2]!;
  if (typeof K === 'number' && typeof K2 === 'number' && K !== K2)
    throw opError(
      ctx.node,
      `inner dimensions differ: ${K} vs ${K2}`,
      'A[..., K] and B[..., K, N] with equal K',
    );
  const batch = broadcastDims(ctx, ap.slice(0, -2), bp.slice(0, -2));
  if (!batch) return undefined;
  const out = [...batch];
  if (a.length > 1) out.push(ap[ap.length - 2]!);
  if (b.length > 1) out.push(bp[bp.length - 1]!);
  return out;
}

const matMul: OpDef = {
  op: 'MatMul',
  versions: [1, 22],
  run: (inputs, { node }) => {
    const a = requireInput(node, inputs, 0, 'A');
    const b = requireInput(node, inputs, 1, 'B');
    if (a.dtype !== b.dtype) throw opError(node, `A is ${a.dtype} but B is ${b.dtype}`, 'equal dtypes');
    if (!MATMUL_TYPES.has(a.dtype))
      throw opError(node, `unsupported dtype ${a.dtype}`, [...MATMUL_TYPES].join(', '));
    const plan = planMatMul(node, a.shape, b.shape);
    if (!isFloatDType(a.dtype)) return [new Tensor(a.dtype, plan.outShape, matmulInt(plan, a, b, a.dtype))];
    const out = matmulF64(plan, toF64(node, a, 'A'), toF64(node, b, 'B'));
    return [fromF64(a.dtype, plan.outShape, out)];
  },
  infer: (ctx) => {
    const [a, b] = ctx.inputs;
    if (!a) return [undefined];
    return [{ dtype: a.dtype, shape: inferMatMulShape(ctx, a.shape, b?.shape) }];
  },
};

/** Y = alpha * A' · B' + beta * C, with C broadcast unidirectionally to [M, N]. */
const gemm: OpDef = {
  op: 'Gemm',
  versions: [1, 22],
  run: (inputs, { node }) => {
    const a = requireInput(node, inputs, 0, 'A');
    const b = requireInput(node, inputs, 1, 'B');
    const c = inputs[2];
    const transA = attrInt(node, 'transA', 0) !== 0;
    const transB = attrInt(node, 'transB', 0) !== 0;
    const alpha = attrFloat(node, 'alpha', 1);
    const beta = attrFloat(node, 'beta', 1);
    if (a.rank !== 2 || b.rank !== 2)
      throw opError(node, `A is [${a.shape.join(',')}], B is [${b.shape.join(',')}]`, '2-D A and B');
    if (a.dtype !== b.dtype) throw opError(node, `A is ${a.dtype} but B is ${b.dtype}`, 'equal dtypes');
    const [M, K] = transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
    const [K2, N] = transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
    if (K !== K2)
      throw opError(node, `inner dimensions differ: ${K} vs ${K2} (transA=${+transA}, transB=${+transB})`);
    const ad = toF64(node, a, 'A');
    let bd = toF64(node, b, 'B');
    if (transB) {
      // gemmAcc wants B row-major K×N; a one-off transpose is cheaper than strided inner loops.
      const t = new Float64Array(K * N);
      for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) t[k * N + n] = bd[n * K + k]!;
      bd = t;
    }
    const prod = new Float64Array(M * N);
    gemmAcc(ad, 0, transA ? 1 : K, transA ? M : 1, bd, 0, prod, 0, M, K, N);
    const out = new Float64Array(M * N);
    const cMap = c ? unidirectional(node, c.shape, [M, N]) : null;
    const cd = c && beta !== 0 ? toF64(node, c, 'C') : null;
    for (let i = 0; i < M * N; i++) {
      let v = alpha * prod[i]!;
      if (cd) v += beta * cd[cMap ? cMap[i]! : i]!;
      out[i] = v;
    }
    if (isFloatDType(a.dtype)) return [fromF64(a.dtype, [M, N], out)];
    // Integer Gemm: alpha/beta are floats in the spec; results truncate toward zero on store.
    return [fromF64(a.dtype, [M, N], out.map(Math.trunc))];
  },
  infer: (ctx) => {
    const [a, b, c] = ctx.inputs;
    if (!a) return [undefined];
    const transA = attrInt(ctx.node, 'transA', 0) !== 0;
    const transB = attrInt(ctx.node, 'transB', 0) !== 0;
    const M: Dim | undefined = a.shape ? (transA ? a.shape[1] : a.shape[0]) : undefined;
    const N: Dim | undefined = b?.shape ? (transB ? b.shape[0] : b.shape[1]) : undefined;
    if (a.shape && a.shape.length !== 2) throw opError(ctx.node, `A has rank ${a.shape.length}`, '2-D A');
    if (b?.shape && b.shape.length !== 2) throw opError(ctx.node, `B has rank ${b.shape.length}`, '2-D B');
    const K = a.shape ? (transA ? a.shape[0] : a.shape[1]) : undefined;
    const K2 = b?.shape ? (transB ? b.shape[1] : b.shape[0]) : undefined;
    if (typeof K === 'number' && typeof K2 === 'number' && K !== K2)
      throw opError(
        ctx.node,
        `inner dimensions differ: ${K} vs ${K2}`,
        'A and B with equal K after transposition',
      );
    const cs = c?.shape;
    const shape: TypeInfo['shape'] = [
      M ?? (cs && cs.length === 2 && cs[0] !== 1 ? cs[0]! : ctx.freshDim()),
      N ?? (cs && cs.length >= 1 && cs[cs.length - 1] !== 1 ? cs[cs.length - 1]! : ctx.freshDim()),
    ];
    return [{ dtype: a.dtype, shape }];
  },
};

/** Index map for a tensor broadcast one way onto `target` (it may not grow the target). */
function unidirectional(node: Node, shape: readonly number[], target: number[]): Int32Array | null {
  const b = broadcastShapes(node, shape, target);
  if (b.length !== target.length || b.some((d, i) => d !== target[i]))
    throw opError(node, `C of shape [${shape.join(',')}] does not broadcast to [${target.join(',')}]`);
  return broadcastIndexMap(shape, target);
}

export const matmulOps: OpDef[] = [matMul, gemm];
