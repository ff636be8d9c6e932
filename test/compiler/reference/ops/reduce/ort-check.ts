/** Cross-check a reduce-group op against onnxruntime-node on a one-node model. */
import { expect } from 'vitest';
import { exportModel } from '../../../../../compiler/onnx/export.js';
import { Tensor } from '../../../../../runtime/tensor.js';
import { runOrt } from '../../../../helpers/ort.js';
import { attrs, infer, run } from './helpers.js';
import { oneNodeModel } from '../../../../helpers/build.js';

type AttrArg = Parameters<typeof attrs>[0];

/** Deterministic pseudo-random floats in [lo, hi). */
export function rand(seed: number, n: number, lo = -1, hi = 1): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return lo + ((s % 100000) / 100000) * (hi - lo);
  });
}

/**
 * Run `op` in onnxruntime and in Kiln; compare every output (values within tolerance, exact for
 * integers) and check that Kiln's inferred shape, given all inputs as constants, matches the result.
 */
export async function checkAgainstOrt(
  op: string,
  inputs: (Tensor | undefined)[],
  a: AttrArg = {},
  opset = 18,
  nOut = 1,
  tol = 1e-5,
): Promise<Tensor[]> {
  const mine = run(op, inputs, a, opset, nOut);
  const types = infer(
    op,
    inputs.map((t) => (t ? { dtype: t.dtype, shape: [...t.shape] } : undefined)),
    a,
    opset,
    inputs,
    nOut,
  );
  const { model, feeds } = oneNodeModel(
    op,
    inputs,
    attrs(a),
    mine.map((t) => t.dtype),
    opset,
    8,
  );
  const ref = await runOrt(exportModel(model), feeds);
  mine.forEach((got, i) => {
    const want = ref[`y${i}`]!;
    const where = `${op} output ${i}`;
    expect(got.dtype, where).toBe(want.dtype);
    expect(got.shape, where).toEqual(want.shape);
    const shape = types[i]?.shape;
    if (shape)
      shape.forEach(
        (d, k) => typeof d === 'number' && expect(d, `${where} inferred dim ${k}`).toBe(want.shape[k]),
      );
    const g = Array.from(got.data as ArrayLike<number | bigint>);
    const w = Array.from(want.data as ArrayLike<number | bigint>);
    g.forEach((v, k) => {
      const r = w[k]!;
      if (typeof v === 'bigint' || typeof r === 'bigint') expect(v, `${where}[${k}]`).toBe(r);
      else if (Number.isNaN(r)) expect(v, `${where}[${k}]`).toBeNaN();
      else if (!Number.isFinite(r)) expect(v, `${where}[${k}]`).toBe(r);
      else
        expect(Math.abs(v - r), `${where}[${k}]: ${v} vs ${r}`).toBeLessThanOrEqual(tol * (1 + Math.abs(r)));
    });
  });
  return mine;
}
