import type { Queryable } from '../registry/storage/db.js';
import type { Strategy, WaveTarget } from './strategy.js';

/** Deployment states; the first two are live (advance() moves them), the others are final. */
export type DeploymentState = 'running' | 'paused' | 'succeeded' | 'rolled_back' | 'aborted';
export const LIVE_STATES: readonly DeploymentState[] = ['running', 'paused'];

export interface DeploymentRow {
  id: number;
  group_name: string;
  model: string;
  version: number;
  previous_version: number | null;
  strategy: string;
  waves: string;
  max_failure_rate: number;
  soak_ms: number;
  wave_timeout_ms: number;
  state: DeploymentState;
  wave: number;
  state_since: string;
  deadline: string | null;
  reason: string | null;
  created_at: string;
  created_by: string;
  max_error_rate_increase: number | null;
  max_p95_ratio: number | null;
  /** 1: devices may fetch only the changed files (delta delivery), 0: whole artifacts only. */
  delta: number;
}

export interface DeploymentEvent {
  at: string;
  kind: string;
  wave: number;
  detail: string;
}

export interface DeploymentRecord {
  id: number;
  group: string;
  model: string;
  version: number;
  previousVersion?: number;
  strategy: Strategy;
  waves: WaveTarget[];
  maxFailureRate: number;
  soakMs: number;
  waveTimeoutMs: number;
  state: DeploymentState;
  /** The wave released last (0-based). */
  wave: number;
  stateSince: string;
  deadline?: string;
  reason?: string;
  createdAt: string;
  createdBy: string;
  /** Regression gate thresholds set for this deployment (defaults in docs/monitoring.md when absent). */
  maxErrorRateIncrease?: number;
  maxP95Ratio?: number;
  /** Whether devices may fetch only the files that changed (docs/fleet.md, *Delivery*). */
  delta: boolean;
  events: DeploymentEvent[];
}

export function deploymentRecord(r: DeploymentRow, events: DeploymentEvent[]): DeploymentRecord {
  return {
    id: Number(r.id),
    group: r.group_name,
    model: r.model,
    version: Number(r.version),
    ...(r.previous_version !== null ? { previousVersion: Number(r.previous_version) } : {}),
    strategy: JSON.parse(r.strategy) as Strategy,
    waves: JSON.parse(r.waves) as WaveTarget[],
    maxFailureRate: Number(r.max_failure_rate),
    soakMs: Number(r.soak_ms),
    waveTimeoutMs: Number(r.wave_timeout_ms),
    state: r.state,
    wave: Number(r.wave),
    stateSince: r.state_since,
    ...(r.deadline !== null ? { deadline: r.deadline } : {}),
    ...(r.reason !== null ? { reason: r.reason } : {}),
    createdAt: r.created_at,
    createdBy: r.created_by,
    ...(r.max_error_rate_increase !== null
      ? { maxErrorRateIncrease: Number(r.max_error_rate_increase) }
      : {}),
    ...(r.max_p95_ratio !== null ? { maxP95Ratio: Number(r.max_p95_ratio) } : {}),
    delta: Number(r.delta) !== 0,
    events,
  };
}

export async function addEvent(
  tx: Queryable,
  deploymentId: number,
  at: string,
  kind: string,
  wave: number,
  detail: string,
): Promise<void> {
  await tx.run('INSERT INTO fleet_events (deployment_id, at, kind, wave, detail) VALUES (?, ?, ?, ?, ?)', [
    deploymentId,
    at,
    kind,
    wave,
    detail,
  ]);
}

export async function eventsOf(db: Queryable, deploymentId: number): Promise<DeploymentEvent[]> {
  return db.all<DeploymentEvent>(
    'SELECT at, kind, wave, detail FROM fleet_events WHERE deployment_id = ? ORDER BY id',
    [deploymentId],
  );
}

/** The group's live deployment, if any (at most one: createDeployment refuses a second). */
export async function liveDeployment(db: Queryable, group: string): Promise<DeploymentRow | undefined> {
  return db.get<DeploymentRow>(
    "SELECT * FROM fleet_deployments WHERE group_name = ? AND state IN ('running', 'paused') ORDER BY id DESC LIMIT 1",
    [group],
  );
}

/** The group's last deployment that reached everyone: what devices outside a live rollout run. */
export async function baselineDeployment(db: Queryable, group: string): Promise<DeploymentRow | undefined> {
  return db.get<DeploymentRow>(
    "SELECT * FROM fleet_deployments WHERE group_name = ? AND state = 'succeeded' ORDER BY id DESC LIMIT 1",
    [group],
  );
}

/** An arbitrary constant: the PostgreSQL advisory lock that serialises deployment changes. */
export const PG_FLEET_LOCK = 7_391_005;

/** Take the fleet lock inside a transaction (SQLite's BEGIN IMMEDIATE already serialises writers). */
export async function lockFleet(tx: Queryable, dialect: 'sqlite' | 'postgres'): Promise<void> {
  if (dialect === 'postgres') await tx.run(`SELECT pg_advisory_xact_lock(${PG_FLEET_LOCK})`);
}
