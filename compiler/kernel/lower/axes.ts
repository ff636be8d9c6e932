import { type Affine, type Stmt, affine } from '../ir.js';
import { loopNest, strides } from './loops.js';

/**
 * Iteration over a tensor split into kept axes (one output element each) and reduced axes (walked
 * inside), for reductions and normalisations over any set of axes. The kept loops are outermost in
 * their original order, so the innermost kept axis is vectorised and reads along it stay contiguous
 * when it is the tensor's last axis.
 */
export interface AxisSplit {
  kept: number[];
  reduced: number[];
  /** Elements per output (kept) position: the product of the reduced dims. */
  n: number;
  /** Output elements: the product of the kept dims. */
  outer: number;
  /** Input index from kept loop vars (`o*`) and reduced loop vars (`r*`). */
  inAt: Affine;
  /** Output index (row-major over the kept dims; keepdims does not change the layout). */
  outAt: Affine;
  /** Wrap statements in the loops over the reduced axes. */
  reduceLoops(body: Stmt[]): Stmt[];
  /** Wrap per-output statements in the loops over the kept axes (innermost vectorised). */
  keptLoops(body: Stmt[]): Stmt[];
}

/** Normalise possibly-negative, possibly-repeated axes of a rank-`rank` tensor, sorted. */
export function normAxes(axes: readonly number[], rank: number): number[] {
  return [...new Set(axes.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
}

export function splitAxes(shape: readonly number[], axes: readonly number[]): AxisSplit {
  const red = normAxes(axes, shape.length);
  const kept = shape.map((_, i) => i).filter((i) => !red.includes(i));
  const st = strides(shape);
  const keptShape = kept.map((a) => shape[a]!);
  const ost = strides(keptShape);
  const ov = kept.map((_, i) => `o${i}`);
  const rv = red.map((_, i) => `r${i}`);
  return {
    kept,
    reduced: red,
    n: red.reduce((p, a) => p * shape[a]!, 1),
    outer: keptShape.reduce((p, d) => p * d, 1),
    inAt: affine(
      0,
      ...kept.map((a, i): [string, number] => [ov[i]!, st[a]!]),
      ...red.map((a, i): [string, number] => [rv[i]!, st[a]!]),
    ),
    outAt: affine(0, ...ov.map((v, i): [string, number] => [v, ost[i]!])),
    reduceLoops(body) {
      let s = body;
      for (let i = red.length - 1; i >= 0; i--) s = [{ k: 'loop', v: rv[i]!, n: shape[red[i]!]!, body: s }];
      return s;
    },
    keptLoops(body) {
      return loopNest(keptShape, 'o', () => body);
    },
  };
}
