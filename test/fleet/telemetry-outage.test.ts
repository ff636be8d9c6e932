import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../fleet/agent/agent.js';
import { buildFleetServer } from '../../fleet/server/app.js';
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
import { inferGaussian } from './monitoring-helpers.js';

const CAP = 3000;

for (const backend of BACKENDS) {
  describe.skipIf(!!backend.skip)(suiteTitle('telemetry through a server outage', backend), () => {
    let f: TestFleet;
    let restarted: FastifyInstance | undefined;
    const dir = mkdtempSync(join(tmpdir(), 'kiln-agent-outage-'));
    const agents: Agent[] = [];

    beforeAll(async () => {
      f = await startFleet(backend, 25, { monitorIntervalMs: 0 });
      await publish(f.reg, 'det', modelV(1));
      await f.api('POST', '/groups', f.adminToken, { name: 'edge' });
    });
    afterAll(async () => {
      for (const a of agents) await a.stop().catch(() => undefined);
      if (restarted) {
        await restarted.close();
        await f.reg.close();
      } else await f?.close();
      await dropTestDatabases();
      rmSync(dir, { recursive: true, force: true });
    });

    it('spools batches on disk while the server is down (capped, oldest dropped and counted), across an agent restart, and delivers them once it is back', async () => {
      const token = await f.api('POST', '/enrollment-tokens', f.adminToken, { group: 'edge' });
      const options = {
        server: f.url,
        dir,
        telemetryIntervalMs: 3_600_000, // only the explicit flushes below send
        telemetrySpoolBytes: CAP,
      };
      const first = await Agent.start({ ...options, enrollmentToken: token.json.token, name: 'edge-0' });
      agents.push(first);
      const dep = await f.api('POST', '/deployments', f.adminToken, {
        group: 'edge',
        model: 'det@1',
        strategy: { kind: 'all-at-once' },
        soakMs: 0,
      });
      expect(dep.status).toBe(201);
      await eventually(
        async () => ((await first.syncOnce()).action === 'current' ? true : undefined),
        20_000,
        'v1 installed',
      );

      await inferGaussian(first, 30, 1);
      expect(await first.flushTelemetry()).toEqual({ sent: 1, spooled: 0 });

      const port = Number(new URL(f.url).port);
      await f.app.close(); // the outage
      const rounds = 12;
      // round i runs 5 + i times, so the total that arrives says which batches were kept
      const runsOf = (i: number) => 5 + i;
      for (let i = 0; i < rounds - 1; i++) {
        await inferGaussian(first, runsOf(i), 100 + i);
        const r = await first.flushTelemetry();
        expect(r.sent).toBe(0);
        expect(r.error).toBeDefined();
      }
      await inferGaussian(first, runsOf(rounds - 1), 200);
      await first.stop(); // its last batch goes to the spool too
      agents.pop();

      const second = await Agent.start(options); // a restart: the spool is read back from disk
      agents.push(second);
      const onDisk = await second.spool.size();
      const dropped = await second.spool.dropped();
      expect(onDisk.bytes).toBeLessThanOrEqual(CAP);
      expect(dropped).toBeGreaterThan(0);
      expect(onDisk.batches).toBeGreaterThan(0);
      expect(onDisk.batches + dropped).toBe(rounds);

      restarted = await buildFleetServer({ registry: f.reg, advanceIntervalMs: 25, monitorIntervalMs: 0 });
      await restarted.listen({ host: '127.0.0.1', port });
      const sent = await second.flushTelemetry();
      expect(sent).toEqual({ sent: onDisk.batches, spooled: 0 });
      expect(await second.spool.size()).toEqual({ batches: 0, bytes: 0 });
      expect(await second.spool.dropped()).toBe(0);

      // the oldest were dropped: what arrived is the newest onDisk.batches rounds
      let newest = 0;
      for (let i = rounds - onDisk.batches; i < rounds; i++) newest += runsOf(i);
      const versions = await f.api('GET', '/monitoring/versions?group=edge', f.readToken);
      expect(versions.json).toHaveLength(1);
      expect(versions.json[0]).toMatchObject({
        model: 'det',
        version: 1,
        runs: 30 + newest,
        errors: 0,
      });
      const device = await f.api('GET', `/devices/${second.deviceId}`, f.readToken);
      expect(device.json.telemetryDropped).toBe(dropped);
    });
  });
}
