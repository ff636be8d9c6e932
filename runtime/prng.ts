/**
 * mulberry32: a tiny seeded PRNG, so "random" inputs (kiln run, benchmarks, tests, fuzzing) are the
 * same on every run. Not for cryptography.
 */
import { type DType, isBigIntDType, isFloatDType } from './dtype.js';
import { Tensor, allocData, shapeSize } from './tensor.js';

export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A tensor of seeded random values: floats in [-1, 1), integers in [0, 10) (valid as small indices
 * and counts), bools half true, strings empty.
 */
export function randomTensor(dtype: DType, shape: readonly number[], rng: () => number): Tensor {
  const data = allocData(dtype, shapeSize(shape));
  for (let i = 0; i < data.length; i++) {
    const r = rng();
    if (isFloatDType(dtype)) (data as Float32Array)[i] = r * 2 - 1;
    else if (isBigIntDType(dtype)) (data as BigInt64Array)[i] = BigInt(Math.floor(r * 10));
    else if (dtype === 'bool') (data as Uint8Array)[i] = r < 0.5 ? 1 : 0;
    else if (dtype === 'string') (data as string[])[i] = '';
    else (data as Int32Array)[i] = Math.floor(r * 10);
  }
  return new Tensor(dtype, [...shape], data);
}
