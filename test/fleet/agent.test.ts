import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../fleet/agent/agent.js';
import { type RollbackOrder, rollbackOrderText } from '../../fleet/rollback-order.js';
import { generateSigningKey, loadPrivateKey, signManifest } from '../../registry/signing/keys.js';
import { listKeys } from '../../registry/trust.js';
import { variantFor } from '../../registry/variants.js';
import { readArtifact } from '../../runtime/artifact/artifact.js';
import { Tensor } from '../../runtime/ort-tensor.js';
import { startAgents } from './agents.js';
import {
  BACKENDS,
  type TestFleet,
  dropTestDatabases,
  settledDeployment,
  modelV,
  publish,
  startFleet,
  suiteTitle,
} from './fixtures.js';

/** A man in the middle: forwards to `target`, except that GET …/desired answers `fake()` when set. */
async function replayProxy(target: string, fake: () => unknown): Promise<{ url: string; server: Server }> {
  const t = new URL(target);
  const server = createServer((req, res) => {
    const body = fake();
    if (req.method === 'GET' && req.url?.endsWith('/desired') && body) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      return;
    }
    const upstream = httpRequest(
      { host: t.hostname, port: t.port, path: req.url, method: req.method, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

for (const backend of BACKENDS) {
  describe.skipIf(!!backend.skip)(suiteTitle('fleet agent', backend), () => {
    let f: TestFleet;
    let agent: Agent;
    let version = 0;
    const deploy = async (v: number, delta = true) => {
      const r = await f.api('POST', '/deployments', f.adminToken, {
        group: 'bench',
        model: `det@${v}`,
        strategy: { kind: 'all-at-once' },
        soakMs: 0,
        delta,
      });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      return r.json.id as number;
    };
    const settled = (id: number) => settledDeployment(f, id);

    beforeAll(async () => {
      f = await startFleet(backend);
      version = await publish(f.reg, 'det', modelV(1));
      await f.api('POST', '/groups', f.adminToken, { name: 'bench' });
      [agent] = (await startAgents(f, 'bench', 1)) as [Agent];
      await deploy(version);
      expect(await agent.syncOnce()).toMatchObject({ action: 'installed', version: 1, resumedFrom: 0 });
    });
    afterAll(async () => {
      await agent?.stop();
      await f?.close();
      await dropTestDatabases();
    });

    it('resumes an interrupted download with a Range request and comes back on its slot after a restart', async () => {
      version = await publish(f.reg, 'det', modelV(2));
      const v = await variantFor(f.reg, { name: 'det', ref: version }, 'wasm');
      const half = Math.floor(v.artifact.bytes / 2);
      const whole = await f.reg.blobs.read(v.artifact.sha256);
      const dir = (agent as unknown as { options: { dir: string } }).options.dir;
      writeFileSync(join(dir, 'staging', `${v.artifact.sha256}.part`), whole.subarray(0, half));
      const id = await deploy(version, false); // a whole download (a delta would not use this part file)
      expect(await agent.syncOnce()).toMatchObject({ action: 'installed', version, resumedFrom: half });
      expect((await settled(id)).state).toBe('succeeded');
      expect(JSON.parse(readFileSync(join(dir, 'current.json'), 'utf8'))).toMatchObject({
        slot: 'b',
        version,
      });

      await agent.stop();
      agent = await Agent.start({ server: f.url, dir });
      expect(agent.running).toMatchObject({ slot: 'b', version });
      const out = await agent.session!.run({ x: new Tensor('float32', new Float32Array([1, 2, 3]), [1, 3]) });
      expect([...(out.y!.data as Float32Array)]).toEqual([8, 10]); // relu([1,2,3]·2·[[1,0],[0,1],[1,1]]);
      expect(await agent.syncOnce()).toEqual({ action: 'current' });
    });

    it('refuses an artifact signed by a key it was not enrolled with', async () => {
      // a key the registry never trusted (one it trusts would reach the device by trust-store renewal),
      // whose signature a compromised server serves as the variant's newest
      const rogue = await generateSigningKey();
      const v = await publish(f.reg, 'det', modelV(3));
      const variant = await variantFor(f.reg, { name: 'det', ref: v }, 'wasm');
      const { manifestBytes } = await readArtifact(await f.reg.blobs.read(variant.artifact.sha256));
      await f.reg.db.run(
        'INSERT INTO signatures (variant_id, key_id, signature, created_at) VALUES (?, ?, ?, ?)',
        [
          variant.id,
          rogue.keyId,
          new TextDecoder().decode(signManifest(manifestBytes, rogue)),
          new Date(Date.now() + 60_000).toISOString(),
        ],
      );
      const id = await deploy(v);
      const r = await agent.syncOnce();
      expect(r).toMatchObject({ action: 'refused', version: v });
      expect((r as { reason: string }).reason).toMatch(new RegExp(`signed by unknown key ${rogue.keyId}`));
      const d = await settled(id);
      expect(d.state).toBe('rolled_back');
      expect(agent.running?.version).toBe(version);
      expect(await agent.syncOnce()).toEqual({ action: 'current' }); // told v2 again: nothing to do
    });

    it('refuses a tampered artifact (sha256 mismatch) and keeps serving the running model', async () => {
      const v = await publish(f.reg, 'det', modelV(4));
      const variant = await variantFor(f.reg, { name: 'det', ref: v }, 'wasm');
      const blob = join(
        f.reg.home,
        'blobs',
        'sha256',
        variant.artifact.sha256.slice(0, 2),
        variant.artifact.sha256,
      );
      chmodSync(blob, 0o644);
      const bytes = readFileSync(blob);
      bytes[bytes.length - 600]! ^= 0xff;
      writeFileSync(blob, bytes);
      const id = await deploy(v);
      const r = await agent.syncOnce();
      expect(r).toMatchObject({ action: 'refused', version: v });
      expect((r as { reason: string }).reason).toMatch(
        /downloaded artifact's sha256 is [0-9a-f]{64}.*altered or truncated/,
      );
      expect((await settled(id)).state).toBe('rolled_back');
      expect(agent.running?.version).toBe(version);
      const out = await agent.session!.run({ x: new Tensor('float32', new Float32Array([1, 0, 0]), [1, 3]) });
      expect([...(out.y!.data as Float32Array)]).toEqual([2, 0]);
    });

    it('refuses a replayed older desired state that is not a rollback', async () => {
      const stale = await f.api('GET', `/devices/${agent.deviceId}/desired`, agent.identity.credential);
      const replayed = { ...stale.json, version: 1, rollback: false };
      const v1 = await variantFor(f.reg, { name: 'det', ref: 1 }, 'wasm');
      replayed.variant = {
        ...replayed.variant,
        id: v1.id,
        sha256: v1.artifact.sha256,
        bytes: v1.artifact.bytes,
        artifactUrl: `/devices/${agent.deviceId}/variants/${v1.id}/artifact`,
        signatureUrl: `/devices/${agent.deviceId}/variants/${v1.id}/signature`,
      };
      const proxy = await replayProxy(f.url, () => replayed);
      const dir = (agent as unknown as { options: { dir: string } }).options.dir;
      await agent.stop();
      agent = await Agent.start({ server: proxy.url, dir });
      try {
        const r = await agent.syncOnce();
        expect(r).toMatchObject({ action: 'refused', version: 1 });
        expect((r as { reason: string }).reason).toMatch(
          /older than the running version 2 and not a rollback/,
        );
        expect(agent.running?.version).toBe(2);

        // flagged as a rollback, but with no order signed by a pinned key: still refused
        replayed.rollback = true;
        const unsigned = await agent.syncOnce();
        expect(unsigned).toMatchObject({ action: 'refused', version: 1 });
        expect((unsigned as { reason: string }).reason).toMatch(/the rollback is not signed/);
        const order: RollbackOrder = {
          kind: 'kiln-rollback',
          deviceId: agent.deviceId,
          model: 'det',
          version: 1,
          sha256: v1.artifact.sha256,
          deploymentId: replayed.deploymentId,
          latestDeploymentId: replayed.deploymentId,
        };
        const text = rollbackOrderText(order);
        const forger = await generateSigningKey();
        replayed.rollbackOrder = {
          order: text,
          signature: new TextDecoder().decode(signManifest(new TextEncoder().encode(text), forger)),
        };
        const forged = await agent.syncOnce();
        expect((forged as { reason: string }).reason).toMatch(/signed by unknown key/);
        // a genuine order for another device does not open this one
        const other = rollbackOrderText({ ...order, deviceId: 'someone-else' });
        // the key this agent pinned at enrollment (an earlier test added a newer, unpinned one)
        const pinned = (await listKeys(f.reg)).find((k) => k.canSign)!;
        const key = await loadPrivateKey(join(f.reg.keysDir, `${pinned.keyId}.pem`));
        replayed.rollbackOrder = {
          order: other,
          signature: new TextDecoder().decode(signManifest(new TextEncoder().encode(other), key)),
        };
        const misdirected = await agent.syncOnce();
        expect((misdirected as { reason: string }).reason).toMatch(/order says deviceId "someone-else"/);
        // a genuine order for this device, signed before the deployment that installed v2: a replay
        const oldOrder = rollbackOrderText({ ...order, latestDeploymentId: order.deploymentId - 1 });
        replayed.rollbackOrder = {
          order: oldOrder,
          signature: new TextDecoder().decode(signManifest(new TextEncoder().encode(oldOrder), key)),
        };
        const replay = await agent.syncOnce();
        expect((replay as { reason: string }).reason).toMatch(
          /before deployment \d+ installed the running version \(a replayed order\)/,
        );
        expect(agent.running?.version).toBe(2);
      } finally {
        await new Promise((resolve) => proxy.server.close(resolve));
      }
    });
  });
}
