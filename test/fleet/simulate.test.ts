import { describe, expect, it, vi } from 'vitest';
import { buildProgram, main } from '../../cli/program.js';
import { defaultOptions, parseDrift, parseFault, parseRollout } from '../../fleet/simulator/options.js';
import { startLocalServer } from '../../fleet/simulator/local-server.js';
import { simulate } from '../../fleet/simulator/simulate.js';
import type { SimulationSummary } from '../../fleet/simulator/summary.js';

/** A small, quick simulation; poll latency bound generous (a loaded 2-core machine runs the tests). */
const small = (devices: number, extra: Partial<ReturnType<typeof defaultOptions>> = {}) => ({
  ...defaultOptions(devices),
  durationS: 6,
  pollMs: 200,
  soakS: 0.5,
  rollout: { kind: 'canary' as const, devices: 1 },
  maxPollP99Ms: 5000,
  progressMs: 0,
  log: () => undefined,
  ...extra,
});

describe('kiln fleet simulate', () => {
  it('enrolls a small fleet, installs the first version and runs a canary rollout to completion', async () => {
    const s = await simulate(small(6));
    expect(s.reasons).toEqual([]);
    expect(s.healthy).toBe(true);
    expect(s.devices).toBe(6);
    expect(s.rollouts.map((r) => [r.group, r.state])).toEqual([
      ['sim-a', 'succeeded'],
      ['sim-b', 'succeeded'],
    ]);
    expect(s.running).toEqual({
      'sim-a': { [`v${s.versions.rollout}`]: 3 },
      'sim-b': { [`v${s.versions.rollout}`]: 3 },
    });
    expect(s.installs).toBe(12); // every device: the first version, then the rolled-out one
    expect(s.refusals).toBe(0);
    expect(s.polls).toBeGreaterThan(6);
    expect(s.pollLatencyMs.p50).toBeGreaterThan(0);
    expect(s.pollLatencyMs.p99).toBeGreaterThanOrEqual(s.pollLatencyMs.p50!);
    expect(s.modelRuns).toBeGreaterThan(0);
    expect(s.errors).toEqual({ unexpected: 0, injected: 0, samples: [] });
  });

  it('rolls a group back when its canary fails the self-test, and survives crashes and network drops', async () => {
    const s: SimulationSummary = await simulate(
      small(6, {
        durationS: 8,
        faults: [parseFault('self-test:sim-a'), parseFault('crash:2:1'), parseFault('network:2:1.5')],
      }),
    );
    expect(s.reasons).toEqual([]);
    const a = s.rollouts.find((r) => r.group === 'sim-a')!;
    expect(a).toMatchObject({ state: 'rolled_back', expected: 'rolled_back' });
    expect(a.reason).toMatch(/fail/);
    expect(s.rollouts.find((r) => r.group === 'sim-b')).toMatchObject({ state: 'succeeded' });
    // the canary refused the new version: its broken runtime gave NaN on the stored sample
    expect(s.refusals).toBeGreaterThanOrEqual(1);
    expect(s.faults).toMatchObject({ selfTestDevices: 3, crashes: 2, restarts: 2, networkDrops: 2 });
    expect(s.errors.unexpected).toBe(0);
    expect(s.errors.injected).toBeGreaterThan(0);
    expect(s.running['sim-a']).toEqual({ [`v${s.versions.first}`]: 3 });
    expect(s.running['sim-b']).toEqual({ [`v${s.versions.rollout}`]: 3 });
    expect(s.healthy).toBe(true);
  });

  it('raises a drift alert for the group whose inputs were shifted, and for that group only', async () => {
    const s = await simulate(
      small(6, {
        durationS: 8,
        telemetryMs: 1000,
        inferMs: 50, // 60 inputs a second per group: over the 100 values a channel needs within seconds
        rollout: { kind: 'none' },
        drift: [parseDrift('sim-b:1.5')],
      }),
    );
    expect(s.reasons).toEqual([]);
    expect(s.telemetryBatches).toBeGreaterThan(0);
    const drift = s.alerts.filter((a) => a.kind === 'drift');
    expect(new Set(drift.map((a) => a.group))).toEqual(new Set(['sim-b']));
    // every channel of x was shifted by 1.5 σ: each alerts, far over the PSI threshold of 0.2
    expect(drift.map((a) => a.channel).sort()).toEqual([0, 1, 2, 3]);
    for (const a of drift) {
      expect(a).toMatchObject({ input: 'x', version: s.versions.first });
      expect(a.value).toBeGreaterThan(0.5);
    }
    expect(s.healthy).toBe(true);
  });

  it('parses faults, drift and rollouts, and names what is wrong', () => {
    expect(parseFault('self-test:sim-a:2')).toEqual({
      kind: 'self-test',
      group: 'sim-a',
      share: { count: 2 },
    });
    expect(parseFault('crash:10%')).toEqual({ kind: 'crash', share: { percent: 10 }, downS: 2 });
    expect(parseFault('network:3:5')).toEqual({ kind: 'network', share: { count: 3 }, seconds: 5 });
    expect(() => parseFault('network:3')).toThrow(/invalid fault 'network:3'/);
    expect(() => parseFault('flood:3')).toThrow(/unknown fault 'flood:3'.*self-test:GROUP/);
    expect(parseDrift('sim-b:1.5')).toEqual({ group: 'sim-b', shift: 1.5 });
    expect(() => parseDrift('sim-b')).toThrow(/GROUP:SHIFT/);
    expect(parseRollout('waves:5,50,100')).toEqual({ kind: 'waves', percents: [5, 50, 100] });
    expect(parseRollout('canary:2')).toEqual({ kind: 'canary', devices: 2 });
    expect(() => parseRollout('canary')).toThrow(/invalid --rollout/);
  });

  it('refuses options that cannot work before starting anything', async () => {
    await expect(simulate(small(1))).rejects.toThrow(/1 devices cannot fill 2 groups/);
    await expect(simulate(small(4, { drift: [{ group: 'nope', shift: 1 }] }))).rejects.toThrow(
      /--drift nope:1 names group 'nope'.*sim-a, sim-b/,
    );
  });

  it('has --help, and the CLI exits 0 on a healthy run and 1 with the reason on an unhealthy one', async () => {
    const fleet = buildProgram().commands.find((c) => c.name() === 'fleet')!;
    const help = fleet.commands.find((c) => c.name() === 'simulate')!.helpInformation();
    expect(help).toMatch(/--devices <n>[\s\S]*--duration[\s\S]*--drift[\s\S]*--faults/);

    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
    try {
      const args = [
        'node',
        'kiln',
        'fleet',
        'simulate',
        '--devices',
        '4',
        '--duration',
        '3',
        '--poll-ms',
        '200',
      ];
      const ok = await main([...args, '--rollout', 'all', '--progress', '1', '--max-p99-ms', '5000']);
      expect(ok, err.join('\n')).toBe(0);
      expect(out.join('\n')).toMatch(/simulation HEALTHY: 4 devices in 2 groups/);
      expect(out.join('\n')).toMatch(/polls \d+ \(\d+\/s\): p50 [\d.]+ ms, p99 [\d.]+ ms/);
      out.length = 0;
      const bad = await main([...args, '--rollout', 'none', '--progress', '0', '--max-p99-ms', '0.001']);
      expect(bad).toBe(1);
      expect(out.join('\n')).toMatch(/simulation UNHEALTHY/);
      expect(err.join('\n')).toMatch(
        /the simulated fleet was unhealthy: poll p99 [\d.]+ ms is over 0.001 ms/,
      );
    } finally {
      vi.restoreAllMocks();
    }
  });

  it('runs against an existing server given with kiln fleet --server and an admin token', async () => {
    const server = await startLocalServer();
    const out: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const fleet = ['node', 'kiln', 'fleet', '--server', server.url];
      const args = ['simulate', '--devices', '2', '--group', 'ext', '--duration', '2', '--rollout', 'none'];
      const more = ['--poll-ms', '200', '--progress', '0', '--max-p99-ms', '5000'];
      expect(await main([...fleet, ...args, ...more])).toBe(1); // no token: refused before anything starts
      const code = await main([...fleet, '--token', server.adminToken, ...args, ...more]);
      expect(code, out.join('\n')).toBe(0);
      expect(out.join('\n')).toContain(
        `simulation HEALTHY: 2 devices in 1 groups (ext) against ${server.url}`,
      );
      const devices = await fetch(`${server.url}/fleet/v1/devices?group=ext`, {
        headers: { authorization: `Bearer ${server.adminToken}` },
      });
      expect(((await devices.json()) as unknown[]).length).toBe(2);
    } finally {
      vi.restoreAllMocks();
      await server.close();
    }
  });
});
