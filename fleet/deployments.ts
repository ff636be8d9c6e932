import { KilnError } from '../runtime/errors.js';
import { ConflictError, NotFoundError } from '../registry/errors.js';
import { parseVersionRef } from '../registry/refs.js';
import { type Registry, now } from '../registry/registry.js';
import { resolveVersion } from '../registry/versions.js';
import {
  type DeploymentRecord,
  type DeploymentRow,
  addEvent,
  baselineDeployment,
  deploymentRecord,
  eventsOf,
  liveDeployment,
  lockFleet,
} from './deployment-rows.js';
import { requireGroup } from './groups.js';
import { MEMBERS_SQL, membersParams } from './membership.js';
import type { Queryable } from '../registry/storage/db.js';
import { type Strategy, assignWaves, reach, wavesOf } from './strategy.js';

export const DEFAULT_SOAK_MS = 5 * 60_000;
export const DEFAULT_WAVE_TIMEOUT_MS = 60 * 60_000;
/** A paused deployment nobody resumes is aborted (rolled back) after this long. */
export const PAUSE_TIMEOUT_MS = 24 * 60 * 60_000;

export interface DeploymentInput {
  group: string;
  /** `NAME@VERSION`, `NAME@ALIAS` or `NAME` (latest). */
  model: string;
  strategy: Strategy;
  /** The largest share of a wave's devices whose self-test may fail before the deployment rolls back. */
  maxFailureRate?: number;
  /** How long a wave must run healthy before the next is released. */
  soakMs?: number;
  /** How long a wave may take to report before the deployment rolls back. */
  waveTimeoutMs?: number;
  /** Regression gate: the largest error-rate increase over the previous version (default 0.05). */
  maxErrorRateIncrease?: number;
  /** Regression gate: the largest p95 latency ratio to the previous version (default 1.5). */
  maxP95Ratio?: number;
  /** Offer delta delivery (default true): agents fetch only changed files and fall back to the whole artifact. */
  delta?: boolean;
  actor: string;
  /** Why, recorded in the deployment's first event (e.g. "rollback from det@3"). */
  note?: string;
}

export const later = (at: string, ms: number): string => new Date(Date.parse(at) + ms).toISOString();

/**
 * Start a deployment: checks the version has a variant for every target in the group, assigns the
 * group's devices to waves, and releases the first wave. One live deployment per group.
 */
