import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KilnError } from '../../runtime/errors.js';
import { seededRandom } from '../../runtime/prng.js';
import type { DeploymentRecord } from '../deployment-rows.js';
import { type Alert, DRIFT_MIN_COUNT } from '../telemetry/types.js';
import type { EnrollmentToken } from '../enrollment.js';
import { DEMO_MODEL } from './demo-model.js';
import { publishOverHttp } from './publish.js';
import { DeviceEvents, SimDevice } from './device.js';
import { applySelfTestFaults, scheduleFaults } from './faults.js';
import { InputGenerator } from './inputs.js';
import { type LocalServer, startLocalServer } from './local-server.js';
import { driftExpectations, runAlerts, uploadBaseline } from './monitoring.js';
import { OperatorClient } from './operator-client.js';
import { type SimulationOptions, checkOptions } from './options.js';
import { SharedSessions } from './shared-sessions.js';
import type { LatencySummary, RolloutOutcome, SimulationSummary } from './summary.js';
import { TrafficStats, quantile } from './traffic.js';

/** How often the simulator's own server evaluates drift and regressions (its default is 5 s). */
const OWN_SERVER_MONITOR_MS = 1000;
/**
 * The p95 latency ratio the rollouts tolerate: the demo model takes microseconds, so its latency is
 * all scheduling noise of a loaded machine, and the default gate (1.5) would fail on noise.
 */
const ROLLOUT_MAX_P95_RATIO = 5;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Run `fn` over `items` with at most `limit` calls in flight. */
async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (t: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) return false;
    await sleep(50);
  }
  return true;
}

function latency(samples: number[]): LatencySummary {
  const q = (p: number) => quantile(samples, p) ?? null;
  return { count: samples.length, p50: q(0.5), p99: q(0.99), max: q(1) };
}

/**
 * `kiln fleet simulate`: N devices, each a real Agent state machine with its own folder, in this
 * process, against a fleet server on 127.0.0.1 (its own unless `server` is given). Phases:
 *
 * 1. setup: publish two versions of the demo model, create the groups, enroll every device, deploy
 *    the first version to every group at once and wait until every device runs it;
 * 2. measured (`durationS`): inputs flow (drift on), the second version rolls out to every group
 *    with the chosen strategy, faults strike; poll latencies are recorded;
 * 3. settle: faults are undone and the simulator waits until the deployments have finished and
 *    every device runs what its group should, then judges the run (see `judge` below).
 */
