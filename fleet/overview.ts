import type { Registry } from '../registry/registry.js';
import type { Queryable } from '../registry/storage/db.js';
import { type DeploymentRecord, deploymentRecord, type DeploymentRow } from './deployment-rows.js';
import {
  DEVICE_COLUMNS,
  type DeviceRecord,
  type DeviceRow,
  deviceRecord,
  dynamicGroupsColumn,
} from './devices.js';
import { MEMBERS_SQL, membersParams } from './membership.js';
import type { WaveTarget } from './strategy.js';

/**
 * Aggregates for dashboards (Studio): each answers one view in one request, so a page over
 * hundreds of devices never fetches per device.
 */

export interface WaveProgress {
  /** 0-based. */
  wave: number;
  target: WaveTarget;
  /** Devices assigned to this wave (not cumulative). */
  devices: number;
  installed: number;
  failed: number;
  /** Released and not yet reported, or not released yet. */
  pending: number;
  released: boolean;
  /** The wave's gate decision, when taken. */
  gate?: { passed: boolean; at: string; detail: string };
}

/** Per wave of a deployment: its devices and their latest outcome for it, and its gate result. */
export async function waveProgress(db: Queryable, d: DeploymentRecord): Promise<WaveProgress[]> {
  const rows = await db.all<{ wave: number; outcome: string | null }>(
    `SELECT a.wave AS wave,
            (SELECT r.outcome FROM fleet_reports r WHERE r.device_id = a.device_id AND r.deployment_id = a.deployment_id
             ORDER BY r.id DESC LIMIT 1) AS outcome
     FROM fleet_assignments a WHERE a.deployment_id = ?`,
    [d.id],
  );
  return d.waves.map((target, wave) => {
    const mine = rows.filter((r) => Number(r.wave) === wave);
    const installed = mine.filter((r) => r.outcome === 'installed').length;
    const failed = mine.filter((r) => r.outcome === 'failed').length;
    const gate = d.events.filter((e) => e.wave === wave && e.kind.startsWith('gate-')).at(-1);
    return {
      wave,
      target,
      devices: mine.length,
      installed,
      failed,
      pending: mine.length - installed - failed,
      released: wave <= d.wave,
      ...(gate ? { gate: { passed: gate.kind === 'gate-passed', at: gate.at, detail: gate.detail } } : {}),
    };
  });
}

/** A device's health as its reports tell it: its latest report installed, failed, or none yet. */
export type DeviceHealth = 'ok' | 'failed' | 'pending';

export interface DeviceStatus extends DeviceRecord {
  health: DeviceHealth;
  lastReport?: { at: string; outcome: string; reason?: string; model?: string; version?: number };
}

export interface DeviceStatusQuery {
  group?: string;
  health?: DeviceHealth;
  /** Matches a device's name or id (case-insensitive substring). */
  search?: string;
  offset?: number;
  limit?: number;
}

export interface DeviceStatusPage {
  /** Devices matching the query (all pages). */
  total: number;
  offset: number;
  limit: number;
  devices: DeviceStatus[];
  /** Over the group (or the whole fleet), before the health and search filters. */
  summary: {
    devices: number;
    health: Record<DeviceHealth, number>;
    versions: { model: string; version: number; devices: number }[];
  };
}

interface StatusRow extends DeviceRow {
  r_at: string | null;
  r_outcome: string | null;
  r_reason: string | null;
  r_model: string | null;
  r_version: number | null;
}

const JOINED_DEVICE_COLUMNS = [
  ...DEVICE_COLUMNS.split(', ').map((c) => `d.${c}`),
  dynamicGroupsColumn('d'),
].join(', ');

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 500;

/**
 * One page of devices with their health, and a summary of the group. One query: each device
 * joined to its latest report (reports grouped once, not looked up per device).
 */
