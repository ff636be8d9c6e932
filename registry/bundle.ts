import { recordTrustStatement } from './trust-statements.js';
import { readArtifact } from '../runtime/artifact/artifact.js';
import { fromBase64, verifySignedArtifact } from '../runtime/artifact/signature.js';
import { type TarEntry, packTar, unpackTar } from '../runtime/artifact/tar.js';
import { KilnError } from '../runtime/errors.js';
import { aliasHistory } from './aliases.js';
import { approvalHistory } from './approvals.js';
import { listBenchmarks } from './benchmarks.js';
import { ConflictError } from './errors.js';
import type { Registry } from './registry.js';
import { now } from './registry.js';
import type { Queryable } from './storage/db.js';
import { type KeyRecord, listKeys } from './trust.js';
import type {
  AliasEvent,
  Approval,
  BenchmarkRecord,
  ModelRecord,
  VariantRecord,
  VersionRecord,
} from './types.js';
import { listVariants } from './variants.js';
import { getModel, listModels, listVersions } from './versions.js';

/**
 * Export/import: one ustar file (runtime/artifact/tar.ts) holding `bundle.json` — models,
 * versions with lineage and approval history, aliases with history, variants with signatures and
 * benchmarks, and the public keys — and `blobs/<sha256>` for every source and artifact. Import
 * checks every blob's hash and every variant's signature before it writes anything.
 */
export const BUNDLE_FORMAT = 'kiln-registry-bundle';
export const BUNDLE_FORMAT_VERSION = 1;

interface BundleModel {
  model: ModelRecord;
  versions: (VersionRecord & {
    approvalHistory: Approval[];
    variants: (VariantRecord & { benchmarks: BenchmarkRecord[] })[];
  })[];
  aliasHistory: AliasEvent[];
}

interface Bundle {
  format: typeof BUNDLE_FORMAT;
  formatVersion: typeof BUNDLE_FORMAT_VERSION;
  createdAt: string;
  keys: Omit<KeyRecord, 'canSign'>[];
  models: BundleModel[];
}

/** The bundle's bytes for the named models (all models when none are named). */
export async function exportBundle(reg: Registry, names: string[] = []): Promise<Uint8Array> {
  const models = names.length ? await Promise.all(names.map((n) => getModel(reg, n))) : await listModels(reg);
  const blobs = new Set<string>();
  const bundle: Bundle = {
    format: BUNDLE_FORMAT,
    formatVersion: BUNDLE_FORMAT_VERSION,
    createdAt: now(),
    keys: (await listKeys(reg)).map(({ canSign: _, ...k }) => k),
    models: [],
  };
  for (const model of models) {
    const versions: BundleModel['versions'] = [];
    for (const v of await listVersions(reg, model.name)) {
      const ref = { name: model.name, ref: v.version };
      blobs.add(v.source.sha256);
      const variants = await listVariants(reg, ref);
      for (const x of variants) blobs.add(x.artifact.sha256);
      const benchmarks = await listBenchmarks(
        reg,
        variants.map((x) => x.id),
      );
      versions.push({
        ...v,
        approvalHistory: await approvalHistory(reg, ref),
        variants: variants.map((x) => ({ ...x, benchmarks: benchmarks.filter((b) => b.variantId === x.id) })),
      });
    }
    bundle.models.push({ model, versions, aliasHistory: await aliasHistory(reg, model.name) });
  }
  const entries: TarEntry[] = [
    { path: 'bundle.json', data: new TextEncoder().encode(JSON.stringify(bundle, null, 2) + '\n') },
  ];
  for (const sha of [...blobs].sort())
    entries.push({ path: `blobs/${sha}`, data: await reg.blobs.read(sha) });
  return packTar(entries, Date.parse(bundle.createdAt) / 1000);
}

export interface ImportSummary {
  models: string[];
  versionsAdded: number;
  versionsSkipped: number;
  variantsAdded: number;
  blobs: number;
  keys: number;
}

/**
 * Import a bundle. Versions are kept with their numbers; a version that already exists with the
 * same source is skipped (re-importing is harmless), one with a different source is a conflict and
 * nothing is imported.
 */
