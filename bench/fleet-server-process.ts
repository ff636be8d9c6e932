/**
 * The fleet server of the load benchmark, in a process of its own so its CPU and memory are its
 * own; bench/fleet-simulate.ts forks it with an IPC channel, twice per measurement:
 *
 * - `prepare`: over a fresh registry (KILN_BENCH_HOME, tables in KILN_BENCH_DB when set) make a
 *   signing key and an admin token and publish the demo model's first version (compiling it), then
 *   exit, so the compiler's memory never shows in the server's RSS;
 * - `serve`: the fleet server over that registry on 127.0.0.1. It times every request for a
 *   device's desired state (onRequest → onResponse: the server's side of a poll), counts telemetry
 *   uploads, and answers `mark` messages with its CPU time, memory and the timings since the last.
 */
import { buildFleetServer } from '../fleet/server/app.js';
import { type PublishedVersion, publishInRegistry } from '../fleet/simulator/publish.js';
import { quantile } from '../fleet/simulator/traffic.js';
import { Registry } from '../registry/registry.js';
import { createToken } from '../registry/tokens.js';
import { generateKey } from '../registry/trust.js';

export interface Prepared {
  token: string;
  first: PublishedVersion;
}

export interface ServerMark {
  wallMs: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  rssBytes: number;
  maxRssBytes: number;
  polls: { count: number; p50: number | null; p99: number | null };
  telemetryUploads: number;
}

const home = process.env.KILN_BENCH_HOME!;
const db = process.env.KILN_BENCH_DB;
const reg = await Registry.open({ home, actor: 'bench', ...(db ? { db } : {}) });

if (process.argv[2] === 'prepare') {
  await generateKey(reg);
  const token = (await createToken(reg, 'bench', 'admin')).token;
  const first = await publishInRegistry(reg, 1);
  await reg.close();
  process.send!({ prepared: { token, first } satisfies Prepared }, () => process.exit(0));
} else {
  const started = new WeakMap<object, number>();
  let polls: number[] = [];
  let telemetryUploads = 0;
  const app = await buildFleetServer({ registry: reg });
  app.addHook('onRequest', async (req) => {
    started.set(req, performance.now());
  });
  app.addHook('onResponse', async (req) => {
    const t = started.get(req);
    if (t === undefined) return;
    if (req.method === 'GET' && req.url.endsWith('/desired')) polls.push(performance.now() - t);
    else if (req.method === 'POST' && req.url.endsWith('/telemetry')) telemetryUploads++;
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const mark = (): ServerMark => {
    const cpu = process.cpuUsage();
    const m: ServerMark = {
      wallMs: performance.now(),
      cpuUserUs: cpu.user,
      cpuSystemUs: cpu.system,
      rssBytes: process.memoryUsage().rss,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      polls: { count: polls.length, p50: quantile(polls, 0.5) ?? null, p99: quantile(polls, 0.99) ?? null },
      telemetryUploads,
    };
    polls = [];
    telemetryUploads = 0;
    return m;
  };
  process.on('message', (msg: { cmd: string }) => {
    if (msg.cmd === 'mark') process.send!({ mark: mark() });
    if (msg.cmd === 'close') {
      void app
        .close()
        .then(() => reg.close())
        .then(() => process.exit(0));
    }
  });
  process.send!({ ready: { url } });
}
