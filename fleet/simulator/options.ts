import { KilnError } from '../../runtime/errors.js';
import type { Strategy } from '../strategy.js';
import type { PublishedVersion } from './publish.js';

/** A share of a pool of devices: a count or a percentage. */
export type Share = { count: number } | { percent: number };

export type FaultSpec =
  /** Devices of `group` whose runtime corrupts the rolled-out version's outputs (self-test fails). */
  | { kind: 'self-test'; group: string; share: Share }
  /** Devices killed once (no goodbye) during the run and restarted from their folder `downS` later. */
  | { kind: 'crash'; share: Share; downS: number }
  /** Devices whose requests all fail for `seconds` during the run. */
  | { kind: 'network'; share: Share; seconds: number };

export interface DriftSpec {
  group: string;
  /** Added to every input channel's mean, in standard deviations. */
  shift: number;
}

export type RolloutSpec = { kind: 'none' } | Strategy;

export interface SimulationOptions {
  devices: number;
  /** The measured phase, after every device runs the first version. */
  durationS: number;
  groups: string[];
  /** An existing fleet server and an admin token; without it the simulator starts its own. */
  server?: { url: string; token: string };
  /** Own server only: keep its tables in PostgreSQL (a URL) instead of a temporary SQLite file. */
  db?: string;
  pollMs: number;
  telemetryMs: number;
  /** How often each device gets an input to run the model on. */
  inferMs: number;
  /** The fleet-wide budget of model runs per second (devices run on a sampled share of ticks). */
  maxModelRunsPerS: number;
  rollout: RolloutSpec;
  soakS: number;
  drift: DriftSpec[];
  faults: FaultSpec[];
  /** The run is unhealthy when the measured poll p99 exceeds this. */
  maxPollP99Ms: number;
  seed: number;
  /** Where device folders go (default: a temporary folder, removed afterwards). */
  dir?: string;
  /** A progress line this often (0: none). */
  progressMs: number;
  /** Enrollments and first-version waits in flight at once. */
  concurrency: number;
  log: (line: string) => void;
  /** Versions of the demo model already in the registry (otherwise the simulator publishes them). */
  published?: { first: PublishedVersion; second?: PublishedVersion };
  /** Called (and awaited) when the measured phase starts and when it ends (the benchmark samples CPU). */
  onPhase?: (phase: 'measure' | 'settle') => Promise<void> | void;
}

export const DEFAULT_GROUPS = ['sim-a', 'sim-b'];

export function defaultOptions(devices: number): SimulationOptions {
  return {
    devices,
    durationS: 30,
    groups: DEFAULT_GROUPS,
    pollMs: 1000,
    telemetryMs: 10_000,
    inferMs: 1000,
    maxModelRunsPerS: 200,
    rollout: { kind: 'canary', percent: 10 },
    soakS: 2,
    drift: [],
    faults: [],
    maxPollP99Ms: 100,
    seed: 1,
    progressMs: 5000,
    concurrency: 32,
    log: (line) => console.log(line),
  };
}

/** `3` or `25%`. */
export function parseShare(text: string, what: string): Share {
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(text.trim());
  if (!m)
    throw new KilnError(`invalid ${what} '${text}'`, {
      expected: 'a device count (3) or a percentage (25%)',
    });
  const n = Number(m[1]);
  if (m[2]) {
    if (n > 100) throw new KilnError(`invalid ${what} '${text}'`, { expected: 'a percentage up to 100%' });
    return { percent: n };
  }
  if (!Number.isInteger(n))
    throw new KilnError(`invalid ${what} '${text}'`, { expected: 'a whole device count' });
  return { count: n };
}

/** How many of `pool` devices a share names (a percentage rounds up, so 10% of 6 is 1). */
export function shareOf(share: Share, pool: number): number {
  return 'count' in share
    ? Math.min(pool, share.count)
    : Math.min(pool, Math.ceil((share.percent / 100) * pool));
}

const FAULT_FORMS = "'self-test:GROUP[:N|P%]', 'crash:N|P%[:DOWN_SECONDS]' or 'network:N|P%:SECONDS'";

function positiveSeconds(text: string | undefined, fallback: number, spec: string): number {
  if (text === undefined) return fallback;
  const s = Number(text);
  if (!(s > 0)) throw new KilnError(`invalid fault '${spec}': '${text}' is not a positive number of seconds`);
  return s;
}

