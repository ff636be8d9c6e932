import type { Queryable, SqlValue } from '../../registry/storage/db.js';
import { type Aggregate, addBatch, emptyAggregate } from '../telemetry/aggregate.js';
import type { InputStatsData, LatencyHistogramData, MonitoredVersion } from '../telemetry/types.js';

export interface BatchFilter {
  model: string;
  version: number;
  group?: string | undefined;
  /** Batches whose end lies in [since, until) (epoch ms, the device's clock). */
  since: number;
  until: number;
  /** Also read the input statistics (drift needs them; rates and latency do not). */
  inputs?: boolean;
}

interface BatchRow {
  device_id: string;
  start_ms: number;
  end_ms: number;
  runs: number;
  errors: string;
  latency: string;
  inputs?: string;
}

/** Stored batches matching the filter, oldest first, decoded. */
export async function* readBatches(
  db: Queryable,
  f: BatchFilter,
): AsyncGenerator<{ deviceId: string; end: number; batch: Parameters<typeof addBatch>[1] }> {
  const where = ['model = ?', 'version = ?', 'end_ms >= ?', 'end_ms < ?'];
  const params: SqlValue[] = [f.model, f.version, f.since, f.until];
  if (f.group !== undefined) {
    // batches carry the device's static group; a dynamic group's are those of its members now
    where.push(
      '(group_name = ? OR device_id IN (SELECT device_id FROM fleet_memberships WHERE group_name = ?))',
    );
    params.push(f.group, f.group);
  }
  const rows = await db.all<BatchRow>(
    `SELECT device_id, start_ms, end_ms, runs, errors, latency${f.inputs ? ', inputs' : ''}
     FROM telemetry_batches WHERE ${where.join(' AND ')} ORDER BY end_ms`,
    params,
  );
  for (const r of rows) {
    yield {
      deviceId: r.device_id,
      end: Number(r.end_ms),
      batch: {
        model: f.model,
        version: f.version,
        start: Number(r.start_ms),
        end: Number(r.end_ms),
        runs: Number(r.runs),
        errors: JSON.parse(r.errors) as Record<string, number>,
        latency: JSON.parse(r.latency) as LatencyHistogramData,
        inputs: r.inputs ? (JSON.parse(r.inputs) as InputStatsData) : {},
      },
    };
  }
}

/** All matching batches merged into one aggregate. */
export async function aggregate(db: Queryable, f: BatchFilter): Promise<Aggregate> {
  const a = emptyAggregate();
  for await (const b of readBatches(db, f)) addBatch(a, b.batch, b.deviceId);
  return a;
}

/** Model versions and groups with telemetry since `since`, busiest first. */
export async function monitoredVersions(
  db: Queryable,
  o: { since: number; model?: string | undefined; group?: string | undefined },
): Promise<MonitoredVersion[]> {
  const where = ['end_ms >= ?'];
  const params: SqlValue[] = [o.since];
  if (o.model !== undefined) {
    where.push('model = ?');
    params.push(o.model);
  }
  if (o.group !== undefined) {
    where.push('group_name = ?');
    params.push(o.group);
  }
  const rows = await db.all<{
    model: string;
    version: number;
    group_name: string;
    runs: number;
    errors: number;
    devices: number;
    last_at: number;
  }>(
    `SELECT model, version, group_name, SUM(runs) AS runs, SUM(error_count) AS errors,
       COUNT(DISTINCT device_id) AS devices, MAX(end_ms) AS last_at
     FROM telemetry_batches WHERE ${where.join(' AND ')}
     GROUP BY model, version, group_name ORDER BY model, version DESC, group_name`,
    params,
  );
  return rows.map((r) => ({
    model: r.model,
    version: Number(r.version),
    group: r.group_name,
    runs: Number(r.runs),
    errors: Number(r.errors),
    devices: Number(r.devices),
    lastAt: Number(r.last_at),
  }));
}
