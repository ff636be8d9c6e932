import { writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import {
  DEFAULT_GROUPS,
  type DriftSpec,
  type FaultSpec,
  defaultOptions,
  parseDrift,
  parseFault,
  parseRollout,
} from '../fleet/simulator/options.js';
import { KilnError } from '../runtime/errors.js';

const num = (v: string) => Number(v);
const collect =
  <T>(parse: (v: string) => T) =>
  (v: string, prev: T[]) => [...prev, parse(v)];

interface SimulateFlags {
  devices: number;
  duration: number;
  group: string[];
  pollMs: number;
  telemetryMs: number;
  inferMs: number;
  maxModelRuns: number;
  rollout: string;
  soak: number;
  drift: DriftSpec[];
  faults: FaultSpec[];
  maxP99Ms: number;
  seed: number;
  dir?: string;
  db?: string;
  progress: number;
  json?: string;
}

/**
 * `kiln fleet simulate`: the fleet's own `--server`/`--token` are used only when `--server` is
 * given on the command line (an environment KILN_SERVER is not enough: the simulator enrolls
 * devices and deploys, which should not reach a real fleet by accident).
 */
export function simulateCommand(): Command {
  return new Command('simulate')
    .description(
      'run N simulated devices (real agents, one process) against a fleet server: enroll, install, roll out a new version, with optional drift and faults; prints a summary and exits 0 when the run was healthy',
    )
    .requiredOption('--devices <n>', 'number of simulated devices', num)
    .option('--duration <seconds>', 'length of the measured phase (rollout, faults, load)', num, 30)
    .option(
      '--group <name>',
      `a device group (repeat; default ${DEFAULT_GROUPS.join(', ')})`,
      collect(String),
      [],
    )
    .option('--poll-ms <ms>', "the agents' poll interval", num, 1000)
    .option('--telemetry-ms <ms>', 'how often each agent sends telemetry', num, 10_000)
    .option('--infer-ms <ms>', 'how often each device gets an input for its model', num, 1000)
    .option(
      '--max-model-runs <per-second>',
      'fleet-wide model runs per second: devices run the model on a sampled share of their inputs beyond it',
      num,
      200,
    )
    .option(
      '--rollout <strategy>',
      'the new version goes out as: none, all, canary:N, canary:P%, waves:5,25,50,100',
      'canary:10%',
    )
    .option('--soak <seconds>', 'soak of each rollout wave', num, 2)
    .option(
      '--drift <group:shift>',
      'shift the inputs of a group by SHIFT standard deviations (repeat)',
      collect(parseDrift),
      [],
    )
    .option(
      '--faults <spec...>',
      "faults: 'self-test:GROUP[:N|P%]' (a broken runtime corrupts the new version's outputs, so its self-test fails), 'crash:N|P%[:DOWN_SECONDS]' (killed without goodbye, restarted from its folder), 'network:N|P%:SECONDS' (requests fail)",
      (v: string, prev: FaultSpec[]) => [...prev, ...v.split(',').map((s) => parseFault(s.trim()))],
      [],
    )
    .option('--max-p99-ms <ms>', 'the run is unhealthy above this poll p99 latency', num, 100)
    .option('--seed <n>', 'seed of inputs, fault choices and timings', num, 1)
    .option('--dir <dir>', 'keep device folders here (default: a temporary folder, removed)')
    .option('--db <url>', 'own server only: keep its tables in PostgreSQL (a database you can spare)')
    .option('--progress <seconds>', 'a progress line this often (0: none)', num, 5)
    .option('--json <file>', 'also write the summary as JSON')
    .addHelpText(
      'after',
      `
Without --server (of \`kiln fleet\`) on the command line it starts its own fleet server on
127.0.0.1 over a temporary registry; with it, --token must be an admin token. A run is healthy when
no unexpected error happened (injected faults are expected), each rollout ended as expected
(rolled back exactly in groups with self-test faults), every device runs its group's version, and
poll p99 <= --max-p99-ms. See docs/fleet.md (Simulator).`,
    )
    .action(async (f: SimulateFlags, cmd: Command) => {
      const parent = cmd.parent!;
      const g = parent.opts<{ server: string; token?: string }>();
      const external = parent.getOptionValueSource('server') === 'cli';
      if (external && !g.token) {
        throw new KilnError('--server needs an admin token', { expected: '--token T or KILN_TOKEN' });
      }
      if (external && f.db)
        throw new KilnError("--db is for the simulator's own server; drop it with --server");
      const o = {
        ...defaultOptions(f.devices),
        durationS: f.duration,
        ...(f.group.length ? { groups: f.group } : {}),
        pollMs: f.pollMs,
        telemetryMs: f.telemetryMs,
        inferMs: f.inferMs,
        maxModelRunsPerS: f.maxModelRuns,
        rollout: parseRollout(f.rollout),
        soakS: f.soak,
        drift: f.drift,
        faults: f.faults,
        maxPollP99Ms: f.maxP99Ms,
        seed: f.seed,
        progressMs: f.progress * 1000,
        ...(f.dir ? { dir: f.dir } : {}),
        ...(f.db ? { db: f.db } : {}),
        ...(external ? { server: { url: g.server, token: g.token! } } : {}),
      };
      // loaded here, so other kiln commands do not load the simulator (and fastify)
      const { simulate } = await import('../fleet/simulator/simulate.js');
      const { formatSummary } = await import('../fleet/simulator/summary.js');
      const summary = await simulate(o);
      for (const line of formatSummary(summary)) console.log(line);
      if (f.json) await writeFile(f.json, JSON.stringify(summary, null, 2) + '\n');
      if (!summary.healthy)
        throw new KilnError(`the simulated fleet was unhealthy: ${summary.reasons.join('; ')}`);
    });
}
