/** Helpers shared by op implementations: broadcasting, axes, element loops, inference shortcuts. */
import { type DType, isBigIntDType } from '../../../runtime/dtype.js';
import { KilnError } from '../../../runtime/errors.js';
import { Tensor, allocData, shapeSize, stridesOf, type TensorData } from '../../../runtime/tensor.js';
import type { Dim, Node, TypeInfo } from '../../ir/graph.js';
import type { InferContext } from '../op.js';

export function opError(node: Node, message: string, expected?: string): KilnError {
  return new KilnError(message, { node: node.name, op: node.op, expected });
}

/** Numpy-style multidirectional broadcast of concrete shapes. */
export function broadcastShapes(node: Node, ...shapes: (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i]!;
      if (d === out[o] || d === 1) continue;
      if (out[o] === 1) out[o] = d;
      else
        throw opError(
          node,
          `cannot broadcast shapes ${shapes.map((x) => `[${x.join(',')}]`).join(' and ')}`,
          'dimensions equal or 1',
        );
    }
  }
  return out;
}

/** Broadcast symbolic shapes: equal symbols broadcast, 1 yields the other, unknown pairs give a fresh dim. */
export function broadcastDims(ctx: InferContext, ...shapes: (Dim[] | undefined)[]): Dim[] | undefined {
  if (shapes.some((s) => s === undefined)) return undefined;
  const ss = shapes as Dim[][];
  const rank = Math.max(0, ...ss.map((s) => s.length));
  const out: Dim[] = new Array<Dim>(rank).fill(1);
  for (const s of ss) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i]!;
      const cur = out[o]!;
      if (d === cur || d === 1) continue;
      if (cur === 1) out[o] = d;
      else if (typeof d === 'number' && typeof cur === 'number')
        throw opError(ctx.node, `cannot broadcast dimension ${cur} with ${d}`, 'dimensions equal or 1');
      else if (typeof d === 'number') out[o] = d;
      else if (typeof cur === 'string') out[o] = ctx.freshDim();
    }
  }
  return out;
}

/** For each output flat index, the flat index into an input of shape `inShape` broadcast to `outShape`. */
export function broadcastIndexMap(
  inShape: readonly number[],
  outShape: readonly number[],
): Int32Array | null {
  const n = shapeSize(outShape);
  if (inShape.length === outShape.length && inShape.every((d, i) => d === outShape[i])) return null;
  const map = new Int32Array(n);
  const rank = outShape.length;
  const inStrides = new Array<number>(rank).fill(0);
  const st = stridesOf(inShape);
  for (let i = 0; i < inShape.length; i++) {
    const o = rank - inShape.length + i;
    inStrides[o] = inShape[i] === 1 ? 0 : st[i]!;
  }
  const idx = new Array<number>(rank).fill(0);
  let off = 0;
  for (let i = 0; i < n; i++) {
    map[i] = off;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      off += inStrides[d]!;
      if (idx[d]! < outShape[d]!) break;
      off -= inStrides[d]! * idx[d]!;
      idx[d] = 0;
    }
  }
  return map;
}

/** Normalize a possibly negative axis into [0, rank). */
export function normalizeAxis(node: Node, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank)
    throw opError(node, `axis ${axis} is out of range for rank ${rank}`, `-${rank}..${rank - 1}`);
  return a;
}

type Num = number | bigint;

/**
 * Elementwise map over broadcast inputs. `fn` receives plain numbers for number dtypes and bigints for
 * int64/uint64 inputs; its result is stored into an `outDtype` tensor (half types are rounded by the executor).
 */
export function mapBroadcast(
  node: Node,
  inputs: Tensor[],
  outDtype: DType,
  fn: (...xs: Num[]) => Num | boolean,
): Tensor {
  const outShape = broadcastShapes(node, ...inputs.map((t) => t.shape));
  const n = shapeSize(outShape);
  const out = allocData(outDtype, n);
  const maps = inputs.map((t) => broadcastIndexMap(t.shape, outShape));
  const datas = inputs.map((t) => t.data as ArrayLike<Num>);
  const big = isBigIntDType(outDtype);
  const args = new Array<Num>(inputs.length);
  const o = out as unknown as Num[];
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < inputs.length; k++) {
      const m = maps[k];
      args[k] = datas[k]![m ? m[i]! : i]!;
    }
    const r = fn(...args);
    o[i] = big ? (typeof r === 'bigint' ? r : BigInt(r as number)) : typeof r === 'bigint' ? Number(r) : +r;
  }
  return new Tensor(outDtype, outShape, out as TensorData);
}

/** Elementwise map of one tensor. */
export function mapUnary(t: Tensor, outDtype: DType, fn: (x: Num) => Num | boolean): Tensor {
  const n = t.size;
  const out = allocData(outDtype, n);
  const src = t.data as ArrayLike<Num>;
  const big = isBigIntDType(outDtype);
  const o = out as unknown as Num[];
  for (let i = 0; i < n; i++) {
    const r = fn(src[i]!);
    o[i] = big ? (typeof r === 'bigint' ? r : BigInt(r as number)) : typeof r === 'bigint' ? Number(r) : +r;
  }
  return new Tensor(outDtype, t.shape, out as TensorData);
}

/** Inference for ops whose output has the type of input `i` (Relu, Identity, Softmax, ...). */
export function sameAsInput(i = 0) {
  return (ctx: InferContext): (TypeInfo | undefined)[] => [ctx.inputs[i] ? { ...ctx.inputs[i]! } : undefined];
}

/** The product of dims, or undefined if any is symbolic. */
export function staticSize(shape: Dim[] | undefined): number | undefined {
  if (!shape) return undefined;
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number') return undefined;
    n *= d;
  }
  return n;
}

export function requireInput(node: Node, inputs: (Tensor | undefined)[], i: number, what: string): Tensor {
  const t = inputs[i];
  if (!t) throw opError(node, `missing required input ${i} (${what})`);
  return t;
}
