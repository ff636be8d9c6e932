/**
 * ReduceSum/Mean/Max/Min/Prod/L1/L2/LogSum/LogSumExp/SumSquare. Axes come from the `axes` attribute
 * before the opset where they became input 1 (13 for ReduceSum, 18 for the others). Reducing over
 * zero axes (noop_with_empty_axes with empty axes) applies the reduction to one element each, which
 * is what the ONNX reference does (e.g. ReduceSumSquare squares, ReduceL1 takes |x|).
 */
import {
  type DType,
  integerRange,
  isBigIntDType,
  isIntegerDType,
  isSignedIntDType,
} from '../../../../runtime/dtype.js';
import { Tensor, allocData, toNumbers } from '../../../../runtime/tensor.js';
import type { TensorData } from '../../../../runtime/tensor.js';
import { attrInt, attrIntsOpt } from '../../../ir/attrs.js';
import type { Dim, Node } from '../../../ir/graph.js';
import type { InferContext, OpDef, TypeInfo } from '../../op.js';
import { opError, requireInput } from '../common.js';
import { normalizeAxes, reduceLayout } from './util.js';

interface Reducer {
  op: string;
  /** First opset where axes is input 1 rather than an attribute. */
  axesInputFrom: number;
  /** Whether bool input is accepted (ReduceMax/ReduceMin from opset 20). */
  bool?: boolean;
  /** Reduce `n` values (n may be 0: the identity of the reduction). */
  num(v: Float64Array, n: number, dtype: DType): number;
  /** Exact reduction for int64/uint64; when absent, `num` runs on converted values and is truncated. */
  big?(v: bigint[], n: number, dtype: DType): bigint;
}

function sum(v: Float64Array, n: number, f: (x: number) => number = (x) => x): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += f(v[i]!);
  return s;
}

function bigSum(v: bigint[], n: number, f: (x: bigint) => bigint = (x) => x): bigint {
  let s = 0n;
  for (let i = 0; i < n; i++) s += f(v[i]!);
  return s;
}

const bigAbs = (x: bigint) => (x < 0n ? -x : x);

/** Identity of max/min over an empty set: ±infinity for floats, the dtype's range end for ints. */
function extremeIdentity(dtype: DType, max: boolean): number {
  if (dtype === 'bool') return max ? 0 : 1;
  if (dtype.startsWith('float') || dtype === 'bfloat16') return max ? -Infinity : Infinity;
  const [lo, hi] = integerRange(dtype);
  return Number(max ? lo : hi);
}

function extreme(v: Float64Array, n: number, dtype: DType, max: boolean): number {
  if (n === 0) return extremeIdentity(dtype, max);
  let m = v[0]!;
  for (let i = 1; i < n; i++) {
    const x = v[i]!;
    if (Number.isNaN(x) || (max ? x > m : x < m)) m = x;
    if (Number.isNaN(m)) return NaN; // numpy and onnxruntime propagate NaN
  }
  return m;
}

function bigExtreme(v: bigint[], n: number, dtype: DType, max: boolean): bigint {
  if (n === 0) {
    const [lo, hi] = integerRange(dtype);
    return max ? lo : hi;
  }
  let m = v[0]!;
  for (let i = 1; i < n; i++) if (max ? v[i]! > m : v[i]! < m) m = v[i]!;
  return m;
}

const REDUCERS: Reducer[] = [
  { op: 'ReduceSum', axesInputFrom: 13, num: (v, n) => sum(v, n), big: (v, n) => bigSum(v, n) },
  {
    op: 'ReduceMean',
    axesInputFrom: 18,
    num: (v, n) => sum(v, n) / n,
    big: (v, n) => (n === 0 ? 0n : bigSum(v, n) / BigInt(n)),
  },
  {
    op: 'ReduceMax',
    axesInputFrom: 18,
    bool: true,
    num: (v, n, d) => extreme(v, n, d, true),
    big: (v, n, d) => bigExtreme(v, n, d, true),
  },
  {
    op: 'ReduceMin',
    axesInputFrom: 18,
    bool: true,
    num: (v, n, d) => extreme(v, n, d, false),
    big: (v, n, d) => bigExtreme(v, n, d, false),
  },
  {
    op: 'ReduceProd',
    axesInputFrom: 18,
    num: (v, n) => {
      let p = 1;
      for (let i = 0; i < n; i++) p *= v[i]!;
      return p;
    },
    big: (v, n) => {
      let p = 1n;
      for (let i = 0; i < n; i++) p *= v[i]!;
      return p;
    },
  },
  {
    op: 'ReduceL1',
    axesInputFrom: 18,
    num: (v, n) => sum(v, n, Math.abs),
    big: (v, n) => bigSum(v, n, bigAbs),
  },
  { op: 'ReduceL2', axesInputFrom: 18, num: (v, n) => Math.sqrt(sum(v, n, (x) => x * x)) },
  { op: 'ReduceLogSum', axesInputFrom: 18, num: (v, n) => Math.log(sum(v, n)) },
  {
    op: 'ReduceLogSumExp',
    axesInputFrom: 18,
    // Shift by the max so large inputs do not overflow exp (an infinite max is not shifted).
    num: (v, n) => {
      if (n === 0) return -Infinity;
      let m = -Infinity;
      for (let i = 0; i < n; i++) m = Math.max(m, v[i]!);
      const shift = Number.isFinite(m) ? m : 0;
      return Math.log(sum(v, n, (x) => Math.exp(x - shift))) + shift;
    },
  },
  {
    op: 'ReduceSumSquare',
    axesInputFrom: 18,
    num: (v, n) => sum(v, n, (x) => x * x),
    big: (v, n) => bigSum(v, n, (x) => x * x),
  },
];

