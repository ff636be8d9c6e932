import { describe, expect, it } from 'vitest';
import { referenceBackend } from '../../../compiler/conformance/backend.js';
import { compareValues } from '../../../compiler/conformance/compare.js';
import { wasmBackend } from '../../../compiler/conformance/wasm-backend.js';
import { CASES, build } from './quantized-cases.js';

/** The integer and quantized ops and their neighbours (quantized-cases.ts) on wasm, exactly as the reference. */
describe('wasm lowerings of integer, quantized and run-time-indexed ops against the reference executor', () => {
  const wasm = wasmBackend('simd');
  for (const c of CASES) {
    it(c.name, () => {
      const { make, feeds } = build(c);
      expect(wasm.unsupportedReason(make())).toBeUndefined();
      const ours = wasm.prepare(make()).run(feeds);
      const want = referenceBackend.prepare(make()).run(feeds);
      for (const [name] of c.outputs)
        expect(compareValues(ours.get(name), want.get(name)!), name).toBeUndefined();
    });
  }
});
