import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedSelfTest } from '../../fleet/agent/stored-self-test.js';
import type { Agent } from '../../fleet/agent/agent.js';
import { signManifest } from '../../registry/signing/keys.js';
import { signingKey } from '../../registry/trust.js';
import { variantFor } from '../../registry/variants.js';
import { readArtifact, writeArtifact } from '../../runtime/artifact/index.js';
import { InferenceSession } from '../../runtime/inference-session.js';
import { SELF_TEST_INPUTS, SELF_TEST_OUTPUTS, unpackTensors } from '../../runtime/self-test-sample.js';
import { compileWasm, wasmArtifact } from '../../targets/wasm/compile.js';
import { importModel } from '../../compiler/onnx/import.js';
import { sha256Hex } from '../../runtime/artifact/sha256.js';
import { tensorFrom } from '../../runtime/tensor.js';
import { graph, model, node, value } from '../helpers/build.js';
import { startAgents } from './agents.js';
import {
  BACKENDS,
  type TestFleet,
  dropTestDatabases,
  settledDeployment,
  modelV,
  publish,
  startFleet,
  suiteTitle,
} from './fixtures.js';

/** bool input, bool/int64/float outputs: the sample must not assume float inputs. */
const mixedModel = () =>
  model(
    graph({
      inputs: [value('x', 'float32', [3, 5]), value('m', 'bool', [3, 5])],
      outputs: [value('gt', 'bool', [3, 5]), value('arg', 'int64', [3, 1]), value('sel', 'float32', [3, 5])],
      nodes: [
        node('Greater', ['x', 'zero'], ['gt']),
        node('ArgMax', ['x'], ['arg'], { axis: { type: 'int', value: 1 } }),
        node('Where', ['m', 'x', 'zero'], ['sel']),
      ],
      initializers: { zero: tensorFrom('float32', [], [0]) },
    }),
  );

describe('self-test sample stored at compile time', () => {
  it('a wasm artifact carries seeded inputs and reference outputs, and its session passes them', async () => {
    const bytes = await wasmArtifact(compileWasm(importModel(modelV(2))));
    const { manifest, files } = await readArtifact(bytes);
    expect(manifest.selfTest).toEqual({
      inputs: SELF_TEST_INPUTS,
      outputs: SELF_TEST_OUTPUTS,
      rtol: expect.any(Number),
      atol: expect.any(Number),
    });
    const [x] = unpackTensors(files.get(SELF_TEST_INPUTS)!, 1, 'in');
    const [y] = unpackTensors(files.get(SELF_TEST_OUTPUTS)!, 1, 'out');
    const xs = [...(x!.data as Float32Array)];
    expect(x!.shape).toEqual([1, 3]);
    // relu(x·2·[[1,0],[0,1],[1,1]]), computed here independently of the reference executor
    const want = [Math.max(0, 2 * (xs[0]! + xs[2]!)), Math.max(0, 2 * (xs[1]! + xs[2]!))];
    expect([...(y!.data as Float32Array)].map((v, i) => v - want[i]!).every((d) => Math.abs(d) < 1e-6)).toBe(
      true,
    );
    await storedSelfTest(await InferenceSession.create(bytes));
  });

  it('works with bool inputs and int64/bool outputs', async () => {
    const bytes = await wasmArtifact(compileWasm(mixedModel()));
    const { files } = await readArtifact(bytes);
    const [, m] = unpackTensors(files.get(SELF_TEST_INPUTS)!, 2, 'in');
    expect(m!.dtype).toBe('bool');
    const [, arg] = unpackTensors(files.get(SELF_TEST_OUTPUTS)!, 3, 'out');
    expect(arg!.dtype).toBe('int64');
    await storedSelfTest(await InferenceSession.create(bytes));
  });

  it('is left out with selfTest: false', async () => {
    const { manifest, files } = await readArtifact(
      await wasmArtifact(compileWasm(importModel(modelV(2)), { selfTest: false })),
    );
    expect(manifest.selfTest).toBeUndefined();
    expect(files.has(SELF_TEST_INPUTS)).toBe(false);
  });
});

for (const backend of BACKENDS) {
  describe.skipIf(!!backend.skip)(suiteTitle('agent stored self-test', backend), () => {
    let f: TestFleet;
    let agent: Agent;
    const deploy = async (v: number) => {
      const r = await f.api('POST', '/deployments', f.adminToken, {
        group: 'st',
        model: `det@${v}`,
        strategy: { kind: 'all-at-once' },
        soakMs: 0,
      });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      return r.json.id as number;
    };
    const settled = (id: number) => settledDeployment(f, id);

    beforeAll(async () => {
      f = await startFleet(backend);
      await f.api('POST', '/groups', f.adminToken, { name: 'st' });
      [agent] = (await startAgents(f, 'st', 1)) as [Agent];
    });
    afterAll(async () => {
      await agent?.stop();
      await f?.close();
      await dropTestDatabases();
    });

    it('passes the stored sample of a compiled artifact and switches to it', async () => {
      const v = await publish(f.reg, 'det', modelV(1));
      await deploy(v);
      expect(await agent.syncOnce()).toMatchObject({ action: 'installed', version: v });
    });

    it('refuses a validly signed artifact whose weights were changed: the self-test fails with its max error', async () => {
      const v = await publish(f.reg, 'det', modelV(3));
      const variant = await variantFor(f.reg, { name: 'det', ref: v }, 'wasm');
      // an insider with the signing key ships other weights under the same manifest and sample
      const { manifest, files } = await readArtifact(await f.reg.blobs.read(variant.artifact.sha256));
      const w = files.get('weights.bin')!.slice();
      const floats = new Float32Array(w.buffer, w.byteOffset, w.length / 4);
      for (let i = 0; i < floats.length; i++) floats[i] = floats[i]! * 1.5;
      files.set('weights.bin', w);
      const { files: _old, ...draft } = manifest;
      const wrong = await writeArtifact({ manifest: draft, files });
      const signed = await readArtifact(wrong);
      const signature = signManifest(signed.manifestBytes, await signingKey(f.reg));
      const blob = await f.reg.blobs.put(wrong);
      await f.reg.db.run(
        'UPDATE variants SET artifact_sha256 = ?, artifact_bytes = ?, manifest_sha256 = ? WHERE id = ?',
        [blob.sha256, blob.bytes, await sha256Hex(signed.manifestBytes), variant.id],
      );
      await f.reg.db.run('UPDATE signatures SET signature = ? WHERE variant_id = ?', [
        new TextDecoder().decode(signature),
        variant.id,
      ]);
      const before = agent.running?.version;
      const id = await deploy(v);
      const r = await agent.syncOnce();
      expect(r).toMatchObject({ action: 'refused', version: v });
      expect((r as { reason: string }).reason).toMatch(
        /self-test failed: output 'y' differs from the stored expected output \(max error [0-9.e-]+;/,
      );
      expect((await settled(id)).state).toBe('rolled_back');
      expect(agent.running?.version).toBe(before);
    });
  });
}
