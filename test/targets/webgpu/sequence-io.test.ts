import { describe, expect, it } from 'vitest';
import { compareValues } from '../../../compiler/conformance/compare.js';
import { TensorSequence, type Value } from '../../../compiler/reference/value.js';
import { InferenceSession, type OutputValue } from '../../../runtime/inference-session.js';
import type { Tensor as OrtTensor } from '../../../runtime/ort-tensor.js';
import type { Tensor } from '../../../runtime/tensor.js';
import { fromKilnTensor, toKilnTensor } from '../../../runtime/tensor-interop.js';
import { compileWebGpu, webGpuArtifact } from '../../../targets/webgpu/compile.js';
import { optValue, reference, seqModel, seqValue, signatures, tValue } from '../sequence-model.js';
import { gpuNote, hasAdapter } from './adapter.js';

describe.skipIf(!hasAdapter)(gpuNote('webgpu: sequence and optional graph inputs/outputs'), () => {
  it('flattens them as the wasm target does and returns sequences as arrays, matching the reference', async () => {
    const c = compileWebGpu(seqModel(), { signatures: signatures() });
    expect(c.layout.inputs.map((t) => t.name)).toEqual(['seq[0]', 'seq[1]', 't', 'opt?']);
    const session = await InferenceSession.create(await webGpuArtifact(c));
    expect(session.inputNames).toEqual(['seq', 't', 'opt']);
    const got = await session.run<Record<string, OutputValue>>({
      seq: seqValue.items.map(fromKilnTensor),
      t: fromKilnTensor(tValue),
      opt: fromKilnTensor(optValue.value as Tensor),
    });
    const want = reference(
      new Map<string, Value>([
        ['seq', seqValue],
        ['t', tValue],
        ['opt', optValue],
      ]),
    );
    const out = new TensorSequence(
      'float32',
      (got.out as OrtTensor[]).map((t) => toKilnTensor(t, 'out')),
    );
    expect(compareValues(out, want.get('out')!)).toBeUndefined();
    for (const name of ['first', 'has', 'echo'])
      expect(compareValues(toKilnTensor(got[name], name), want.get(name)!), name).toBeUndefined();
    await expect(
      session.run({ seq: seqValue.items.slice(0, 1).map(fromKilnTensor), t: got.first, opt: null }),
    ).rejects.toThrow(/input 'seq' is a sequence of 1 tensors/);
    await session.release();
  });
});
