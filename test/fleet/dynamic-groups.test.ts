import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../fleet/agent/agent.js';
import { startAgents } from './agents.js';
import {
  BACKENDS,
  type TestFleet,
  dropTestDatabases,
  eventually,
  modelV,
  publish,
  settledDeployment,
  startFleet,
  suiteTitle,
} from './fixtures.js';

const BERLIN = 'target == "wasm" and tag.site == "berlin" and runtime >= "0.1.0"';

for (const backend of BACKENDS) {
  describe.skipIf(!!backend.skip)(suiteTitle('device tags and dynamic groups', backend), () => {
    let f: TestFleet;
    const agents: Agent[] = [];
    // cams: berlin-a (site from its enrollment token), berlin-b (asked for at enrollment), paris-a, paris-b
    let berlinA: Agent, berlinB: Agent, parisA: Agent, parisB: Agent;

    const deploy = async (body: Record<string, unknown>) => {
      const r = await f.api('POST', '/deployments', f.adminToken, body);
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      return r.json.id as number;
    };
    const finished = (id: number) => settledDeployment(f, id, 45_000);
    const onVersion = (list: Agent[], v: number) =>
      eventually(
        async () => (list.every((a) => a.running?.version === v) ? true : undefined),
        45_000,
        `${list.map((a) => a.identity.deviceId).join(', ')} on v${v}`,
      );
    const tag = (a: Agent, body: unknown, token = f.adminToken) =>
      f.api('PATCH', `/devices/${a.deviceId}/tags`, token, body);

    beforeAll(async () => {
      f = await startFleet(backend);
      for (const scale of [1, 2, 3]) await publish(f.reg, 'det', modelV(scale));
      await f.api('POST', '/groups', f.adminToken, { name: 'cams' });
      const t = await f.api('POST', '/enrollment-tokens', f.adminToken, {
        group: 'cams',
        tags: { site: 'berlin', tier: 'edge' },
      });
      expect(t.status, JSON.stringify(t.json)).toBe(201);
      expect(t.json.tags).toEqual({ site: 'berlin', tier: 'edge' });
      // the token's tags win over what the device asks for
      [berlinA] = await startAgents(f, 'cams', 1, 60, {
        enrollmentToken: t.json.token,
        name: 'berlin-a',
        tags: { site: 'paris', rack: '7' },
      });
      [berlinB] = await startAgents(f, 'cams', 1, 60, { name: 'berlin-b', tags: { site: 'berlin' } });
      [parisA, parisB] = await startAgents(f, 'cams', 2, 60, { tags: { site: 'paris' } });
      agents.push(berlinA!, berlinB!, parisA!, parisB!);
      for (const a of agents) void a.run();
    });
    afterAll(async () => {
      await Promise.all(agents.map((a) => a.stop()));
      await f?.close();
      await dropTestDatabases();
    });

    it('tags devices at enrollment, lists them with their tags and filters them', async () => {
      const a = await f.api('GET', `/devices/${berlinA.deviceId}`, f.readToken);
      expect(a.json.tags).toEqual({ rack: '7', site: 'berlin', tier: 'edge' });
      const list = await f.api(
        'GET',
        `/devices?filter=${encodeURIComponent('tag.site == "paris"')}`,
        f.readToken,
      );
      expect(list.status).toBe(200);
      expect(list.json.map((d: { id: string }) => d.id).sort()).toEqual(
        [parisA.deviceId, parisB.deviceId].sort(),
      );
      const bad = await f.api(
        'GET',
        `/devices?filter=${encodeURIComponent('tag.site === "x"')}`,
        f.readToken,
      );
      expect(bad.status).toBe(400);
      expect(bad.json.error).toMatch(/invalid filter at position 11 .*unexpected character '='/);
    });

    it('refuses bad tags, bad filters, enrolling into a dynamic group, and devices tagging themselves', async () => {
      const key = await tag(parisA, { set: { 'bad key': 'x' } });
      expect(key.status).toBe(400);
      expect(key.json.error).toMatch(/invalid tag key 'bad key'/);
      const value = await tag(parisA, { set: { site: '' } });
      expect(value.status).toBe(400);
      expect(value.json.error).toMatch(/invalid value for tag 'site'/);
      const reader = await tag(parisA, { set: { site: 'berlin' } }, f.readToken);
      expect(reader.status).toBe(403);
      // a device credential may not tag itself, nor another device
      const self = await tag(parisA, { set: { site: 'berlin' } }, parisA.identity.credential);
      expect(self.status).toBe(403);
      const other = await tag(berlinA, { set: { site: 'paris' } }, parisA.identity.credential);
      expect(other.status).toBe(403);
      // nor slip tags into a report: its schema has no tags, so they are dropped
      const report = await f.api('POST', `/devices/${parisA.deviceId}/reports`, parisA.identity.credential, {
        outcome: 'failed',
        reason: 'x',
        device: { target: 'wasm', features: [], runtimeVersion: '0.1.0', tags: { site: 'berlin' } },
      });
      expect(report.status).toBe(204);
      expect((await f.api('GET', `/devices/${parisA.deviceId}`, f.readToken)).json).toMatchObject({
        tags: { site: 'paris' },
        groups: ['cams'],
      });

      const badFilter = await f.api('POST', '/groups', f.adminToken, {
        name: 'broken',
        filter: 'tag.site == "berlin" and',
      });
      expect(badFilter.status).toBe(400);
      expect(badFilter.json.error).toMatch(/invalid filter at position 24 .*found the end/);
      expect((await f.api('GET', '/groups', f.readToken)).json.map((g: { name: string }) => g.name)).toEqual([
        'cams',
      ]);
    });

    it('evaluates membership again when a device reports different attributes', async () => {
      const g = await f.api('POST', '/groups', f.adminToken, {
        name: 'next-runtime',
        filter: 'runtime >= "0.2.0" and feature.simd == "true"',
      });
      expect(g.json.devices).toBe(0);
      const report = (runtimeVersion: string, features: string[]) =>
        f.api('POST', `/devices/${parisB.deviceId}/reports`, parisB.identity.credential, {
          outcome: 'failed',
          reason: 'attribute test',
          device: { target: 'wasm', features, runtimeVersion },
        });
      expect((await report('0.10.0', ['simd'])).status).toBe(204);
      expect((await f.api('GET', `/devices/${parisB.deviceId}`, f.readToken)).json.groups).toEqual([
        'cams',
        'next-runtime',
      ]);
      expect((await report('0.10.0', [])).status).toBe(204);
      expect((await f.api('GET', `/devices/${parisB.deviceId}`, f.readToken)).json.groups).toEqual(['cams']);
    });

    it('rolls out to a dynamic group: exactly its devices; tagged in later it installs the current version, tagged out it goes back', async () => {
      const base = await deploy({
        group: 'cams',
        model: 'det@1',
        strategy: { kind: 'all-at-once' },
        soakMs: 0,
      });
      expect((await finished(base)).state).toBe('succeeded');
      await onVersion(agents, 1);

      const g = await f.api('POST', '/groups', f.adminToken, { name: 'berlin', filter: BERLIN });
      expect(g.status, JSON.stringify(g.json)).toBe(201);
      expect(g.json).toMatchObject({ name: 'berlin', filter: BERLIN, devices: 2 });
      const enroll = await f.api('POST', '/enrollment-tokens', f.adminToken, { group: 'berlin' });
      expect(enroll.status).toBe(400);
      expect(enroll.json.error).toMatch(/group 'berlin' is dynamic/);

      const id = await deploy({
        group: 'berlin',
        model: 'det@2',
        strategy: { kind: 'waves', percents: [50, 100] },
        soakMs: 100,
      });
      const d = await finished(id);
      expect(d.state, d.reason).toBe('succeeded');
      expect(d.previousVersion).toBeUndefined(); // the group's first deployment
      await onVersion([berlinA, berlinB], 2);
      const assigned = await f.reg.db.all<{ device_id: string }>(
        'SELECT device_id FROM fleet_assignments WHERE deployment_id = ? ORDER BY device_id',
        [id],
      );
      expect(assigned.map((r) => r.device_id)).toEqual([berlinA.deviceId, berlinB.deviceId].sort());
      // none outside: the paris cams never heard of det@2, and may not download it
      await new Promise((r) => setTimeout(r, 300));
      for (const a of [parisA, parisB]) {
        expect(a.running?.version).toBe(1);
        const desired = await f.api('GET', `/devices/${a.deviceId}/desired`, a.identity.credential);
        expect(desired.json).toMatchObject({ version: 1, deploymentId: base, group: 'cams' });
      }
      const reports = await f.reg.db.all<{ device_id: string }>(
        'SELECT DISTINCT device_id FROM fleet_reports WHERE deployment_id = ?',
        [id],
      );
      expect(reports.map((r) => r.device_id).sort()).toEqual([berlinA.deviceId, berlinB.deviceId].sort());
      const v2 = (await f.api('GET', `/devices/${berlinA.deviceId}/desired`, berlinA.identity.credential))
        .json.variant;
      const stolen = await f.api(
        'GET',
        `/devices/${parisA.deviceId}/variants/${v2.id}/artifact`,
        parisA.identity.credential,
      );
      expect(stolen.status).toBe(403);

      // tagged into the group after the rollout finished: it gets the group's current version
      const joined = await tag(parisA, { set: { site: 'berlin' } });
      expect(joined.status, JSON.stringify(joined.json)).toBe(200);
      expect(joined.json).toMatchObject({ joined: ['berlin'], left: [], groups: ['cams', 'berlin'] });
      await onVersion([parisA], 2);
      expect((await f.api('GET', '/groups', f.readToken)).json).toEqual(
        expect.arrayContaining([expect.objectContaining({ name: 'berlin', devices: 3 })]),
      );

      // tagged out: it stops following the group and goes back to its static group's version,
      // which the agent accepts as a signed rollback
      const left = await tag(berlinB, { remove: ['site'] });
      expect(left.json).toMatchObject({ joined: [], left: ['berlin'], groups: ['cams'] });
      expect(left.json.tags).toEqual({});
      // (an agent only goes back with a valid signed rollback order, agent.test.ts; the order must
      // be newer than the deployment that installed v2, so this downgrade is the real check)
      await onVersion([berlinB], 1);
      // the agent switches, then reports
      await eventually(
        async () => {
          const r = await f.reg.db.get<{ deployment_id: number; version: number }>(
            "SELECT deployment_id, version FROM fleet_reports WHERE device_id = ? AND outcome = 'installed' ORDER BY id DESC LIMIT 1",
            [berlinB.deviceId],
          );
          return Number(r?.deployment_id) === base && Number(r?.version) === 1 ? true : undefined;
        },
        20_000,
        'the report of the rollback to v1',
      );
      // ...and no longer reads the group's artifacts
      const gone = await f.api(
        'GET',
        `/devices/${berlinB.deviceId}/variants/${v2.id}/artifact`,
        berlinB.identity.credential,
      );
      expect(gone.status).toBe(403);
      await onVersion([berlinA, parisA], 2);
      expect(parisB.running?.version).toBe(1);
    });

    it('refuses a deployment that overlaps a live one; a device tagged out during a rollout leaves its gate', async () => {
      // berlin: berlin-a and paris-a; a slow rollout holds it live
      const id = await deploy({
        group: 'berlin',
        model: 'det@3',
        strategy: { kind: 'all-at-once' },
        soakMs: 60_000,
        waveTimeoutMs: 120_000,
      });
      await onVersion([berlinA, parisA], 3);
      const overlap = await f.api('POST', '/deployments', f.adminToken, {
        group: 'cams',
        model: 'det@3',
        strategy: { kind: 'all-at-once' },
      });
      expect(overlap.status).toBe(409);
      expect(overlap.json.error).toMatch(
        new RegExp(
          `group 'cams' shares 2 device\\(s\\) \\(e\\.g\\. '.+'\\) with group 'berlin', whose deployment ${id} is running`,
        ),
      );

      // tagged out mid-rollout: its assignment goes, so it no longer counts in the wave
      const left = await tag(parisA, { set: { site: 'paris' } });
      expect(left.json.left).toEqual(['berlin']);
      await eventually(
        async () => {
          const d = await f.api('GET', `/deployments/${id}`, f.readToken);
          expect(d.json.health.released).toBe(1);
          return d.json.health.installed === 1 ? true : undefined;
        },
        20_000,
        "berlin-a's report",
      );
      await onVersion([parisA], 1);
      await onVersion([berlinA], 3);

      const aborted = await f.api('POST', `/deployments/${id}/abort`, f.adminToken);
      expect(aborted.json.state).toBe('aborted');
      await onVersion([berlinA], 2);
    });
  });
}
