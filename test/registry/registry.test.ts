import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aliasHistory, removeAlias, setAlias } from '../../registry/aliases.js';
import { approvalHistory, decide } from '../../registry/approvals.js';
import { addBenchmark, listBenchmarks } from '../../registry/benchmarks.js';
import { exportBundle, importBundle } from '../../registry/bundle.js';
import { checkIntegrity } from '../../registry/check.js';
import { diffVersions } from '../../registry/diff.js';
import { NotFoundError } from '../../registry/errors.js';
import { parseVersionRef } from '../../registry/refs.js';
import type { Registry } from '../../registry/registry.js';
import { generateKey, revokeKey } from '../../registry/trust.js';
import { compileVariant, listVariants } from '../../registry/variants.js';
import { verifyVersion } from '../../registry/verify.js';
import { addVersion, getModel, getVersion, listModels, listVersions } from '../../registry/versions.js';
import { BACKENDS, dropTestDatabases, openFresh, suiteTitle, tinyOnnx } from './fixtures.js';

const ref = (text: string) => parseVersionRef(text);

for (const backend of BACKENDS) {
  describe.skipIf(!!backend.skip)(suiteTitle('registry', backend), () => {
    let reg: Registry;
    beforeAll(async () => {
      reg = await openFresh(backend);
    });
    afterAll(async () => {
      await reg?.close();
      await dropTestDatabases();
    });

    it('keeps lineage, metrics, params and the ONNX signature of each version', async () => {
      const v1 = await addVersion(reg, {
        name: 'det',
        source: tinyOnnx('Relu'),
        sourceName: 'det.onnx',
        description: 'detector',
        tags: { team: 'vision' },
        metrics: { accuracy: 0.9, loss: 0.3 },
        params: { lr: 0.01, layers: [3, 2] },
        lineage: { dataset: 's3://data/v1', trainingRun: 'mlflow:run-1' },
      });
      expect(v1.version).toBe(1);
      expect(v1.approval.status).toBe('pending');
      expect(v1.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: [1, 3] }]);
      expect(v1.outputs).toEqual([{ name: 'y', dtype: 'float32', shape: [1, 2] }]);
      const v2 = await addVersion(reg, {
        name: 'det',
        source: tinyOnnx('Sigmoid'),
        sourceName: 'det.onnx',
        metrics: { accuracy: 0.93 },
        lineage: { parentVersion: 1, dataset: 's3://data/v2', trainingRun: 'mlflow:run-2' },
      });
      expect(v2.version).toBe(2);
      const back = await getVersion(reg, ref('det@2'));
      expect(back.lineage).toEqual({
        parentVersion: 1,
        dataset: 's3://data/v2',
        trainingRun: 'mlflow:run-2',
      });
      expect(back.metrics).toEqual({ accuracy: 0.93 });
      expect((await getVersion(reg, ref('det@1'))).params).toEqual({ lr: 0.01, layers: [3, 2] });
      expect((await getVersion(reg, ref('det'))).version).toBe(2);
      const model = await getModel(reg, 'det');
      expect(model).toMatchObject({ description: 'detector', tags: { team: 'vision' }, latestVersion: 2 });
      expect((await listVersions(reg, 'det')).map((v) => v.version)).toEqual([1, 2]);
      expect((await listModels(reg)).map((m) => m.name)).toEqual(['det']);
      await expect(
        addVersion(reg, {
          name: 'det',
          source: tinyOnnx(),
          sourceName: 'x.onnx',
          lineage: { parentVersion: 9 },
        }),
      ).rejects.toThrow(/parent version det@9 does not exist/);
    });

    it('moves aliases and keeps their full history', async () => {
      await setAlias(reg, ref('det@1'), 'production', 'alice');
      await setAlias(reg, ref('det@2'), 'staging', 'bob');
      await setAlias(reg, ref('det@2'), 'production', 'carol');
      expect((await getVersion(reg, ref('det@production'))).version).toBe(2);
      expect((await getModel(reg, 'det')).aliases).toEqual({ production: 2, staging: 2 });
      await removeAlias(reg, 'det', 'staging', 'dave');
      const history = await aliasHistory(reg, 'det');
      expect(history.map((e) => [e.alias, e.version, e.previousVersion, e.actor])).toEqual([
        ['production', 1, null, 'alice'],
        ['staging', 2, null, 'bob'],
        ['production', 2, 1, 'carol'],
        ['staging', null, 2, 'dave'],
      ]);
      expect((await aliasHistory(reg, 'det', 'production')).length).toBe(2);
      await expect(getVersion(reg, ref('det@staging'))).rejects.toThrow(/has no alias 'staging'/);
      await expect(setAlias(reg, ref('det@7'), 'production')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('runs the approval flow: pending, approved, rejected with a reason, all in history', async () => {
      expect((await getVersion(reg, ref('det@1'))).approval).toEqual({ status: 'pending' });
      await expect(decide(reg, ref('det@1'), 'rejected', '')).rejects.toThrow(/needs a reason/);
      const approved = await decide(reg, ref('det@1'), 'approved', 'passed eval', 'qa');
      expect(approved).toMatchObject({ status: 'approved', by: 'qa', reason: 'passed eval' });
      const rejected = await decide(reg, ref('det@1'), 'rejected', 'bias found', 'lead');
      expect(rejected).toMatchObject({ status: 'rejected', by: 'lead', reason: 'bias found' });
      expect((await approvalHistory(reg, ref('det@1'))).map((a) => a.status)).toEqual([
        'pending',
        'approved',
        'rejected',
      ]);
    });

    it('diffs graphs and metrics', async () => {
      const d = await diffVersions(reg, ref('det@1'), ref('det@2'));
      expect(d.sameSource).toBe(false);
      expect(d.ops).toEqual([
        { op: 'Relu', a: 1, b: 0 },
        { op: 'Sigmoid', a: 0, b: 1 },
      ]);
      expect(d.metrics).toEqual([
        { name: 'accuracy', a: 0.9, b: 0.93, delta: 0.93 - 0.9 },
        { name: 'loss', a: 0.3 },
      ]);
    });

    it('refuses non-ONNX sources and unknown names with a reason', async () => {
      await expect(
        addVersion(reg, {
          name: 'det',
          source: new TextEncoder().encode('hello, not a model'),
          sourceName: 'x.txt',
        }),
      ).rejects.toThrow(/not an ONNX model/);
      await expect(getVersion(reg, ref('nope@1'))).rejects.toThrow(/no model named 'nope'/);
      await expect(getVersion(reg, ref('det@42'))).rejects.toThrow(/has no version 42/);
      expect((await listVersions(reg, 'det')).length).toBe(2);
    });

    it('compiles signed variants, records benchmarks, verifies, exports and imports', async () => {
      await expect(compileVariant(reg, ref('det@2'), { target: 'wasm' })).rejects.toThrow(/no signing key/);
      const key = await generateKey(reg);
      const variant = await compileVariant(reg, ref('det@2'), { target: 'wasm' });
      expect(variant).toMatchObject({ target: 'wasm', precision: 'fp32' });
      expect(variant.signatures.map((s) => s.keyId)).toEqual([key.keyId]);
      await expect(compileVariant(reg, ref('det@2'), { target: 'wasm' })).rejects.toThrow(/already has/);
      await expect(compileVariant(reg, ref('det@2'), { target: 'jetson' })).rejects.toThrow(
        /cannot compile for jetson/,
      );
      // a second target's variant of the same version, signed by the same key
      const gpuVariant = await compileVariant(reg, ref('det@2'), { target: 'webgpu' });
      expect(gpuVariant).toMatchObject({ target: 'webgpu', precision: 'fp32' });
      expect(gpuVariant.signatures.map((s) => s.keyId)).toEqual([key.keyId]);
      await addBenchmark(reg, variant.id, {
        hardwareId: 'rpi5',
        hardware: 'Raspberry Pi 5, Cortex-A76 4x2.4GHz',
        latencyMedianMs: 1.5,
        latencyP90Ms: 2.1,
        throughput: 650,
        peakMemoryBytes: 1_000_000,
      });
      expect((await listBenchmarks(reg, [variant.id]))[0]).toMatchObject({
        hardwareId: 'rpi5',
        latencyP90Ms: 2.1,
      });
      expect((await verifyVersion(reg, ref('det@2'))).map((r) => r.ok)).toEqual([true, true]);

      const bundle = await exportBundle(reg);
      const other = await openFresh(backend);
      try {
        const summary = await importBundle(other, bundle);
        expect(summary).toMatchObject({ models: ['det'], versionsAdded: 2, variantsAdded: 2 });
        expect(await getVersion(other, ref('det@2'))).toEqual(await getVersion(reg, ref('det@2')));
        expect(await aliasHistory(other, 'det')).toEqual(await aliasHistory(reg, 'det'));
        expect(await approvalHistory(other, ref('det@1'))).toEqual(await approvalHistory(reg, ref('det@1')));
        const imported = await listVariants(other, ref('det@2'));
        expect(imported.map((v) => [v.target, v.artifact])).toEqual([
          ['wasm', variant.artifact],
          ['webgpu', gpuVariant.artifact],
        ]);
        expect((await verifyVersion(other, ref('det@2'))).map((r) => r.ok)).toEqual([true, true]);
        expect((await checkIntegrity(other)).problems).toEqual([]);
        // importing again changes nothing
        expect(await importBundle(other, bundle)).toMatchObject({ versionsAdded: 0, versionsSkipped: 2 });
      } finally {
        await other.close();
      }

      await revokeKey(reg, key.keyId, 'laptop lost');
      const [after] = await verifyVersion(reg, ref('det@2'));
      expect(after!.ok).toBe(false);
      expect(after!.error).toMatch(/revoked key/);
      await expect(compileVariant(reg, ref('det@1'), { target: 'wasm' })).rejects.toThrow(/no signing key/);
    });

    it('passes its integrity check', async () => {
      const report = await checkIntegrity(reg);
      expect(report.problems).toEqual([]);
      expect(report.temps).toEqual([]);
    });
  });
}
