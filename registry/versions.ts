import { KilnError } from '../runtime/errors.js';
import { NotFoundError } from './errors.js';
import { checkMetrics, checkParams, checkTags } from './json-input.js';
import { summarizeOnnx } from './onnx-summary.js';
import { type VersionRef, checkModelName } from './refs.js';
import { type Registry, now } from './registry.js';
import { type ModelRow, type VersionRow, modelRecord, versionRecord } from './rows.js';
import type { Queryable } from './storage/db.js';
import type { Lineage, ModelRecord, VersionRecord } from './types.js';

export interface AddVersionInput {
  name: string;
  /** The ONNX bytes, or a stream of them (a file, an HTTP upload): streamed into the blob store. */
  source: AsyncIterable<Uint8Array> | Uint8Array;
  sourceName: string;
  description?: string;
  tags?: Record<string, string>;
  metrics?: Record<string, number>;
  params?: Record<string, unknown>;
  lineage?: Lineage;
  /** Refuse (413) a source larger than this. */
  maxBytes?: number;
  actor?: string;
}

/** How often a writer retries after losing a race for the next version number (PostgreSQL). */
const MAX_ATTEMPTS = 20;

/**
 * Add a version: stream the source into the blob store (complete before any row refers to it),
 * check it is ONNX and read its signature, then in one transaction create the model if new and
 * insert the next version number. A crash before the commit leaves at most an unreferenced blob.
 */
export async function addVersion(reg: Registry, input: AddVersionInput): Promise<VersionRecord> {
  const name = checkModelName(input.name);
  const metrics = checkMetrics(input.metrics);
  const params = checkParams(input.params);
  const tags = checkTags(input.tags);
  const blob = await reg.blobs.put(
    input.source,
    input.maxBytes !== undefined ? { maxBytes: input.maxBytes } : {},
  );
  const { summary } = summarizeOnnx(await reg.blobs.read(blob.sha256), input.sourceName);
  const actor = input.actor ?? reg.actor;
  const lineage = input.lineage ?? {};
  for (let attempt = 1; ; attempt++) {
    try {
      const version = await reg.db.transaction(async (tx) => {
        const at = now();
        await tx.run(
          'INSERT INTO models (name, description, tags, created_at, created_by) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING',
          [name, input.description ?? '', JSON.stringify(tags), at, actor],
        );
        if (input.description !== undefined || input.tags !== undefined) {
          await tx.run(
            'UPDATE models SET description = COALESCE(?, description), tags = COALESCE(?, tags) WHERE name = ?',
            [input.description ?? null, input.tags ? JSON.stringify(tags) : null, name],
          );
        }
        if (lineage.parentVersion !== undefined) await mustHaveVersion(tx, name, lineage.parentVersion);
        const row = await tx.get<{ v: number | null }>(
          'SELECT MAX(version) AS v FROM versions WHERE model = ?',
          [name],
        );
        const version = (row?.v ?? 0) + 1;
        await tx.run(
          `INSERT INTO versions (model, version, source_sha256, source_bytes, source_name, inputs, outputs,
             metrics, params, created_at, created_by, parent_version, dataset, training_run, approval_status)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')`,
          [
            name,
            version,
            blob.sha256,
            blob.bytes,
            input.sourceName,
            JSON.stringify(summary.inputs),
            JSON.stringify(summary.outputs),
            JSON.stringify(metrics),
            JSON.stringify(params),
            at,
            actor,
            lineage.parentVersion ?? null,
            lineage.dataset ?? null,
            lineage.trainingRun ?? null,
          ],
        );
        await tx.run(
          "INSERT INTO approval_history (model, version, status, actor, changed_at, reason) VALUES (?, ?, 'pending', ?, ?, NULL)",
          [name, version, actor, at],
        );
        return version;
      });
      return getVersion(reg, { name, ref: version });
    } catch (err) {
      if (!reg.db.isConflict(err) || attempt >= MAX_ATTEMPTS) throw err;
      await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
    }
  }
}

async function mustHaveVersion(tx: Queryable, name: string, version: number): Promise<void> {
  const row = await tx.get('SELECT 1 AS one FROM versions WHERE model = ? AND version = ?', [name, version]);
  if (!row) throw new NotFoundError(`parent version ${name}@${version} does not exist`);
}

