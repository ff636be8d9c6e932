import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SERVER_STARTUP_MS, startKilnServer } from '../helpers/server-process.js';

describe('kiln serve and kiln registry serve as processes', () => {
  const home = mkdtempSync(join(tmpdir(), 'kiln-serve-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it.each([
    ['serve', ['serve', '--home', home, '--port', '0'], '/fleet/v1/groups'],
    ['registry serve', ['registry', '--home', home, 'serve', '--port', '0'], '/v1/models'],
  ])(
    '%s listens, asks for a token, and exits 0 on SIGTERM',
    async (_name, args, path) => {
      const { child, url, exited } = await startKilnServer(args);
      try {
        const res = await fetch(`${url}${path}`);
        expect(res.status).toBe(401);
      } finally {
        child.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
    },
    SERVER_STARTUP_MS + 20_000,
  );

  it(
    'kiln serve prints where Studio is, and serves its page there',
    async () => {
      const { child, url, exited } = await startKilnServer(
        ['serve', '--home', home, '--port', '0'],
        /Studio \(sign in with a registry token\): (http:\/\/127\.0\.0\.1:\d+\/studio\/)/,
      );
      try {
        const res = await fetch(url);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/html/);
        expect(await res.text()).toContain('<title>Kiln Studio</title>');
      } finally {
        child.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
    },
    SERVER_STARTUP_MS + 20_000,
  );
});
