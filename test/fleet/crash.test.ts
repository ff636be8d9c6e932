import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../fleet/agent/agent.js';
import { variantFor } from '../../registry/variants.js';
import { readArtifact } from '../../runtime/artifact/artifact.js';
import { PROJECT_ROOT } from '../helpers/paths.js';
import { startAgents } from './agents.js';
import { type TestFleet, dropTestDatabases, eventually, modelV, publish, startFleet } from './fixtures.js';

const WORKER = join(PROJECT_ROOT, 'test/fleet/workers/agent-sync.ts');

/**
 * Forwards to `target`; a whole download (no Range) of a URL ending in `suffix` (the artifact, or one
 * file of a delta) gets only its first `half` bytes, then hangs.
 */
async function stallingProxy(
  target: string,
  half: () => number,
  suffix = '/artifact',
): Promise<{ url: string; server: Server }> {
  const t = new URL(target);
  const server = createServer((req, res) => {
    const upstream = httpRequest(
      { host: t.hostname, port: t.port, path: req.url, method: req.method, headers: req.headers },
      (r) => {
        const stall = req.url?.endsWith(suffix) && !req.headers.range && r.statusCode === 200;
        res.writeHead(r.statusCode ?? 502, r.headers);
        if (!stall) return void r.pipe(res);
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => res.write(Buffer.concat(chunks).subarray(0, half()))); // and never end
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function runAgent(server: string, dir: string, env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, server, dir], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
  });
  const run: Run = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))),
  };
  child.stdout.on('data', (d: Buffer) => (run.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (run.stderr += d.toString()));
  return run;
}

const line = (run: Run, key: string) => {
  const l = run.stdout.split('\n').find((s) => s.startsWith(`${key} `));
  return l === undefined ? undefined : JSON.parse(l.slice(key.length + 1));
};

/** Run the worker to the end and return what it printed. */
async function agentToEnd(server: string, dir: string) {
  const run = runAgent(server, dir);
  const { code } = await run.exited;
  expect(code, run.stderr).toBe(0);
  return { running: line(run, 'running'), result: line(run, 'result') };
}

