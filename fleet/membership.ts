import type { Queryable, SqlValue } from '../registry/storage/db.js';
import type { Filter } from './filter/ast.js';
import { type FilterSubject, matches } from './filter/evaluate.js';
import { parseFilter } from './filter/parse.js';

/**
 * The devices of a group as an SQL subquery with two `?` (both the group's name): a static group's
 * devices enrolled into it, a dynamic group's are its rows in fleet_memberships (no device enrolls
 * into a dynamic group, so each side is empty for the other kind).
 */
export const MEMBERS_SQL =
  'SELECT id FROM fleet_devices WHERE group_name = ? UNION SELECT device_id FROM fleet_memberships WHERE group_name = ?';
export const membersParams = (group: string): SqlValue[] => [group, group];

/** The groups a device belongs to as an SQL subquery with two `?` (the device id, twice). */
export const DEVICE_GROUPS_SQL =
  'SELECT group_name FROM fleet_devices WHERE id = ? UNION SELECT group_name FROM fleet_memberships WHERE device_id = ?';

interface SubjectRow {
  id: string;
  name: string;
  group_name: string;
  target: string;
  runtime_version: string;
  features: string;
  tags: string;
}

const subject = (r: SubjectRow): FilterSubject => ({
  name: r.name,
  group: r.group_name,
  target: r.target,
  runtimeVersion: r.runtime_version,
  features: JSON.parse(r.features) as string[],
  tags: JSON.parse(r.tags) as Record<string, string>,
});

export interface MembershipChange {
  joined: { group: string; deviceId: string }[];
  left: { group: string; deviceId: string }[];
}

/**
 * Evaluate dynamic groups' filters again and store who matches: for the given devices (after their
 * tags or reported attributes changed, or they enrolled), or for every device (`undefined`, after a
 * group was created). Run inside the transaction that made the change, under the fleet lock, so
 * every server process sees memberships that agree with the rows they were computed from.
 *
 * A device that leaves a group also leaves that group's live deployments (its assignment is
 * deleted), so it stops following them and no longer counts in their gates; one that joins is
 * picked up by advance() like a device that enrolled late.
 */
export async function refreshMembership(
  tx: Queryable,
  deviceIds: readonly string[] | undefined,
  onlyGroup?: string,
): Promise<MembershipChange> {
  const groups = (
    await tx.all<{ name: string; filter: string }>(
      `SELECT name, filter FROM fleet_groups WHERE filter IS NOT NULL${onlyGroup !== undefined ? ' AND name = ?' : ''}`,
      onlyGroup !== undefined ? [onlyGroup] : [],
    )
  ).map((g) => ({ name: g.name, filter: parseFilter(g.filter) as Filter }));
  const change: MembershipChange = { joined: [], left: [] };
  if (groups.length === 0) return change;
  const cols = 'id, name, group_name, target, runtime_version, features, tags';
  const devices: SubjectRow[] = [];
  if (deviceIds === undefined)
    devices.push(...(await tx.all<SubjectRow>(`SELECT ${cols} FROM fleet_devices`)));
  else {
    for (const id of deviceIds) {
      const r = await tx.get<SubjectRow>(`SELECT ${cols} FROM fleet_devices WHERE id = ?`, [id]);
      if (r) devices.push(r);
    }
  }
  type MemberRow = { group_name: string; device_id: string };
  const rows: MemberRow[] = [];
  if (deviceIds === undefined) {
    rows.push(...(await tx.all<MemberRow>('SELECT group_name, device_id FROM fleet_memberships')));
  } else {
    for (const d of devices) {
      rows.push(
        ...(await tx.all<MemberRow>(
          'SELECT group_name, device_id FROM fleet_memberships WHERE device_id = ?',
          [d.id],
        )),
      );
    }
  }
  const key = (group: string, deviceId: string) => `${group}\u0000${deviceId}`;
  const current = new Set(rows.map((r) => key(r.group_name, r.device_id)));
  for (const g of groups) {
    for (const d of devices) {
      const member = matches(g.filter, subject(d));
      if (member && !current.has(key(g.name, d.id))) {
        await tx.run('INSERT INTO fleet_memberships (group_name, device_id) VALUES (?, ?)', [g.name, d.id]);
        change.joined.push({ group: g.name, deviceId: d.id });
      } else if (!member && current.has(key(g.name, d.id))) {
        await tx.run('DELETE FROM fleet_memberships WHERE group_name = ? AND device_id = ?', [g.name, d.id]);
        await tx.run(
          `DELETE FROM fleet_assignments WHERE device_id = ? AND deployment_id IN
             (SELECT id FROM fleet_deployments WHERE group_name = ? AND state IN ('running', 'paused'))`,
          [d.id, g.name],
        );
        change.left.push({ group: g.name, deviceId: d.id });
      }
    }
  }
  return change;
}
