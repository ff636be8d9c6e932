import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../fleet/agent/agent.js';
import { type ServerProcess, startKilnServer } from '../helpers/server-process.js';
import {
  BACKENDS,
  type TestFleet,
  dropTestDatabases,
  eventually,
  modelV,
  publish,
  startFleet,
} from './fixtures.js';

const pg = BACKENDS.find((b) => b.name === 'postgres')!;

/**
 * Two `kiln serve` processes on one PostgreSQL database (and one blob folder), as behind a load
 * balancer: half the agents talk to each, the deployment is created through one, and both advance it
 * from the database. Every wave, gate and the end must be recorded exactly once.
 */
describe.skipIf(!!pg.skip)(
  `two server processes on one PostgreSQL${pg.skip ? ` (skipped: ${pg.skip})` : ''}`,
  () => {
    let f: TestFleet;
    const servers: ServerProcess[] = [];
    const agents: Agent[] = [];
    const dirs: string[] = [];
    const api = async (base: string, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${base}/fleet/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${f.adminToken}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : undefined };
    };

    /**
     * Create a two-wave deployment through one server and watch it through the other until it ends:
     * it must succeed with each step recorded exactly once.
     */
    const rollOutInTwoWaves = async (createVia: string, watchVia: string, group: string, model: string) => {
      const created = await api(createVia, 'POST', '/deployments', {
        group,
        model,
        strategy: { kind: 'waves', percents: [50, 100] },
        soakMs: 300,
      });
      expect(created.status, JSON.stringify(created.json)).toBe(201);
      const d = await eventually(
        async () => {
          const r = await api(watchVia, 'GET', `/deployments/${created.json.id}`);
          return r.json.state === 'running' ? undefined : r.json;
        },
        60_000,
        `the rollout of ${model} to ${group} to finish`,
      );
      expect(d.state, d.reason).toBe('succeeded');
      expect(d.events.map((e: { kind: string; wave: number }) => `${e.kind}:${e.wave}`)).toEqual([
        'created:0',
        'wave-started:0',
        'gate-passed:0',
        'wave-started:1',
        'gate-passed:1',
        'succeeded:1',
      ]);
    };
    beforeAll(async () => {
      // the fixture sets up the registry (key, tokens, versions); its own server never advances (0)
      f = await startFleet(pg, 0);
      await publish(f.reg, 'det', modelV(1));
      await publish(f.reg, 'det', modelV(2));
      const args = ['serve', '--home', f.location.home, '--db', f.location.db!, '--port', '0'];
      servers.push(
        ...(await Promise.all([0, 1].map(() => startKilnServer([...args, '--advance-interval-ms', '50'])))),
      );
      await api(servers[0]!.url, 'POST', '/groups', { name: 'lb' });
      for (let i = 0; i < 4; i++) {
        const server = servers[i % 2]!.url;
        const token = (await api(server, 'POST', '/enrollment-tokens', { group: 'lb' })).json.token;
        const dir = mkdtempSync(join(tmpdir(), 'kiln-agent-'));
        dirs.push(dir);
        const a = await Agent.start({ server, dir, enrollmentToken: token, name: `lb-${i}`, pollMs: 60 });
        agents.push(a);
        void a.run();
      }
    }, 300_000); // two tsx-started server processes: slow to start on a loaded 2-core machine
    afterAll(async () => {
      await Promise.all(agents.map((a) => a.stop()));
      for (const s of servers) s.child.kill('SIGTERM');
      await Promise.all(servers.map((s) => s.exited));
      await f?.close();
      await dropTestDatabases();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    it('drives a two-wave rollout to the end through both, each step recorded once', async () => {
      const [a, b] = servers.map((s) => s.url) as [string, string];
      const first = await api(a, 'POST', '/deployments', {
        group: 'lb',
        model: 'det@1',
        strategy: { kind: 'all-at-once' },
        soakMs: 0,
      });
      expect(first.status, JSON.stringify(first.json)).toBe(201);
      await eventually(
        async () =>
          (await api(b, 'GET', `/deployments/${first.json.id}`)).json.state === 'succeeded'
            ? true
            : undefined,
        60_000,
        'v1 everywhere',
      );

      await rollOutInTwoWaves(b, a, 'lb', 'det@2');
      await eventually(
        async () => (agents.every((x) => x.running?.version === 2) ? true : undefined),
        30_000,
        'agents on v2',
      );
      const devices = (await api(b, 'GET', '/devices?group=lb')).json as { current?: { version: number } }[];
      expect(devices.map((x) => x.current?.version)).toEqual([2, 2, 2, 2]);
      for (const s of servers) expect(s.child.exitCode, s.output().slice(-2000)).toBeNull();
    }, 120_000);

    it('agree on tags and dynamic groups: tagged through one, grouped and deployed through the other', async () => {
      const [a, b] = servers.map((s) => s.url) as [string, string];
      await publish(f.reg, 'det', modelV(3));
      // lb-0 polls server a, lb-1 server b
      for (const x of [agents[0]!, agents[1]!]) {
        const t = await api(a, 'PATCH', `/devices/${x.deviceId}/tags`, { set: { ring: 'beta' } });
        expect(t.status, JSON.stringify(t.json)).toBe(200);
      }
      const g = await api(b, 'POST', '/groups', { name: 'beta', filter: 'tag.ring == "beta"' });
      expect(g.json.devices).toBe(2);
      await rollOutInTwoWaves(a, b, 'beta', 'det@3');
      const versions = () => agents.map((x) => x.running?.version).join(',');
      await eventually(async () => (versions() === '3,3,2,2' ? true : undefined), 30_000, 'beta on v3');

      // tagged out through server b: lb-0 (polling server a) goes back to v2
      const out = await api(b, 'PATCH', `/devices/${agents[0]!.deviceId}/tags`, { remove: ['ring'] });
      expect(out.json.left).toEqual(['beta']);
      await eventually(async () => (versions() === '2,3,2,2' ? true : undefined), 30_000, 'lb-0 back on v2');
      const listed = (await api(a, 'GET', '/devices?group=beta')).json as { id: string }[];
      expect(listed.map((x) => x.id)).toEqual([agents[1]!.deviceId]);
      for (const s of servers) expect(s.child.exitCode, s.output().slice(-2000)).toBeNull();
    }, 120_000);
  },
);
