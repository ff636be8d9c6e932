/**
 * Elementwise machinery shared by the math ops: dtype sets and checks, storage conversion (with
 * direct float64 → half rounding so half results are rounded once), and broadcast loops.
 */
import { type DType, isBigIntDType } from '../../../../runtime/dtype.js';
import { roundToBfloat16, roundToFloat16 } from '../../../../runtime/half.js';
import { Tensor, allocData, shapeSize, type TensorData } from '../../../../runtime/tensor.js';
import type { Dim, Node, TypeInfo } from '../../../ir/graph.js';
import type { InferContext } from '../../op.js';
import { broadcastDims, broadcastIndexMap, broadcastShapes, opError, requireInput } from '../common.js';

export type Num = number | bigint;
export type Scalar = number | bigint | boolean | string;

export const FLOATS: readonly DType[] = ['float16', 'float32', 'float64', 'bfloat16'];
export const SIGNED_INTS: readonly DType[] = ['int8', 'int16', 'int32', 'int64'];
export const UNSIGNED_INTS: readonly DType[] = ['uint8', 'uint16', 'uint32', 'uint64'];
export const INTS: readonly DType[] = [...SIGNED_INTS, ...UNSIGNED_INTS];
export const NUMERIC: readonly DType[] = [...FLOATS, ...INTS];
export const SIGNED_NUMERIC: readonly DType[] = [...FLOATS, ...SIGNED_INTS];
export const BOOL: readonly DType[] = ['bool'];

/** Throw a KilnError unless `dtype` is one of `allowed` (`what` names the input in the message). */
export function checkDType(node: Node, dtype: DType, allowed: readonly DType[], what: string): void {
  if (!allowed.includes(dtype)) {
    throw opError(node, `${what} has unsupported type ${dtype}`, allowed.join(', '));
  }
}

/** Inputs that must share one element type (A and B of Add, the inputs of Sum, ...). */
export function checkSameDType(node: Node, dtypes: (DType | undefined)[], what = 'inputs'): void {
  const known = dtypes.filter((d): d is DType => d !== undefined);
  if (known.some((d) => d !== known[0])) {
    throw opError(node, `${what} have different types ${known.join(', ')}`, 'one element type for all');
  }
}

/** Type-check inference inputs (skipping unknown ones); returns the common dtype if any is known. */
export function inferDTypes(
  node: Node,
  inputs: (TypeInfo | undefined)[],
  allowed: readonly DType[],
): DType | undefined {
  for (const t of inputs) if (t) checkDType(node, t.dtype, allowed, 'input');
  checkSameDType(
    node,
    inputs.map((t) => t?.dtype),
  );
  return inputs.find((t) => t)?.dtype;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * float64 → float32 with round-to-odd: an inexact result gets an odd last bit. Rounding that to a
 * format with at least two fewer significand bits (float16, bfloat16) then equals rounding the
 * float64 directly, which plain f64 → f32 → half double rounding does not always do.
 */
function toFloat32RoundToOdd(x: number): number {
  f32[0] = x;
  const y = f32[0]!;
  if (y !== x && Number.isFinite(y) && y !== 0 && (u32[0]! & 1) === 0) {
    // Step one ulp toward x (down in magnitude when y overshoots): the odd neighbour.
    if (Math.abs(y) > Math.abs(x)) u32[0]!--;
    else u32[0]!++;
  }
  return f32[0]!;
}

/** Nearest float16 (ties to even) of a float64, rounded once. */
export function f64ToFloat16(x: number): number {
  return roundToFloat16(toFloat32RoundToOdd(x));
}

/** Nearest bfloat16 (ties to even) of a float64, rounded once. */
export function f64ToBfloat16(x: number): number {
  return roundToBfloat16(toFloat32RoundToOdd(x));
}

/** float → integer conversion as C truncation; NaN and ±Infinity (undefined in C) become 0. */
export function truncToBigInt(v: number): bigint {
  return Number.isFinite(v) ? BigInt(Math.trunc(v)) : 0n;
}

/**
 * A function turning a computed JS value into the storage value of `dtype`: half types are rounded
 * once from float64, int64/uint64 become bigints (wrapping like the typed arrays), bool becomes 0/1.
 * Integer typed arrays themselves truncate and wrap numbers, as a C cast of an in-range value does.
 */
export function storeFn(dtype: DType): (v: Scalar) => Scalar {
  switch (dtype) {
    case 'float16':
      return (v) => f64ToFloat16(Number(v));
    case 'bfloat16':
      return (v) => f64ToBfloat16(Number(v));
    case 'int64':
    case 'uint64':
      return (v) => (typeof v === 'bigint' ? v : truncToBigInt(Number(v)));
    case 'bool':
      return (v) => (typeof v === 'number' ? (v !== 0 ? 1 : 0) : v ? 1 : 0);
    case 'string':
      return (v) => String(v);
    default:
      return (v) => (typeof v === 'number' ? v : Number(v));
  }
}

/**
 * Elementwise map over any number of broadcast inputs. `fn` receives raw stored values (number,
 * bigint for int64/uint64, 0/1 for bool, string for string) and its result is converted by storeFn.
 */
export function mapN(
  node: Node,
  inputs: readonly Tensor[],
  outDtype: DType,
  fn: (...xs: Scalar[]) => Scalar,
): Tensor {
  const outShape = broadcastShapes(node, ...inputs.map((t) => t.shape));
  const n = shapeSize(outShape);
  const out = allocData(outDtype, n) as unknown as Scalar[];
  const store = storeFn(outDtype);
  const maps = inputs.map((t) => broadcastIndexMap(t.shape, outShape));
  const datas = inputs.map((t) => t.data as unknown as ArrayLike<Scalar>);
  if (inputs.length === 2) {
    const [a, b] = datas as [ArrayLike<Scalar>, ArrayLike<Scalar>];
    const [ma, mb] = maps;
    for (let i = 0; i < n; i++) out[i] = store(fn(a[ma ? ma[i]! : i]!, b[mb ? mb[i]! : i]!));
  } else {
    const args = new Array<Scalar>(inputs.length);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < inputs.length; k++) {
        const m = maps[k];
        args[k] = datas[k]![m ? m[i]! : i]!;
      }
      out[i] = store(fn(...args));
    }
  }
  return new Tensor(outDtype, outShape, out as unknown as TensorData);
}

