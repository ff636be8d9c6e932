import { type Registry, now } from '../registry/registry.js';
import type { Queryable } from '../registry/storage/db.js';
import { type DeploymentRow, addEvent, lockFleet } from './deployment-rows.js';
import { later } from './deployments.js';
import { MEMBERS_SQL, membersParams } from './membership.js';
import { gateRegressions } from './monitoring/monitor.js';
import { type WaveTarget, reach } from './strategy.js';

export interface WaveHealth {
  /** Devices released so far (waves 0..current). */
  released: number;
  installed: number;
  failed: number;
}

/**
 * Move every live deployment one step from what the database says: assign devices that joined the
 * group since, then check the current wave's gate (failures over the limit → roll back; everyone
 * installed and soaked → next wave or done; past the deadline → roll back or abort). Idempotent
 * and safe to run from any number of server processes: it runs in one transaction under the fleet
 * lock and only acts on the state it reads there. Returns how many deployments changed state.
 */
export async function advance(reg: Registry): Promise<number> {
  return reg.db.transaction(async (tx) => {
    await lockFleet(tx, reg.db.dialect);
    const live = await tx.all<DeploymentRow>(
      "SELECT * FROM fleet_deployments WHERE state IN ('running', 'paused') ORDER BY id",
    );
    let changed = 0;
    for (const d of live) if (await step(tx, d)) changed++;
    return changed;
  });
}

async function step(tx: Queryable, d: DeploymentRow): Promise<boolean> {
  const id = Number(d.id);
  const wave = Number(d.wave);
  const waves = JSON.parse(d.waves) as WaveTarget[];
  const last = waves.length - 1;
  const at = now();
  await assignLateJoiners(tx, d, last);
  if (d.state === 'paused') {
    if (d.deadline && d.deadline <= at) {
      await finish(
        tx,
        id,
        'aborted',
        at,
        wave,
        `paused longer than its timeout (until ${d.deadline}); rolled back`,
      );
      return true;
    }
    return false;
  }
  const h = await waveHealth(tx, id, wave);
  const rate = h.released ? h.failed / h.released : 0;
  const summary = `${h.installed}/${h.released} installed, ${h.failed} failed (failure rate ${rate.toFixed(3)}, limit ${Number(d.max_failure_rate)})`;
  if (h.failed > 0 && rate > Number(d.max_failure_rate)) {
    await addEvent(tx, id, at, 'gate-failed', wave, summary);
    await finish(tx, id, 'rolled_back', at, wave, `wave ${wave + 1} gate failed: ${summary}`);
    return true;
  }
  const started = await tx.get<{ at: string }>(
    "SELECT at FROM fleet_events WHERE deployment_id = ? AND kind = 'wave-started' AND wave = ? ORDER BY id DESC LIMIT 1",
    [id, wave],
  );
  const soakedAt = later(started?.at ?? d.state_since, Number(d.soak_ms));
  if (h.installed + h.failed === h.released && soakedAt <= at) {
    // the telemetry part of the gate: the new version against the previous one (docs/monitoring.md)
    const regressed = await gateRegressions(tx, d, Date.parse(at));
    if (regressed.length > 0) {
      const why = regressed.map((r) => r.message).join('; ');
      await addEvent(tx, id, at, 'gate-failed', wave, `${summary}; ${why}`);
      await finish(tx, id, 'rolled_back', at, wave, `wave ${wave + 1} gate failed: ${why}`);
      return true;
    }
    await addEvent(tx, id, at, 'gate-passed', wave, `${summary}; soaked ${Number(d.soak_ms)} ms`);
    if (wave === last) {
      await finish(tx, id, 'succeeded', at, wave, `all ${h.released} devices on ${d.model}@${d.version}`);
      return true;
    }
    const total = await tx.get<{ n: number }>(
      'SELECT COUNT(*) AS n FROM fleet_assignments WHERE deployment_id = ?',
      [id],
    );
    await tx.run('UPDATE fleet_deployments SET wave = ?, state_since = ?, deadline = ? WHERE id = ?', [
      wave + 1,
      at,
      later(at, Number(d.wave_timeout_ms)),
      id,
    ]);
    const n = Number(total!.n);
    await addEvent(
      tx,
      id,
      at,
      'wave-started',
      wave + 1,
      `wave ${wave + 2} of ${waves.length}: ${reach(waves[wave + 1]!, n)} of ${n} devices`,
    );
    return true;
  }
  if (d.deadline && d.deadline <= at) {
    await addEvent(tx, id, at, 'gate-failed', wave, `timed out at ${d.deadline}: ${summary}`);
    await finish(tx, id, 'rolled_back', at, wave, `wave ${wave + 1} timed out: ${summary}`);
    return true;
  }
  return false;
}

/**
 * Devices that joined the group after the deployment began (enrolled, or tagged into a dynamic
 * group) join its last wave, unless they follow another live deployment: a device is assigned to
 * one live deployment at a time, and joins this one once that one has finished.
 */
async function assignLateJoiners(tx: Queryable, d: DeploymentRow, last: number): Promise<void> {
  await tx.run(
    `INSERT INTO fleet_assignments (deployment_id, device_id, wave)
     SELECT ?, id, ? FROM fleet_devices WHERE id IN (${MEMBERS_SQL})
       AND id NOT IN (SELECT a.device_id FROM fleet_assignments a JOIN fleet_deployments o ON o.id = a.deployment_id
                      WHERE a.deployment_id = ? OR o.state IN ('running', 'paused'))`,
    [Number(d.id), last, ...membersParams(d.group_name), Number(d.id)],
  );
}

/** Each released device's latest report for this deployment decides whether it installed or failed. */
export async function waveHealth(db: Queryable, deploymentId: number, wave: number): Promise<WaveHealth> {
  const rows = await db.all<{ outcome: string | null }>(
    `SELECT (SELECT r.outcome FROM fleet_reports r WHERE r.device_id = a.device_id AND r.deployment_id = a.deployment_id
             ORDER BY r.id DESC LIMIT 1) AS outcome
     FROM fleet_assignments a WHERE a.deployment_id = ? AND a.wave <= ?`,
    [deploymentId, wave],
  );
  return {
    released: rows.length,
    installed: rows.filter((r) => r.outcome === 'installed').length,
    failed: rows.filter((r) => r.outcome === 'failed').length,
  };
}

async function finish(
  tx: Queryable,
  id: number,
  state: string,
  at: string,
  wave: number,
  reason: string,
): Promise<void> {
  await tx.run(
    'UPDATE fleet_deployments SET state = ?, state_since = ?, deadline = NULL, reason = ? WHERE id = ?',
    [state, at, reason, id],
  );
  await addEvent(
    tx,
    id,
    at,
    state === 'succeeded' ? 'succeeded' : state === 'aborted' ? 'aborted' : 'rolled-back',
    wave,
    reason,
  );
  if (state === 'succeeded') await recordInRegistry(tx, id, at);
}

/** A finished rollout is recorded in the registry's deployments table, per variant the group runs. */
async function recordInRegistry(tx: Queryable, id: number, at: string): Promise<void> {
  await tx.run(
    `INSERT INTO deployments (variant_id, fleet, deployed_at, actor)
     SELECT v.id, d.group_name, ?, d.created_by FROM fleet_deployments d
       JOIN variants v ON v.model = d.model AND v.version = d.version
     WHERE d.id = ? AND v.target IN (SELECT target FROM fleet_devices WHERE group_name = d.group_name
       OR id IN (SELECT device_id FROM fleet_memberships WHERE group_name = d.group_name))`,
    [at, id],
  );
}
