import { describe, expect, it } from 'vitest';
import { referenceBackend } from '../../../compiler/conformance/backend.js';
import { compareValues } from '../../../compiler/conformance/compare.js';
import { webGpuBackend } from '../../../compiler/conformance/webgpu-backend.js';
import { CASES, build } from '../wasm/quantized-cases.js';
import { gpuNote, hasAdapter } from './adapter.js';

/**
 * The integer and quantized lowerings are shared with the wasm target: on webgpu they must match the
 * reference exactly, or be refused at compile time — QLinearConv/QLinearMatMul are, since their
 * float64 requantization would be computed in float32 here (targets/webgpu/support.ts).
 */
const requantizing = (op: string) => op === 'QLinearConv' || op === 'QLinearMatMul';

describe('webgpu: quantized ops refused at compile time', () => {
  for (const c of CASES.filter((x) => requantizing(x.op)))
    it(c.name, () => {
      expect(webGpuBackend().unsupportedReason(build(c).make())).toMatch(
        /requantizes with float64 products, which the webgpu target computes as float32/,
      );
    });
});

describe.skipIf(!hasAdapter)(gpuNote('integer and quantized ops on the webgpu target'), () => {
  for (const c of CASES.filter((x) => !requantizing(x.op)))
    it(c.name, { timeout: 120_000 }, async () => {
      const { make, feeds } = build(c);
      const gpu = webGpuBackend();
      const m = make();
      expect(gpu.unsupportedReason(m)).toBeUndefined();
      const prepared = await gpu.prepare(m);
      try {
        const ours = await prepared.run(feeds);
        const want = referenceBackend.prepare(make()).run(feeds);
        for (const [name] of c.outputs)
          expect(compareValues(ours.get(name), want.get(name)!), name).toBeUndefined();
      } finally {
        prepared.release();
      }
    });
});
