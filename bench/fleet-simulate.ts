/**
 * Fleet load benchmark: `kiln fleet simulate` against a fleet server in a separate process.
 *
 *   npx tsx bench/fleet-simulate.ts [--devices 1000] [--duration 60] [--search-duration 20]
 *     [--max-devices 16000] [--no-search] [--pg URL] [--no-sqlite] [--out FILE]
 *
 * For each store (SQLite; PostgreSQL when --pg URL or KILN_TEST_PG_URL is given, in a fresh
 * database dropped afterwards): 1. --devices devices polling every second and sending telemetry
 * every 10 s for --duration s: poll latency (client and server side), telemetry ingest, server CPU
 * and RSS; 2. the largest fleet with client-side poll p99 under 100 ms: doubling from --devices
 * while it holds (halving while it does not, down to 50), --search-duration s each on a fresh
 * server, then one step halfway between the largest that held and the smallest that did not. Prints a table and writes JSON to bench/results/.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { defaultOptions } from '../fleet/simulator/options.js';
import { simulate } from '../fleet/simulator/simulate.js';
import type { SimulationSummary } from '../fleet/simulator/summary.js';
import type { Prepared, ServerMark } from './fleet-server-process.js';
import type { PublishedVersion } from '../fleet/simulator/publish.js';

const P99_BOUND_MS = 100;
const MIN_DEVICES = 50;

interface Args {
  devices: number;
  duration: number;
  searchDuration: number;
  maxDevices: number;
  search: boolean;
  sqlite: boolean;
  pg?: string;
  out: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    devices: 1000,
    duration: 60,
    searchDuration: 20,
    maxDevices: 16_000,
    search: true,
    sqlite: true,
    ...(process.env.KILN_TEST_PG_URL ? { pg: process.env.KILN_TEST_PG_URL } : {}),
    out: join('bench', 'results', `fleet-simulate-${new Date().toISOString().slice(0, 10)}.json`),
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '--devices') a.devices = Number(value());
    else if (flag === '--duration') a.duration = Number(value());
    else if (flag === '--search-duration') a.searchDuration = Number(value());
    else if (flag === '--max-devices') a.maxDevices = Number(value());
    else if (flag === '--no-search') a.search = false;
    else if (flag === '--no-sqlite') a.sqlite = false;
    else if (flag === '--pg') a.pg = value();
    else if (flag === '--out') a.out = value();
    else throw new Error(`unknown flag ${flag} (see the comment at the top of bench/fleet-simulate.ts)`);
  }
  return a;
}

/** Fork bench/fleet-server-process.ts in `mode`; resolves with the first message having `key`. */
function forkServer<T>(
  mode: string,
  env: Record<string, string>,
  key: string,
): { child: ChildProcess; first: Promise<T> } {
  const child = fork(join(import.meta.dirname, 'fleet-server-process.ts'), [mode], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const first = new Promise<T>((resolve, reject) => {
    const onExit = (code: number | null) =>
      reject(new Error(`the ${mode} process exited (${code}) before answering`));
    child.once('exit', onExit);
    child.on('message', (m: Record<string, unknown>) => {
      if (!(key in m)) return;
      child.off('exit', onExit);
      resolve(m[key] as T);
    });
  });
  return { child, first };
}

interface BenchServer {
  url: string;
  token: string;
  first: PublishedVersion;
  mark(): Promise<ServerMark>;
  close(): Promise<void>;
}

/** A fresh registry prepared in one process, then the fleet server over it in another. */
async function startServer(db?: string): Promise<BenchServer> {
  const home = mkdtempSync(join(process.env.TMPDIR || '/tmp', 'kiln-bench-registry-'));
  const env = { KILN_BENCH_HOME: home, ...(db ? { KILN_BENCH_DB: db } : {}) };
  const prepared = await forkServer<Prepared>('prepare', env, 'prepared').first;
  const { child, first } = forkServer<{ url: string }>('serve', env, 'ready');
  const { url } = await first;
  return {
    url,
    token: prepared.token,
    first: prepared.first,
    mark: () =>
      new Promise((resolve) => {
        const on = (m: { mark?: ServerMark }) => {
          if (!m.mark) return;
          child.off('message', on);
          resolve(m.mark);
        };
        child.on('message', on);
        child.send({ cmd: 'mark' });
      }),
    close: () =>
      new Promise((resolve) => {
        child.once('exit', () => {
          rmSync(home, { recursive: true, force: true });
          resolve();
        });
        child.send({ cmd: 'close' });
      }),
  };
}

interface Row {
  store: string;
  devices: number;
  durationS: number;
  ok: boolean;
  note?: string;
  pollRate?: number;
  clientP50?: number | null;
  clientP99?: number | null;
  serverP50?: number | null;
  serverP99?: number | null;
  telemetryBatchesPerS?: number;
  serverCpuPercent?: number;
  serverRssMiB?: number;
  serverPeakRssMiB?: number;
  simulatorCpuPercent?: number;
  loadAverage1m: number;
  errors?: number;
}

const shm = existsSync('/dev/shm') ? '/dev/shm' : undefined;

/** One simulation of `devices` devices against a fresh server (and database); never throws. */
async function measure(
  store: string,
  pgUrl: string | undefined,
  devices: number,
  durationS: number,
): Promise<Row> {
  return pgUrl
    ? withPgDatabase(pgUrl, (db) => measureOn(store, db, devices, durationS))
    : measureOn(store, undefined, devices, durationS);
}

async function measureOn(
  store: string,
  db: string | undefined,
  devices: number,
  durationS: number,
): Promise<Row> {
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(db);
  } catch (err) {
    return {
      store,
      devices,
      durationS,
      ok: false,
      note: (err as Error).message,
      loadAverage1m: loadavg()[0]!,
    };
  }
  const dir = mkdtempSync(join(shm ?? (process.env.TMPDIR || '/tmp'), 'kiln-bench-fleet-'));
  let before: ServerMark | undefined;
  let after: ServerMark | undefined;
  let selfBefore = process.cpuUsage();
  let selfWall = 0;
  let selfAfter = selfBefore;
  try {
    const s: SimulationSummary = await simulate({
      ...defaultOptions(devices),
      durationS,
      groups: ['bench'],
      server: { url: server.url, token: server.token },
      published: { first: server.first },
      pollMs: 1000,
      telemetryMs: 10_000,
      rollout: { kind: 'none' },
      maxPollP99Ms: P99_BOUND_MS,
      progressMs: 10_000,
      dir,
      log: (line) => console.log(`  ${store} ${devices}: ${line}`),
      onPhase: async (phase) => {
        if (phase === 'measure') {
          before = await server.mark();
          selfBefore = process.cpuUsage();
          selfWall = performance.now();
        } else {
          after = await server.mark();
          selfAfter = process.cpuUsage(selfBefore);
          selfWall = performance.now() - selfWall;
        }
      },
    });
    const b = before!;
    const e = after!;
    const wall = e.wallMs - b.wallMs;
    return {
      store,
      devices,
      durationS: s.durationS,
      ok: s.pollLatencyMs.p99 !== null && s.pollLatencyMs.p99 < P99_BOUND_MS && s.errors.unexpected === 0,
      ...(s.healthy ? {} : { note: s.reasons.join('; ') }),
      pollRate: s.pollRate,
      clientP50: s.pollLatencyMs.p50,
      clientP99: s.pollLatencyMs.p99,
      serverP50: e.polls.p50,
      serverP99: e.polls.p99,
      telemetryBatchesPerS: s.telemetryBatches / s.durationS,
      serverCpuPercent: (100 * (e.cpuUserUs - b.cpuUserUs + e.cpuSystemUs - b.cpuSystemUs)) / 1000 / wall,
      serverRssMiB: e.rssBytes / 2 ** 20,
      serverPeakRssMiB: e.maxRssBytes / 2 ** 20,
      simulatorCpuPercent: (100 * (selfAfter.user + selfAfter.system)) / 1000 / selfWall,
      loadAverage1m: loadavg()[0]!,
      errors: s.errors.unexpected,
    };
  } catch (err) {
    return {
      store,
      devices,
      durationS,
      ok: false,
      note: (err as Error).message,
      loadAverage1m: loadavg()[0]!,
    };
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runStore(
  store: string,
  pgUrl: string | undefined,
  a: Args,
): Promise<{ rows: Row[]; largest?: number }> {
  const rows: Row[] = [];
  const main = await measure(store, pgUrl, a.devices, a.duration);
  rows.push(main);
  print([main]);
  if (!a.search) return { rows };
  let good = main.ok ? a.devices : 0;
  let bad: number | undefined = main.ok ? undefined : a.devices;
  const step = async (n: number) => {
    const r = await measure(store, pgUrl, n, a.searchDuration);
    rows.push(r);
    print([r]);
    if (r.ok) good = Math.max(good, n);
    else bad = Math.min(bad ?? Infinity, n);
    return r.ok;
  };
  // up by doubling while it holds; down by halving (to MIN_DEVICES) while it does not
  if (main.ok) for (let n = a.devices * 2; n <= a.maxDevices && (await step(n)); n *= 2);
  else for (let n = Math.floor(a.devices / 2); n >= MIN_DEVICES && !(await step(n)); n = Math.floor(n / 2));
  // then one step halfway between the largest that held and the smallest that did not
  if (good > 0 && bad !== undefined) {
    const mid = Math.round((good + bad) / 2 / 50) * 50;
    if (mid > good && mid < bad) await step(mid);
  }
  return { rows, ...(good > 0 ? { largest: good } : {}) };
}

const f = (v: number | null | undefined, d = 1) => (v === null || v === undefined ? '-' : v.toFixed(d));

function print(rows: Row[]): void {
  for (const r of rows) {
    console.log(
      [
        r.store.padEnd(8),
        String(r.devices).padStart(6),
        `${f(r.durationS, 0)} s`.padStart(6),
        `${f(r.pollRate, 0)}/s`.padStart(8),
        `client p50/p99 ${f(r.clientP50)}/${f(r.clientP99)} ms`,
        `server p50/p99 ${f(r.serverP50, 2)}/${f(r.serverP99, 2)} ms`,
        `telemetry ${f(r.telemetryBatchesPerS)}/s`,
        `server CPU ${f(r.serverCpuPercent, 0)}% RSS ${f(r.serverRssMiB, 0)} MiB (peak ${f(r.serverPeakRssMiB, 0)})`,
        `simulator CPU ${f(r.simulatorCpuPercent, 0)}%`,
        `load ${f(r.loadAverage1m)}`,
        r.ok ? 'ok' : `NOT OK${r.note ? `: ${r.note}` : ''}`,
      ].join(' | '),
    );
  }
}

async function withPgDatabase<T>(url: string, fn: (db: string) => Promise<T>): Promise<T> {
  const name = `kiln_bench_${randomBytes(6).toString('hex')}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`); // name is ours: [a-z0-9_] only
  const db = new URL(url);
  db.pathname = `/${name}`;
  try {
    return await fn(db.toString());
  } finally {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

const a = parseArgs(process.argv.slice(2));
const machine = {
  cpus: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  loadAverageAtStart: loadavg(),
  node: process.versions.node,
};
console.log(
  `fleet load benchmark on ${machine.cores} cores (${machine.cpus}), load average ${machine.loadAverageAtStart.map((l) => l.toFixed(1)).join(' ')}`,
);
const results: Record<string, { rows: Row[]; largest?: number }> = {};
if (a.sqlite) results.sqlite = await runStore('sqlite', undefined, a);
if (a.pg) results.postgres = await runStore('postgres', a.pg, a);
console.log('\nsummary');
print(Object.values(results).flatMap((r) => r.rows));
for (const [store, r] of Object.entries(results)) {
  console.log(
    `${store}: largest fleet with poll p99 < ${P99_BOUND_MS} ms: ${r.largest ?? 'none of those tried'}`,
  );
}
mkdirSync(join(a.out, '..'), { recursive: true });
writeFileSync(
  a.out,
  JSON.stringify(
    {
      date: new Date().toISOString(),
      machine,
      args: { ...a, pg: a.pg ? 'given' : undefined },
      p99BoundMs: P99_BOUND_MS,
      results,
    },
    null,
    2,
  ) + '\n',
);
console.log(`wrote ${a.out}`);
