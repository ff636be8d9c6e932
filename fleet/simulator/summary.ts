import type { DeploymentState } from '../deployment-rows.js';
import type { FaultLog } from './faults.js';

export interface RolloutOutcome {
  group: string;
  deploymentId: number;
  state: DeploymentState;
  reason?: string;
  /** What the simulator expected: a rollback where devices of the group have self-test faults. */
  expected: 'succeeded' | 'rolled_back';
}

export interface LatencySummary {
  count: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

/** What `kiln fleet simulate` prints at the end and writes with --json. */
export interface SimulationSummary {
  healthy: boolean;
  /** Why the run is unhealthy (empty when healthy). */
  reasons: string[];
  server: string;
  devices: number;
  groups: string[];
  model: string;
  versions: { first: number; rollout?: number };
  /** The measured phase, seconds. */
  durationS: number;
  requests: Record<string, number>;
  polls: number;
  pollLatencyMs: LatencySummary;
  telemetryLatencyMs: LatencySummary;
  /** Polls per second in the measured phase. */
  pollRate: number;
  telemetryBatches: number;
  /** Telemetry batches accepted per second in the measured phase. */
  telemetryRate: number;
  installs: number;
  refusals: number;
  modelRuns: number;
  /** The share of inference ticks on which a device ran the model (1 for small fleets). */
  modelRunFraction: number;
  rollouts: RolloutOutcome[];
  /** Devices per group and version they run at the end. */
  running: Record<string, Record<string, number>>;
  faults: FaultLog & { selfTestDevices: number };
  errors: { unexpected: number; injected: number; samples: string[] };
  /** Alerts the server raised about this run's versions and groups. */
  alerts: {
    kind: string;
    group: string;
    version: number;
    input?: string;
    channel?: number;
    value: number;
    message: string;
  }[];
}

const ms = (v: number | null) => (v === null ? '-' : `${v.toFixed(1)} ms`);

/** The summary as lines for people. */
export function formatSummary(s: SimulationSummary): string[] {
  const lines = [
    `simulation ${s.healthy ? 'HEALTHY' : 'UNHEALTHY'}: ${s.devices} devices in ${s.groups.length} groups (${s.groups.join(', ')}) against ${s.server}`,
    `  measured ${s.durationS.toFixed(1)} s · ${s.model} v${s.versions.first}${s.versions.rollout ? ` → v${s.versions.rollout}` : ''}`,
    `  polls ${s.polls} (${s.pollRate.toFixed(0)}/s): p50 ${ms(s.pollLatencyMs.p50)}, p99 ${ms(s.pollLatencyMs.p99)}, max ${ms(s.pollLatencyMs.max)}`,
    `  telemetry batches ${s.telemetryBatches} (${s.telemetryRate.toFixed(1)}/s; upload p99 ${ms(s.telemetryLatencyMs.p99)}) · model runs ${s.modelRuns} (on ${(100 * s.modelRunFraction).toFixed(1)}% of ticks)`,
    `  installs ${s.installs} · refusals ${s.refusals} · requests ${Object.entries(s.requests)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `  faults: ${s.faults.selfTestDevices} broken runtimes, ${s.faults.crashes} crashes (${s.faults.restarts} restarts), ${s.faults.networkDrops} network drops`,
    `  errors: ${s.errors.unexpected} unexpected, ${s.errors.injected} injected`,
  ];
  for (const r of s.rollouts) {
    lines.push(
      `  rollout ${r.group}: deployment ${r.deploymentId} ${r.state}${r.reason ? ` (${r.reason})` : ''}; expected ${r.expected}`,
    );
  }
  for (const [g, versions] of Object.entries(s.running)) {
    lines.push(
      `  ${g} runs ${Object.entries(versions)
        .map(([v, n]) => `${v}: ${n}`)
        .join(', ')}`,
    );
  }
  for (const a of s.alerts) lines.push(`  alert ${a.kind} ${a.group}: ${a.message}`);
  for (const e of s.errors.samples) lines.push(`  error: ${e}`);
  for (const r of s.reasons) lines.push(`  unhealthy: ${r}`);
  return lines;
}
