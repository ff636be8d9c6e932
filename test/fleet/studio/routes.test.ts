/**
 * Studio as served by the fleet server (no browser): its files and security headers, and the
 * aggregate routes its views read (fleet overview, device status pages, wave progress), with
 * their 401/403 answers. The browser test (studio-browser.test.ts) drives the pages themselves.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STUDIO_WEB_DIR } from '../../../fleet/studio/plugin.js';
import {
  BACKENDS,
  type TestFleet,
  dropTestDatabases,
  modelV,
  publish,
  startFleet,
  suiteTitle,
} from '../fixtures.js';

const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
  );

for (const backend of BACKENDS) {
  describe.skipIf(!!backend.skip)(suiteTitle('Studio routes', backend), () => {
    let f: TestFleet;
    const devices: { deviceId: string; credential: string; name: string }[] = [];
    const get = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${f.url}${path}`, { headers, redirect: 'manual' });

    beforeAll(async () => {
      // no advancing on a timer: the test moves the deployment by reports only
      f = await startFleet(backend, 0);
      await publish(f.reg, 'det', modelV(1));
      await publish(f.reg, 'det', modelV(2));
      for (const g of ['lab', 'field']) await f.api('POST', '/groups', f.adminToken, { name: g });
      for (let i = 0; i < 7; i++) {
        const group = i < 5 ? 'lab' : 'field';
        const t = await f.api('POST', '/enrollment-tokens', f.adminToken, { group });
        const name = `${group}-cam-${i}`;
        const r = await fetch(`${f.url}/fleet/v1/enroll`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            token: t.json.token,
            name,
            target: 'wasm',
            features: [],
            runtimeVersion: '0.1.0',
          }),
        });
        expect(r.status).toBe(201);
        devices.push({ ...((await r.json()) as { deviceId: string; credential: string }), name });
      }
    }, 120_000);
    afterAll(async () => {
      await f?.close();
      await dropTestDatabases();
    });

    it('serves the page, its modules, styles and uPlot under /studio/ with a strict CSP', async () => {
      const root = await get('/studio');
      expect(root.status).toBe(302);
      expect(root.headers.get('location')).toBe('/studio/');
      const page = await get('/studio/');
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      const html = await page.text();
      expect(html).toContain('<script type="module" src="js/app.js"></script>');
      // every file the page and its modules import is served with the right type
      for (const [path, type] of [
        ['/studio/js/app.js', /javascript/],
        ['/studio/js/views/deployments.js', /javascript/],
        ['/studio/style.css', /^text\/css/],
        ['/studio/vendor/uplot/uPlot.esm.js', /javascript/],
        ['/studio/vendor/uplot/uPlot.min.css', /^text\/css/],
      ] as const) {
        const r = await get(path);
        expect(r.status, path).toBe(200);
        expect(r.headers.get('content-type'), path).toMatch(type);
      }
      // only uPlot's two files, nothing else from node_modules or the source tree
      for (const path of [
        '/studio/vendor/uplot/uPlot.cjs.js',
        '/studio/vendor/uplot/../package.json',
        '/studio/../package.json',
        '/studio/%2e%2e/plugin.ts',
      ]) {
        expect((await get(path)).status, path).toBe(404);
      }
    });

    it('every module the page imports exists (relative imports resolve to served files)', async () => {
      let imports = 0;
      for (const file of files(STUDIO_WEB_DIR).filter((p) => p.endsWith('.js'))) {
        const source = readFileSync(file, 'utf8');
        for (const [, spec] of source.matchAll(/^import [^;]* from '(\.[^']+)';$/gm)) {
          imports++;
          const url = new URL(spec!, `${f.url}/studio/${relative(STUDIO_WEB_DIR, file)}`);
          expect((await get(url.pathname)).status, `${spec} imported by ${file}`).toBe(200);
        }
      }
      expect(imports, 'imports found in the modules').toBeGreaterThan(10);
    });

    it('the files need no token and hold none; the APIs they call need one', async () => {
      // static files are public and identical whoever asks; no cookie is ever set
      const withToken = await get('/studio/js/api.js', { authorization: `Bearer ${f.adminToken}` });
      const without = await get('/studio/js/api.js');
      expect(await withToken.text()).toBe(await without.text());
      expect(withToken.headers.get('set-cookie')).toBeNull();
      for (const file of files(STUDIO_WEB_DIR)) {
        const text = readFileSync(file, 'utf8');
        expect(text, file).not.toContain(f.adminToken);
        // the token lives in sessionStorage (this tab only), never localStorage or a cookie
        expect(text, file).not.toMatch(/localStorage|document\.cookie/);
      }
      for (const path of ['/fleet/v1/overview', '/fleet/v1/device-status', '/fleet/v1/deployments']) {
        const none = await get(path);
        expect(none.status, path).toBe(401);
        const bad = await get(path, { authorization: 'Bearer kiln_not-a-token' });
        expect(bad.status, path).toBe(401);
        expect(await bad.json()).toEqual({ error: 'unknown or revoked token' });
        const device = await get(path, { authorization: `Bearer ${devices[0]!.credential}` });
        expect(device.status, path).toBe(403);
      }
    });

    it('device status: one page with health, last report and a summary of the group', async () => {
      const [a, b] = devices;
      expect(
        (
          await f.api('POST', `/devices/${a!.deviceId}/reports`, a!.credential, {
            outcome: 'installed',
            model: 'det',
            version: 1,
          })
        ).status,
      ).toBe(204);
      expect(
        (
          await f.api('POST', `/devices/${b!.deviceId}/reports`, b!.credential, {
            outcome: 'failed',
            model: 'det',
            version: 2,
            reason: 'self-test: output y off by 3',
          })
        ).status,
      ).toBe(204);
      const all = await f.api('GET', '/device-status', f.readToken);
      expect(all.status).toBe(200);
      expect(all.json.total).toBe(7);
      expect(all.json.summary).toEqual({
        devices: 7,
        health: { ok: 1, failed: 1, pending: 5 },
        versions: [{ model: 'det', version: 1, devices: 1 }],
      });
      const lab = await f.api('GET', '/device-status?group=lab&limit=2&offset=2', f.readToken);
      expect(lab.json).toMatchObject({ total: 5, offset: 2, limit: 2 });
      expect(lab.json.devices.map((d: { name: string }) => d.name)).toEqual(['lab-cam-2', 'lab-cam-3']);
      expect(lab.json.summary.devices).toBe(5);
      const failed = await f.api('GET', '/device-status?health=failed', f.readToken);
      expect(failed.json.total).toBe(1);
      expect(failed.json.devices[0]).toMatchObject({
        id: b!.deviceId,
        health: 'failed',
        lastReport: { outcome: 'failed', model: 'det', version: 2, reason: 'self-test: output y off by 3' },
      });
      const search = await f.api('GET', '/device-status?search=FIELD-cam', f.readToken);
      expect(search.json.devices.map((d: { name: string }) => d.name)).toEqual([
        'field-cam-5',
        'field-cam-6',
      ]);
      expect((await f.api('GET', '/device-status?limit=100000', f.readToken)).status).toBe(400);
      expect((await f.api('GET', '/device-status?health=sick', f.readToken)).status).toBe(400);
    });

    it('wave progress per wave with gate results, and the overview of groups', async () => {
      const created = await f.api('POST', '/deployments', f.adminToken, {
        group: 'field',
        model: 'det@2',
        strategy: { kind: 'canary', devices: 1 },
        soakMs: 0,
      });
      expect(created.status, JSON.stringify(created.json)).toBe(201);
      const id = created.json.id as number;
      let d = (await f.api('GET', `/deployments/${id}`, f.readToken)).json;
      expect(d.progress).toEqual([
        { wave: 0, target: { count: 1 }, devices: 1, installed: 0, failed: 0, pending: 1, released: true },
        {
          wave: 1,
          target: { percent: 100 },
          devices: 1,
          installed: 0,
          failed: 0,
          pending: 1,
          released: false,
        },
      ]);
      // the canary device (the one whose desired state has the deployment) installs; the gate
      // passes and the last wave is released
      type Device = (typeof devices)[number];
      const desired = async (dev: Device) =>
        (await f.api('GET', `/devices/${dev.deviceId}/desired`, dev.credential)).json;
      const order: Device[] = [];
      for (const dev of devices.filter((x) => x.name.startsWith('field'))) {
        if ((await desired(dev)).deploymentId === id) order.unshift(dev);
        else order.push(dev);
      }
      const report = (dev: Device) =>
        f.api('POST', `/devices/${dev.deviceId}/reports`, dev.credential, {
          deploymentId: id,
          model: 'det',
          version: 2,
          outcome: 'installed',
        });
      await report(order[0]!);
      const { advance } = await import('../../../fleet/advance.js');
      await advance(f.reg);
      d = (await f.api('GET', `/deployments/${id}`, f.readToken)).json;
      expect(d.progress[0]).toMatchObject({ installed: 1, pending: 0, gate: { passed: true } });
      expect(d.progress[0].gate.detail).toMatch(/^1\/1 installed/);
      expect(d.progress[1]).toMatchObject({ released: true, installed: 0, pending: 1 });
      expect(d.progress[1].gate).toBeUndefined();
      await report(order[1]!);
      await advance(f.reg);
      d = (await f.api('GET', `/deployments/${id}`, f.readToken)).json;
      expect(d.state).toBe('succeeded');
      expect(d.progress[1]).toMatchObject({ installed: 1, pending: 0, gate: { passed: true } });

      const o = await f.api('GET', '/overview', f.readToken);
      expect(o.status).toBe(200);
      expect(o.json.groups.map((g: { name: string }) => g.name)).toEqual(['field', 'lab']);
      const [field, lab] = o.json.groups;
      expect(field).toMatchObject({
        devices: 2,
        versions: [{ model: 'det', version: 2, devices: 2 }],
        deployment: { id, state: 'succeeded', model: 'det', version: 2, released: 2, wave: 1 },
      });
      expect(field.deployment.events).toBeUndefined();
      expect(lab).toMatchObject({ devices: 5, versions: [{ model: 'det', version: 1, devices: 1 }] });
      expect(lab.deployment).toBeUndefined();
    });
  });
}
