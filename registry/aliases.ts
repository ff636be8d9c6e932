import { NotFoundError } from './errors.js';
import { type VersionRef, checkAliasName, checkModelName } from './refs.js';
import { type Registry, now } from './registry.js';
import type { AliasEvent } from './types.js';
import { resolveVersion } from './versions.js';

/**
 * Point an alias (`production`, `staging`, …) at a version. Every change is appended to the
 * alias history in the same transaction, so "what was production on a date" always has an answer.
 */
export async function setAlias(
  reg: Registry,
  ref: VersionRef,
  alias: string,
  actor = reg.actor,
): Promise<AliasEvent> {
  checkAliasName(alias);
  return reg.db.transaction(async (tx) => {
    const version = await resolveVersion(tx, ref);
    const prev = await tx.get<{ version: number }>(
      'SELECT version FROM aliases WHERE model = ? AND alias = ?',
      [ref.name, alias],
    );
    const at = now();
    if (prev) {
      await tx.run(
        'UPDATE aliases SET version = ?, changed_at = ?, actor = ? WHERE model = ? AND alias = ?',
        [version, at, actor, ref.name, alias],
      );
    } else {
      await tx.run('INSERT INTO aliases (model, alias, version, changed_at, actor) VALUES (?, ?, ?, ?, ?)', [
        ref.name,
        alias,
        version,
        at,
        actor,
      ]);
    }
    await tx.run(
      'INSERT INTO alias_history (model, alias, version, previous_version, changed_at, actor) VALUES (?, ?, ?, ?, ?, ?)',
      [ref.name, alias, version, prev?.version ?? null, at, actor],
    );
    return { alias, version, previousVersion: prev?.version ?? null, changedAt: at, actor };
  });
}

/** Remove an alias; the removal is recorded in the history (version null). */
export async function removeAlias(
  reg: Registry,
  name: string,
  alias: string,
  actor = reg.actor,
): Promise<AliasEvent> {
  checkModelName(name);
  checkAliasName(alias);
  return reg.db.transaction(async (tx) => {
    const prev = await tx.get<{ version: number }>(
      'SELECT version FROM aliases WHERE model = ? AND alias = ?',
      [name, alias],
    );
    if (!prev) throw new NotFoundError(`model '${name}' has no alias '${alias}'`);
    const at = now();
    await tx.run('DELETE FROM aliases WHERE model = ? AND alias = ?', [name, alias]);
    await tx.run(
      'INSERT INTO alias_history (model, alias, version, previous_version, changed_at, actor) VALUES (?, ?, NULL, ?, ?, ?)',
      [name, alias, prev.version, at, actor],
    );
    return { alias, version: null, previousVersion: prev.version, changedAt: at, actor };
  });
}

/** The history of one alias (or every alias of the model), oldest first. */
export async function aliasHistory(reg: Registry, name: string, alias?: string): Promise<AliasEvent[]> {
  checkModelName(name);
  const rows = await reg.db.all<{
    alias: string;
    version: number | null;
    previous_version: number | null;
    changed_at: string;
    actor: string;
  }>(
    `SELECT alias, version, previous_version, changed_at, actor FROM alias_history
     WHERE model = ?${alias ? ' AND alias = ?' : ''} ORDER BY id`,
    alias ? [name, alias] : [name],
  );
  return rows.map((r) => ({
    alias: r.alias,
    version: r.version,
    previousVersion: r.previous_version,
    changedAt: r.changed_at,
    actor: r.actor,
  }));
}