/** One `--faults` item. */
export function parseFault(spec: string): FaultSpec {
  const [kind, a, b, ...rest] = spec.split(':');
  if (rest.length > 0 || !a) throw new KilnError(`invalid fault '${spec}'`, { expected: FAULT_FORMS });
  switch (kind) {
    case 'self-test':
      return { kind, group: a, share: b === undefined ? { percent: 100 } : parseShare(b, `fault '${spec}'`) };
    case 'crash':
      return { kind, share: parseShare(a, `fault '${spec}'`), downS: positiveSeconds(b, 2, spec) };
    case 'network':
      if (b === undefined) throw new KilnError(`invalid fault '${spec}'`, { expected: FAULT_FORMS });
      return { kind, share: parseShare(a, `fault '${spec}'`), seconds: positiveSeconds(b, 0, spec) };
    default:
      throw new KilnError(`unknown fault '${spec}'`, { expected: FAULT_FORMS });
  }
}

/** One `--drift GROUP:SHIFT` item. */
export function parseDrift(spec: string): DriftSpec {
  const i = spec.lastIndexOf(':');
  const shift = Number(spec.slice(i + 1));
  if (i <= 0 || !Number.isFinite(shift) || spec.slice(i + 1).trim() === '') {
    throw new KilnError(`invalid --drift '${spec}'`, {
      expected: 'GROUP:SHIFT, the shift in standard deviations (e.g. sim-b:1.5)',
    });
  }
  return { group: spec.slice(0, i), shift };
}

/** `--rollout none|all|canary:N|canary:P%|waves:5,25,50,100`. */
export function parseRollout(spec: string): RolloutSpec {
  if (spec === 'none') return { kind: 'none' };
  if (spec === 'all') return { kind: 'all-at-once' };
  const [kind, arg] = [spec.slice(0, spec.indexOf(':')), spec.slice(spec.indexOf(':') + 1)];
  if (kind === 'canary' && arg) {
    const share = parseShare(arg, `--rollout '${spec}'`);
    return 'count' in share
      ? { kind: 'canary', devices: share.count }
      : { kind: 'canary', percent: share.percent };
  }
  if (kind === 'waves' && arg) {
    const percents = arg.split(',').map((p) => Number(p.trim().replace(/%$/, '')));
    if (percents.every((p) => p > 0 && p <= 100)) return { kind: 'waves', percents };
  }
  throw new KilnError(`invalid --rollout '${spec}'`, {
    expected: 'none, all, canary:N, canary:P% or waves:5,25,50,100',
  });
}

/** Checks that do not need the server: counts, durations, group names used by drift and faults. */
export function checkOptions(o: SimulationOptions): void {
  const positive: [string, number][] = [
    ['--devices', o.devices],
    ['--poll-ms', o.pollMs],
    ['--telemetry-ms', o.telemetryMs],
    ['--infer-ms', o.inferMs],
  ];
  for (const [name, v] of positive) {
    if (!(Number.isFinite(v) && v > 0)) throw new KilnError(`${name} must be a positive number, not ${v}`);
  }
  if (!Number.isInteger(o.devices)) throw new KilnError(`--devices must be a whole number, not ${o.devices}`);
  if (!(o.durationS >= 0)) throw new KilnError(`--duration must be 0 or more seconds, not ${o.durationS}`);
  if (o.groups.length === 0) throw new KilnError('at least one --group is needed');
  if (o.devices < o.groups.length) {
    throw new KilnError(`${o.devices} devices cannot fill ${o.groups.length} groups`, {
      expected: 'at least one device per group',
    });
  }
  if (new Set(o.groups).size !== o.groups.length)
    throw new KilnError(`--group names repeat: ${o.groups.join(', ')}`);
  const named = [
    ...o.drift.map((d) => ({ group: d.group, what: `--drift ${d.group}:${d.shift}` })),
    ...o.faults.flatMap((f) =>
      f.kind === 'self-test' ? [{ group: f.group, what: `--faults self-test:${f.group}` }] : [],
    ),
  ];
  for (const n of named) {
    if (!o.groups.includes(n.group)) {
      throw new KilnError(`${n.what} names group '${n.group}', which the simulation does not have`, {
        expected: `one of ${o.groups.join(', ')}`,
      });
    }
  }
  if (o.faults.some((f) => f.kind === 'self-test') && o.rollout.kind === 'none') {
    throw new KilnError('a self-test fault needs a rollout', { expected: '--rollout other than none' });
  }
}
