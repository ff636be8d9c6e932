import { describe, expect, it } from 'vitest';
import { referenceBackend } from '../../../compiler/conformance/backend.js';
import { compareValues } from '../../../compiler/conformance/compare.js';
import { webGpuBackend } from '../../../compiler/conformance/webgpu-backend.js';
import { OP_CASES, caseModel } from '../../helpers/op-cases.js';
import { gpuNote, hasAdapter } from './adapter.js';

/** The single-node op cases of the wasm target's ops.test.ts on the webgpu target. */
describe.skipIf(!hasAdapter)(
  gpuNote('ops lowered for the webgpu target, against the reference executor'),
  () => {
    const gpu = webGpuBackend();
    it.each(OP_CASES)(
      '$name',
      async (c) => {
        const { model, feeds, outputs, bind } = caseModel(c);
        const refused = gpu.unsupportedReason(model, { bind });
        if (c.webgpuRefuses) {
          expect(refused).toMatch(c.webgpuRefuses);
          return;
        }
        expect(refused).toBeUndefined();
        const prepared = await gpu.prepare(model, { bind });
        try {
          const ours = await prepared.run(feeds);
          const want = referenceBackend.prepare(caseModel(c).model).run(feeds);
          for (const o of outputs)
            expect(compareValues(ours.get(o), want.get(o)!, { rtol: 1e-4, atol: 1e-5 }), o).toBeUndefined();
        } finally {
          prepared.release();
        }
      },
      120_000,
    );
  },
);
