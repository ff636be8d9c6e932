import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { storedSelfTest } from '../../../fleet/agent/stored-self-test.js';
import { type InputSignature, signatureOf } from '../../../compiler/structured-io.js';
import { readArtifact } from '../../../runtime/artifact/index.js';
import { InferenceSession, type OutputValue } from '../../../runtime/inference-session.js';
import { Tensor as OrtTensor } from '../../../runtime/ort-tensor.js';
import type { Tensor } from '../../../runtime/tensor.js';
import { fromKilnTensor } from '../../../runtime/tensor-interop.js';
import { compileWasm, wasmArtifact } from '../../../targets/wasm/compile.js';
import { node, value } from '../../helpers/build.js';
import {
  expectSampleMatchesReference,
  optValue,
  seqModel,
  seqValue,
  signatures,
  tValue,
} from '../sequence-model.js';

setFlagsFromString('--experimental-wasm-relaxed-simd');

async function compiled(signatures: Map<string, InputSignature>): Promise<InferenceSession> {
  const c = compileWasm(seqModel(), { signatures });
  return InferenceSession.create(await wasmArtifact(c));
}

describe('wasm sequence and optional graph inputs/outputs', () => {
  it('flattens them into tensors in the layout and records the structure in the manifest', async () => {
    const c = compileWasm(seqModel(), { signatures: signatures() });
    expect(c.layout.inputs.map((t) => [t.name, t.shape])).toEqual([
      ['seq[0]', [3]],
      ['seq[1]', [5]],
      ['t', [3]],
      ['opt?', [2, 2]],
    ]);
    expect(c.layout.outputs.map((t) => [t.name, t.shape])).toEqual([
      ['out[0]', [3]],
      ['out[1]', [3]],
      ['out[2]', [5]],
      ['first', [3]],
      ['has', []],
      ['echo?', [2, 2]],
    ]);
    const { manifest } = await readArtifact(await wasmArtifact(c));
    expect(manifest.structuredIo).toEqual({
      inputs: [
        { name: 'seq', kind: 'sequence', dtype: 'float32', index: 0, tensors: ['seq[0]', 'seq[1]'] },
        { name: 'opt', kind: 'optional', holds: 'tensor', dtype: 'float32', index: 2, tensors: ['opt?'] },
      ],
      outputs: [
        {
          name: 'out',
          kind: 'sequence',
          dtype: 'float32',
          index: 0,
          tensors: ['out[0]', 'out[1]', 'out[2]'],
        },
        { name: 'echo', kind: 'optional', holds: 'tensor', dtype: 'float32', index: 3, tensors: ['echo?'] },
      ],
    });
    // the stored self-test sample is flattened the same way
    expect(c.selfTest!.inputs.map((t) => t.shape)).toEqual([[3], [5], [3], [2, 2]]);
    expect(c.selfTest!.outputs).toHaveLength(6);
  });

  it('takes sequences as arrays of tensors and returns them so, matching the reference executor', async () => {
    const session = await compiled(signatures());
    expect(session.inputNames).toEqual(['seq', 't', 'opt']);
    expect(session.outputNames).toEqual(['out', 'first', 'has', 'echo']);
    expect(session.inputMetadata[0]).toEqual({ name: 'seq', isTensor: false });
    expect(session.inputMetadata[1]).toMatchObject({
      name: 't',
      isTensor: true,
      type: 'float32',
      shape: [3],
    });
    await expectSampleMatchesReference(session);
    await session.release();
  });

  it("passes the device agent's stored self-test, which feeds the flattened sample through the session", async () => {
    const session = await compiled(signatures());
    await expect(storedSelfTest(session)).resolves.toBeUndefined();
    await session.release();
  });

  it('refuses feeds of another structure, naming the input', async () => {
    const session = await compiled(signatures());
    const seq = seqValue.items.map(fromKilnTensor);
    const t = fromKilnTensor(tValue);
    const opt = fromKilnTensor(optValue.value as Tensor);
    await expect(session.run({ seq: seq.slice(0, 1), t, opt })).rejects.toThrow(
      /input 'seq' is a sequence of 1 tensors; the artifact was compiled for 2 .*float32\[3\], float32\[5\]/,
    );
    await expect(session.run({ seq: seq[0], t, opt })).rejects.toThrow(
      /input 'seq' is a Tensor, not a sequence/,
    );
    await expect(session.run({ seq: [seq[1], seq[0]], t, opt })).rejects.toThrow(
      /input 'seq\[0\]' has dims \[5\].*dims \[3\]/,
    );
    await expect(session.run({ seq, t, opt: null })).rejects.toThrow(
      /input 'opt' is null .*compiled holding a tensor/,
    );
    await expect(session.run({ seq, t })).rejects.toThrow(/missing input 'opt'/);
    await session.release();
  });

  it('compiles an absent optional as such: null in, false out, and refuses a value for it', async () => {
    const absent = new Map<string, InputSignature>([
      ['seq', signatureOf(seqValue)],
      ['opt', { kind: 'optional', dtype: 'float32', value: null }],
    ]);
    const m = seqModel();
    // without OptionalGetElement (it fails on an absent optional); echo is then always absent
    m.graph.nodes = m.graph.nodes.filter((n) => !['OptionalGetElement', 'Add', 'Optional'].includes(n.op));
    m.graph.nodes.push(
      node('Optional', [], ['echo'], { type: { type: 'type_proto', value: value('', 'float32') } }),
    );
    const session = await InferenceSession.create(await wasmArtifact(compileWasm(m, { signatures: absent })));
    expect(session.manifest.structuredIo!.outputs[1]).toMatchObject({
      name: 'echo',
      holds: 'none',
      tensors: [],
    });
    const seq = seqValue.items.map(fromKilnTensor);
    const got = await session.run<Record<string, OutputValue>>({ seq, t: fromKilnTensor(tValue), opt: null });
    expect((got.has as OrtTensor).data).toEqual(new Uint8Array([0]));
    expect(got.echo).toBeNull();
    await expect(
      session.run({ seq, t: fromKilnTensor(tValue), opt: fromKilnTensor(optValue.value as Tensor) }),
    ).rejects.toThrow(/input 'opt' is a Tensor, but it was compiled as an absent optional/);
    await session.release();
  });

  it('refuses a sequence input without a signature, saying what to fix', () => {
    expect(() => compileWasm(seqModel(), { signatures: new Map([['opt', signatureOf(optValue)]]) })).toThrow(
      /input 'seq' is a sequence.*signature fixing its length and element dims.*--signature/,
    );
    expect(() =>
      compileWasm(seqModel(), {
        signatures: new Map<string, InputSignature>([
          ['seq', signatureOf(optValue)],
          ['opt', signatureOf(optValue)],
        ]),
      }),
    ).toThrow(/input 'seq' is a sequence but its signature is an optional holding/);
  });
});
