import type { Queryable } from '../../registry/storage/db.js';
import type { DeploymentRow } from '../deployment-rows.js';
import { driftAgainst } from '../telemetry/drift.js';
import { DRIFT_PSI_THRESHOLD, type Alert } from '../telemetry/types.js';
import { raiseAlert } from './alerts.js';
import { findBaseline } from './baselines.js';
import { aggregate, monitoredVersions } from './query.js';
import { type Regression, regressions } from './regression.js';

export const DEFAULT_MONITOR_WINDOW_MS = 5 * 60_000;
/** How far back the previous version's figures are taken from. */
export const REGRESSION_LOOKBACK_MS = 60 * 60_000;

/**
 * One monitoring pass over [at − windowMs, at): for each model version and group with telemetry,
 * drift of every input channel against the version's baseline and regressions against the
 * version the group ran before (its deployment's previous version). Raises an alert per finding
 * (per group, so drift in one group alerts for that group only) unless one is open; returns the
 * new alerts.
 */
export async function evaluateMonitoring(
  db: Queryable,
  o: { windowMs?: number; at?: number } = {},
): Promise<Alert[]> {
  const at = o.at ?? Date.now();
  const since = at - (o.windowMs ?? DEFAULT_MONITOR_WINDOW_MS);
  const raised: Alert[] = [];
  const raise = async (a: Parameters<typeof raiseAlert>[1]) => {
    const alert = await raiseAlert(db, a);
    if (alert) raised.push(alert);
  };
  for (const mv of [...(await monitoredVersions(db, { since })), ...(await dynamicGroupVersions(db))]) {
    const f = { model: mv.model, version: mv.version, group: mv.group, since, until: at + 1 };
    const baseline = await findBaseline(db, mv.model, mv.version);
    const agg = await aggregate(db, { ...f, inputs: !!baseline });
    if ('dynamic' in mv && agg.devices.size === 0) continue; // no telemetry from its members in the window
    if (baseline) {
      for (const d of driftAgainst(baseline, agg.inputs)) {
        if (!d.drifted) continue;
        await raise({
          kind: 'drift',
          model: mv.model,
          version: mv.version,
          group: mv.group,
          input: d.input,
          channel: d.channel,
          value: d.psi!,
          threshold: DRIFT_PSI_THRESHOLD,
          message: `${mv.model}@${mv.version} input '${d.input}' channel ${d.channel} drifted in group ${mv.group}: PSI ${d.psi!.toFixed(3)} ≥ ${DRIFT_PSI_THRESHOLD} (p = ${d.pValue!.toExponential(2)}; mean ${d.mean?.toFixed(4)} vs baseline ${d.baselineMean.toFixed(4)}, ${d.count} values)`,
        });
      }
    }
    const dep = await db.get<
      Pick<DeploymentRow, 'previous_version' | 'max_error_rate_increase' | 'max_p95_ratio'>
    >(
      `SELECT previous_version, max_error_rate_increase, max_p95_ratio FROM fleet_deployments
       WHERE group_name = ? AND model = ? AND version = ? ORDER BY id DESC LIMIT 1`,
      [mv.group, mv.model, mv.version],
    );
    if (dep?.previous_version === null || dep?.previous_version === undefined) continue;
    for (const r of await compareWithPrevious(db, dep, mv, since, at)) {
      await raise({ ...r, model: mv.model, version: mv.version, group: mv.group });
    }
  }
  return raised;
}

/**
 * Telemetry is stored under each device's static group, so the versions deployed to dynamic groups
 * are added here; reading a dynamic group's telemetry takes its members' batches (query.ts).
 */
async function dynamicGroupVersions(
  db: Queryable,
): Promise<{ model: string; version: number; group: string }[]> {
  const rows = await db.all<{ group_name: string; model: string; version: number }>(
    `SELECT DISTINCT d.group_name, d.model, d.version FROM fleet_deployments d
       JOIN fleet_groups g ON g.name = d.group_name WHERE g.filter IS NOT NULL
     ORDER BY d.group_name, d.model, d.version`,
  );
  return rows.map((r) => ({
    model: r.model,
    version: Number(r.version),
    group: r.group_name,
    dynamic: true,
  }));
}

async function compareWithPrevious(
  db: Queryable,
  dep: Pick<DeploymentRow, 'previous_version' | 'max_error_rate_increase' | 'max_p95_ratio'>,
  mv: { model: string; version: number; group: string },
  since: number,
  at: number,
): Promise<Regression[]> {
  const prev = Number(dep.previous_version);
  const newer = await aggregate(db, { ...mv, since, until: at + 1 });
  const older = await aggregate(db, {
    ...mv,
    version: prev,
    since: at - REGRESSION_LOOKBACK_MS,
    until: at + 1,
  });
  return regressions({ newer: `${mv.model}@${mv.version}`, older: `${mv.model}@${prev}` }, newer, older, {
    maxErrorRateIncrease: dep.max_error_rate_increase,
    maxP95Ratio: dep.max_p95_ratio,
  });
}

/**
 * The telemetry part of a wave gate: the deployment's version in its group since the deployment
 * began against the previous version in the hour before it began and since.
 */
export async function gateRegressions(db: Queryable, d: DeploymentRow, at: number): Promise<Regression[]> {
  if (d.previous_version === null) return [];
  const began = Date.parse(d.created_at);
  const mv = { model: d.model, version: Number(d.version), group: d.group_name };
  const newer = await aggregate(db, { ...mv, since: began, until: at + 1 });
  const prev = Number(d.previous_version);
  const older = await aggregate(db, {
    ...mv,
    version: prev,
    since: began - REGRESSION_LOOKBACK_MS,
    until: at + 1,
  });
  return regressions({ newer: `${d.model}@${d.version}`, older: `${d.model}@${prev}` }, newer, older, {
    maxErrorRateIncrease: d.max_error_rate_increase,
    maxP95Ratio: d.max_p95_ratio,
  });
}
