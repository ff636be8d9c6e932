import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers/paths.js';

/** Start `kiln <args>` as a real process and wait for fastify's "Server listening at URL" log line. */
function startServer(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'cli/main.ts'), ...args], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (d: Buffer) => {
      seen += d.toString();
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(seen);
      if (m) resolve({ child, url: m[1]! });
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
    60_000,
  );
});