export async function createDeployment(reg: Registry, input: DeploymentInput): Promise<DeploymentRecord> {
  const waves = wavesOf(input.strategy);
  const maxFailureRate = input.maxFailureRate ?? 0;
  if (!(maxFailureRate >= 0 && maxFailureRate < 1)) {
    throw new KilnError(`invalid maximum failure rate ${maxFailureRate}`, { expected: 'a number in [0, 1)' });
  }
  const soakMs = nonNegative(input.soakMs ?? DEFAULT_SOAK_MS, 'soak time');
  const waveTimeoutMs = nonNegative(input.waveTimeoutMs ?? DEFAULT_WAVE_TIMEOUT_MS, 'wave timeout');
  if (waveTimeoutMs <= soakMs) {
    throw new KilnError(
      `the wave timeout (${waveTimeoutMs} ms) must be longer than the soak time (${soakMs} ms)`,
    );
  }
  if (
    input.maxErrorRateIncrease !== undefined &&
    !(input.maxErrorRateIncrease >= 0 && input.maxErrorRateIncrease <= 1)
  ) {
    throw new KilnError(`invalid maximum error-rate increase ${input.maxErrorRateIncrease}`, {
      expected: 'a number in [0, 1]',
    });
  }
  if (input.maxP95Ratio !== undefined && !(input.maxP95Ratio >= 1 && Number.isFinite(input.maxP95Ratio))) {
    throw new KilnError(`invalid maximum p95 latency ratio ${input.maxP95Ratio}`, {
      expected: 'a finite number ≥ 1',
    });
  }
  const ref = parseVersionRef(input.model);
  const id = await reg.db.transaction(async (tx) => {
    await lockFleet(tx, reg.db.dialect);
    await requireGroup(tx, input.group);
    const version = await resolveVersion(tx, ref);
    const live = await liveDeployment(tx, input.group);
    if (live) {
      throw new ConflictError(`group '${input.group}' already has deployment ${live.id} (${live.state})`, {
        expected: 'wait for it to finish, or pause/abort it',
      });
    }
    await refuseOverlap(tx, input.group);
    const devices = await tx.all<{ id: string; target: string }>(
      `SELECT id, target FROM fleet_devices WHERE id IN (${MEMBERS_SQL}) ORDER BY id`,
      membersParams(input.group),
    );
    for (const target of new Set(devices.map((d) => d.target))) {
      const v = await tx.get('SELECT id FROM variants WHERE model = ? AND version = ? AND target = ?', [
        ref.name,
        version,
        target,
      ]);
      if (!v) {
        throw new ConflictError(
          `${ref.name}@${version} has no ${target} variant, which devices in '${input.group}' need`,
          {
            expected: `kiln registry compile ${ref.name}@${version} --target ${target}`,
          },
        );
      }
    }
    const base = await baselineDeployment(tx, input.group);
    const at = now();
    const row = await tx.get<{ id: number }>(
      `INSERT INTO fleet_deployments (group_name, model, version, previous_version, strategy, waves, max_failure_rate,
         soak_ms, wave_timeout_ms, state, wave, state_since, deadline, created_at, created_by,
         max_error_rate_increase, max_p95_ratio, delta)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', 0, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      [
        input.group,
        ref.name,
        version,
        base && base.model === ref.name ? base.version : null,
        JSON.stringify(input.strategy),
        JSON.stringify(waves),
        maxFailureRate,
        soakMs,
        waveTimeoutMs,
        at,
        later(at, waveTimeoutMs),
        at,
        input.actor,
        input.maxErrorRateIncrease ?? null,
        input.maxP95Ratio ?? null,
        input.delta === false ? 0 : 1,
      ],
    );
    const depId = Number(row!.id);
    const assigned = assignWaves(
      depId,
      devices.map((d) => d.id),
      waves,
    );
    for (const [deviceId, wave] of assigned) {
      await tx.run('INSERT INTO fleet_assignments (deployment_id, device_id, wave) VALUES (?, ?, ?)', [
        depId,
        deviceId,
        wave,
      ]);
    }
    await addEvent(
      tx,
      depId,
      at,
      'created',
      0,
      `${ref.name}@${version} to '${input.group}' by ${input.actor}${input.note ? ` (${input.note})` : ''}`,
    );
    await addEvent(
      tx,
      depId,
      at,
      'wave-started',
      0,
      `wave 1 of ${waves.length}: ${reach(waves[0]!, devices.length)} of ${devices.length} devices`,
    );
    return depId;
  });
  return getDeployment(reg, id);
}

/**
 * A device follows one live deployment at a time, so a deployment to a group that shares devices
 * with another group's live deployment is refused, naming the overlap (docs/fleet.md).
 */
async function refuseOverlap(tx: Queryable, group: string): Promise<void> {
  const overlaps = await tx.all<{
    id: number;
    group_name: string;
    state: string;
    n: number;
    example: string;
  }>(
    `SELECT d.id, d.group_name, d.state, COUNT(*) AS n, MIN(dev.name) AS example
     FROM fleet_deployments d JOIN fleet_devices dev
       ON dev.id IN (SELECT id FROM fleet_devices WHERE group_name = d.group_name
                     UNION SELECT device_id FROM fleet_memberships WHERE group_name = d.group_name)
     WHERE d.state IN ('running', 'paused') AND d.group_name <> ? AND dev.id IN (${MEMBERS_SQL})
     GROUP BY d.id, d.group_name, d.state ORDER BY d.id`,
    [group, ...membersParams(group)],
  );
  const o = overlaps[0];
  if (o) {
    throw new ConflictError(
      `group '${group}' shares ${Number(o.n)} device(s) (e.g. '${o.example}') with group '${o.group_name}', whose deployment ${Number(o.id)} is ${o.state}`,
      { expected: 'a device follows one live deployment at a time: wait for it to finish, or abort it' },
    );
  }
}

function nonNegative(ms: number, what: string): number {
  if (!(Number.isInteger(ms) && ms >= 0))
    throw new KilnError(`invalid ${what} ${ms}`, { expected: 'whole milliseconds ≥ 0' });
  return ms;
}

export async function getDeployment(reg: Registry, id: number): Promise<DeploymentRecord> {
  const row = await reg.db.get<DeploymentRow>('SELECT * FROM fleet_deployments WHERE id = ?', [id]);
  if (!row) throw new NotFoundError(`no deployment with id ${id}`);
  return deploymentRecord(row, await eventsOf(reg.db, id));
}

export async function listDeployments(reg: Registry, group?: string): Promise<DeploymentRecord[]> {
  const rows = group
    ? await reg.db.all<DeploymentRow>('SELECT * FROM fleet_deployments WHERE group_name = ? ORDER BY id', [
        group,
      ])
    : await reg.db.all<DeploymentRow>('SELECT * FROM fleet_deployments ORDER BY id');
  return rows.map((r) => deploymentRecord(r, []));
}

type Control = 'pause' | 'resume' | 'abort';

/**
 * Pause (waves stop being released; the pause times out into an abort), resume (the current wave
 * gets a fresh timeout), abort (every device goes back to the previous version).
 */
export async function controlDeployment(
  reg: Registry,
  id: number,
  action: Control,
  actor: string,
): Promise<DeploymentRecord> {
  await reg.db.transaction(async (tx) => {
    await lockFleet(tx, reg.db.dialect);
    const d = await tx.get<DeploymentRow>('SELECT * FROM fleet_deployments WHERE id = ?', [id]);
    if (!d) throw new NotFoundError(`no deployment with id ${id}`);
    const allowed: Record<Control, string[]> = {
      pause: ['running'],
      resume: ['paused'],
      abort: ['running', 'paused'],
    };
    if (!allowed[action].includes(d.state)) {
      throw new ConflictError(`cannot ${action} deployment ${id}: it is ${d.state}`, {
        expected: `a deployment that is ${allowed[action].join(' or ')}`,
      });
    }
    const at = now();
    const next =
      action === 'pause'
        ? { state: 'paused', deadline: later(at, PAUSE_TIMEOUT_MS), reason: null }
        : action === 'resume'
          ? { state: 'running', deadline: later(at, Number(d.wave_timeout_ms)), reason: null }
          : { state: 'aborted', deadline: null, reason: `aborted by ${actor}` };
    await tx.run(
      'UPDATE fleet_deployments SET state = ?, state_since = ?, deadline = ?, reason = ? WHERE id = ?',
      [next.state, at, next.deadline, next.reason, id],
    );
    await addEvent(
      tx,
      id,
      at,
      action === 'abort' ? 'aborted' : action === 'pause' ? 'paused' : 'resumed',
      Number(d.wave),
      `by ${actor}`,
    );
  });
  return getDeployment(reg, id);
}
