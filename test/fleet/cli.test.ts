import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildProgram, main } from '../../cli/program.js';
import { saveNpy } from '../../runtime/npy.js';
import { Tensor as KilnTensor } from '../../runtime/tensor.js';
import { type TestFleet, eventually, modelV, publish, startFleet } from './fixtures.js';

/** Run the CLI in this process, capturing what it prints. */
async function kiln(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const code = await main(['node', 'kiln', ...args]);
  vi.restoreAllMocks();
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

afterEach(() => vi.restoreAllMocks());

describe('kiln serve, kiln agent and kiln fleet commands', () => {
  let f: TestFleet;
  const ops = () => ['--server', f.url, '--token', f.adminToken];

  beforeAll(async () => {
    f = await startFleet({ name: 'sqlite' });
    await publish(f.reg, 'det', modelV(1));
  });
  afterAll(async () => {
    await f?.close();
  });

  it('have --help on every subcommand', () => {
    const program = buildProgram();
    for (const name of ['serve', 'agent', 'fleet']) {
      const cmd = program.commands.find((c) => c.name() === name)!;
      const walk = (c: Command): void => {
        expect(c.description(), c.name()).not.toBe('');
        expect(c.helpInformation()).toMatch(/^Usage: /);
        c.commands.forEach(walk);
      };
      walk(cmd);
    }
    const fleet = program.commands.find((c) => c.name() === 'fleet')!;
    expect(fleet.commands.map((c) => c.name())).toEqual(
      expect.arrayContaining([
        'groups',
        'enroll',
        'devices',
        'tag',
        'deploy',
        'rollback',
        'status',
        'pause',
        'resume',
        'abort',
        'baseline',
        'alerts',
        'ack',
      ]),
    );
  });

  it('creates a group, enrolls an agent, deploys a canary and shows its status as a table and JSON', async () => {
    expect((await kiln(['fleet', ...ops(), 'groups', 'create', 'cams'])).stdout).toBe('created group cams');
    const token = JSON.parse((await kiln(['fleet', ...ops(), 'enroll', 'cams', '--json'])).stdout)
      .token as string;
    const dir = mkdtempSync(join(tmpdir(), 'kiln-cli-agent-'));
    const first = await kiln([
      'agent',
      '--server',
      f.url,
      '--dir',
      dir,
      '--token',
      token,
      '--name',
      'cam-1',
      '--tag',
      'rack=7',
      '--once',
    ]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^agent [0-9a-f-]{36} \(group cams\)[\s\S]*running no model yet$/);
    const reused = await kiln([
      'agent',
      '--server',
      f.url,
      '--dir',
      mkdtempSync(join(tmpdir(), 'k-')),
      '--token',
      token,
      '--once',
    ]);
    expect(reused.code).toBe(1);
    expect(reused.stderr).toMatch(/already used/);

    const dep = await kiln([
      'fleet',
      ...ops(),
      'deploy',
      'cams',
      'det@1',
      '--canary',
      '1',
      '--soak',
      '0',
      '--json',
    ]);
    expect(dep.code, dep.stderr).toBe(0);
    const id = JSON.parse(dep.stdout).id as number;
    const second = await kiln(['agent', '--server', f.url, '--dir', dir, '--once']);
    expect(second.stdout).toMatch(
      /installed version 1 \(whole, downloaded [\d.]+ KiB of [\d.]+ KiB \(\d+\.\d %\)\); no delta: no artifact on the device/,
    );
    await eventually(async () => {
      const s = JSON.parse((await kiln(['fleet', ...ops(), 'status', String(id), '--json'])).stdout);
      return s.state === 'succeeded' ? s : undefined;
    });
    const table = (await kiln(['fleet', ...ops(), 'status', String(id)])).stdout;
    expect(table).toMatch(/^id\s+group\s+model\s+version\s+from\s+strategy\s+state\s+wave/);
    expect(table).toMatch(/cams\s+det\s+1\s+-\s+canary\s+succeeded\s+2\/2/);
    expect(table).toMatch(/gate-passed/);
    expect(table).toMatch(/delivery \(delta offered\): 1 devices, 0 by delta, 1 whole; downloaded/);
    const devices = (await kiln(['fleet', ...ops(), 'devices', '--group', 'cams'])).stdout;
    expect(devices).toMatch(/cam-1\s+cams\s+rack=7\s+wasm\s+\S+\s+det@1/);
    const groups = JSON.parse((await kiln(['fleet', ...ops(), 'groups', '--json'])).stdout);
    expect(groups).toEqual([expect.objectContaining({ name: 'cams', devices: 1 })]);
  });

  it('tags a device, makes a dynamic group of the tagged ones and filters the device list', async () => {
    const created = await kiln([
      'fleet',
      ...ops(),
      'groups',
      'create',
      'edge',
      '--filter',
      'tag.tier == "edge"',
    ]);
    expect(created.stdout).toBe('created dynamic group edge: 0 device(s) match tag.tier == "edge"');
    const cam = JSON.parse((await kiln(['fleet', ...ops(), 'devices', '--json'])).stdout)[0];
    const tagged = await kiln(['fleet', ...ops(), 'tag', cam.id, 'tier=edge', 'site=berlin']);
    expect(tagged.code, tagged.stderr).toBe(0);
    expect(tagged.stdout).toBe(`cam-1 (${cam.id}): rack=7 site=berlin tier=edge\njoined edge`);
    const list = (await kiln(['fleet', ...ops(), 'devices', '--filter', 'tag.site in ["berlin"]'])).stdout;
    expect(list).toMatch(/^id\s+name\s+groups\s+tags\s+target/);
    expect(list).toMatch(/cam-1\s+cams,edge\s+rack=7 site=berlin tier=edge\s+wasm/);
    const none = JSON.parse(
      (await kiln(['fleet', ...ops(), 'devices', '--filter', 'not tag.site == "berlin"', '--json'])).stdout,
    );
    expect(none).toEqual([]);
    const untagged = await kiln(['fleet', ...ops(), 'tag', cam.id, '--remove', 'tier']);
    expect(untagged.stdout).toBe(`cam-1 (${cam.id}): rack=7 site=berlin\nleft edge`);
    const badTag = await kiln(['fleet', ...ops(), 'tag', cam.id, 'tier']);
    expect(badTag.stderr).toMatch(/invalid tag 'tier' \(expected: KEY=VALUE/);
    const nothing = await kiln(['fleet', ...ops(), 'tag', cam.id]);
    expect(nothing.stderr).toMatch(/nothing to change/);
    const badFilter = await kiln(['fleet', ...ops(), 'groups', 'create', 'x', '--filter', 'tier == "edge"']);
    expect(badFilter.code).toBe(1);
    expect(badFilter.stderr).toMatch(/HTTP 400: invalid filter at position 0 .*unknown field 'tier'/);
  });

  it('explains bad input: a missing token, a bad --canary, a control on a finished deployment', async () => {
    const noToken = await kiln(['fleet', '--server', f.url, 'groups']);
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toMatch(/no API token.*KILN_TOKEN/);
    const badCanary = await kiln(['fleet', ...ops(), 'deploy', 'cams', 'det@1', '--canary', 'ten']);
    expect(badCanary.stderr).toMatch(/invalid --canary 'ten'/);
    const pause = await kiln(['fleet', ...ops(), 'pause', '1']);
    expect(pause.code).toBe(1);
    expect(pause.stderr).toMatch(/HTTP 409: cannot pause deployment 1: it is succeeded/);
    const down = await kiln(['fleet', '--server', 'http://127.0.0.1:9', '--token', 'x', 'devices']);
    expect(down.stderr).toMatch(/cannot reach the fleet server at http:\/\/127\.0\.0\.1:9/);
  });

  it('records a baseline from a folder of .npy files, lists alerts and explains a bad ack', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-baseline-'));
    const data = Float32Array.from({ length: 600 * 3 }, (_, i) => (i * 7919) % 1000);
    saveNpy(join(dir, 'x.npy'), new KilnTensor('float32', [600, 3], data));
    const b = await kiln(['fleet', ...ops(), 'baseline', 'det@1', '--data', dir, '--json']);
    expect(b.code, b.stderr).toBe(0);
    const baseline = JSON.parse(b.stdout);
    expect(baseline).toMatchObject({ model: 'det', version: 1, source: 'data' });
    expect(baseline.inputs.x.channels.map((c: { count: number }) => c.count)).toEqual([600, 600, 600]);
    const table = await kiln(['fleet', ...ops(), 'baseline', 'det@1', '--data', dir]);
    expect(table.stdout).toMatch(/^input\s+channel\s+count\s+mean/);
    const bad = await kiln(['fleet', ...ops(), 'baseline', 'det', '--data', dir]);
    expect(bad.stderr).toMatch(/invalid version 'det'/);
    const alerts = await kiln(['fleet', ...ops(), 'alerts', '--json']);
    expect(JSON.parse(alerts.stdout)).toEqual([]);
    const ack = await kiln(['fleet', ...ops(), 'ack', '42']);
    expect(ack.code).toBe(1);
    expect(ack.stderr).toMatch(/HTTP 404: alert 42 does not exist/);
  });
});