export async function simulate(o: SimulationOptions): Promise<SimulationSummary> {
  checkOptions(o);
  const rng = seededRandom(o.seed);
  const stats = new TrafficStats();
  const events = new DeviceEvents();
  const sessions = new SharedSessions();
  let local: LocalServer | undefined;
  const devices: SimDevice[] = [];
  const base = o.dir ?? (await mkdtemp(join(tmpdir(), 'kiln-sim-')));
  const log = (line: string) => o.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}`);
  const t0 = Date.now();
  try {
    if (!o.server) {
      local = await startLocalServer({
        ...(o.db ? { db: o.db } : {}),
        server: { telemetryIntervalMs: o.telemetryMs, monitorIntervalMs: OWN_SERVER_MONITOR_MS },
      });
      log(`started a fleet server at ${local.url} (${o.db ? 'PostgreSQL' : 'SQLite in a temporary folder'})`);
    }
    const server = o.server ?? { url: local!.url, token: local!.adminToken };
    const ops = new OperatorClient(server.url, server.token);

    // 1. setup
    const first = o.published?.first ?? (await publishOverHttp(ops, 1));
    const second =
      o.rollout.kind === 'none' ? undefined : (o.published?.second ?? (await publishOverHttp(ops, 2)));
    log(`published ${DEMO_MODEL} v${first.version}${second ? ` and v${second.version}` : ''}`);
    for (const v of [first, ...(second ? [second] : [])])
      await uploadBaseline(ops, v.version, o.seed ^ 0x5eed);
    for (const g of o.groups) await ops.call('POST', '/groups', { name: g }, { allow: [409] });
    const ctx = {
      server: server.url,
      stats,
      sessions,
      corruptShas: new Set(second ? [second.sha256] : []),
      pollMs: o.pollMs,
      telemetryMs: o.telemetryMs,
      events,
    };
    await mkdir(base, { recursive: true });
    for (let i = 0; i < o.devices; i++) {
      const group = o.groups[i % o.groups.length]!;
      const name = `sim-${String(i).padStart(5, '0')}`;
      devices.push(
        new SimDevice(name, group, join(base, name), new InputGenerator(o.seed * 1_000_003 + i), ctx),
      );
    }
    const broken = applySelfTestFaults(devices, o.faults, rng);
    await mapLimit(devices, o.concurrency, async (d) => {
      const t = await ops.call<EnrollmentToken>('POST', '/enrollment-tokens', { group: d.group });
      await d.start(t.token);
    });
    log(`enrolled ${devices.length} devices`);
    const initial: number[] = [];
    for (const g of o.groups) {
      const d = await ops.call<DeploymentRecord>('POST', '/deployments', {
        group: g,
        model: `${DEMO_MODEL}@${first.version}`,
        strategy: { kind: 'all-at-once' },
        soakMs: 0,
      });
      initial.push(d.id);
    }
    const setupMs = 60_000 + 20 * o.devices;
    if (!(await until(() => devices.every((d) => d.version === first.version), setupMs))) {
      const behind = devices.filter((d) => d.version !== first.version).length;
      throw new KilnError(
        `${behind} of ${devices.length} devices did not install v${first.version} within ${setupMs / 1000} s`,
        {
          expected: 'a server that keeps up with the enrollment (fewer --devices, or a longer poll interval)',
        },
      );
    }
    // a device switches before its report arrives: the deployments finish a moment later
    const setupEnd = Date.now() + setupMs;
    for (const id of initial) {
      for (;;) {
        const d = await ops.call<DeploymentRecord>('GET', `/deployments/${id}`);
        if (d.state === 'succeeded') break;
        if (d.state !== 'running' || Date.now() > setupEnd) {
          throw new KilnError(
            `the first deployment (${id}, ${d.group}) ended ${d.state}${d.reason ? `: ${d.reason}` : ''}`,
            {
              expected: 'it to succeed: every device installs the first version',
            },
          );
        }
        await sleep(100);
      }
    }
    log(`every device runs v${first.version}`);

    // 2. measured phase
    const durationMs = o.durationS * 1000;
    await o.onPhase?.('measure');
    stats.measuring = true;
    const measuredFrom = performance.now();
    for (const d of devices) d.inputs.shift = o.drift.find((x) => x.group === d.group)?.shift ?? 0;
    const runFraction = Math.min(1, (o.maxModelRunsPerS * o.inferMs) / 1000 / o.devices);
    const infer = inferenceTicker(devices, o.inferMs, runFraction);
    const rollouts = new Map<string, number>();
    if (second && o.rollout.kind !== 'none') {
      for (const g of o.groups) {
        const d = await ops.call<DeploymentRecord>('POST', '/deployments', {
          group: g,
          model: `${DEMO_MODEL}@${second.version}`,
          strategy: o.rollout,
          soakMs: Math.round(o.soakS * 1000),
          waveTimeoutMs: Math.max(60_000, 2 * durationMs),
          maxFailureRate: 0,
          maxP95Ratio: ROLLOUT_MAX_P95_RATIO,
        });
        rollouts.set(g, d.id);
      }
      log(
        `rolling out v${second.version}: ${[...rollouts].map(([g, id]) => `${g} deployment ${id}`).join(', ')}`,
      );
    }
    const faults = scheduleFaults(devices, o.faults, durationMs, rng, (err) =>
      events.unexpectedError('fault injection', err),
    );
    const progress =
      o.progressMs > 0
        ? progressTicker(o.progressMs, () => progressLine(devices, stats, events, ops, rollouts).then(log))
        : undefined;
    await sleep(durationMs);
    const measuredS = (performance.now() - measuredFrom) / 1000;
    stats.measuring = false;
    await o.onPhase?.('settle');

    // 3. settle
    progress?.stop();
    await faults.end();
    const states = async () =>
      Promise.all(
        [...rollouts].map(async ([g, id]) => ({
          group: g,
          d: await ops.call<DeploymentRecord>('GET', `/deployments/${id}`),
        })),
      );
    const settleMs = Math.max(15_000, 10 * o.pollMs) + Math.round(o.soakS * 1000) * 4;
    const settleEnd = Date.now() + settleMs;
    let finals = await states();
    while (finals.some((f) => f.d.state === 'running' || f.d.state === 'paused') && Date.now() < settleEnd) {
      await sleep(200);
      finals = await states();
    }
    const expectedVersion = (group: string) => {
      const f = finals.find((x) => x.group === group);
      return f && f.d.state === 'succeeded' ? f.d.version : first.version;
    };
    await until(
      () => devices.every((d) => d.version === expectedVersion(d.group)),
      Math.max(0, settleEnd - Date.now()),
    );
    // drift alerts come after a telemetry send and a monitor pass: give them that long
    const runVersions = [first.version, ...(second ? [second.version] : [])];
    const { expected: driftGroups } = driftExpectations(o.groups, o.drift);
    const alertsCover = (list: Alert[]) =>
      driftGroups.every((g) => list.some((a) => a.kind === 'drift' && a.group === g));
    let alerts = await runAlerts(ops, runVersions, o.groups, t0);
    const alertsUntil = Date.now() + o.telemetryMs + 3 * OWN_SERVER_MONITOR_MS + 2000;
    while (!alertsCover(alerts) && Date.now() < alertsUntil) {
      await sleep(250);
      alerts = await runAlerts(ops, runVersions, o.groups, t0);
    }
    infer.stop();

    const outcomes: RolloutOutcome[] = finals.map(({ group, d }) => ({
      group,
      deploymentId: d.id,
      state: d.state,
      ...(d.reason ? { reason: d.reason } : {}),
      expected: broken.some((b) => b.group === group) ? 'rolled_back' : 'succeeded',
    }));
    const running: Record<string, Record<string, number>> = {};
    for (const d of devices) {
      const r = (running[d.group] ??= {});
      const k = d.version === undefined ? 'none' : `v${d.version}`;
      r[k] = (r[k] ?? 0) + 1;
    }
    const polls = stats.latencyMs.poll;
    const unexpected = events.unexpectedCount + [...stats.failures.values()].reduce((a, b) => a + b, 0);
    const summary: SimulationSummary = {
      healthy: true,
      reasons: [],
      server: server.url,
      devices: devices.length,
      groups: o.groups,
      model: DEMO_MODEL,
      versions: { first: first.version, ...(second ? { rollout: second.version } : {}) },
      durationS: measuredS,
      requests: { ...stats.requests },
      polls: polls.length,
      pollLatencyMs: latency(polls),
      telemetryLatencyMs: latency(stats.latencyMs.telemetry),
      pollRate: polls.length / measuredS,
      telemetryBatches: stats.telemetryBatches,
      telemetryRate: stats.latencyMs.telemetry.length / measuredS,
      installs: events.installs,
      refusals: events.refusals,
      modelRuns: events.modelRuns,
      modelRunFraction: runFraction,
      rollouts: outcomes,
      running,
      faults: { ...faults.log, selfTestDevices: broken.length },
      errors: {
        unexpected,
        injected: events.injectedErrors,
        samples: [...events.unexpected.keys(), ...stats.failures.keys()].slice(0, 10),
      },
      alerts: alerts.map((a) => ({
        kind: a.kind,
        group: a.group,
        version: a.version,
        ...(a.input !== undefined ? { input: a.input } : {}),
        ...(a.channel !== undefined ? { channel: a.channel } : {}),
        value: a.value,
        message: a.message,
      })),
    };
    judge(summary, o, devices, expectedVersion);
    return summary;
  } finally {
    await Promise.all(devices.map((d) => d.agent?.stop().catch(() => undefined)));
    await local?.close();
    if (!o.dir) await rm(base, { recursive: true, force: true });
  }
}

/**
 * A run is healthy when: no unexpected error happened (injected network drops and crashes are
 * expected; any other failed request, poll, refusal or model run is not); each rollout ended as
 * expected (rolled back exactly in the groups with self-test faults); every device runs what its
 * group should; every group whose inputs were shifted by ≥ 1 σ has a drift alert and no unshifted
 * group has one; and the measured poll p99 is within `maxPollP99Ms`.
 */
function judge(
  s: SimulationSummary,
  o: SimulationOptions,
  devices: SimDevice[],
  expectedVersion: (group: string) => number,
): void {
  if (s.errors.unexpected > 0) s.reasons.push(`${s.errors.unexpected} unexpected errors`);
  for (const r of s.rollouts) {
    if (r.state !== r.expected) {
      s.reasons.push(
        `the rollout to ${r.group} ended ${r.state}${r.reason ? ` (${r.reason})` : ''}, expected ${r.expected}`,
      );
    }
  }
  const off = devices.filter((d) => d.version !== expectedVersion(d.group));
  if (off.length > 0) {
    s.reasons.push(
      `${off.length} devices do not run their group's version (e.g. ${off[0]!.name} in ${off[0]!.group} runs ${off[0]!.version ?? 'nothing'}, expected v${expectedVersion(off[0]!.group)})`,
    );
  }
  const { expected, clean } = driftExpectations(o.groups, o.drift);
  const drifted = new Set(s.alerts.filter((a) => a.kind === 'drift').map((a) => a.group));
  for (const g of expected) {
    if (!drifted.has(g)) {
      s.reasons.push(
        `no drift alert for ${g}, whose inputs were shifted (a channel needs ${DRIFT_MIN_COUNT} values in the monitor window: run longer, or feed more often with --infer-ms)`,
      );
    }
  }
  for (const g of clean)
    if (drifted.has(g)) s.reasons.push(`a drift alert for ${g}, whose inputs were not shifted`);
  const p99 = s.pollLatencyMs.p99;
  if (p99 === null) s.reasons.push('no poll completed in the measured phase');
  else if (p99 > o.maxPollP99Ms) s.reasons.push(`poll p99 ${p99.toFixed(1)} ms is over ${o.maxPollP99Ms} ms`);
  s.healthy = s.reasons.length === 0;
}

