import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../fleet/agent/agent.js';
import type { Alert } from '../../fleet/telemetry/types.js';
import { startAgents } from './agents.js';
import {
  BACKENDS,
  type TestFleet,
  dropTestDatabases,
  eventually,
  settledDeployment,
  modelV,
  publish,
  startFleet,
  suiteTitle,
} from './fixtures.js';
import { inferGaussian, wideOnnx } from './monitoring-helpers.js';

for (const backend of BACKENDS) {
  describe.skipIf(!!backend.skip)(suiteTitle('regression health gates', backend), () => {
    let f: TestFleet;
    let agents: Agent[] = [];
    let serving = true;
    let traffic: Promise<void> | undefined;

    beforeAll(async () => {
      f = await startFleet(backend, 25, { monitorIntervalMs: 100, monitorWindowMs: 60_000 });
      await publish(f.reg, 'det', modelV(1));
      await publish(f.reg, 'det', wideOnnx()); // v2 takes [1, 4]: the application's [1, 3] calls fail
      await f.api('POST', '/groups', f.adminToken, { name: 'g' });
    });
    afterAll(async () => {
      serving = false;
      await traffic;
      await Promise.all(agents.map((a) => a.stop()));
      await f?.close();
      await dropTestDatabases();
    });

    it("a wave's gate fails on the new version's error-rate regression and the deployment rolls back", async () => {
      agents = await startAgents(f, 'g', 4, 60, { telemetryIntervalMs: 150 });
      for (const a of agents) void a.run();
      const deploy = async (model: string, soakMs: number) => {
        const r = await f.api('POST', '/deployments', f.adminToken, {
          group: 'g',
          model,
          strategy: { kind: 'all-at-once' },
          soakMs,
          waveTimeoutMs: 60_000,
        });
        expect(r.status, JSON.stringify(r.json)).toBe(201);
        return r.json.id as number;
      };
      const finished = (id: number) => settledDeployment(f, id, 60_000);
      expect((await finished(await deploy('det@1', 0))).state).toBe('succeeded');
      await eventually(
        async () => (agents.every((a) => a.running?.version === 1) ? true : undefined),
        30_000,
        'v1',
      );

      // the application calls the model all along; calls on a version that rejects them fail
      let seed = 0;
      traffic = (async () => {
        while (serving) {
          for (const a of agents) await inferGaussian(a, 2, seed++).catch(() => undefined);
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      await eventually(
        async () => {
          const v = await f.api('GET', '/monitoring/versions?group=g', f.readToken);
          return v.json.find((x: { version: number; runs: number }) => x.version === 1 && x.runs >= 100);
        },
        30_000,
        'v1 telemetry',
      );

      // the soak must leave several telemetry intervals for the new version's runs to arrive
      const d = await finished(await deploy('det@2', 4000));
      expect(d.state).toBe('rolled_back');
      expect(d.reason).toMatch(/gate failed: det@2 error rate 1\.0000 vs 0\.0000 on det@1/);
      expect(d.events.map((e: { kind: string }) => e.kind)).toEqual([
        'created',
        'wave-started',
        'gate-failed',
        'rolled-back',
      ]);
      await eventually(
        async () => (agents.every((a) => a.running?.version === 1) ? true : undefined),
        30_000,
        'back on v1',
      );
      const alert = await eventually(async () => {
        const r = await f.api('GET', '/alerts?kind=error_rate_regression', f.readToken);
        return (r.json as Alert[])[0];
      });
      expect(alert).toMatchObject({ model: 'det', version: 2, group: 'g', value: 1, threshold: 0.05 });
    });

    it('refuses invalid regression thresholds', async () => {
      const r = await f.api('POST', '/deployments', f.adminToken, {
        group: 'g',
        model: 'det@1',
        strategy: { kind: 'all-at-once' },
        maxP95Ratio: 0.5,
      });
      expect(r.status).toBe(400);
      expect(r.json.error).toMatch(/p95 latency ratio 0.5/);
    });
  });
}
