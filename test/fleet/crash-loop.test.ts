import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../fleet/agent/agent.js';
import { type TestFleet, eventually, modelV, publish, startFleet } from './fixtures.js';

/**
 * A process that dies on a new model comes back through Agent.start each time (systemd, a watchdog):
 * starting an agent again on the same folder without stopping the old one is exactly that.
 */
describe('crash-loop revert', () => {
  let f: TestFleet;
  let dir: string;
  const policy = { maxStarts: 3, windowMs: 60_000 };
  const restart = () => Agent.start({ server: f.url, dir, crashLoop: policy });
  const deploy = async (v: number, soakMs = 0) => {
    const r = await f.api('POST', '/deployments', f.adminToken, {
      group: 'cl',
      model: `det@${v}`,
      strategy: { kind: 'all-at-once' },
      soakMs,
      waveTimeoutMs: 120_000,
    });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    return r.json.id as number;
  };
  const state = async (id: number) => (await f.api('GET', `/deployments/${id}`, f.readToken)).json;

  beforeAll(async () => {
    f = await startFleet({ name: 'sqlite' });
    for (const s of [1, 2, 3]) await publish(f.reg, 'det', modelV(s));
    await f.api('POST', '/groups', f.adminToken, { name: 'cl' });
    dir = mkdtempSync(join(tmpdir(), 'kiln-crash-loop-'));
    const token = (await f.api('POST', '/enrollment-tokens', f.adminToken, { group: 'cl' })).json.token;
    const a = await Agent.start({ server: f.url, dir, enrollmentToken: token, crashLoop: policy });
    const first = await deploy(1);
    expect(await a.syncOnce()).toMatchObject({ action: 'installed', version: 1 });
    await eventually(async () => ((await state(first)).state === 'succeeded' ? true : undefined));
  });
  afterAll(async () => {
    await f?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('goes back to the previous slot after too many starts on a new version, reports it and never retries it', async () => {
    const id = await deploy(2, 60_000); // a long soak: the crash loop is found inside it
    const a = await restart();
    expect(await a.syncOnce()).toMatchObject({ action: 'installed', version: 2 });
    const v2 = a.running!.sha256;
    for (let i = 0; i < policy.maxStarts; i++) expect((await restart()).running?.version).toBe(2);

    const looped = await restart(); // one start too many
    expect(looped.running).toMatchObject({ model: 'det', version: 1 });
    expect(looped.session).toBeDefined();
    expect(await looped.syncOnce()).toEqual({ action: 'skipped' });
    // the failed report says what the device went back to: the server's record follows at once
    const device = (await f.api('GET', `/devices/${looped.deviceId}`, f.readToken)).json;
    expect(device.current).toEqual({ model: 'det', version: 1 });
    const d = await eventually(async () => {
      const s = await state(id);
      return s.state === 'running' ? undefined : s;
    });
    expect(d.state).toBe('rolled_back');
    const reports = await f.reg.db.all<{ outcome: string; reason: string }>(
      'SELECT outcome, reason FROM fleet_reports WHERE deployment_id = ? ORDER BY id',
      [id],
    );
    expect(reports.at(-1)).toMatchObject({ outcome: 'failed' });
    expect(reports.at(-1)!.reason).toMatch(
      /crash loop: 4 starts within 60 s of installing det@2; went back to det@1/,
    );

    // the refusal survives restarts: the next start stays on v1 and does not download v2 again
    const later = await restart();
    expect(later.running?.version).toBe(1);
    expect(JSON.parse(readFileSync(join(dir, 'refused.json'), 'utf8'))).toEqual({
      [v2]: expect.stringMatching(/^crash loop/),
    });
    expect(await later.syncOnce()).toEqual({ action: 'current' }); // the rollback sent the group to v1
    expect(later.running?.version).toBe(1);
  });

  it('does not count starts after the probation window', async () => {
    const id = await deploy(3);
    const a = await Agent.start({ server: f.url, dir, crashLoop: { maxStarts: 1, windowMs: 200 } });
    expect(await a.syncOnce()).toMatchObject({ action: 'installed', version: 3 });
    await eventually(async () => ((await state(id)).state === 'succeeded' ? true : undefined));
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 3; i++) {
      const again = await Agent.start({ server: f.url, dir, crashLoop: { maxStarts: 1, windowMs: 200 } });
      expect(again.running?.version).toBe(3);
    }
  });
});
