import { existsSync, readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent, SyncResult } from '../../fleet/agent/agent.js';
import { variantFor } from '../../registry/variants.js';
import { readArtifact } from '../../runtime/artifact/artifact.js';
import { largeOnnx } from '../registry/fixtures.js';
import { startAgents } from './agents.js';
import {
  BACKENDS,
  type TestFleet,
  dropTestDatabases,
  eventually,
  publish,
  startFleet,
  suiteTitle,
} from './fixtures.js';

/** Forwards to `target`, flipping the first byte of every file fetched by path that ends in `suffix`. */
async function tamperingProxy(target: string, suffix: string): Promise<{ url: string; server: Server }> {
  const t = new URL(target);
  const server = createServer((req, res) => {
    const upstream = httpRequest(
      { host: t.hostname, port: t.port, path: req.url, method: req.method, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        if (!req.url?.endsWith(suffix)) return void r.pipe(res);
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => {
          const body = Buffer.concat(chunks);
          if (body.length > 0) body[0] = body[0]! ^ 0xff;
          res.end(body);
        });
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const dirOf = (a: Agent) => (a as unknown as { options: { dir: string } }).options.dir;

/** The artifact in the slot an agent runs, as bytes on its disk. */
function installedBytes(a: Agent): Buffer {
  const p = JSON.parse(readFileSync(join(dirOf(a), 'current.json'), 'utf8')) as { slot: string };
  return readFileSync(join(dirOf(a), `slot-${p.slot}.kiln`));
}

function installed(r: SyncResult): Extract<SyncResult, { action: 'installed' }> {
  expect(r.action, JSON.stringify(r)).toBe('installed');
  return r as Extract<SyncResult, { action: 'installed' }>;
}

for (const backend of BACKENDS) {
  describe.skipIf(!!backend.skip)(suiteTitle('fleet delta delivery', backend), () => {
    let f: TestFleet;
    let direct: Agent;
    let tampered: Agent;
    let noDelta: Agent;
    let proxy: { url: string; server: Server };
    let v1 = 0;
    let v2 = 0;
    let first = 0;
    const deploy = async (group: string, v: number, extra: Record<string, unknown> = {}) => {
      const r = await f.api('POST', '/deployments', f.adminToken, {
        group,
        model: `det@${v}`,
        strategy: { kind: 'all-at-once' },
        soakMs: 0,
        ...extra,
      });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      return r.json.id as number;
    };
    const settled = (id: number) =>
      eventually(async () => {
        const d = await f.api('GET', `/deployments/${id}`, f.readToken);
        return d.json.state === 'running' ? undefined : d.json;
      }, 60_000);

    beforeAll(async () => {
      f = await startFleet(backend);
      // one model (128 KiB of weights) compiled twice: with and without binaryen, as a compiler change would
      const onnx = largeOnnx(0.125);
      v1 = await publish(f.reg, 'det', onnx);
      v2 = await publish(f.reg, 'det', onnx, undefined, { optimize: false });
      await f.api('POST', '/groups', f.adminToken, { name: 'delta' });
      [direct] = (await startAgents(f, 'delta', 1)) as [Agent];
      proxy = await tamperingProxy(f.url, '.wasm');
      [tampered] = (await startAgents({ ...f, url: proxy.url }, 'delta', 1)) as [Agent];
      [noDelta] = (await startAgents(f, 'delta', 1, 60, { delta: false })) as [Agent];
    }, 240_000);
    afterAll(async () => {
      for (const a of [direct, tampered, noDelta]) await a?.stop();
      proxy?.server.closeAllConnections();
      proxy?.server.close();
      await f?.close();
      await dropTestDatabases();
    });

    it('serves an artifact file by path, with ranges, to devices of groups it was deployed to only', async () => {
      first = await deploy('delta', v1);
      const desired = await f.api('GET', `/devices/${direct.deviceId}/desired`, direct.identity.credential);
      const v = desired.json.variant;
      expect(v.delta).toEqual({
        manifestUrl: `/devices/${direct.deviceId}/variants/${v.id}/files/manifest.json`,
        filesUrl: `/devices/${direct.deviceId}/variants/${v.id}/files/`,
      });
      const artifact = await readArtifact(await f.reg.blobs.read(v.sha256));
      const get = (path: string, headers: Record<string, string> = {}) =>
        fetch(`${f.url}/fleet/v1${path}`, {
          headers: { authorization: `Bearer ${direct.identity.credential}`, ...headers },
        });
      const manifest = await get(v.delta.manifestUrl);
      expect(Buffer.compare(Buffer.from(await manifest.arrayBuffer()), artifact.manifestBytes)).toBe(0);
      const weights = artifact.files.get('weights.bin')!;
      const part = await get(`${v.delta.filesUrl}weights.bin`, { range: 'bytes=1000-1999' });
      expect(part.status).toBe(206);
      expect(part.headers.get('content-range')).toBe(`bytes 1000-1999/${weights.length}`);
      expect(Buffer.compare(Buffer.from(await part.arrayBuffer()), weights.subarray(1000, 2000))).toBe(0);
      expect((await get(`${v.delta.filesUrl}selftest/nothing.npy`)).status).toBe(404);

      // another group's device may not read it
      await f.api('POST', '/groups', f.adminToken, { name: 'elsewhere' });
      const [stranger] = (await startAgents(f, 'elsewhere', 1)) as [Agent];
      const foreign = await fetch(
        `${f.url}/fleet/v1/devices/${stranger.deviceId}/variants/${v.id}/files/model.wasm`,
        {
          headers: { authorization: `Bearer ${stranger.identity.credential}` },
        },
      );
      expect(foreign.status).toBe(403);
      await stranger.stop();
    });

    it('a device with no artifact yet downloads the first one whole', async () => {
      const variant = await variantFor(f.reg, { name: 'det', ref: v1 }, 'wasm');
      for (const a of [direct, tampered, noDelta]) {
        const r = installed(await a.syncOnce());
        expect(r.delivery).toMatchObject({ mode: 'full', artifactBytes: variant.artifact.bytes });
        expect(r.delivery.fallback).toMatch(
          a === noDelta ? /turned off on this agent/ : /no artifact on the device/,
        );
      }
      expect((await settled(first)).state).toBe('succeeded');
    });

    it('a code-only change is fetched as its changed files and installs the same bytes as a whole download', async () => {
      const variant = await variantFor(f.reg, { name: 'det', ref: v2 }, 'wasm');
      const blob = await f.reg.blobs.read(variant.artifact.sha256);
      const { manifest } = await readArtifact(blob);
      const old = (await readArtifact(installedBytes(direct))).manifest;
      const changed = Object.keys(manifest.files).filter(
        (p) => manifest.files[p]!.sha256 !== old.files[p]?.sha256,
      );
      expect(changed.sort()).toEqual(['model.relaxed.wasm', 'model.wasm']); // weights and self-test sample are shared
      const weights = manifest.files['weights.bin']!.bytes;
      expect(weights).toBe(128 * 1024);

      const id = await deploy('delta', v2);
      const r = installed(await direct.syncOnce());
      expect(r.delivery.mode).toBe('delta');
      expect(r.delivery.artifactBytes).toBe(variant.artifact.bytes);
      expect(r.delivery.downloadedBytes).toBeLessThan(variant.artifact.bytes - weights);
      // manifest + signature + model.wasm once (model.relaxed.wasm has the same bytes here)
      const wasm = manifest.files['model.wasm']!.bytes;
      expect(r.delivery.downloadedBytes).toBeLessThan(wasm + 3 * 1024 + 1024);
      expect(Buffer.compare(installedBytes(direct), Buffer.from(blob))).toBe(0);
      expect(existsSync(join(dirOf(direct), 'staging', `${variant.artifact.sha256}.delta`))).toBe(false);

      // a tampered file is refused; the agent falls back to the whole artifact, which is intact
      const t = installed(await tampered.syncOnce());
      expect(t.delivery.mode).toBe('full');
      expect(t.delivery.fallback).toMatch(
        /file 'model(\.relaxed)?\.wasm' was refused: its sha256 is [0-9a-f]{64}/,
      );
      expect(Buffer.compare(installedBytes(tampered), Buffer.from(blob))).toBe(0);

      const n = installed(await noDelta.syncOnce());
      expect(n.delivery.mode).toBe('full');

      // the server adds up what each device fetched
      const d = await settled(id);
      expect(d.state).toBe('succeeded');
      expect(d.delta).toBe(true);
      expect(d.delivery).toMatchObject({
        devices: 3,
        delta: 1,
        full: 2,
        artifactBytes: 3 * variant.artifact.bytes,
      });
      expect(d.delivery.downloadedBytes).toBe(
        r.delivery.downloadedBytes + t.delivery.downloadedBytes + n.delivery.downloadedBytes,
      );
    });

    it('a rollback to the version in the other slot fetches only the manifest and the signature', async () => {
      const back = await f.api('POST', '/groups/delta/rollback', f.adminToken, {});
      expect(back.status, JSON.stringify(back.json)).toBe(201);
      const variant = await variantFor(f.reg, { name: 'det', ref: v1 }, 'wasm');
      const r = installed(await direct.syncOnce());
      expect(r).toMatchObject({ version: v1, delivery: { mode: 'delta' } });
      const manifestBytes = (await readArtifact(await f.reg.blobs.read(variant.artifact.sha256)))
        .manifestBytes;
      expect(r.delivery.downloadedBytes).toBeLessThan(manifestBytes.length + 512);
      expect(
        Buffer.compare(installedBytes(direct), Buffer.from(await f.reg.blobs.read(variant.artifact.sha256))),
      ).toBe(0);
    });

    it('a deployment made with delta off sends whole artifacts', async () => {
      await f.api('POST', '/groups', f.adminToken, { name: 'whole' });
      const [a] = (await startAgents(f, 'whole', 1)) as [Agent];
      try {
        const base = await deploy('whole', v1, { delta: false });
        installed(await a.syncOnce());
        await settled(base);
        const id = await deploy('whole', v2, { delta: false });
        const desired = await f.api('GET', `/devices/${a.deviceId}/desired`, a.identity.credential);
        expect(desired.json.variant.delta).toBeUndefined();
        const r = installed(await a.syncOnce());
        expect(r.delivery.mode).toBe('full');
        expect(r.delivery.fallback).toBeUndefined();
        expect((await settled(id)).delta).toBe(false);
      } finally {
        await a.stop();
      }
    });
  });
}
