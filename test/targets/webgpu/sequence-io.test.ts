import { describe, expect, it } from 'vitest';
import { InferenceSession } from '../../../runtime/inference-session.js';
import { fromKilnTensor } from '../../../runtime/tensor-interop.js';
import { compileWebGpu, webGpuArtifact } from '../../../targets/webgpu/compile.js';
import { expectSampleMatchesReference, seqModel, seqValue, signatures } from '../sequence-model.js';
import { gpuNote, hasAdapter } from './adapter.js';

describe.skipIf(!hasAdapter)(gpuNote('webgpu: sequence and optional graph inputs/outputs'), () => {
  it('flattens them as the wasm target does and returns sequences as arrays, matching the reference', async () => {
    const c = compileWebGpu(seqModel(), { signatures: signatures() });
    expect(c.layout.inputs.map((t) => t.name)).toEqual(['seq[0]', 'seq[1]', 't', 'opt?']);
    const session = await InferenceSession.create(await webGpuArtifact(c));
    expect(session.inputNames).toEqual(['seq', 't', 'opt']);
    const got = await expectSampleMatchesReference(session);
    await expect(
      session.run({ seq: seqValue.items.slice(0, 1).map(fromKilnTensor), t: got.first, opt: null }),
    ).rejects.toThrow(/input 'seq' is a sequence of 1 tensors/);
    await session.release();
  });
});
