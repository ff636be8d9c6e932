import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../helpers/paths.js';
import {
  BACKENDS,
  type TestFleet,
  dropTestDatabases,
  eventually,
  modelV,
  publish,
  startFleet,
  suiteTitle,
} from './fixtures.js';

const WORKER = join(PROJECT_ROOT, 'test/fleet/workers/advance-loop.ts');

interface Device {
  deviceId: string;
  credential: string;
}

for (const backend of BACKENDS) {
  describe.skipIf(!!backend.skip)(suiteTitle('fleet deployment states', backend), () => {
    let f: TestFleet;
    let groupN = 0;
    const group = async (devices: number): Promise<{ name: string; devices: Device[] }> => {
      const name = `g${++groupN}`;
      await f.api('POST', '/groups', f.adminToken, { name });
      const out: Device[] = [];
      for (let i = 0; i < devices; i++) {
        const t = await f.api('POST', '/enrollment-tokens', f.adminToken, { group: name });
        const r = await fetch(`${f.url}/fleet/v1/enroll`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            token: t.json.token,
            name: `d${i}`,
            target: 'wasm',
            features: [],
            runtimeVersion: '0',
          }),
        });
        out.push((await r.json()) as Device);
      }
      return { name, devices: out };
    };
    const desired = async (d: Device) =>
      (await f.api('GET', `/devices/${d.deviceId}/desired`, d.credential)).json;
    /** Each device acts as an agent would: reports on what its desired state says. */
    const reportAll = async (devices: Device[], outcome: (d: Device) => 'installed' | 'failed') => {
      for (const d of devices) {
        const s = await desired(d);
        if (s.version === undefined) continue;
        const r = await f.api('POST', `/devices/${d.deviceId}/reports`, d.credential, {
          deploymentId: s.deploymentId,
          model: s.model,
          version: s.version,
          outcome: outcome(d),
        });
        expect(r.status).toBe(204);
      }
    };
    const get = async (id: number) => (await f.api('GET', `/deployments/${id}`, f.readToken)).json;
    const deploy = async (name: string, version: number, extra: Record<string, unknown> = {}) => {
      const r = await f.api('POST', '/deployments', f.adminToken, {
        group: name,
        model: `det@${version}`,
        strategy: { kind: 'all-at-once' },
        soakMs: 0,
        ...extra,
      });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      return r.json.id as number;
    };
    const state = (id: number, want: string) =>
      eventually(
        async () => ((await get(id)).state === want ? true : undefined),
        10_000,
        `deployment ${id} ${want}`,
      );

    beforeAll(async () => {
      f = await startFleet(backend, 20);
      await publish(f.reg, 'det', modelV(1));
      await publish(f.reg, 'det', modelV(2));
    });
    afterAll(async () => {
      await f?.close();
      await dropTestDatabases();
    });

    it('pause holds the next wave, resume releases it, abort sends everyone back to the previous version', async () => {
      const g = await group(4);
      const base = await deploy(g.name, 1);
      await reportAll(g.devices, () => 'installed');
      await state(base, 'succeeded');
      const id = await deploy(g.name, 2, { strategy: { kind: 'waves', percents: [25, 50, 100] } });
      expect((await f.api('POST', `/deployments/${id}/pause`, f.adminToken)).json.state).toBe('paused');
      await reportAll(g.devices, () => 'installed');
      await new Promise((r) => setTimeout(r, 150)); // several advance() ticks while paused
      expect(await get(id)).toMatchObject({
        state: 'paused',
        wave: 0,
        health: { released: 1, installed: 1 },
      });
      expect((await f.api('POST', `/deployments/${id}/pause`, f.adminToken)).status).toBe(409);
      await f.api('POST', `/deployments/${id}/resume`, f.adminToken);
      await eventually(async () => ((await get(id)).wave === 1 ? true : undefined));
      const versions = await Promise.all(g.devices.map(async (d) => (await desired(d)).version));
      expect(versions.sort()).toEqual([1, 1, 2, 2]);
      const aborted = await f.api('POST', `/deployments/${id}/abort`, f.adminToken);
      expect(aborted.json).toMatchObject({ state: 'aborted', reason: 'aborted by ops' });
      const after = await Promise.all(g.devices.map(desired));
      expect(after.map((s) => s.version)).toEqual([1, 1, 1, 1]);
      // only the device that reported v2 installed is told this is a rollback (so it may go back)
      expect(after.filter((s) => s.rollback)).toHaveLength(1);
      expect((await get(id)).events.map((e: { kind: string }) => e.kind)).toEqual([
        'created',
        'wave-started',
        'paused',
        'resumed',
        'gate-passed',
        'wave-started',
        'aborted',
      ]);
    });

    it('a device that enrolls during a rollout joins its last wave and ends on the new version', async () => {
      const g = await group(2);
      const base = await deploy(g.name, 1);
      await reportAll(g.devices, () => 'installed');
      await state(base, 'succeeded');
      const id = await deploy(g.name, 2, { strategy: { kind: 'waves', percents: [50, 100] } });
      await f.api('POST', `/deployments/${id}/pause`, f.adminToken);
      const t = await f.api('POST', '/enrollment-tokens', f.adminToken, { group: g.name });
      const r = await fetch(`${f.url}/fleet/v1/enroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          token: t.json.token,
          name: 'late',
          target: 'wasm',
          features: [],
          runtimeVersion: '0',
        }),
      });
      const late = (await r.json()) as Device;
      await eventually(async () => {
        const a = await f.reg.db.get<{ wave: number }>(
          'SELECT wave FROM fleet_assignments WHERE deployment_id = ? AND device_id = ?',
          [id, late.deviceId],
        );
        return a ? Number(a.wave) : undefined;
      }).then((wave) => expect(wave).toBe(1));
      expect((await desired(late)).version).toBe(1); // the group's current version until its wave
      await f.api('POST', `/deployments/${id}/resume`, f.adminToken);
      const all = [...g.devices, late];
      for (let i = 0; i < 50 && (await get(id)).state === 'running'; i++) {
        await reportAll(all, () => 'installed');
        await new Promise((res) => setTimeout(res, 20));
      }
      expect((await get(id)).state).toBe('succeeded');
      expect((await get(id)).events.at(-2).detail).toMatch(/^3\/3 installed/);
      expect((await desired(late)).version).toBe(2);
    });

    it('a wave that does not report in time rolls back; a pause that outlives its timeout aborts', async () => {
      const g = await group(2);
      const id = await deploy(g.name, 1, { waveTimeoutMs: 200 });
      await state(id, 'rolled_back');
      expect((await get(id)).reason).toMatch(/wave 1 timed out: 0\/2 installed, 0 failed/);

      const p = await deploy(g.name, 1);
      await f.api('POST', `/deployments/${p}/pause`, f.adminToken);
      await f.reg.db.run('UPDATE fleet_deployments SET deadline = ? WHERE id = ?', [
        new Date(Date.now() - 1000).toISOString(),
        p,
      ]);
      await state(p, 'aborted');
      expect((await get(p)).reason).toMatch(/paused longer than its timeout/);
    });

    it('tolerates failures up to maxFailureRate, and a canary percentage reaches at least one device', async () => {
      const g = await group(5);
      const id = await deploy(g.name, 1, { strategy: { kind: 'canary', percent: 10 }, maxFailureRate: 0.4 });
      expect((await get(id)).health).toEqual({ released: 1, installed: 0, failed: 0 });
      await reportAll(g.devices, () => 'installed');
      await eventually(async () => ((await get(id)).wave === 1 ? true : undefined));
      await reportAll(g.devices, (d) => (d === g.devices[0] || d === g.devices[1] ? 'failed' : 'installed'));
      const d = await eventually(async () => {
        const x = await get(id);
        return x.state === 'running' ? undefined : x;
      });
      // the canary device may be one of the two that fail at the end; either way 2 of 5 = 0.4 ≤ 0.4
      expect(d.state).toBe('succeeded');
    });

    it('advance() in several processes on one database moves each deployment exactly once', async () => {
      const g = await group(3);
      // two more "server processes" on the same database, besides this server's own timer
      const workers = [0, 1].map(() => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', WORKER, f.location.home, ...(f.location.db ? [f.location.db] : [])],
          { cwd: PROJECT_ROOT },
        );
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (out += d));
        const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
        return { child, output: () => out, exited };
      });
      try {
        await eventually(
          async () => (workers.every((w) => w.output().includes('ready')) ? true : undefined),
          60_000,
          'workers',
        );
        const id = await deploy(g.name, 2, { strategy: { kind: 'waves', percents: [34, 100] } });
        for (let round = 0; round < 100 && (await get(id)).state === 'running'; round++) {
          await reportAll(g.devices, () => 'installed');
          await new Promise((r) => setTimeout(r, 20));
        }
        const d = await get(id);
        expect(d.state).toBe('succeeded');
        expect(d.events.map((e: { kind: string; wave: number }) => `${e.kind}:${e.wave}`)).toEqual([
          'created:0',
          'wave-started:0',
          'gate-passed:0',
          'wave-started:1',
          'gate-passed:1',
          'succeeded:1',
        ]);
      } finally {
        for (const w of workers) w.child.stdin.end();
        const codes = await Promise.all(workers.map((w) => w.exited));
        expect(codes, workers.map((w) => w.output()).join('\n')).toEqual([0, 0]);
      }
    });
  });
}
