import { isFloatDType } from '../../runtime/dtype.js';
import { float32ToBfloat16Bits } from '../../runtime/half.js';
import { Tensor } from '../../runtime/tensor.js';
import { OptionalValue, TensorSequence, type Value } from '../reference/value.js';

export interface Tolerance {
  rtol: number;
  atol: number;
}

/** The ONNX backend test defaults (onnx/backend/test/runner: rtol=1e-3, atol=1e-7). */
export const ONNX_TOLERANCE: Tolerance = { rtol: 1e-3, atol: 1e-7 };

/**
 * Compare an actual value with the expected one: same kind, dtype and shape; floats within
 * |a - e| <= atol + rtol * |e| (NaN equals NaN, infinities must match); everything else exact.
 * Returns undefined when they match, else a short reason.
 */
export function compareValues(
  actual: Value | undefined,
  expected: Value,
  tol: Tolerance = ONNX_TOLERANCE,
): string | undefined {
  if (actual === undefined) return 'output missing';
  if (expected instanceof TensorSequence) {
    if (!(actual instanceof TensorSequence)) return 'expected a sequence';
    if (actual.items.length !== expected.items.length) {
      return `sequence length ${actual.items.length}, expected ${expected.items.length}`;
    }
    for (let i = 0; i < expected.items.length; i++) {
      const r = compareValues(actual.items[i], expected.items[i]!, tol);
      if (r) return `sequence item ${i}: ${r}`;
    }
    return undefined;
  }
  if (expected instanceof OptionalValue) {
    const inner = actual instanceof OptionalValue ? actual.value : actual;
    if (expected.value === undefined) return inner === undefined ? undefined : 'expected an empty optional';
    return compareValues(inner, expected.value, tol);
  }
  if (!(actual instanceof Tensor)) return 'expected a tensor';
  return compareTensors(actual, expected, tol);
}

export function compareTensors(a: Tensor, e: Tensor, tol: Tolerance = ONNX_TOLERANCE): string | undefined {
  // ONNX 1.12's test data store bfloat16 results as uint16 bit patterns: compare the bits.
  if (a.dtype === 'bfloat16' && e.dtype === 'uint16') a = bfloat16AsBits(a);
  if (a.dtype !== e.dtype) return `dtype ${a.dtype}, expected ${e.dtype}`;
  if (a.shape.length !== e.shape.length || a.shape.some((d, i) => d !== e.shape[i])) {
    return `shape [${a.shape.join(',')}], expected [${e.shape.join(',')}]`;
  }
  const ad = a.data as ArrayLike<number | bigint | string>;
  const ed = e.data as ArrayLike<number | bigint | string>;
  const float = isFloatDType(e.dtype);
  let worst = -1;
  let worstErr = 0;
  let mismatches = 0;
  for (let i = 0; i < ed.length; i++) {
    const x = ad[i]!;
    const y = ed[i]!;
    if (!float) {
      if (x !== y) {
        mismatches++;
        if (worst < 0) worst = i;
      }
      continue;
    }
    const xv = x as number;
    const yv = y as number;
    if (Number.isNaN(yv) ? Number.isNaN(xv) : xv === yv) continue;
    const err = Math.abs(xv - yv);
    if (!(err <= tol.atol + tol.rtol * Math.abs(yv))) {
      mismatches++;
      const rel = Number.isFinite(err) ? err / (tol.atol + tol.rtol * Math.abs(yv)) : Infinity;
      if (worst < 0 || rel > worstErr || Number.isNaN(rel)) {
        worst = i;
        worstErr = rel;
      }
    }
  }
  if (mismatches === 0) return undefined;
  return `${mismatches}/${ed.length} elements differ; e.g. [${worst}] = ${String(ad[worst])}, expected ${String(ed[worst])}`;
}

function bfloat16AsBits(t: Tensor): Tensor {
  const bits = new Uint16Array(t.size);
  const d = t.data as Float32Array;
  for (let i = 0; i < bits.length; i++) bits[i] = float32ToBfloat16Bits(d[i]!);
  return new Tensor('uint16', t.shape, bits);
}