/** The version number a reference names (a number, an alias, or 'latest'), or a 404. */
export async function resolveVersion(db: Queryable, ref: VersionRef): Promise<number> {
  const label = `${ref.name}@${ref.ref}`;
  let row: { version: number | null } | undefined;
  if (typeof ref.ref === 'number') {
    row = await db.get('SELECT version FROM versions WHERE model = ? AND version = ?', [ref.name, ref.ref]);
  } else if (ref.ref === 'latest') {
    row = await db.get('SELECT MAX(version) AS version FROM versions WHERE model = ?', [ref.name]);
  } else {
    row = await db.get('SELECT version FROM aliases WHERE model = ? AND alias = ?', [ref.name, ref.ref]);
  }
  if (row?.version == null) {
    const model = await db.get('SELECT 1 AS one FROM models WHERE name = ?', [ref.name]);
    if (!model) throw new NotFoundError(`no model named '${ref.name}' in the registry`);
    throw new NotFoundError(
      typeof ref.ref === 'number' || ref.ref === 'latest'
        ? `model '${ref.name}' has no version ${ref.ref === 'latest' ? 'yet' : ref.ref} (${label})`
        : `model '${ref.name}' has no alias '${ref.ref}' (${label})`,
    );
  }
  return row.version;
}

export async function getVersion(reg: Registry, ref: VersionRef): Promise<VersionRecord> {
  const version = await resolveVersion(reg.db, ref);
  const row = await reg.db.get<VersionRow>('SELECT * FROM versions WHERE model = ? AND version = ?', [
    ref.name,
    version,
  ]);
  const aliases = await reg.db.all<{ alias: string }>(
    'SELECT alias FROM aliases WHERE model = ? AND version = ? ORDER BY alias',
    [ref.name, version],
  );
  return versionRecord(
    row!,
    aliases.map((a) => a.alias),
  );
}

export async function listVersions(reg: Registry, name: string): Promise<VersionRecord[]> {
  await getModel(reg, name);
  const rows = await reg.db.all<VersionRow>('SELECT * FROM versions WHERE model = ? ORDER BY version', [
    name,
  ]);
  const aliases = await reg.db.all<{ alias: string; version: number }>(
    'SELECT alias, version FROM aliases WHERE model = ? ORDER BY alias',
    [name],
  );
  return rows.map((r) =>
    versionRecord(
      r,
      aliases.filter((a) => a.version === r.version).map((a) => a.alias),
    ),
  );
}

const MODEL_SELECT =
  'SELECT m.name, m.description, m.tags, m.created_at, m.created_by, (SELECT MAX(version) FROM versions v WHERE v.model = m.name) AS latest FROM models m';

export async function listModels(reg: Registry): Promise<ModelRecord[]> {
  const rows = await reg.db.all<ModelRow>(`${MODEL_SELECT} ORDER BY m.name`);
  const aliases = await reg.db.all<{ model: string; alias: string; version: number }>(
    'SELECT model, alias, version FROM aliases ORDER BY alias',
  );
  return rows.map((r) =>
    modelRecord(
      r,
      Object.fromEntries(aliases.filter((a) => a.model === r.name).map((a) => [a.alias, a.version])),
    ),
  );
}

export async function getModel(reg: Registry, name: string): Promise<ModelRecord> {
  checkModelName(name);
  const row = await reg.db.get<ModelRow>(`${MODEL_SELECT} WHERE m.name = ?`, [name]);
  if (!row) throw new NotFoundError(`no model named '${name}' in the registry`);
  const aliases = await reg.db.all<{ alias: string; version: number }>(
    'SELECT alias, version FROM aliases WHERE model = ? ORDER BY alias',
    [name],
  );
  return modelRecord(row, Object.fromEntries(aliases.map((a) => [a.alias, a.version])));
}

/** Reject an impossible parent before streaming anything (the transaction checks again). */
export function checkLineage(lineage: Lineage): Lineage {
  if (
    lineage.parentVersion !== undefined &&
    !(Number.isInteger(lineage.parentVersion) && lineage.parentVersion > 0)
  ) {
    throw new KilnError(`invalid parent version ${lineage.parentVersion}`, {
      expected: 'a version number ≥ 1',
    });
  }
  return lineage;
}
