import { KilnError } from '../runtime/errors.js';
import { NotFoundError } from '../registry/errors.js';
import { type Registry, now } from '../registry/registry.js';
import { hashSecret } from './credentials.js';
import { lockFleet } from './deployment-rows.js';
import { checkDescription, type DeviceDescription } from './enrollment.js';
import { matches } from './filter/evaluate.js';
import { parseFilter } from './filter/parse.js';
import { MEMBERS_SQL, membersParams, refreshMembership } from './membership.js';
import { type Tags, checkTagKey, checkTags, tagsJson } from './tags.js';

export interface DeviceRecord {
  id: string;
  name: string;
  /** The static group the device enrolled into; dynamic groups it matches are in `groups`. */
  group: string;
  /** Every group it belongs to: its static group first, then the dynamic ones it matches. */
  groups: string[];
  tags: Tags;
  target: string;
  features: string[];
  runtimeVersion: string;
  enrolledAt: string;
  /** When the device last enrolled or reported (polls do not write). */
  lastSeenAt: string;
  current?: { model: string; version: number };
  /** Telemetry batches the device dropped (its spool was full), as it reported. */
  telemetryDropped: number;
}

interface DeviceRow {
  id: string;
  name: string;
  group_name: string;
  target: string;
  features: string;
  runtime_version: string;
  enrolled_at: string;
  last_seen_at: string;
  current_model: string | null;
  current_version: number | null;
  telemetry_dropped: number;
  tags: string;
  dynamic_groups: string | null;
}

const BASE_COLUMNS =
  'id, name, group_name, target, features, runtime_version, enrolled_at, last_seen_at, current_model, current_version, telemetry_dropped, tags';
/** The dynamic groups of the device row `table` (an alias or table name), comma-separated. */
export const dynamicGroupsColumn = (table: string): string =>
  `(SELECT STRING_AGG(m.group_name, ',') FROM fleet_memberships m WHERE m.device_id = ${table}.id) AS dynamic_groups`;
const COLUMNS = `${BASE_COLUMNS}, ${dynamicGroupsColumn('fleet_devices')}`;

function record(r: DeviceRow): DeviceRecord {
  return {
    id: r.id,
    name: r.name,
    group: r.group_name,
    groups: [r.group_name, ...(r.dynamic_groups ? r.dynamic_groups.split(',').sort() : [])],
    tags: JSON.parse(r.tags) as Tags,
    target: r.target,
    features: JSON.parse(r.features) as string[],
    runtimeVersion: r.runtime_version,
    enrolledAt: r.enrolled_at,
    lastSeenAt: r.last_seen_at,
    ...(r.current_model !== null && r.current_version !== null
      ? { current: { model: r.current_model, version: Number(r.current_version) } }
      : {}),
    telemetryDropped: Number(r.telemetry_dropped),
  };
}

/** Devices of a group (static or dynamic), or all; `filter` keeps those that match it (docs/fleet.md). */
export async function listDevices(
  reg: Registry,
  query: { group?: string; filter?: string } = {},
): Promise<DeviceRecord[]> {
  const filter = query.filter !== undefined ? parseFilter(query.filter) : undefined;
  const rows = query.group
    ? await reg.db.all<DeviceRow>(
        `SELECT ${COLUMNS} FROM fleet_devices WHERE id IN (${MEMBERS_SQL}) ORDER BY name, id`,
        membersParams(query.group),
      )
    : await reg.db.all<DeviceRow>(`SELECT ${COLUMNS} FROM fleet_devices ORDER BY group_name, name, id`);
  const list = rows.map(record);
  return filter ? list.filter((d) => matches(filter, d)) : list;
}

export async function getDevice(reg: Registry, id: string): Promise<DeviceRecord> {
  const row = await reg.db.get<DeviceRow>(`SELECT ${COLUMNS} FROM fleet_devices WHERE id = ?`, [id]);
  if (!row) throw new NotFoundError(`no device with id ${id}`);
  return record(row);
}

/** The device a credential belongs to, or undefined for an unknown one. */
export async function deviceByCredential(
  reg: Registry,
  credential: string,
): Promise<DeviceRecord | undefined> {
  const row = await reg.db.get<DeviceRow>(
    `SELECT ${COLUMNS} FROM fleet_devices WHERE credential_sha256 = ?`,
    [hashSecret(credential)],
  );
  return row && record(row);
}

/** What a device says about itself on each report: its hardware and runtime can change (upgrades). */
export async function updateDescription(
  reg: Registry,
  id: string,
  d: Omit<DeviceDescription, 'name' | 'tags'>,
): Promise<void> {
  checkDescription({ ...d, name: '' });
  const features = JSON.stringify([...d.features].sort());
  const old = await reg.db.get<{ target: string; features: string; runtime_version: string }>(
    'SELECT target, features, runtime_version FROM fleet_devices WHERE id = ?',
    [id],
  );
  const same =
    old && old.target === d.target && old.features === features && old.runtime_version === d.runtimeVersion;
  if (same) {
    await reg.db.run('UPDATE fleet_devices SET last_seen_at = ? WHERE id = ?', [now(), id]);
    return;
  }
  // what it reports is what dynamic groups filter on, so its memberships are evaluated again
  await reg.db.transaction(async (tx) => {
    await lockFleet(tx, reg.db.dialect);
    await tx.run(
      'UPDATE fleet_devices SET target = ?, features = ?, runtime_version = ?, last_seen_at = ? WHERE id = ?',
      [d.target, features, d.runtimeVersion, now(), id],
    );
    await refreshMembership(tx, [id]);
  });
}

/** For queries that join devices to other tables (fleet/overview.ts). */
export { BASE_COLUMNS as DEVICE_COLUMNS, type DeviceRow, record as deviceRecord };

/**
 * An operator sets (`set`) and removes (`remove`) tags of a device; the device's dynamic-group
 * memberships are evaluated again in the same transaction, so a device tagged into a group gets its
 * version and one tagged out stops following its deployments. Devices cannot call this.
 */
export async function setDeviceTags(
  reg: Registry,
  id: string,
  change: { set?: Tags; remove?: string[] },
): Promise<DeviceRecord & { joined: string[]; left: string[] }> {
  const set = checkTags(change.set ?? {});
  const remove = change.remove ?? [];
  for (const key of remove) {
    checkTagKey(key);
    if (Object.hasOwn(set, key)) {
      throw new KilnError(`tag '${key}' is both set and removed`, { expected: 'one or the other' });
    }
  }
  const moved = await reg.db.transaction(async (tx) => {
    await lockFleet(tx, reg.db.dialect);
    const row = await tx.get<{ tags: string }>('SELECT tags FROM fleet_devices WHERE id = ?', [id]);
    if (!row) throw new NotFoundError(`no device with id ${id}`);
    const tags = { ...(JSON.parse(row.tags) as Tags), ...set };
    for (const key of remove) delete tags[key];
    checkTags(tags);
    await tx.run('UPDATE fleet_devices SET tags = ? WHERE id = ?', [tagsJson(tags), id]);
    return refreshMembership(tx, [id]);
  });
  return {
    ...(await getDevice(reg, id)),
    joined: moved.joined.map((m) => m.group),
    left: moved.left.map((m) => m.group),
  };
}
