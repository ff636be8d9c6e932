import { KilnError } from '../runtime/errors.js';
import { ConflictError, NotFoundError } from '../registry/errors.js';
import { type Registry, now } from '../registry/registry.js';
import type { Queryable } from '../registry/storage/db.js';

export interface GroupRecord {
  name: string;
  createdAt: string;
  devices: number;
}

const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export async function createGroup(reg: Registry, name: string): Promise<GroupRecord> {
  if (!GROUP_NAME.test(name)) {
    throw new KilnError(`invalid group name '${name}'`, {
      expected: 'letters, digits, . _ - (at most 128, starting with a letter or digit)',
    });
  }
  const createdAt = now();
  try {
    await reg.db.run('INSERT INTO fleet_groups (name, created_at) VALUES (?, ?)', [name, createdAt]);
  } catch (err) {
    if (reg.db.isConflict(err)) throw new ConflictError(`group '${name}' already exists`);
    throw err;
  }
  return { name, createdAt, devices: 0 };
}

export async function listGroups(reg: Registry): Promise<GroupRecord[]> {
  const rows = await reg.db.all<{ name: string; created_at: string; devices: number }>(
    `SELECT g.name, g.created_at, (SELECT COUNT(*) FROM fleet_devices d WHERE d.group_name = g.name) AS devices
     FROM fleet_groups g ORDER BY g.name`,
  );
  return rows.map((r) => ({ name: r.name, createdAt: r.created_at, devices: Number(r.devices) }));
}

export async function requireGroup(db: Queryable, name: string): Promise<void> {
  const row = await db.get('SELECT name FROM fleet_groups WHERE name = ?', [name]);
  if (!row)
    throw new NotFoundError(`no device group '${name}'`, { expected: 'kiln fleet groups create NAME' });
}
