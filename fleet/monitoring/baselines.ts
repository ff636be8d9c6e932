import { KilnError } from '../../runtime/errors.js';
import { NotFoundError } from '../../registry/errors.js';
import type { Registry } from '../../registry/registry.js';
import type { Queryable } from '../../registry/storage/db.js';
import { getVersion } from '../../registry/versions.js';
import { parseVersionRef } from '../../registry/refs.js';
import { type BaselineSample, binsOf, computeBaseline } from '../telemetry/baseline.js';
import type { Baseline, TelemetryBins } from '../telemetry/types.js';

/**
 * Computes a version's baseline from sample data (per input, samples stacked on axis 0) and stores
 * it, replacing an earlier one. Inputs must be the version's inputs.
 */
export async function recordBaseline(
  reg: Registry,
  model: string,
  version: number,
  inputs: Record<string, BaselineSample>,
): Promise<Baseline> {
  const v = await getVersion(reg, parseVersionRef(`${model}@${version}`));
  const names = new Set(v.inputs.map((i) => i.name));
  for (const name of Object.keys(inputs)) {
    if (!names.has(name)) {
      throw new KilnError(`${model}@${version} has no input '${name}'`, {
        expected: `one of ${[...names].join(', ')}`,
      });
    }
  }
  const b = computeBaseline(model, version, 'data', inputs);
  await reg.db.transaction(async (tx) => {
    await tx.run('DELETE FROM monitoring_baselines WHERE model = ? AND version = ?', [model, version]);
    await tx.run(
      'INSERT INTO monitoring_baselines (model, version, source, created_at, body) VALUES (?, ?, ?, ?, ?)',
      [model, version, b.source, b.createdAt, JSON.stringify(b)],
    );
  });
  return b;
}

export async function findBaseline(
  db: Queryable,
  model: string,
  version: number,
): Promise<Baseline | undefined> {
  const row = await db.get<{ body: string }>(
    'SELECT body FROM monitoring_baselines WHERE model = ? AND version = ?',
    [model, version],
  );
  return row ? (JSON.parse(row.body) as Baseline) : undefined;
}

export async function getBaseline(reg: Registry, model: string, version: number): Promise<Baseline> {
  const b = await findBaseline(reg.db, model, version);
  if (!b) {
    throw new NotFoundError(`${model}@${version} has no baseline`, {
      expected: 'one recorded with PUT /fleet/v1/monitoring/baselines/MODEL/VERSION or kiln fleet baseline',
    });
  }
  return b;
}

/** The bins a device running this version sends its input histograms over (undefined: no baseline). */
export async function baselineBins(
  db: Queryable,
  model: string,
  version: number,
): Promise<TelemetryBins | undefined> {
  const b = await findBaseline(db, model, version);
  return b ? binsOf(b) : undefined;
}
