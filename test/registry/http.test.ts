import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRegistryServer } from '../../registry/http/server.js';
import type { Registry } from '../../registry/registry.js';
import { createToken } from '../../registry/tokens.js';
import { generateKey } from '../../registry/trust.js';
import { verifySignedArtifact, parseTrustStore } from '../../runtime/artifact/signature.js';
import { BACKENDS, dropTestDatabases, openFresh, suiteTitle, tinyOnnx } from './fixtures.js';

const MAX_UPLOAD = 64 * 1024;

for (const backend of BACKENDS) {
  describe.skipIf(!!backend.skip)(suiteTitle('registry HTTP API', backend), () => {
    let reg: Registry;
    let app: FastifyInstance;
    const tokens: Record<'read' | 'write' | 'admin', string> = { read: '', write: '', admin: '' };
    const auth = (scope: keyof typeof tokens) => ({ authorization: `Bearer ${tokens[scope]}` });
    const upload = (name: string, body: Uint8Array | Readable, query = '') =>
      app.inject({
        method: 'POST',
        url: `/v1/models/${name}/versions${query}`,
        headers: { ...auth('write'), 'content-type': 'application/octet-stream' },
        payload: body instanceof Uint8Array ? Buffer.from(body) : body,
      });

    beforeAll(async () => {
      reg = await openFresh(backend);
      for (const scope of ['read', 'write', 'admin'] as const)
        tokens[scope] = (await createToken(reg, `${scope}-bot`, scope)).token;
      await generateKey(reg);
      app = await buildRegistryServer({ registry: reg, maxUploadBytes: MAX_UPLOAD });
    });
    afterAll(async () => {
      await app?.close();
      await reg?.close();
      await dropTestDatabases();
    });

    it('adds a streamed ONNX upload with metrics and lineage, then serves it', async () => {
      const r = await upload(
        'cls',
        tinyOnnx(),
        '?sourceName=cls.onnx&dataset=imagenet&metrics=' + encodeURIComponent('{"top1":0.7}'),
      );
      expect(r.statusCode, r.body).toBe(201);
      expect(r.json()).toMatchObject({
        model: 'cls',
        version: 1,
        createdBy: 'write-bot',
        metrics: { top1: 0.7 },
        lineage: { dataset: 'imagenet' },
      });
      const list = await app.inject({ url: '/v1/models', headers: auth('read') });
      expect(list.json().map((m: { name: string }) => m.name)).toEqual(['cls']);
      const v = await app.inject({ url: '/v1/models/cls/versions/latest', headers: auth('read') });
      expect(v.statusCode).toBe(200);
      expect(v.json().version.source.name).toBe('cls.onnx');
    });

    it('compiles a signed variant and serves the artifact with Range support', async () => {
      const c = await app.inject({
        method: 'POST',
        url: '/v1/models/cls/versions/1/variants',
        headers: auth('write'),
        payload: { target: 'wasm' },
      });
      expect(c.statusCode, c.body).toBe(201);
      const variant = c.json();
      const whole = await app.inject({ url: `/v1/variants/${variant.id}/artifact`, headers: auth('read') });
      expect(whole.statusCode).toBe(200);
      expect(whole.rawPayload.length).toBe(variant.artifact.bytes);
      const part = await app.inject({
        url: `/v1/variants/${variant.id}/artifact`,
        headers: { ...auth('read'), range: 'bytes=10-19' },
      });
      expect(part.statusCode).toBe(206);
      expect(part.headers['content-range']).toBe(`bytes 10-19/${variant.artifact.bytes}`);
      expect([...part.rawPayload]).toEqual([...whole.rawPayload.subarray(10, 20)]);
      const bad = await app.inject({
        url: `/v1/variants/${variant.id}/artifact`,
        headers: { ...auth('read'), range: `bytes=${variant.artifact.bytes + 5}-` },
      });
      expect(bad.statusCode).toBe(416);
      // what a device does: fetch the trust store and the signature, verify the download
      const trust = parseTrustStore((await app.inject({ url: '/v1/trust', headers: auth('read') })).json());
      const sig = await app.inject({ url: `/v1/variants/${variant.id}/signature`, headers: auth('read') });
      const ok = await verifySignedArtifact(new Uint8Array(whole.rawPayload), trust, {
        signature: new Uint8Array(sig.rawPayload),
      });
      expect(ok.keyId).toBe(variant.signatures[0].keyId);
      const jetson = await app.inject({
        method: 'POST',
        url: '/v1/models/cls/versions/1/variants',
        headers: auth('write'),
        payload: { target: 'jetson' },
      });
      expect(jetson.statusCode).toBe(400);
      expect(jetson.json().error).toMatch(/cannot compile for jetson/);
    });

    it('moves aliases and approves with the right scopes', async () => {
      const a = await app.inject({
        method: 'PUT',
        url: '/v1/models/cls/aliases/production',
        headers: auth('write'),
        payload: { version: 1 },
      });
      expect(a.statusCode, a.body).toBe(200);
      const h = await app.inject({ url: '/v1/models/cls/aliases', headers: auth('read') });
      expect(h.json()).toMatchObject([{ alias: 'production', version: 1, actor: 'write-bot' }]);
      const denied = await app.inject({
        method: 'POST',
        url: '/v1/models/cls/versions/1/approval',
        headers: auth('write'),
        payload: { status: 'approved' },
      });
      expect(denied.statusCode).toBe(403);
      const ok = await app.inject({
        method: 'POST',
        url: '/v1/models/cls/versions/production/approval',
        headers: auth('admin'),
        payload: { status: 'approved', reason: 'eval ok' },
      });
      expect(ok.statusCode, ok.body).toBe(200);
      expect(ok.json()).toMatchObject({ status: 'approved', by: 'admin-bot', reason: 'eval ok' });
    });

    it('refuses bad input with the reason and the right status', async () => {
      const notOnnx = await upload('cls', new TextEncoder().encode('this is a text file, not a model'));
      expect(notOnnx.statusCode).toBe(400);
      expect(notOnnx.json().error).toMatch(/not an ONNX model/);
      const unknownModel = await app.inject({ url: '/v1/models/nope', headers: auth('read') });
      expect(unknownModel.statusCode).toBe(404);
      expect(unknownModel.json().error).toMatch(/no model named 'nope'/);
      const unknownVersion = await app.inject({ url: '/v1/models/cls/versions/99', headers: auth('read') });
      expect(unknownVersion.statusCode).toBe(404);
      expect(unknownVersion.json().error).toMatch(/has no version 99/);
      const noToken = await app.inject({ url: '/v1/models' });
      expect(noToken.statusCode).toBe(401);
      expect(noToken.json().error).toMatch(/missing bearer token/);
      const badToken = await app.inject({
        url: '/v1/models',
        headers: { authorization: 'Bearer kiln_nope' },
      });
      expect(badToken.statusCode).toBe(401);
      const readWrites = await app.inject({
        method: 'POST',
        url: '/v1/models/cls/versions',
        headers: { ...auth('read'), 'content-type': 'application/octet-stream' },
        payload: Buffer.from(tinyOnnx()),
      });
      expect(readWrites.statusCode).toBe(403);
      expect(readWrites.json().error).toMatch(/needs a 'write' token/);
      const badBody = await app.inject({
        method: 'PUT',
        url: '/v1/models/cls/aliases/production',
        headers: auth('write'),
        payload: { version: 'one' },
      });
      expect(badBody.statusCode).toBe(400);
      const badAlias = await app.inject({
        method: 'PUT',
        url: '/v1/models/cls/aliases/Prod!',
        headers: auth('write'),
        payload: { version: 1 },
      });
      expect(badAlias.statusCode).toBe(400);
      const big = new Uint8Array(MAX_UPLOAD * 4);
      const tooLarge = await upload('cls', big);
      expect(tooLarge.statusCode).toBe(413);
      // without a Content-Length the stream is cut off at the limit
      const streamed = await upload(
        'cls',
        Readable.from([big.subarray(0, MAX_UPLOAD), big.subarray(MAX_UPLOAD)]),
      );
      expect(streamed.statusCode).toBe(413);
      expect(streamed.json().error).toMatch(/larger than the limit/);
      const versions = await app.inject({ url: '/v1/models/cls', headers: auth('read') });
      expect(versions.json().versions.length).toBe(1);
    });

    it('publishes an OpenAPI document generated from the route schemas', async () => {
      const r = await app.inject({ url: '/openapi.json' });
      expect(r.statusCode).toBe(200);
      const doc = r.json();
      expect(doc.openapi).toMatch(/^3\./);
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining(['/v1/models', '/v1/models/{name}/versions', '/v1/variants/{id}/artifact']),
      );
      expect(doc.paths['/v1/models/{name}/aliases/{alias}'].put.requestBody).toBeDefined();
    });
  });
}