export async function deviceStatusPage(reg: Registry, q: DeviceStatusQuery): Promise<DeviceStatusPage> {
  const rows = await reg.db.all<StatusRow>(
    `SELECT ${JOINED_DEVICE_COLUMNS},
            r.at AS r_at, r.outcome AS r_outcome, r.reason AS r_reason, r.model AS r_model, r.version AS r_version
     FROM fleet_devices d
     LEFT JOIN (SELECT device_id, MAX(id) AS id FROM fleet_reports GROUP BY device_id) latest ON latest.device_id = d.id
     LEFT JOIN fleet_reports r ON r.id = latest.id
     ${q.group !== undefined ? `WHERE d.id IN (${MEMBERS_SQL})` : ''}
     ORDER BY d.group_name, d.name, d.id`,
    q.group !== undefined ? membersParams(q.group) : [],
  );
  const all = rows.map(statusOf);
  const health: Record<DeviceHealth, number> = { ok: 0, failed: 0, pending: 0 };
  const versions = new Map<string, { model: string; version: number; devices: number }>();
  for (const d of all) {
    health[d.health]++;
    if (d.current) {
      const key = `${d.current.model}@${d.current.version}`;
      const v = versions.get(key) ?? { ...d.current, devices: 0 };
      v.devices++;
      versions.set(key, v);
    }
  }
  const needle = q.search?.toLowerCase();
  const matching = all.filter(
    (d) =>
      (!q.health || d.health === q.health) &&
      (!needle || d.name.toLowerCase().includes(needle) || d.id.toLowerCase().includes(needle)),
  );
  const offset = q.offset ?? 0;
  const limit = Math.min(q.limit ?? DEFAULT_PAGE, MAX_PAGE);
  return {
    total: matching.length,
    offset,
    limit,
    devices: matching.slice(offset, offset + limit),
    summary: {
      devices: all.length,
      health,
      versions: [...versions.values()].sort((a, b) =>
        a.model === b.model ? b.version - a.version : a.model < b.model ? -1 : 1,
      ),
    },
  };
}

function statusOf(r: StatusRow): DeviceStatus {
  const health: DeviceHealth =
    r.r_outcome === 'installed' ? 'ok' : r.r_outcome === 'failed' ? 'failed' : 'pending';
  return {
    ...deviceRecord(r),
    health,
    ...(r.r_at !== null && r.r_outcome !== null
      ? {
          lastReport: {
            at: r.r_at,
            outcome: r.r_outcome,
            ...(r.r_reason !== null ? { reason: r.r_reason } : {}),
            ...(r.r_model !== null ? { model: r.r_model } : {}),
            ...(r.r_version !== null ? { version: Number(r.r_version) } : {}),
          },
        }
      : {}),
  };
}

export interface FleetOverview {
  groups: {
    name: string;
    devices: number;
    versions: { model: string; version: number; devices: number }[];
    /** The group's latest deployment (live or not) and how many of its devices it has released. */
    deployment?: Omit<DeploymentRecord, 'events'> & { released: number };
  }[];
}

/** Every group with its device count, the versions its devices run, and its latest deployment. */
export async function fleetOverview(reg: Registry): Promise<FleetOverview> {
  const groups = await reg.db.all<{ name: string }>('SELECT name FROM fleet_groups ORDER BY name');
  const counts = await reg.db.all<{
    group_name: string;
    model: string | null;
    version: number | null;
    n: number;
  }>(
    `SELECT group_name, current_model AS model, current_version AS version, COUNT(*) AS n
     FROM fleet_devices GROUP BY group_name, current_model, current_version`,
  );
  const latest = await reg.db.all<DeploymentRow & { released: number }>(
    `SELECT d.*, (SELECT COUNT(*) FROM fleet_assignments a WHERE a.deployment_id = d.id AND a.wave <= d.wave) AS released
     FROM fleet_deployments d
     WHERE d.id IN (SELECT MAX(id) FROM fleet_deployments GROUP BY group_name)`,
  );
  return {
    groups: groups.map(({ name }) => {
      const mine = counts.filter((c) => c.group_name === name);
      const dep = latest.find((d) => d.group_name === name);
      const record = dep && deploymentRecord(dep, []);
      return {
        name,
        devices: mine.reduce((s, c) => s + Number(c.n), 0),
        versions: mine
          .filter((c) => c.model !== null && c.version !== null)
          .map((c) => ({ model: c.model!, version: Number(c.version), devices: Number(c.n) })),
        ...(record ? { deployment: { ...withoutEvents(record), released: Number(dep!.released) } } : {}),
      };
    }),
  };
}

function withoutEvents(d: DeploymentRecord): Omit<DeploymentRecord, 'events'> {
  const { events: _events, ...rest } = d;
  return rest;
}
