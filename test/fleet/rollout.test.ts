import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../fleet/agent/agent.js';
import { Tensor } from '../../runtime/ort-tensor.js';
import { startAgents } from './agents.js';
import {
  BACKENDS,
  type TestFleet,
  dropTestDatabases,
  eventually,
  settledDeployment,
  modelV,
  nanOnnx,
  publish,
  startFleet,
  suiteTitle,
} from './fixtures.js';

for (const backend of BACKENDS) {
  describe.skipIf(!!backend.skip)(suiteTitle('fleet rollouts with agents', backend), () => {
    let f: TestFleet;
    const agents: Agent[] = [];
    const deploy = async (body: Record<string, unknown>) => {
      const r = await f.api('POST', '/deployments', f.adminToken, body);
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      return r.json.id as number;
    };
    const finished = (id: number) => settledDeployment(f, id, 30_000);
    const onVersion = (group: Agent[], v: number) =>
      eventually(
        async () => (group.every((a) => a.running?.version === v) ? true : undefined),
        30_000,
        `all on v${v}`,
      );

    beforeAll(async () => {
      f = await startFleet(backend);
      await publish(f.reg, 'det', modelV(1));
      await publish(f.reg, 'det', modelV(2));
      await publish(f.reg, 'det', nanOnnx());
      for (const g of ['wave', 'canary']) await f.api('POST', '/groups', f.adminToken, { name: g });
    });
    afterAll(async () => {
      await Promise.all(agents.map((a) => a.stop()));
      await f?.close();
      await dropTestDatabases();
    });

    it('deploys to 20 agents in two waves with a gate and soak between them; a late device gets the version', async () => {
      const group = await startAgents(f, 'wave', 20);
      agents.push(...group);
      for (const a of group) void a.run();
      const first = await deploy({
        group: 'wave',
        model: 'det@1',
        strategy: { kind: 'all-at-once' },
        soakMs: 0,
      });
      expect((await finished(first)).state).toBe('succeeded');
      await onVersion(group, 1);

      const id = await deploy({
        group: 'wave',
        model: 'det@2',
        strategy: { kind: 'waves', percents: [50, 100] },
        soakMs: 300,
      });
      const d = await finished(id);
      expect(d.state, d.reason).toBe('succeeded');
      expect(d.previousVersion).toBe(1);
      expect(d.events.map((e: { kind: string; wave: number }) => `${e.kind}:${e.wave}`)).toEqual([
        'created:0',
        'wave-started:0',
        'gate-passed:0',
        'wave-started:1',
        'gate-passed:1',
        'succeeded:1',
      ]);
      expect(d.events[1].detail).toMatch(/10 of 20 devices/);
      expect(d.events[2].detail).toMatch(/^10\/10 installed, 0 failed/);
      expect(d.events[4].detail).toMatch(/^20\/20 installed, 0 failed/);
      await onVersion(group, 2);
      // the second wave only installed after the first wave's gate passed and its soak ran out
      const gate0 = d.events[2].at as string;
      const wave0Started = Date.parse(d.events[1].at);
      expect(Date.parse(gate0) - wave0Started).toBeGreaterThanOrEqual(300);
      const rows = await f.reg.db.all<{ wave: number; at: string }>(
        `SELECT a.wave, r.at FROM fleet_reports r JOIN fleet_assignments a ON a.device_id = r.device_id AND a.deployment_id = r.deployment_id
         WHERE r.deployment_id = ? AND r.outcome = 'installed'`,
        [id],
      );
      expect(rows.filter((r) => Number(r.wave) === 0)).toHaveLength(10);
      const second = rows.filter((r) => Number(r.wave) === 1);
      expect(second).toHaveLength(10);
      for (const r of second) expect(r.at >= gate0).toBe(true);
      // the registry records where the version went
      const recorded = await f.reg.db.all<{ fleet: string }>(
        "SELECT d.fleet FROM deployments d JOIN variants v ON v.id = d.variant_id WHERE v.model = 'det' AND v.version = 2",
      );
      expect(recorded.map((r) => r.fleet)).toEqual(['wave']);

      const [late] = await startAgents(f, 'wave', 1);
      agents.push(late!);
      expect(await late!.syncOnce()).toMatchObject({ action: 'installed', version: 2 });
      const out = await late!.session!.run({ x: new Tensor('float32', new Float32Array([1, 2, 3]), [1, 3]) });
      expect([...(out.y!.data as Float32Array)]).toEqual([8, 10]); // relu([1,2,3]·[[2,0],[0,2],[2,2]])
    });

    it('rolls a canary whose self-test fails back; no device outside the canary switches', async () => {
      const group = await startAgents(f, 'canary', 6);
      agents.push(...group);
      for (const a of group) void a.run();
      const first = await deploy({
        group: 'canary',
        model: 'det@2',
        strategy: { kind: 'all-at-once' },
        soakMs: 0,
      });
      expect((await finished(first)).state).toBe('succeeded');
      await onVersion(group, 2);

      const id = await deploy({
        group: 'canary',
        model: 'det@3',
        strategy: { kind: 'canary', devices: 1 },
        soakMs: 200,
      });
      const d = await finished(id);
      expect(d.state).toBe('rolled_back');
      expect(d.reason).toMatch(/wave 1 gate failed: 0\/1 installed, 1 failed/);
      expect(d.events.map((e: { kind: string }) => e.kind)).toEqual([
        'created',
        'wave-started',
        'gate-failed',
        'rolled-back',
      ]);
      const reports = await f.reg.db.all<{ device_id: string; outcome: string; reason: string }>(
        'SELECT device_id, outcome, reason FROM fleet_reports WHERE deployment_id = ?',
        [id],
      );
      expect(reports).toHaveLength(1);
      expect(reports[0]!.outcome).toBe('failed');
      expect(reports[0]!.reason).toMatch(/self-test: output 'y' has a non-finite value/);
      // every agent, the canary included, still runs v2, and the server tells them all v2 again
      await new Promise((r) => setTimeout(r, 300));
      for (const a of group) {
        expect(a.running?.version).toBe(2);
        const desired = await f.api('GET', `/devices/${a.deviceId}/desired`, a.identity.credential);
        expect(desired.json.version).toBe(2);
      }
    });
  });
}
