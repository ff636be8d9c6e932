import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BACKENDS,
  type TestFleet,
  dropTestDatabases,
  modelV,
  publish,
  startFleet,
  suiteTitle,
} from './fixtures.js';

for (const backend of BACKENDS) {
  describe.skipIf(!!backend.skip)(suiteTitle('fleet server', backend), () => {
    let f: TestFleet;
    const enroll = async (token: string, name: string) =>
      fetch(`${f.url}/fleet/v1/enroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token, name, target: 'wasm', features: ['simd'], runtimeVersion: '0.1.0' }),
      });
    const newDevice = async (group: string, name: string) => {
      const t = await f.api('POST', '/enrollment-tokens', f.adminToken, { group });
      expect(t.status, JSON.stringify(t.json)).toBe(201);
      const r = await enroll(t.json.token, name);
      expect(r.status).toBe(201);
      return (await r.json()) as {
        deviceId: string;
        credential: string;
        group: string;
        trust: { keys: unknown[] };
      };
    };

    beforeAll(async () => {
      f = await startFleet(backend);
      await publish(f.reg, 'det', modelV(1));
      for (const g of ['lab', 'field'])
        expect((await f.api('POST', '/groups', f.adminToken, { name: g })).status).toBe(201);
    });
    afterAll(async () => {
      await f?.close();
      await dropTestDatabases();
    });

    it('mounts the registry API under /registry/v1', async () => {
      const r = await fetch(`${f.url}/registry/v1/models`, {
        headers: { authorization: `Bearer ${f.readToken}` },
      });
      expect(r.status).toBe(200);
      expect(((await r.json()) as { name: string }[]).map((m) => m.name)).toEqual(['det']);
    });

    it('enrolls a device with a single-use token; a reused or unknown token is refused', async () => {
      const t = await f.api('POST', '/enrollment-tokens', f.adminToken, { group: 'lab' });
      const first = await enroll(t.json.token, 'cam-1');
      expect(first.status).toBe(201);
      const e = (await first.json()) as { credential: string; group: string; trust: { keys: unknown[] } };
      expect(e).toMatchObject({ group: 'lab' });
      expect(e.credential).toMatch(/^kdev_/);
      expect(e.trust.keys).toHaveLength(1);
      const again = await enroll(t.json.token, 'cam-2');
      expect(again.status).toBe(401);
      expect(((await again.json()) as { error: string }).error).toMatch(/already used/);
      expect((await enroll('kenr_nope', 'cam-3')).status).toBe(401);
      // the database holds only hashes of secrets
      const rows = await f.reg.db.all<Record<string, string>>('SELECT * FROM fleet_enrollment_tokens');
      expect(JSON.stringify(rows)).not.toContain(t.json.token);
      const devs = await f.reg.db.all<Record<string, string>>('SELECT * FROM fleet_devices');
      expect(JSON.stringify(devs)).not.toContain(e.credential);
    });

    it('refuses enrollment tokens from read tokens and for unknown groups', async () => {
      expect((await f.api('POST', '/enrollment-tokens', f.readToken, { group: 'lab' })).status).toBe(403);
      const r = await f.api('POST', '/enrollment-tokens', f.adminToken, { group: 'nope' });
      expect(r.status).toBe(404);
      expect(r.json.error).toMatch(/no device group 'nope'/);
    });

    it("gives a device its group's deployed variant and refuses another device's data", async () => {
      const a = await newDevice('lab', 'a');
      const b = await newDevice('field', 'b');
      const none = await f.api('GET', `/devices/${a.deviceId}/desired`, a.credential);
      expect(none.status).toBe(200);
      expect(none.json.variant).toBeUndefined();
      const dep = await f.api('POST', '/deployments', f.adminToken, {
        group: 'lab',
        model: 'det@1',
        strategy: { kind: 'all-at-once' },
        soakMs: 0,
      });
      expect(dep.status, JSON.stringify(dep.json)).toBe(201);
      const d = await f.api('GET', `/devices/${a.deviceId}/desired`, a.credential);
      expect(d.json).toMatchObject({ model: 'det', version: 1, deploymentId: dep.json.id, rollback: false });
      const art = await fetch(`${f.url}/fleet/v1${d.json.variant.artifactUrl}`, {
        headers: { authorization: `Bearer ${a.credential}`, range: 'bytes=0-9' },
      });
      expect(art.status).toBe(206);
      expect(art.headers.get('content-range')).toBe(`bytes 0-9/${d.json.variant.bytes}`);
      const sig = await fetch(`${f.url}/fleet/v1${d.json.variant.signatureUrl}`, {
        headers: { authorization: `Bearer ${a.credential}` },
      });
      expect(sig.status).toBe(200);

      // b: another device, another group
      expect((await f.api('GET', `/devices/${a.deviceId}/desired`, b.credential)).status).toBe(403);
      expect((await f.api('GET', `/devices/${a.deviceId}`, b.credential)).status).toBe(403);
      expect((await f.api('GET', '/devices', b.credential)).status).toBe(403);
      expect((await f.api('GET', `/deployments/${dep.json.id}`, b.credential)).status).toBe(403);
      const foreign = await f.api(
        'GET',
        `/devices/${b.deviceId}/variants/${d.json.variant.id}/artifact`,
        b.credential,
      );
      expect(foreign.status).toBe(403);
      expect(foreign.json.error).toMatch(/never deployed to device/);
      expect((await f.api('GET', `/devices/${b.deviceId}`, b.credential)).json).toMatchObject({
        name: 'b',
        group: 'field',
      });
      expect((await f.api('GET', `/devices/${a.deviceId}/desired`, 'kdev_forged')).status).toBe(401);
    });

    it('refuses a second live deployment and versions without a variant for the group', async () => {
      await publish(f.reg, 'other', modelV(2));
      await f.reg.db.run(
        "DELETE FROM signatures WHERE variant_id IN (SELECT id FROM variants WHERE model = 'other')",
      );
      await f.reg.db.run("DELETE FROM variants WHERE model = 'other'");
      const r = await f.api('POST', '/deployments', f.adminToken, {
        group: 'field',
        model: 'other@1',
        strategy: { kind: 'all-at-once' },
      });
      expect(r.status).toBe(409);
      expect(r.json.error).toMatch(/has no wasm variant/);
      const bad = await f.api('POST', '/deployments', f.adminToken, {
        group: 'field',
        model: 'det@1',
        strategy: { kind: 'waves', percents: [50, 20] },
      });
      expect(bad.status).toBe(400);
      expect(bad.json.error).toMatch(/must increase/);
    });
  });
}
