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
    const agents: Agent[] = [];

    beforeAll(async () => {
      f = await startFleet(backend, 25, { monitorIntervalMs: 100, monitorWindowMs: 60_000 });
      await publish(f.reg, 'det', modelV(1));
      await publish(f.reg, 'det', wideOnnx()); // v2 takes [1, 4]: the application's [1, 3] calls fail
      await f.api('POST', '/groups', f.adminToken, { name: 'g' });
    });
    afterAll(async () => {
      await Promise.all(agents.map((a) => a.stop()));
      await f?.close();
      await dropTestDatabases();
    });

    /** Deploy det@1 to `group`, call the model on `list`, deploy det@2 (which breaks the calls): rolled back. */
    async function rollsBackOnRegression(
      group: string,
      list: Agent[],
      telemetryGroup: string,
    ): Promise<void> {
      for (const a of list) void a.run();
      const deploy = async (model: string, soakMs: number) => {
        const r = await f.api('POST', '/deployments', f.adminToken, {
          group,
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
        async () => (list.every((a) => a.running?.version === 1) ? true : undefined),
        30_000,
        'v1',
      );

      // the application calls the model all along; calls on a version that rejects them fail
      let seed = 0;
      let serving = true;
      const traffic = (async () => {
        while (serving) {
          for (const a of list) await inferGaussian(a, 2, seed++).catch(() => undefined);
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      try {
        await eventually(
          async () => {
            const v = await f.api('GET', `/monitoring/versions?group=${telemetryGroup}`, f.readToken);
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
          async () => (list.every((a) => a.running?.version === 1) ? true : undefined),
          30_000,
          'back on v1',
        );
        const alert = await eventually(async () => {
          const r = await f.api('GET', `/alerts?kind=error_rate_regression&group=${group}`, f.readToken);
          return (r.json as Alert[])[0];
        });
        expect(alert).toMatchObject({ model: 'det', version: 2, group, value: 1, threshold: 0.05 });
      } finally {
        serving = false;
        await traffic;
      }
    }

    it("a wave's gate fails on the new version's error-rate regression and the deployment rolls back", async () => {
      const list = await startAgents(f, 'g', 4, 60, { telemetryIntervalMs: 150 });
      agents.push(...list);
      await rollsBackOnRegression('g', list, 'g');
    });

    it("a dynamic group's gate reads its members' telemetry (stored under their static group)", async () => {
      await f.api('POST', '/groups', f.adminToken, { name: 'base' });
      const list = await startAgents(f, 'base', 3, 60, { telemetryIntervalMs: 150, tags: { ring: 'beta' } });
      agents.push(...list);
      const g = await f.api('POST', '/groups', f.adminToken, { name: 'beta', filter: 'tag.ring == "beta"' });
      expect(g.json.devices).toBe(3);
      await rollsBackOnRegression('beta', list, 'base');
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