export async function importBundle(
  reg: Registry,
  bytes: Uint8Array,
  file = 'bundle',
): Promise<ImportSummary> {
  const entries = unpackTar(bytes, file);
  const jsonEntry = entries.find((e) => e.path === 'bundle.json');
  if (!jsonEntry)
    throw new KilnError('not a registry bundle: it has no bundle.json', {
      file,
      expected: 'kiln registry export output',
    });
  let bundle: Bundle;
  try {
    bundle = JSON.parse(new TextDecoder().decode(jsonEntry.data)) as Bundle;
  } catch (err) {
    throw new KilnError(`bundle.json is not JSON: ${(err as Error).message}`, { file });
  }
  if (bundle.format !== BUNDLE_FORMAT || bundle.formatVersion !== BUNDLE_FORMAT_VERSION) {
    throw new KilnError(`unsupported bundle format ${bundle.format} ${bundle.formatVersion}`, {
      file,
      expected: `${BUNDLE_FORMAT} version ${BUNDLE_FORMAT_VERSION}`,
    });
  }
  const blobs = new Map(
    entries.filter((e) => e.path.startsWith('blobs/')).map((e) => [e.path.slice(6), e.data]),
  );
  const trust = {
    keys: bundle.keys.map((k) => ({
      keyId: k.keyId,
      publicKey: fromBase64(k.publicKey),
      revoked: !!k.revokedAt,
    })),
  };
  // Check everything before writing: every blob named, and every signature valid.
  for (const m of bundle.models) {
    for (const v of m.versions) {
      if (!blobs.has(v.source.sha256))
        throw new KilnError(`the bundle lacks the source of ${v.model}@${v.version}`, { file });
      for (const x of v.variants) {
        const artifact = blobs.get(x.artifact.sha256);
        if (!artifact)
          throw new KilnError(`the bundle lacks the ${x.target} artifact of ${v.model}@${v.version}`, {
            file,
          });
        await readArtifact(artifact, { file: `${file}:blobs/${x.artifact.sha256}` });
        for (const s of x.signatures) {
          if (bundle.keys.find((k) => k.keyId === s.keyId)?.revokedAt) continue; // kept, but fails verification as it should
          await verifySignedArtifact(artifact, trust, {
            file: `${file}:${v.model}@${v.version}/${x.target}`,
            signature: new TextEncoder().encode(s.signature),
          });
        }
      }
    }
  }
  for (const [sha, data] of blobs) await reg.blobs.put(data, { expectSha256: sha });
  const summary: ImportSummary = {
    models: [],
    versionsAdded: 0,
    versionsSkipped: 0,
    variantsAdded: 0,
    blobs: blobs.size,
    keys: 0,
  };
  await reg.db.transaction(async (tx) => {
    for (const k of bundle.keys) {
      const r = await tx.run(
        'INSERT INTO signing_keys (key_id, public_key, created_at, revoked_at, revoked_reason) VALUES (?, ?, ?, ?, ?) ON CONFLICT (key_id) DO NOTHING',
        [k.keyId, k.publicKey, k.createdAt, k.revokedAt ?? null, k.revokedReason ?? null],
      );
      if (k.revokedAt) {
        await tx.run(
          'UPDATE signing_keys SET revoked_at = COALESCE(revoked_at, ?), revoked_reason = COALESCE(revoked_reason, ?) WHERE key_id = ?',
          [k.revokedAt, k.revokedReason ?? null, k.keyId],
        );
      }
      summary.keys += r.changes;
    }
    for (const m of bundle.models) {
      summary.models.push(m.model.name);
      await importModel(tx, m, summary);
    }
  });
  await recordTrustStatement(reg); // keys or revocations imported: a statement devices renew from
  return summary;
}