/**
 * Feeds the models: every `inferMs` each device gets one inference tick; it runs the model on a
 * `fraction` of them (seeded per device), so the whole fleet stays within the run budget. The
 * devices are visited in 20 slices per period, so the load is spread over time.
 */
function inferenceTicker(devices: SimDevice[], inferMs: number, fraction: number): { stop(): void } {
  const slices = 20;
  let slice = 0;
  const timer = setInterval(() => {
    for (let i = slice; i < devices.length; i += slices) {
      const d = devices[i]!;
      if (d.inputs.uniform() < fraction) void d.runModel();
    }
    slice = (slice + 1) % slices;
  }, inferMs / slices);
  return { stop: () => clearInterval(timer) };
}

function progressTicker(ms: number, line: () => Promise<void>): { stop(): void } {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void line()
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, ms);
  return { stop: () => clearInterval(timer) };
}

async function progressLine(
  devices: SimDevice[],
  stats: TrafficStats,
  events: DeviceEvents,
  ops: OperatorClient,
  rollouts: Map<string, number>,
): Promise<string> {
  const versions = new Map<string, number>();
  for (const d of devices) {
    const k = d.version === undefined ? 'none' : `v${d.version}`;
    versions.set(k, (versions.get(k) ?? 0) + 1);
  }
  const p99 = quantile(stats.latencyMs.poll.slice(-5000), 0.99);
  const deployments = await Promise.all(
    [...rollouts].map(async ([g, id]) => {
      const d = await ops.call<DeploymentRecord>('GET', `/deployments/${id}`);
      return `${g} ${d.state}${d.state === 'running' ? ` wave ${d.wave + 1}/${d.waves.length}` : ''}`;
    }),
  );
  return [
    `devices ${[...versions].map(([v, n]) => `${v} ${n}`).join(', ')}`,
    `polls ${stats.requests.poll} (recent p99 ${p99 === undefined ? '-' : p99.toFixed(1)} ms)`,
    `installs ${events.installs}, refusals ${events.refusals}`,
    `telemetry ${stats.telemetryBatches}`,
    `errors ${events.unexpectedCount + [...stats.failures.values()].reduce((a, b) => a + b, 0)} unexpected, ${events.injectedErrors} injected`,
    ...(deployments.length ? [`rollouts: ${deployments.join(', ')}`] : []),
  ].join(' · ');
}
