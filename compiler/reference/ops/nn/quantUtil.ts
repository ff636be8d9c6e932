/** Rounding, saturation and scale/zero-point layout shared by the quantization ops. */
import type { DType } from '../../../../runtime/dtype.js';
import { roundToBfloat16, roundToFloat16 } from '../../../../runtime/half.js';
import type { Tensor } from '../../../../runtime/tensor.js';
import type { Node } from '../../../ir/graph.js';
import { opError } from '../common.js';

/** Round half to even (numpy rint, the rounding ONNX quantization specifies). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 ? 2 * Math.round(x / 2) : r;
}

const RANGES: Partial<Record<DType, [number, number]>> = {
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
};

/** The [min, max] an integer quantized type saturates to; a clear error for types we cannot store. */
export function quantRange(node: Node, dtype: DType): [number, number] {
  const r = RANGES[dtype];
  if (!r)
    throw opError(node, `quantized type ${dtype} is not supported`, 'uint8, int8, uint16, int16 or int32');
  return r;
}

export function saturate(v: number, [lo, hi]: [number, number]): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** Round a float64 value to the precision of `dtype`, so arithmetic matches that type's own. */
export function roundTo(dtype: DType, v: number): number {
  if (dtype === 'float32') return Math.fround(v);
  if (dtype === 'float16') return roundToFloat16(v);
  if (dtype === 'bfloat16') return roundToBfloat16(v);
  return v;
}

/**
 * For each element of an `xShape` tensor, the flat index of its scale/zero-point: per-tensor (one
 * value, returns null), per-axis (1-D along `axis`) or blocked (same rank, `blockSize` along `axis`).
 */
export function paramIndex(
  node: Node,
  xShape: readonly number[],
  param: Tensor,
  axis: number,
  blockSize: number,
  what: string,
): Int32Array | null {
  if (param.size === 1 && (param.rank === 0 || blockSize === 0)) return null;
  const rank = xShape.length;
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw opError(node, `axis ${axis} is out of range for rank ${rank}`);
  const n = xShape.reduce((p, d) => p * d, 1);
  const map = new Int32Array(n);
  const inner = xShape.slice(a + 1).reduce((p, d) => p * d, 1);
  const D = xShape[a]!;
  if (blockSize <= 0) {
    if (param.rank !== 1 || param.size !== D)
      throw opError(node, `${what} has shape [${param.shape.join(',')}] for per-axis quantization`, `[${D}]`);
    for (let i = 0; i < n; i++) map[i] = Math.floor(i / inner) % D;
    return map;
  }
  const nb = Math.ceil(D / blockSize);
  const ok = param.rank === rank && param.shape.every((d, i) => (i === a ? d === nb : d === xShape[i]));
  if (!ok)
    throw opError(
      node,
      `${what} has shape [${param.shape.join(',')}] for block size ${blockSize}`,
      `[${xShape.map((d, i) => (i === a ? nb : d)).join(',')}]`,
    );
  const outer = n / (D * inner);
  for (let o = 0, i = 0; o < outer; o++)
    for (let d = 0; d < D; d++) {
      const base = (o * nb + Math.floor(d / blockSize)) * inner;
      for (let j = 0; j < inner; j++, i++) map[i] = base + j;
    }
  return map;
}