async function importModel(tx: Queryable, m: BundleModel, summary: ImportSummary): Promise<void> {
  const { model } = m;
  await tx.run(
    'INSERT INTO models (name, description, tags, created_at, created_by) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING',
    [model.name, model.description, JSON.stringify(model.tags), model.createdAt, model.createdBy],
  );
  const added = new Set<number>();
  for (const v of m.versions) {
    const existing = await tx.get<{ source_sha256: string }>(
      'SELECT source_sha256 FROM versions WHERE model = ? AND version = ?',
      [v.model, v.version],
    );
    if (existing) {
      if (existing.source_sha256 !== v.source.sha256) {
        throw new ConflictError(`${v.model}@${v.version} already exists here with a different source`, {
          expected: 'a registry without that version, or the same model',
        });
      }
      summary.versionsSkipped++;
      continue;
    }
    await tx.run(
      `INSERT INTO versions (model, version, source_sha256, source_bytes, source_name, inputs, outputs, metrics, params,
         created_at, created_by, parent_version, dataset, training_run, approval_status, approval_by, approval_at, approval_reason)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        v.model,
        v.version,
        v.source.sha256,
        v.source.bytes,
        v.source.name,
        JSON.stringify(v.inputs),
        JSON.stringify(v.outputs),
        JSON.stringify(v.metrics),
        JSON.stringify(v.params),
        v.createdAt,
        v.createdBy,
        v.lineage.parentVersion ?? null,
        v.lineage.dataset ?? null,
        v.lineage.trainingRun ?? null,
        v.approval.status,
        v.approval.by ?? null,
        v.approval.at ?? null,
        v.approval.reason ?? null,
      ],
    );
    for (const a of v.approvalHistory) {
      await tx.run(
        'INSERT INTO approval_history (model, version, status, actor, changed_at, reason) VALUES (?, ?, ?, ?, ?, ?)',
        [v.model, v.version, a.status, a.by ?? 'unknown', a.at ?? v.createdAt, a.reason ?? null],
      );
    }
    for (const x of v.variants) {
      const row = await tx.get<{ id: number }>(
        `INSERT INTO variants (model, version, target, features, precision, compiler_version, options, artifact_sha256,
           artifact_bytes, manifest_sha256, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
        [
          x.model,
          x.version,
          x.target,
          JSON.stringify([...x.features].sort()),
          x.precision,
          x.compilerVersion,
          JSON.stringify(x.options),
          x.artifact.sha256,
          x.artifact.bytes,
          x.manifestSha256,
          x.createdAt,
          x.createdBy,
        ],
      );
      summary.variantsAdded++;
      for (const s of x.signatures) {
        await tx.run(
          'INSERT INTO signatures (variant_id, key_id, signature, created_at) VALUES (?, ?, ?, ?)',
          [row!.id, s.keyId, s.signature, s.createdAt],
        );
      }
      for (const b of x.benchmarks) {
        await tx.run(
          `INSERT INTO benchmarks (variant_id, hardware_id, hardware, latency_median_ms, latency_p90_ms, throughput, peak_memory_bytes,
             measured_at, recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            row!.id,
            b.hardwareId,
            b.hardware,
            b.latencyMedianMs,
            b.latencyP90Ms,
            b.throughput ?? null,
            b.peakMemoryBytes ?? null,
            b.measuredAt,
            b.recordedBy,
          ],
        );
      }
    }
    added.add(v.version);
    summary.versionsAdded++;
  }
  // Alias history is replayed for the versions this import added; current aliases follow it.
  for (const e of m.aliasHistory) {
    if (e.version !== null && !added.has(e.version)) continue;
    await tx.run(
      'INSERT INTO alias_history (model, alias, version, previous_version, changed_at, actor) VALUES (?, ?, ?, ?, ?, ?)',
      [model.name, e.alias, e.version, e.previousVersion, e.changedAt, e.actor],
    );
  }
  for (const [alias, version] of Object.entries(model.aliases)) {
    if (!added.has(version)) continue;
    await tx.run('DELETE FROM aliases WHERE model = ? AND alias = ?', [model.name, alias]);
    await tx.run('INSERT INTO aliases (model, alias, version, changed_at, actor) VALUES (?, ?, ?, ?, ?)', [
      model.name,
      alias,
      version,
      m.aliasHistory.filter((e) => e.alias === alias).at(-1)?.changedAt ?? now(),
      'import',
    ]);
  }
}
