import { KilnError } from '../runtime/errors.js';
import { ConflictError, NotFoundError } from '../registry/errors.js';
import { type Registry, now } from '../registry/registry.js';
import type { Queryable } from '../registry/storage/db.js';
import { lockFleet } from './deployment-rows.js';
import { parseFilter } from './filter/parse.js';
import { refreshMembership } from './membership.js';

export interface GroupRecord {
  name: string;
  createdAt: string;
  devices: number;
  /** A dynamic group's filter (docs/fleet.md): its devices are those that match it now. */
  filter?: string;
}

const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const MAX_FILTER = 2048;

/** A static group (devices enroll into it) or, with `filter`, a dynamic one (devices that match). */
export async function createGroup(reg: Registry, name: string, filter?: string): Promise<GroupRecord> {
  if (!GROUP_NAME.test(name)) {
    throw new KilnError(`invalid group name '${name}'`, {
      expected: 'letters, digits, . _ - (at most 128, starting with a letter or digit)',
    });
  }
  if (filter !== undefined) {
    if (filter.length > MAX_FILTER) {
      throw new KilnError(`the filter of group '${name}' is ${filter.length} characters long`, {
        expected: `at most ${MAX_FILTER}`,
      });
    }
    parseFilter(filter); // refuse a bad filter before storing it, with the position of the problem
  }
  const createdAt = now();
  try {
    const devices = await reg.db.transaction(async (tx) => {
      await lockFleet(tx, reg.db.dialect);
      await tx.run('INSERT INTO fleet_groups (name, created_at, filter) VALUES (?, ?, ?)', [
        name,
        createdAt,
        filter ?? null,
      ]);
      return filter === undefined ? 0 : (await refreshMembership(tx, undefined, name)).joined.length;
    });
    return { name, createdAt, devices, ...(filter !== undefined ? { filter } : {}) };
  } catch (err) {
    if (reg.db.isConflict(err)) throw new ConflictError(`group '${name}' already exists`);
    throw err;
  }
}

export async function listGroups(reg: Registry): Promise<GroupRecord[]> {
  const rows = await reg.db.all<{ name: string; created_at: string; filter: string | null; devices: number }>(
    `SELECT g.name, g.created_at, g.filter,
       (SELECT COUNT(*) FROM fleet_devices d WHERE d.group_name = g.name)
         + (SELECT COUNT(*) FROM fleet_memberships m WHERE m.group_name = g.name) AS devices
     FROM fleet_groups g ORDER BY g.name`,
  );
  return rows.map((r) => ({
    name: r.name,
    createdAt: r.created_at,
    devices: Number(r.devices),
    ...(r.filter !== null ? { filter: r.filter } : {}),
  }));
}

/** The group's filter, undefined for a static group; NotFoundError for no group. */
export async function requireGroup(db: Queryable, name: string): Promise<{ filter?: string }> {
  const row = await db.get<{ filter: string | null }>('SELECT filter FROM fleet_groups WHERE name = ?', [
    name,
  ]);
  if (!row)
    throw new NotFoundError(`no device group '${name}'`, { expected: 'kiln fleet groups create NAME' });
  return row.filter !== null ? { filter: row.filter } : {};
}
