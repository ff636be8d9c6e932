import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../fleet/agent/agent.js';
import { emptyLatency, recordLatency } from '../../fleet/telemetry/latency-histogram.js';
import type { Alert, TelemetryBatch } from '../../fleet/telemetry/types.js';
import { startAgents } from './agents.js';
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
import { inferGaussian, webhookReceiver } from './monitoring-helpers.js';
import { gaussian } from './telemetry/gaussian.js';

for (const backend of BACKENDS) {
  describe.skipIf(!!backend.skip)(suiteTitle('fleet monitoring: drift alerts per group', backend), () => {
    let f: TestFleet;
    let hook: Awaited<ReturnType<typeof webhookReceiver>>;
    const agents: Agent[] = [];

    beforeAll(async () => {
      hook = await webhookReceiver();
      f = await startFleet(backend, 25, {
        monitorIntervalMs: 100,
        monitorWindowMs: 60_000,
        alertWebhook: hook.url,
      });
      await publish(f.reg, 'det', modelV(1));
      for (const g of ['steady', 'shifted']) await f.api('POST', '/groups', f.adminToken, { name: g });
    });
    afterAll(async () => {
      await Promise.all(agents.map((a) => a.stop()));
      await f?.close();
      await hook?.close();
      await dropTestDatabases();
    });

    it('records a baseline from sample data over the API and refuses bad uploads', async () => {
      const data = Array.from(gaussian(3000 * 3, 100));
      const put = await f.api('PUT', '/monitoring/baselines/det/1', f.adminToken, {
        inputs: { x: { dims: [3000, 3], data } },
      });
      expect(put.status, JSON.stringify(put.json)).toBe(201);
      expect(put.json.inputs.x.channels).toHaveLength(3);
      expect(put.json.inputs.x.channels[0].edges).toHaveLength(11);
      const got = await f.api('GET', '/monitoring/baselines/det/1', f.readToken);
      expect(got.json).toEqual(put.json);
      const ro = await f.api('PUT', '/monitoring/baselines/det/1', f.readToken, {
        inputs: { x: { dims: [1], data: [1] } },
      });
      expect(ro.status).toBe(403);
      const wrong = await f.api('PUT', '/monitoring/baselines/det/1', f.adminToken, {
        inputs: { nope: { dims: [1], data: [1] } },
      });
      expect(wrong.status).toBe(400);
      expect(wrong.json.error).toMatch(/no input 'nope'/);
      const short = await f.api('PUT', '/monitoring/baselines/det/1', f.adminToken, {
        inputs: { x: { dims: [4, 3], data: [1] } },
      });
      expect(short.status).toBe(400);
      expect((await f.api('GET', '/monitoring/baselines/det/9', f.readToken)).status).toBe(404);
    });

    it('drift injected into one group raises a drift alert for that group only, POSTed to the webhook; alerts list and ack', async () => {
      const steady = await startAgents(f, 'steady', 3, 60, { telemetryIntervalMs: 150 });
      const shifted = await startAgents(f, 'shifted', 3, 60, { telemetryIntervalMs: 150 });
      agents.push(...steady, ...shifted);
      for (const a of agents) void a.run();
      for (const g of ['steady', 'shifted']) {
        const d = await f.api('POST', '/deployments', f.adminToken, {
          group: g,
          model: 'det@1',
          strategy: { kind: 'all-at-once' },
          soakMs: 0,
        });
        expect(d.status, JSON.stringify(d.json)).toBe(201);
      }
      await eventually(
        async () => (agents.every((a) => a.running?.version === 1) ? true : undefined),
        30_000,
        'v1 everywhere',
      );
      // the desired state carries the baseline's bins, so the agents bin inputs over its deciles
      const desired = await f.api(
        'GET',
        `/devices/${steady[0]!.deviceId}/desired`,
        steady[0]!.identity.credential,
      );
      expect(desired.json.telemetry.bins.x.channels).toHaveLength(3);

      await Promise.all([
        ...steady.map((a, i) => inferGaussian(a, 150, 10 + i, 0)),
        ...shifted.map((a, i) => inferGaussian(a, 150, 20 + i, 1.5)), // the injected drift: +1.5 σ
      ]);
      await Promise.all(agents.map((a) => a.flushTelemetry()));

      const drift = await eventually(
        async () => {
          const r = await f.api('GET', '/alerts?state=open&kind=drift', f.readToken);
          return r.json.length >= 3 ? (r.json as Alert[]) : undefined;
        },
        30_000,
        'drift alerts',
      );
      expect(new Set(drift.map((a) => a.group))).toEqual(new Set(['shifted']));
      expect(drift.map((a) => a.channel).sort()).toEqual([0, 1, 2]);
      for (const a of drift) {
        expect(a).toMatchObject({
          kind: 'drift',
          model: 'det',
          version: 1,
          input: 'x',
          state: 'open',
          threshold: 0.2,
        });
        expect(a.value).toBeGreaterThan(0.2);
      }
      const current = await f.api('GET', '/monitoring/drift?model=det&version=1&group=steady', f.readToken);
      expect(current.json.baseline.source).toBe('data');
      expect(current.json.channels).toHaveLength(3);
      for (const c of current.json.channels) {
        expect(c.count).toBe(450);
        expect(c.psi).toBeLessThan(0.2);
        expect(c.drifted).toBe(false);
      }
      expect((await f.api('GET', '/alerts?group=steady', f.readToken)).json).toEqual([]);

      await eventually(async () => (hook.received.length >= 3 ? true : undefined), 10_000, 'webhook POSTs');
      expect(new Set((hook.received as Alert[]).map((a) => a.id))).toEqual(new Set(drift.map((a) => a.id)));

      const first = drift[0]!;
      expect((await f.api('POST', `/alerts/${first.id}/ack`, f.readToken)).status).toBe(403);
      const acked = await f.api('POST', `/alerts/${first.id}/ack`, f.adminToken);
      expect(acked.status).toBe(200);
      expect(acked.json).toMatchObject({ id: first.id, state: 'acked', ackedBy: 'ops' });
      expect(
        (await f.api('GET', '/alerts?state=open', f.readToken)).json.map((a: Alert) => a.id),
      ).not.toContain(first.id);
      expect((await f.api('GET', '/alerts?state=acked', f.readToken)).json.map((a: Alert) => a.id)).toEqual([
        first.id,
      ]);
      expect((await f.api('POST', '/alerts/999999/ack', f.adminToken)).status).toBe(404);

      const until = Date.now() + 1000;
      const series = await f.api(
        'GET',
        `/monitoring/versions/det/1?group=shifted&since=${until - 120_000}&until=${until}&step=120000`,
        f.readToken,
      );
      expect(series.status).toBe(200);
      expect(series.json.windows).toHaveLength(1);
      const w = series.json.windows[0];
      expect(w).toMatchObject({ runs: 450, errors: {}, errorRate: 0, devices: 3 });
      expect(w.latency.count).toBe(450);
      expect(w.latency.p50).toBeGreaterThan(0);
      expect(w.latency.p99).toBeGreaterThanOrEqual(w.latency.p50);
      expect(w.drift.every((d: { drifted: boolean }) => d.drifted)).toBe(true);
      const versions = await f.api('GET', '/monitoring/versions', f.readToken);
      expect(versions.json).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            model: 'det',
            version: 1,
            group: 'steady',
            runs: 450,
            errors: 0,
            devices: 3,
          }),
          expect.objectContaining({ model: 'det', version: 1, group: 'shifted', runs: 450, devices: 3 }),
        ]),
      );
    });

    it('stores a resent batch once and refuses malformed batches', async () => {
      const device = agents[0]!;
      const latency = emptyLatency();
      recordLatency(latency, 2);
      const batch: TelemetryBatch = {
        id: '00000000-0000-4000-8000-000000000001',
        model: 'det',
        version: 1,
        variantId: 1,
        start: Date.now() - 1000,
        end: Date.now(),
        runs: 2,
        errors: { KilnError: 1 },
        latency,
        inputs: {},
      };
      const cred = device.identity.credential;
      const post = (body: unknown) => f.api('POST', `/devices/${device.deviceId}/telemetry`, cred, body);
      const before = await f.api('GET', '/monitoring/versions?group=steady', f.readToken);
      for (let i = 0; i < 2; i++) expect((await post({ batches: [batch], dropped: 0 })).status).toBe(204);
      const after = await f.api('GET', '/monitoring/versions?group=steady', f.readToken);
      expect(after.json[0].runs).toBe(before.json[0].runs + 2);
      expect(after.json[0].errors).toBe(before.json[0].errors + 1);
      const bad = await post({ batches: [{ ...batch, id: 'x2', runs: 5 }], dropped: 0 });
      expect(bad.status).toBe(400);
      expect(bad.json.error).toMatch(/5 runs but 1 errors and 1 latency samples/);
      expect(
        (await post({ batches: [{ ...batch, id: 'x3', latency: { counts: [1], sumMs: 1 } }], dropped: 0 }))
          .status,
      ).toBe(400);
      // another device's credential may not post for this one
      expect(
        (await f.api('POST', `/devices/${agents[1]!.deviceId}/telemetry`, cred, { batches: [], dropped: 0 }))
          .status,
      ).toBe(403);
    });
  });
}