/** Elementwise map of one tensor into an `outDtype` tensor of the same shape. */
export function map1(t: Tensor, outDtype: DType, fn: (x: Scalar) => Scalar): Tensor {
  const n = t.size;
  const out = allocData(outDtype, n) as unknown as Scalar[];
  const store = storeFn(outDtype);
  const src = t.data as unknown as ArrayLike<Scalar>;
  for (let i = 0; i < n; i++) out[i] = store(fn(src[i]!));
  return new Tensor(outDtype, t.shape, out as unknown as TensorData);
}

/** A copy of `t` (ops such as single-input Sum return a new tensor, never an alias). */
export function copyTensor(t: Tensor): Tensor {
  const data = Array.isArray(t.data) ? [...t.data] : (t.data as Exclude<TensorData, string[]>).slice();
  return new Tensor(t.dtype, [...t.shape], data);
}

export function isBig(d: DType): boolean {
  return isBigIntDType(d);
}

/**
 * Opset 1-6 binary ops broadcast only B onto A, and only when `broadcast`=1: B's dims align with A's
 * starting at `axis` (suffix alignment when absent). Returns B reshaped to A's rank, so numpy
 * broadcasting then does the rest; with broadcast=0 the shapes must match exactly.
 */
export function legacyBroadcastShape(
  node: Node,
  aShape: readonly number[],
  bShape: readonly number[],
): number[] {
  const broadcast = node.attrs['broadcast'];
  const on = broadcast?.type === 'int' && broadcast.value !== 0;
  if (!on) {
    if (aShape.length !== bShape.length || aShape.some((d, i) => d !== bShape[i])) {
      throw opError(
        node,
        `shapes [${aShape.join(',')}] and [${bShape.join(',')}] differ and broadcast=0`,
        'equal shapes (or broadcast=1) before opset 7',
      );
    }
    return [...bShape];
  }
  const axisAttr = node.attrs['axis'];
  if (axisAttr?.type !== 'int' || bShape.length === 0) return [...bShape];
  const rank = aShape.length;
  const axis = axisAttr.value < 0 ? axisAttr.value + rank : axisAttr.value;
  if (axis < 0 || axis + bShape.length > rank) {
    throw opError(
      node,
      `axis ${axisAttr.value} does not fit B of rank ${bShape.length} into A of rank ${rank}`,
    );
  }
  return [
    ...new Array<number>(axis).fill(1),
    ...bShape,
    ...new Array<number>(rank - axis - bShape.length).fill(1),
  ];
}

/** Binary-op inputs after the opset-dependent broadcasting rules (a view: data is shared). */
export function binaryOperands(node: Node, opset: number, a: Tensor, b: Tensor): [Tensor, Tensor] {
  if (opset >= 7) return [a, b];
  return [a, new Tensor(b.dtype, legacyBroadcastShape(node, a.shape, b.shape), b.data)];
}

/**
 * Inputs A and B of a binary op over one element type in `types`: required, checked, and broadcast at
 * the model's opset (binaryOperands). The arithmetic and comparison ops share this preamble.
 */
export function sameTypeOperands(
  node: Node,
  inputs: (Tensor | undefined)[],
  opset: number,
  types: readonly DType[],
): [Tensor, Tensor] {
  const a0 = requireInput(node, inputs, 0, 'A');
  const b0 = requireInput(node, inputs, 1, 'B');
  checkDType(node, a0.dtype, types, 'A');
  checkSameDType(node, [a0.dtype, b0.dtype], 'A and B');
  return binaryOperands(node, opset, a0, b0);
}

/** Output shape of a binary op at the model's opset: A's shape before opset 7, numpy broadcast after. */
export function binaryInferShape(
  ctx: InferContext,
  a: TypeInfo | undefined,
  b: TypeInfo | undefined,
): Dim[] | undefined {
  if (ctx.opset < 7) return a?.shape ? [...a.shape] : undefined;
  return broadcastDims(ctx, a?.shape, b?.shape);
}
