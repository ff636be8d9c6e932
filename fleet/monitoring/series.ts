import { KilnError } from '../../runtime/errors.js';
import type { Queryable } from '../../registry/storage/db.js';
import { addBatch, emptyAggregate, windowFigures } from '../telemetry/aggregate.js';
import { driftAgainst } from '../telemetry/drift.js';
import type { CurrentDrift, VersionSeries } from '../telemetry/types.js';
import { findBaseline } from './baselines.js';
import { aggregate, readBatches } from './query.js';

export const MAX_WINDOWS = 1440;

/** Runs, errors, latency quantiles and drift per window of `step` ms over [since, until). */
export async function versionSeries(
  db: Queryable,
  o: {
    model: string;
    version: number;
    group?: string | undefined;
    since: number;
    until: number;
    step: number;
  },
): Promise<VersionSeries> {
  if (!(o.until > o.since) || !(o.step > 0)) {
    throw new KilnError(`invalid time range since=${o.since} until=${o.until} step=${o.step}`, {
      expected: 'since < until and step > 0 (epoch ms)',
    });
  }
  const n = Math.ceil((o.until - o.since) / o.step);
  if (n > MAX_WINDOWS) {
    throw new KilnError(`the range asks for ${n} windows`, {
      expected: `at most ${MAX_WINDOWS}: a larger step`,
    });
  }
  const baseline = await findBaseline(db, o.model, o.version);
  const aggs = Array.from({ length: n }, () => emptyAggregate());
  for await (const b of readBatches(db, { ...o, inputs: !!baseline })) {
    addBatch(aggs[Math.floor((b.end - o.since) / o.step)]!, b.batch, b.deviceId);
  }
  const windows = aggs.map((a, i) => {
    const start = o.since + i * o.step;
    const w = windowFigures(a, start, Math.min(start + o.step, o.until));
    if (baseline) w.drift = driftAgainst(baseline, a.inputs);
    return w;
  });
  return {
    model: o.model,
    version: o.version,
    group: o.group ?? null,
    since: o.since,
    until: o.until,
    step: o.step,
    windows,
  };
}

/** Drift per input channel over [since, until) against the version's baseline. */
export async function currentDrift(
  db: Queryable,
  o: { model: string; version: number; group?: string | undefined; since: number; until: number },
): Promise<CurrentDrift> {
  const baseline = await findBaseline(db, o.model, o.version);
  const channels = baseline
    ? driftAgainst(baseline, (await aggregate(db, { ...o, inputs: true })).inputs)
    : [];
  return {
    model: o.model,
    version: o.version,
    group: o.group ?? null,
    since: o.since,
    until: o.until,
    baseline: baseline ? { source: baseline.source, createdAt: baseline.createdAt } : null,
    channels,
  };
}
