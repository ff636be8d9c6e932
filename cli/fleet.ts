import { Command, Option } from 'commander';
import type { WaveHealth } from '../fleet/advance.js';
import type { DeploymentRecord } from '../fleet/deployment-rows.js';
import { type DeliverySummary, describeSaving } from '../fleet/delivery.js';
import type { DeviceRecord } from '../fleet/devices.js';
import type { EnrollmentToken } from '../fleet/enrollment.js';
import type { GroupRecord } from '../fleet/groups.js';
import type { Strategy } from '../fleet/strategy.js';
import { KilnError } from '../runtime/errors.js';
import { simulateCommand } from './fleet-simulate.js';
import { output } from './registry-shared.js';
import { printTable } from './table.js';
import { monitoringCommands } from './fleet-monitoring.js';
import { parseTagArgs } from '../fleet/tags.js';

interface Conn {
  server: string;
  token?: string;
}

/** One call to the fleet API with the operator's token; server errors become KilnErrors. */
export async function call<T>(c: Conn, method: string, path: string, body?: unknown): Promise<T> {
  if (!c.token) {
    throw new KilnError('no API token', { expected: '--token T or KILN_TOKEN (kiln registry token create)' });
  }
  const url = `${c.server.replace(/\/+$/, '')}/fleet/v1${path}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${c.token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (err) {
    throw new KilnError(`cannot reach the fleet server at ${c.server}: ${(err as Error).message}`, {
      expected: 'a running `kiln serve` (--server URL or KILN_SERVER)',
    });
  }
  const text = await res.text();
  const json = (text ? JSON.parse(text) : undefined) as T & { error?: string };
  if (!res.ok) throw new KilnError(`${method} ${path}: HTTP ${res.status}: ${json?.error ?? text}`);
  return json;
}

export const conn = (cmd: Command): Conn => cmd.optsWithGlobals<Conn>();

const collect = (v: string, all: string[]): string[] => [...all, v];
const formatTags = (tags: Record<string, string>): string =>
  Object.entries(tags)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

/** `--canary 2` (devices) or `--canary 10%`; `--waves 5,25,50,100`; else all at once. */
export function parseStrategy(o: { canary?: string; waves?: string }): Strategy {
  if (o.canary && o.waves) throw new KilnError('--canary and --waves exclude each other');
  if (o.canary) {
    const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(o.canary);
    if (!m)
      throw new KilnError(`invalid --canary '${o.canary}'`, {
        expected: 'a device count (3) or a percentage (10%)',
      });
    return m[2] ? { kind: 'canary', percent: Number(m[1]) } : { kind: 'canary', devices: Number(m[1]) };
  }
  if (o.waves) {
    const percents = o.waves.split(',').map((p) => Number(p.trim().replace(/%$/, '')));
    if (percents.some((p) => !Number.isFinite(p))) {
      throw new KilnError(`invalid --waves '${o.waves}'`, { expected: 'percentages, e.g. 5,25,50,100' });
    }
    return { kind: 'waves', percents };
  }
  return { kind: 'all-at-once' };
}

function printDeployments(list: DeploymentRecord[]): void {
  printTable(
    ['id', 'group', 'model', 'version', 'from', 'strategy', 'state', 'wave', 'reason'],
    list.map((d) => [
      d.id,
      d.group,
      d.model,
      d.version,
      d.previousVersion ?? '-',
      d.strategy.kind,
      d.state,
      `${d.wave + 1}/${d.waves.length}`,
      d.reason ?? '',
    ]),
  );
}

export function fleetCommand(): Command {
  const fleet = new Command('fleet')
    .description('talk to a fleet server: groups, enrollment, devices, deployments')
    .addOption(
      new Option('--server <url>', 'the fleet server').env('KILN_SERVER').default('http://127.0.0.1:8700'),
    )
    .addOption(new Option('--token <token>', 'an API token (kiln registry token create)').env('KILN_TOKEN'));

  const groups = fleet.command('groups').description('device groups');
  groups
    .command('list', { isDefault: true })
    .description('list groups with their device counts')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const list = await call<GroupRecord[]>(conn(cmd), 'GET', '/groups');
      output(o.json, list, () =>
        printTable(
          ['group', 'devices', 'created', 'filter'],
          list.map((g) => [g.name, g.devices, g.createdAt, g.filter ?? '(static)']),
        ),
      );
    });
  groups
    .command('create')
    .description(
      'create a static group (devices enroll into it) or, with --filter, a dynamic one (the devices that match)',
    )
    .argument('<name>', 'group name')
    .option(
      '--filter <expr>',
      'e.g. \'target == "wasm" and tag.site in ["berlin", "paris"] and runtime >= "0.1.0"\' (docs/fleet.md)',
    )
    .option('--json', 'print JSON')
    .action(async (name: string, o: { filter?: string; json?: boolean }, cmd: Command) => {
      const g = await call<GroupRecord>(conn(cmd), 'POST', '/groups', {
        name,
        ...(o.filter !== undefined ? { filter: o.filter } : {}),
      });
      output(o.json, g, () =>
        console.log(
          g.filter !== undefined
            ? `created dynamic group ${g.name}: ${g.devices} device(s) match ${g.filter}`
            : `created group ${g.name}`,
        ),
      );
    });

  fleet
    .command('enroll')
    .description('make a single-use enrollment token for one device of GROUP (admin token)')
    .argument('<group>', 'group the device joins')
    .option('--ttl <seconds>', 'how long the token is valid', (v) => Number(v), 86_400)
    .option(
      '--tag <key=value>',
      "a tag the device gets (repeatable; wins over the device's own)",
      collect,
      [],
    )
    .option('--json', 'print JSON')
    .action(async (group: string, o: { ttl: number; tag: string[]; json?: boolean }, cmd: Command) => {
      const t = await call<EnrollmentToken>(conn(cmd), 'POST', '/enrollment-tokens', {
        group,
        ttlSeconds: o.ttl,
        ...(o.tag.length ? { tags: parseTagArgs(o.tag) } : {}),
      });
      output(o.json, t, () =>
        console.log(`${t.token}\n(enrolls one device into ${t.group} until ${t.expiresAt}; shown once)`),
      );
    });

  fleet
    .command('devices')
    .description('list devices with their groups, tags and what they run')
    .option('--group <group>', 'only this group (static or dynamic)')
    .option('--filter <expr>', 'only devices that match, e.g. \'tag.site == "berlin"\' (docs/fleet.md)')
    .option('--json', 'print JSON')
    .action(async (o: { group?: string; filter?: string; json?: boolean }, cmd: Command) => {
      const query = new URLSearchParams({
        ...(o.group ? { group: o.group } : {}),
        ...(o.filter !== undefined ? { filter: o.filter } : {}),
      }).toString();
      const list = await call<DeviceRecord[]>(conn(cmd), 'GET', `/devices${query ? `?${query}` : ''}`);
      output(o.json, list, () =>
        printTable(
          ['id', 'name', 'groups', 'tags', 'target', 'runtime', 'running', 'last report'],
          list.map((d) => [
            d.id,
            d.name,
            d.groups.join(','),
            formatTags(d.tags),
            d.target,
            d.runtimeVersion,
            d.current ? `${d.current.model}@${d.current.version}` : '-',
            d.lastSeenAt,
          ]),
        ),
      );
    });

  fleet
    .command('tag')
    .description(
      "set or remove a device's tags; dynamic groups are evaluated again at once (write token; devices cannot tag themselves)",
    )
    .argument('<device>', 'device id')
    .argument('[tags...]', 'KEY=VALUE to set')
    .option('--remove <key>', 'a tag to remove (repeatable)', collect, [])
    .option('--json', 'print JSON')
    .action(async (device: string, tags: string[], o: { remove: string[]; json?: boolean }, cmd: Command) => {
      if (tags.length === 0 && o.remove.length === 0) {
        throw new KilnError('nothing to change', { expected: 'KEY=VALUE arguments and/or --remove KEY' });
      }
      const d = await call<DeviceRecord & { joined: string[]; left: string[] }>(
        conn(cmd),
        'PATCH',
        `/devices/${encodeURIComponent(device)}/tags`,
        { set: parseTagArgs(tags), remove: o.remove },
      );
      output(o.json, d, () => {
        console.log(`${d.name} (${d.id}): ${formatTags(d.tags) || 'no tags'}`);
        if (d.joined.length) console.log(`joined ${d.joined.join(', ')}`);
        if (d.left.length) console.log(`left ${d.left.join(', ')}`);
      });
    });

  fleet
    .command('deploy')
    .description('send a model version to a group: all at once, a canary then the rest, or percentage waves')
    .argument('<group>', 'target group')
    .argument('<model>', 'NAME@VERSION, NAME@ALIAS or NAME (latest)')
    .option('--canary <n|p%>', 'a first wave of N devices or P percent')
    .option('--waves <list>', 'cumulative percentages, e.g. 5,25,50,100')
    .option('--soak <seconds>', 'how long each wave runs healthy before the next', (v) => Number(v), 300)
    .option(
      '--wave-timeout <seconds>',
      'how long a wave may take before the deployment rolls back',
      (v) => Number(v),
      3600,
    )
    .option('--max-failure-rate <r>', 'share of self-test failures a wave tolerates', (v) => Number(v), 0)
    .option(
      '--max-error-rate-increase <r>',
      "gate: the new version's error rate may exceed the previous version's by at most this (default 0.05)",
      (v) => Number(v),
    )
    .option(
      '--max-p95-ratio <x>',
      "gate: the new version's p95 latency may be at most this times the previous version's (default 1.5)",
      (v) => Number(v),
    )
    .option(
      '--no-delta',
      'devices download whole artifacts; by default they fetch only the files that changed and fall back to the whole artifact',
    )
    .option('--json', 'print JSON')
    .action(
      async (
        group: string,
        model: string,
        o: {
          delta: boolean;
          canary?: string;
          waves?: string;
          soak: number;
          waveTimeout: number;
          maxFailureRate: number;
          maxErrorRateIncrease?: number;
          maxP95Ratio?: number;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        const d = await call<DeploymentRecord>(conn(cmd), 'POST', '/deployments', {
          group,
          model,
          strategy: parseStrategy(o),
          soakMs: Math.round(o.soak * 1000),
          waveTimeoutMs: Math.round(o.waveTimeout * 1000),
          maxFailureRate: o.maxFailureRate,
          ...(o.maxErrorRateIncrease !== undefined ? { maxErrorRateIncrease: o.maxErrorRateIncrease } : {}),
          ...(o.maxP95Ratio !== undefined ? { maxP95Ratio: o.maxP95Ratio } : {}),
          delta: o.delta,
        });
        output(o.json, d, () =>
          console.log(`deployment ${d.id}: ${d.model}@${d.version} to ${d.group}, ${d.state}`),
        );
      },
    );

  fleet
    .command('rollback')
    .description(
      'send a whole group back to the version it ran before (at once, no soak); undo a live deployment with abort instead',
    )
    .argument('<group>', 'device group')
    .option('--to <version>', 'the older version to go back to (default: the previous one)', (v) => Number(v))
    .option('--json', 'print JSON')
    .action(async (group: string, o: { to?: number; json?: boolean }, cmd: Command) => {
      const d = await call<DeploymentRecord>(
        conn(cmd),
        'POST',
        `/groups/${encodeURIComponent(group)}/rollback`,
        o.to === undefined ? {} : { to: o.to },
      );
      output(o.json, d, () =>
        console.log(`deployment ${d.id}: ${d.group} back to ${d.model}@${d.version}, ${d.state}`),
      );
    });

  fleet
    .command('status')
    .description('deployments, or one deployment with its waves, gates and events')
    .argument('[id]', 'deployment id', (v) => Number(v))
    .option('--group <group>', 'only this group')
    .option('--json', 'print JSON')
    .action(async (id: number | undefined, o: { group?: string; json?: boolean }, cmd: Command) => {
      if (id === undefined) {
        const list = await call<DeploymentRecord[]>(
          conn(cmd),
          'GET',
          `/deployments${o.group ? `?group=${encodeURIComponent(o.group)}` : ''}`,
        );
        output(o.json, list, () => printDeployments(list));
        return;
      }
      const d = await call<DeploymentRecord & { health: WaveHealth; delivery: DeliverySummary }>(
        conn(cmd),
        'GET',
        `/deployments/${id}`,
      );
      output(o.json, d, () => {
        printDeployments([d]);
        console.log(
          `\nwave ${d.wave + 1}: ${d.health.installed}/${d.health.released} installed, ${d.health.failed} failed`,
        );
        const s = d.delivery;
        console.log(
          `delivery (${d.delta ? 'delta offered' : 'whole artifacts only'}): ${s.devices} devices, ${s.delta} by delta, ${s.full} whole; downloaded ${describeSaving(s.downloadedBytes, s.artifactBytes)}\n`,
        );
        printTable(
          ['at', 'event', 'wave', 'detail'],
          d.events.map((e) => [e.at, e.kind, e.wave + 1, e.detail]),
        );
      });
    });

  for (const action of ['pause', 'resume', 'abort'] as const) {
    fleet
      .command(action)
      .description(
        action === 'pause'
          ? 'stop releasing waves (a pause times out into an abort)'
          : action === 'resume'
            ? 'continue a paused deployment'
            : 'stop a deployment and send every device back to the previous version',
      )
      .argument('<id>', 'deployment id', (v) => Number(v))
      .option('--json', 'print JSON')
      .action(async (id: number, o: { json?: boolean }, cmd: Command) => {
        const d = await call<DeploymentRecord>(conn(cmd), 'POST', `/deployments/${id}/${action}`);
        output(o.json, d, () => console.log(`deployment ${d.id}: ${d.state}`));
      });
  }
  monitoringCommands(fleet);
  fleet.addCommand(simulateCommand());
  return fleet;
}
