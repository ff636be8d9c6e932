import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers/paths.js';

/** Starting tsx and the CLI takes a while on a loaded 2-core machine. */
const STARTUP_MS = 100_000;

/** Start `kiln <args>` as a real process and wait for a URL in its output (fastify's "Server listening at URL" line by default). */
function startServer(
  args: string[],
  line = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'cli/main.ts'), ...args], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let seen = '';
    // a process that never gets there (a loaded machine, a hang) must not outlive the test
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kiln ${args[0]} printed no ${line} in ${STARTUP_MS} ms:\n${seen}`));
    }, STARTUP_MS);
    const onData = (d: Buffer) => {
      seen += d.toString();
      const m = line.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`kiln ${args[0]} exited ${code} before listening:\n${seen}`)),
    );
  });
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('kiln serve and kiln registry serve as processes', () => {
  const home = mkdtempSync(join(tmpdir(), 'kiln-serve-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it.each([
    ['serve', ['serve', '--home', home, '--port', '0'], '/fleet/v1/groups'],
    ['registry serve', ['registry', '--home', home, 'serve', '--port', '0'], '/v1/models'],
  ])(
    '%s listens, asks for a token, and exits 0 on SIGTERM',
    async (_name, args, path) => {
      const { child, url } = await startServer(args);
      const exited = exitCode(child);
      try {
        const res = await fetch(`${url}${path}`);
        expect(res.status).toBe(401);
      } finally {
        child.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
    },
    STARTUP_MS + 20_000,
  );

  it(
    'kiln serve prints where Studio is, and serves its page there',
    async () => {
      const { child, url } = await startServer(
        ['serve', '--home', home, '--port', '0'],
        /Studio \(sign in with a registry token\): (http:\/\/127\.0\.0\.1:\d+\/studio\/)/,
      );
      const exited = exitCode(child);
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
    STARTUP_MS + 20_000,
  );
});
