import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../fleet/agent/agent.js';
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

for (const backend of BACKENDS) {
  describe.skipIf(!!backend.skip)(suiteTitle('rolling a group back', backend), () => {
    let f: TestFleet;
    const agents: Agent[] = [];
    const finished = (id: number) => settledDeployment(f, id, 30_000);
    const deploy = async (model: string, strategy: object = { kind: 'all-at-once' }) => {
      const r = await f.api('POST', '/deployments', f.adminToken, {
        group: 'rb',
        model,
        strategy,
        soakMs: 0,
      });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      return r.json.id as number;
    };

    beforeAll(async () => {
      f = await startFleet(backend);
      for (const s of [1, 2, 3]) await publish(f.reg, 'det', modelV(s));
      await f.api('POST', '/groups', f.adminToken, { name: 'rb' });
      agents.push(...(await startAgents(f, 'rb', 3)));
      for (const a of agents) void a.run();
    });
    afterAll(async () => {
      await Promise.all(agents.map((a) => a.stop()));
      await f?.close();
      await dropTestDatabases();
    });

    it('refuses with a reason when there is nothing to roll back to', async () => {
      const none = await f.api('POST', '/groups/rb/rollback', f.adminToken, {});
      expect(none.status).toBe(409);
      expect(none.json.error).toMatch(/no completed deployment/);
      expect((await finished(await deploy('det@1'))).state).toBe('succeeded');
      const first = await f.api('POST', '/groups/rb/rollback', f.adminToken, {});
      expect(first.status).toBe(409);
      expect(first.json.error).toMatch(/det@1, its first version/);
      const missing = await f.api('POST', '/groups/nope/rollback', f.adminToken, {});
      expect(missing.status).toBe(404);
      const reader = await f.api('POST', '/groups/rb/rollback', f.readToken, {});
      expect(reader.status).toBe(403);
    });

    it('sends every device back to the previous version, which the agents accept as a rollback', async () => {
      expect((await finished(await deploy('det@2'))).state).toBe('succeeded');
      expect((await finished(await deploy('det@3'))).state).toBe('succeeded');
      await eventually(async () => (agents.every((a) => a.running?.version === 3) ? true : undefined));

      const r = await f.api('POST', '/groups/rb/rollback', f.adminToken, {});
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      expect(r.json).toMatchObject({ model: 'det', version: 2, previousVersion: 3 });
      expect(r.json.events[0].detail).toMatch(/rollback from det@3/);
      const d = await finished(r.json.id);
      expect(d.state, d.reason).toBe('succeeded');
      await eventually(async () => (agents.every((a) => a.running?.version === 2) ? true : undefined));

      // now the group's previous version is the newer 3: the default target is refused, --to works
      const again = await f.api('POST', '/groups/rb/rollback', f.adminToken, {});
      expect(again.status).toBe(400);
      expect(again.json.error).toMatch(/cannot roll 'rb' back to version 3/);
      const to1 = await f.api('POST', '/groups/rb/rollback', f.adminToken, { to: 1 });
      expect(to1.status, JSON.stringify(to1.json)).toBe(201);
      expect((await finished(to1.json.id)).state).toBe('succeeded');
      await eventually(async () => (agents.every((a) => a.running?.version === 1) ? true : undefined));
    });

    it('points at abort while a deployment is live', async () => {
      const id = await deploy('det@3', { kind: 'canary', devices: 1 });
      await f.api('POST', `/deployments/${id}/pause`, f.adminToken);
      const r = await f.api('POST', '/groups/rb/rollback', f.adminToken, {});
      expect(r.status).toBe(409);
      expect(r.json.error).toMatch(new RegExp(`live deployment ${id}`));
      expect(r.json.error).toMatch(new RegExp(`expected: kiln fleet abort ${id}`));
      await f.api('POST', `/deployments/${id}/abort`, f.adminToken);
    });
  });
}