/** A store of exact integer results into `out`, wrapped to the dtype's bit width. */
function integerStore(dtype: DType, out: TensorData): (k: number, v: bigint) => void {
  if (isBigIntDType(dtype)) {
    const o = out as BigInt64Array | BigUint64Array;
    return (k, v) => (o[k] = v); // BigInt64Array/BigUint64Array stores wrap modulo 2^64
  }
  const bits = Number(/\d+/.exec(dtype)![0]);
  const signed = isSignedIntDType(dtype);
  const o = out as Int32Array;
  return (k, v) => (o[k] = Number(signed ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v)));
}

/** The normalized axes to reduce; [] means reduce nothing (noop), null means all axes. */
function readAxes(node: Node, opset: number, r: Reducer, axesInput: number[] | undefined): number[] | null {
  if (opset < r.axesInputFrom) {
    if (axesInput !== undefined)
      throw opError(node, `axes is an attribute before opset ${r.axesInputFrom}, not an input`);
    const axes = attrIntsOpt(node, 'axes');
    return axes && axes.length > 0 ? axes : null;
  }
  if (attrIntsOpt(node, 'axes') !== undefined)
    throw opError(node, `axes is input 1 from opset ${r.axesInputFrom}, not an attribute`);
  if (axesInput && axesInput.length > 0) return axesInput;
  return attrInt(node, 'noop_with_empty_axes', 0) ? [] : null;
}

function resolveAxes(node: Node, axes: number[] | null, rank: number): number[] {
  if (axes === null) return Array.from({ length: rank }, (_, i) => i);
  return normalizeAxes(node, axes, rank);
}

function reduceOp(r: Reducer): OpDef {
  return {
    op: r.op,
    versions: [1, 21],
    run: (inputs, { node, opset }) => {
      const x = requireInput(node, inputs, 0, 'data');
      if (x.dtype === 'string' || (x.dtype === 'bool' && !r.bool))
        throw opError(node, `input dtype ${x.dtype} is not supported`, 'a numeric tensor');
      const axesT = inputs[1];
      const axesList = axesT ? toNumbers(axesT) : undefined;
      const axes = resolveAxes(node, readAxes(node, opset, r, axesList), x.rank);
      const layout = reduceLayout(x.shape, axes);
      const keep = attrInt(node, 'keepdims', 1) !== 0;
      const outShape = keep ? layout.keptShape : layout.droppedShape;
      const nOut = layout.bases.length;
      const nRed = layout.offsets.length;
      const out = allocData(x.dtype, nOut);
      if (isIntegerDType(x.dtype)) {
        // Integers reduce exactly in bigint and wrap to the dtype's width, as integer kernels do.
        const src = x.data as ArrayLike<number | bigint>;
        const store = integerStore(x.dtype, out);
        const buf = new Array<bigint>(nRed);
        const fbuf = new Float64Array(nRed);
        for (let k = 0; k < nOut; k++) {
          const b = layout.bases[k]!;
          for (let i = 0; i < nRed; i++) buf[i] = BigInt(src[b + layout.offsets[i]!]!);
          if (r.big) store(k, r.big(buf, nRed, x.dtype));
          else {
            for (let i = 0; i < nRed; i++) fbuf[i] = Number(buf[i]!);
            const v = r.num(fbuf, nRed, x.dtype);
            store(k, Number.isFinite(v) ? BigInt(Math.trunc(v)) : 0n);
          }
        }
      } else {
        const src = x.data as Exclude<TensorData, BigInt64Array | BigUint64Array | string[]>;
        const o = out as Float64Array;
        const buf = new Float64Array(nRed);
        for (let k = 0; k < nOut; k++) {
          const b = layout.bases[k]!;
          for (let i = 0; i < nRed; i++) buf[i] = src[b + layout.offsets[i]!]!;
          o[k] = r.num(buf, nRed, x.dtype);
        }
      }
      return [new Tensor(x.dtype, outShape, out)];
    },
    infer: (ctx) => [inferReduce(ctx, r)],
  };
}

function inferReduce(ctx: InferContext, r: Reducer): TypeInfo | undefined {
  const x = ctx.inputs[0];
  if (!x) return undefined;
  const keep = attrInt(ctx.node, 'keepdims', 1) !== 0;
  if (!x.shape) return { dtype: x.dtype };
  const rank = x.shape.length;
  const hasAxesInput =
    ctx.opset >= r.axesInputFrom && ctx.node.inputs[1] !== undefined && ctx.node.inputs[1] !== '';
  let axes: number[] | null;
  if (hasAxesInput) {
    const c = ctx.constants[1];
    if (!c) {
      // Unknown axes: with keepdims the rank survives and dims of 1 stay 1; which others become 1 is unknown.
      if (keep) return { dtype: x.dtype, shape: x.shape.map((d) => (d === 1 ? 1 : ctx.freshDim())) };
      const k = ctx.inputs[1]?.shape?.[0];
      if (typeof k === 'number' && k > 0)
        return { dtype: x.dtype, shape: Array.from({ length: rank - k }, () => ctx.freshDim()) };
      return { dtype: x.dtype };
    }
    axes = readAxes(ctx.node, ctx.opset, r, toNumbers(c));
  } else axes = readAxes(ctx.node, ctx.opset, r, undefined);
  const ax = resolveAxes(ctx.node, axes, rank);
  const shape: Dim[] = [];
  x.shape.forEach((d, i) => {
    if (!ax.includes(i)) shape.push(d);
    else if (keep) shape.push(1);
  });
  return { dtype: x.dtype, shape };
}

export const reductionOps: OpDef[] = REDUCERS.map(reduceOp);
