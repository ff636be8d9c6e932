/** Mean and variance over a set of axes, the core of the normalization ops. */
import { shapeSize } from '../../../../runtime/tensor.js';

export interface Moments {
  /** Shape of the statistics: the input shape with reduced axes set to 1. */
  statShape: number[];
  mean: Float64Array;
  /** Population variance (divide by the group size, as the ONNX definitions do). */
  variance: Float64Array;
  /** For each input element, the index of its statistics group. */
  group: Int32Array;
}

export function moments(x: ArrayLike<number>, shape: readonly number[], axes: readonly number[]): Moments {
  const rank = shape.length;
  const reduced = new Array<boolean>(rank).fill(false);
  for (const a of axes) reduced[a] = true;
  const statShape = shape.map((d, i) => (reduced[i] ? 1 : d));
  const n = shapeSize(shape);
  const nStat = shapeSize(statShape);
  const count = nStat === 0 ? 0 : n / nStat;
  const group = new Int32Array(n);
  // Walk the input in order; the statistics index advances only along kept axes.
  const gStr = new Array<number>(rank);
  for (let d = rank - 1, acc = 1; d >= 0; d--) {
    gStr[d] = reduced[d] ? 0 : acc;
    acc *= statShape[d]!;
  }
  const idx = new Array<number>(rank).fill(0);
  let g = 0;
  for (let i = 0; i < n; i++) {
    group[i] = g;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      g += gStr[d]!;
      if (idx[d]! < shape[d]!) break;
      g -= gStr[d]! * idx[d]!;
      idx[d] = 0;
    }
  }
  const mean = new Float64Array(nStat);
  for (let i = 0; i < n; i++) mean[group[i]!] += x[i]!;
  for (let j = 0; j < nStat; j++) mean[j] /= count;
  const variance = new Float64Array(nStat);
  for (let i = 0; i < n; i++) {
    const dlt = x[i]! - mean[group[i]!]!;
    variance[group[i]!] += dlt * dlt;
  }
  for (let j = 0; j < nStat; j++) variance[j] /= count;
  return { statShape, mean, variance, group };
}
