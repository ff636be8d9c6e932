import { NotFoundError } from '../registry/errors.js';
import { type Registry, now } from '../registry/registry.js';
import { hashSecret } from './credentials.js';
import { checkDescription, type DeviceDescription } from './enrollment.js';

export interface DeviceRecord {
  id: string;
  name: string;
  group: string;
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
}

const COLUMNS =
  'id, name, group_name, target, features, runtime_version, enrolled_at, last_seen_at, current_model, current_version, telemetry_dropped';

function record(r: DeviceRow): DeviceRecord {
  return {
    id: r.id,
    name: r.name,
    group: r.group_name,
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

export async function listDevices(reg: Registry, group?: string): Promise<DeviceRecord[]> {
  const rows = group
    ? await reg.db.all<DeviceRow>(
        `SELECT ${COLUMNS} FROM fleet_devices WHERE group_name = ? ORDER BY name, id`,
        [group],
      )
    : await reg.db.all<DeviceRow>(`SELECT ${COLUMNS} FROM fleet_devices ORDER BY group_name, name, id`);
  return rows.map(record);
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
  d: Omit<DeviceDescription, 'name'>,
): Promise<void> {
  checkDescription({ ...d, name: '' });
  await reg.db.run(
    'UPDATE fleet_devices SET target = ?, features = ?, runtime_version = ?, last_seen_at = ? WHERE id = ?',
    [d.target, JSON.stringify([...d.features].sort()), d.runtimeVersion, now(), id],
  );
}

/** For queries that join devices to other tables (fleet/overview.ts). */
export { COLUMNS as DEVICE_COLUMNS, type DeviceRow, record as deviceRecord };
