/** Helpers shared by the reduce group: axis layouts and scalar inputs. */
import { type Tensor, shapeSize, stridesOf, toNumbers } from '../../../../runtime/tensor.js';
import type { Node } from '../../../ir/graph.js';
import { normalizeAxis, opError } from '../common.js';

/**
 * How a reduction over `axes` visits its input: output element `o` reduces the input elements at
 * `bases[o] + offsets[r]` for every r. Both are flat indices into the row-major input.
 */
export interface ReduceLayout {
  bases: Int32Array;
  offsets: Int32Array;
  /** Output shape with reduced axes kept as 1. */
  keptShape: number[];
  /** Output shape with reduced axes removed. */
  droppedShape: number[];
}

export function reduceLayout(shape: readonly number[], axes: readonly number[]): ReduceLayout {
  const strides = stridesOf(shape);
  const isReduced = shape.map((_, i) => axes.includes(i));
  const keptShape = shape.map((d, i) => (isReduced[i] ? 1 : d));
  const droppedShape = shape.filter((_, i) => !isReduced[i]);
  const outerDims = shape.map((d, i) => (isReduced[i] ? 1 : d));
  const innerDims = shape.map((d, i) => (isReduced[i] ? d : 1));
  return {
    bases: flatOffsets(outerDims, strides),
    offsets: flatOffsets(innerDims, strides),
    keptShape,
    droppedShape,
  };
}

/** Flat offsets (with `strides`) of every index of a box of `dims`, in row-major order. */
export function flatOffsets(dims: readonly number[], strides: readonly number[]): Int32Array {
  const n = shapeSize(dims);
  const out = new Int32Array(n);
  const rank = dims.length;
  const idx = new Array<number>(rank).fill(0);
  let off = 0;
  for (let i = 0; i < n; i++) {
    out[i] = off;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      off += strides[d]!;
      if (idx[d]! < dims[d]!) break;
      off -= strides[d]! * idx[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

/** Normalize a list of axes, rejecting out-of-range and repeated entries. */
export function normalizeAxes(node: Node, axes: readonly number[], rank: number): number[] {
  const out = axes.map((a) => normalizeAxis(node, a, rank));
  if (new Set(out).size !== out.length)
    throw opError(node, `axes [${axes.join(',')}] repeat an axis`, 'distinct axes');
  return out;
}

/** A scalar (or one-element) input read as a number. */
export function scalarInput(node: Node, t: Tensor, what: string): number {
  if (t.size !== 1)
    throw opError(node, `${what} must be a scalar, got shape [${t.shape.join(',')}]`, 'one element');
  return toNumbers(t)[0]!;
}
