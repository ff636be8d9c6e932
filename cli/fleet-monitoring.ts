import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import type { Alert, Baseline, BaselineUpload } from '../fleet/telemetry/types.js';
import { KilnError } from '../runtime/errors.js';
import { loadNpy } from '../runtime/npy.js';
import { call, conn } from './fleet.js';
import { output } from './registry-shared.js';
import { printTable } from './table.js';

/** `INPUT.npy` files of a folder as a baseline upload (samples stacked on axis 0). */
export function baselineFromNpyDir(dir: string): BaselineUpload {
  const files = readdirSync(dir).filter((f) => f.endsWith('.npy'));
  if (files.length === 0) {
    throw new KilnError(`no .npy files in ${dir}`, { expected: 'one INPUT_NAME.npy per model input' });
  }
  const inputs: BaselineUpload['inputs'] = {};
  for (const f of files) {
    const t = loadNpy(join(dir, f));
    if (t.dtype === 'string') throw new KilnError(`${f} holds strings`, { expected: 'numeric sample data' });
    inputs[basename(f, '.npy')] = {
      dims: [...t.shape],
      data: Array.from(t.data as ArrayLike<number | bigint>, Number),
    };
  }
  return { inputs };
}

/** `kiln fleet baseline|alerts|ack`: monitoring from the command line (docs/monitoring.md). */
export function monitoringCommands(fleet: Command): void {
  fleet
    .command('baseline')
    .description(
      "record a version's baseline input statistics (drift is measured against it) from sample data",
    )
    .argument('<model>', 'NAME@VERSION')
    .requiredOption('--data <dir>', 'a folder with one INPUT_NAME.npy per input, samples stacked on axis 0')
    .option('--json', 'print JSON')
    .action(async (ref: string, o: { data: string; json?: boolean }, cmd: Command) => {
      const m = /^(.+)@(\d+)$/.exec(ref);
      if (!m) throw new KilnError(`invalid version '${ref}'`, { expected: 'NAME@VERSION, e.g. det@3' });
      const b = await call<Baseline>(
        conn(cmd),
        'PUT',
        `/monitoring/baselines/${encodeURIComponent(m[1]!)}/${m[2]}`,
        baselineFromNpyDir(o.data),
      );
      output(o.json, b, () =>
        printTable(
          ['input', 'channel', 'count', 'mean', 'std', 'min', 'max', 'bins'],
          Object.entries(b.inputs).flatMap(([name, input]) =>
            input.channels.map((c, i) => [
              name,
              i,
              c.count,
              c.mean.toPrecision(4),
              c.std.toPrecision(4),
              c.min.toPrecision(4),
              c.max.toPrecision(4),
              c.edges.length - 1,
            ]),
          ),
        ),
      );
    });

  fleet
    .command('alerts')
    .description('monitoring alerts: drift, error-rate and latency regressions')
    .option('--state <state>', 'open, acked or all', 'open')
    .option('--group <group>', 'only this group')
    .option('--json', 'print JSON')
    .action(async (o: { state: string; group?: string; json?: boolean }, cmd: Command) => {
      const q = new URLSearchParams({ state: o.state, ...(o.group ? { group: o.group } : {}) });
      const list = await call<Alert[]>(conn(cmd), 'GET', `/alerts?${q.toString()}`);
      output(o.json, list, () =>
        printTable(
          ['id', 'kind', 'version', 'group', 'state', 'created', 'message'],
          list.map((a) => [
            a.id,
            a.kind,
            `${a.model}@${a.version}`,
            a.group,
            a.state,
            a.createdAt,
            a.message,
          ]),
        ),
      );
    });

  fleet
    .command('ack')
    .description('acknowledge an alert (write token)')
    .argument('<id>', 'alert id', (v) => Number(v))
    .option('--json', 'print JSON')
    .action(async (id: number, o: { json?: boolean }, cmd: Command) => {
      const a = await call<Alert>(conn(cmd), 'POST', `/alerts/${id}/ack`);
      output(o.json, a, () => console.log(`alert ${a.id}: ${a.state} by ${a.ackedBy}`));
    });
}