describe('fleet agent processes killed with SIGKILL (sqlite)', () => {
  let f: TestFleet;
  let dir: string;
  let v1 = 0;
  // whole downloads unless a test asks for delta delivery (the stalling proxy stalls whole artifacts)
  const deploy = async (v: number, delta = false) => {
    const r = await f.api('POST', '/deployments', f.adminToken, {
      group: 'crash',
      model: `det@${v}`,
      strategy: { kind: 'all-at-once' },
      soakMs: 0,
      delta,
    });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
  };

  beforeAll(async () => {
    f = await startFleet({ name: 'sqlite' });
    await f.api('POST', '/groups', f.adminToken, { name: 'crash' });
    const [agent] = (await startAgents(f, 'crash', 1)) as [Agent];
    dir = (agent as unknown as { options: { dir: string } }).options.dir;
    v1 = await publish(f.reg, 'det', modelV(1));
    await deploy(v1);
    expect(await agent.syncOnce()).toMatchObject({ action: 'installed', version: v1 });
    await agent.stop(); // enrolled and on v1; from here on the agent runs as a child process
  });
  afterAll(async () => {
    await f?.close();
    await dropTestDatabases();
  });

  it('killed mid-download, it resumes after a restart and finishes with a verified artifact', async () => {
    const v = await publish(f.reg, 'det', modelV(2));
    const variant = await variantFor(f.reg, { name: 'det', ref: v }, 'wasm');
    const half = Math.floor(variant.artifact.bytes / 2);
    const proxy = await stallingProxy(f.url, () => half);
    try {
      await deploy(v);
      const run = runAgent(proxy.url, dir);
      const part = join(dir, 'staging', `${variant.artifact.sha256}.part`);
      await eventually(async () =>
        (statSync(part, { throwIfNoEntry: false })?.size ?? 0) >= half ? true : undefined,
      );
      run.child.kill('SIGKILL');
      expect((await run.exited).signal).toBe('SIGKILL');
      expect(statSync(part).size).toBe(half);
      expect(JSON.parse(readFileSync(join(dir, 'current.json'), 'utf8'))).toMatchObject({ version: v1 });
    } finally {
      proxy.server.closeAllConnections();
      proxy.server.close();
    }
    const again = await agentToEnd(f.url, dir);
    expect(again.running).toMatchObject({ version: v1 });
    expect(again.result).toMatchObject({
      action: 'installed',
      version: v,
      resumedFrom: half,
      delivery: { mode: 'full', artifactBytes: variant.artifact.bytes },
    });
    expect(again.result.delivery.downloadedBytes).toBeLessThan(variant.artifact.bytes - half + 1024); // + signature
    expect(JSON.parse(readFileSync(join(dir, 'current.json'), 'utf8'))).toMatchObject({
      version: v,
      sha256: variant.artifact.sha256,
    });
  });

  it('killed between writing the spare slot and replacing the pointer, it comes back on the old, complete slot', async () => {
    const before = JSON.parse(readFileSync(join(dir, 'current.json'), 'utf8')) as {
      slot: string;
      version: number;
    };
    const v = await publish(f.reg, 'det', modelV(3));
    const variant = await variantFor(f.reg, { name: 'det', ref: v }, 'wasm');
    await deploy(v);
    const run = runAgent(f.url, dir, { KILN_AGENT_PAUSE_AT: 'before-pointer' });
    await eventually(async () => (run.stderr.includes('paused at before-pointer') ? true : undefined));
    const spare = before.slot === 'a' ? 'b' : 'a';
    expect(statSync(join(dir, `slot-${spare}.kiln`)).size).toBe(variant.artifact.bytes); // written, not pointed to
    run.child.kill('SIGKILL');
    expect((await run.exited).signal).toBe('SIGKILL');

    // the restart checks the pointed slot's hashes and signature again (here: the one resumed above)
    const again = await agentToEnd(f.url, dir);
    expect(again.running).toMatchObject({ slot: before.slot, version: before.version });
    expect(again.result).toMatchObject({ action: 'installed', version: v });
    const third = await agentToEnd(f.url, dir);
    expect(third.running).toMatchObject({ slot: spare, version: v, sha256: variant.artifact.sha256 });
  });

  it('killed mid-delta, it resumes the changed file after a restart and installs the same bytes as a whole download', async () => {
    const running = JSON.parse(readFileSync(join(dir, 'current.json'), 'utf8')) as { version: number };
    // the running model compiled again without binaryen: only the code files differ
    const v = await publish(f.reg, 'det', modelV(3), undefined, { optimize: false });
    const variant = await variantFor(f.reg, { name: 'det', ref: v }, 'wasm');
    const blob = await f.reg.blobs.read(variant.artifact.sha256);
    const wasm = (await readArtifact(blob)).manifest.files['model.wasm']!;
    const half = Math.floor(wasm.bytes / 2);
    const proxy = await stallingProxy(f.url, () => half, '/files/model.wasm');
    const part = join(dir, 'staging', `${variant.artifact.sha256}.delta`, `${wasm.sha256}.part`);
    try {
      await deploy(v, true);
      const run = runAgent(proxy.url, dir);
      await eventually(async () =>
        (statSync(part, { throwIfNoEntry: false })?.size ?? 0) >= half ? true : undefined,
      );
      run.child.kill('SIGKILL');
      expect((await run.exited).signal).toBe('SIGKILL');
      expect(statSync(part).size).toBe(half);
    } finally {
      proxy.server.closeAllConnections();
      proxy.server.close();
    }
    const again = await agentToEnd(f.url, dir);
    expect(again.running).toMatchObject({ version: running.version });
    expect(again.result).toMatchObject({
      action: 'installed',
      version: v,
      delivery: { mode: 'delta', artifactBytes: variant.artifact.bytes },
    });
    // files staged before the kill (model.relaxed.wasm, fetched whole) count as resumed too
    expect(again.result.resumedFrom).toBeGreaterThanOrEqual(half);
    const manifestBytes = (await readArtifact(blob)).manifestBytes.length;
    expect(again.result.delivery.downloadedBytes).toBeLessThan(wasm.bytes - half + manifestBytes + 1024);
    const pointer = JSON.parse(readFileSync(join(dir, 'current.json'), 'utf8')) as { slot: string };
    expect(pointer).toMatchObject({ version: v, sha256: variant.artifact.sha256 });
    expect(Buffer.compare(readFileSync(join(dir, `slot-${pointer.slot}.kiln`)), Buffer.from(blob))).toBe(0);
    expect(existsSync(join(dir, 'staging', `${variant.artifact.sha256}.delta`))).toBe(false);
  });
});
