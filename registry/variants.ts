import { readArtifact } from '../runtime/artifact/artifact.js';
import { sha256Hex } from '../runtime/artifact/sha256.js';
import { VERSION } from '../cli/version.js';
import { ConflictError, NotFoundError } from './errors.js';
import { summarizeOnnx } from './onnx-summary.js';
import type { VersionRef } from './refs.js';
import { type Registry, now } from './registry.js';
import { type VariantRow, variantRecord } from './rows.js';
import { signManifest } from './signing/keys.js';
import { registryTarget } from './targets.js';
import { signingKey } from './trust.js';
import type { VariantRecord } from './types.js';
import { getVersion, resolveVersion } from './versions.js';

export interface CompileVariantInput {
  target: string;
  passes?: string[];
  optimize?: boolean;
  /** A private key file to sign with (default: this registry's newest key). */
  keyFile?: string;
  /** Compile again even if a variant for this target, precision and features exists. */
  force?: boolean;
  actor?: string;
}

/**
 * Compile a version for a target, store the artifact as a blob, sign its manifest, and record the
 * variant with its signature in one transaction. The signing key is resolved before compiling, so
 * a registry without a key fails fast rather than after a long compile.
 */
export async function compileVariant(
  reg: Registry,
  ref: VersionRef,
  input: CompileVariantInput,
): Promise<VariantRecord> {
  const target = registryTarget(input.target);
  const key = await signingKey(reg, input.keyFile);
  const version = await getVersion(reg, ref);
  const sourceBytes = await reg.blobs.read(version.source.sha256);
  const { model } = summarizeOnnx(sourceBytes, version.source.name);
  const options = {
    sourceBytes,
    sourceName: version.source.name,
    kilnVersion: VERSION,
    ...(input.passes ? { passes: input.passes } : {}),
    ...(input.optimize !== undefined ? { optimize: input.optimize } : {}),
  };
  const artifact = await target.compile(model, options);
  const { manifest, manifestBytes } = await readArtifact(artifact);
  const signature = signManifest(manifestBytes, key);
  const blob = await reg.blobs.put(artifact);
  const features = JSON.stringify([...manifest.target.features].sort());
  const actor = input.actor ?? reg.actor;
  const id = await reg.db.transaction(async (tx) => {
    const existing = await tx.get<{ id: number }>(
      'SELECT id FROM variants WHERE model = ? AND version = ? AND target = ? AND precision = ? AND features = ?',
      [version.model, version.version, manifest.target.name, manifest.precision, features],
    );
    if (existing && !input.force) {
      throw new ConflictError(
        `${version.model}@${version.version} already has a ${manifest.target.name} ${manifest.precision} variant (id ${existing.id})`,
        { expected: '--force to compile it again' },
      );
    }
    if (existing) {
      await tx.run('DELETE FROM signatures WHERE variant_id = ?', [existing.id]);
      await tx.run('DELETE FROM benchmarks WHERE variant_id = ?', [existing.id]);
      await tx.run('DELETE FROM deployments WHERE variant_id = ?', [existing.id]);
      await tx.run('DELETE FROM variants WHERE id = ?', [existing.id]);
    }
    const at = now();
    const row = await tx.get<{ id: number }>(
      `INSERT INTO variants (model, version, target, features, precision, compiler_version, options,
         artifact_sha256, artifact_bytes, manifest_sha256, created_at, created_by)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      [
        version.model,
        version.version,
        manifest.target.name,
        features,
        manifest.precision,
        manifest.kilnVersion,
        JSON.stringify(target.recordedOptions(options)),
        blob.sha256,
        blob.bytes,
        await sha256Hex(manifestBytes),
        at,
        actor,
      ],
    );
    await tx.run('INSERT INTO signatures (variant_id, key_id, signature, created_at) VALUES (?, ?, ?, ?)', [
      row!.id,
      key.keyId,
      new TextDecoder().decode(signature),
      at,
    ]);
    return row!.id;
  });
  return getVariant(reg, id);
}

export async function getVariant(reg: Registry, id: number): Promise<VariantRecord> {
  const row = await reg.db.get<VariantRow>('SELECT * FROM variants WHERE id = ?', [id]);
  if (!row) throw new NotFoundError(`no compiled variant with id ${id}`);
  return variantRecord(row, await signaturesOf(reg, id));
}

export async function listVariants(reg: Registry, ref: VersionRef): Promise<VariantRecord[]> {
  const version = await resolveVersion(reg.db, ref);
  const rows = await reg.db.all<VariantRow>(
    'SELECT * FROM variants WHERE model = ? AND version = ? ORDER BY id',
    [ref.name, version],
  );
  return Promise.all(rows.map(async (r) => variantRecord(r, await signaturesOf(reg, r.id))));
}

/** The variant of a version for a target (the newest when several precisions exist). */
export async function variantFor(reg: Registry, ref: VersionRef, target: string): Promise<VariantRecord> {
  const variants = (await listVariants(reg, ref)).filter((v) => v.target === target);
  const v = variants.at(-1);
  if (!v) throw new NotFoundError(`${ref.name}@${ref.ref} has no ${target} variant (kiln registry compile)`);
  return v;
}

async function signaturesOf(reg: Registry, variantId: number): Promise<VariantRecord['signatures']> {
  const rows = await reg.db.all<{ key_id: string; signature: string; created_at: string }>(
    'SELECT key_id, signature, created_at FROM signatures WHERE variant_id = ? ORDER BY created_at, key_id',
    [variantId],
  );
  return rows.map((r) => ({ keyId: r.key_id, signature: r.signature, createdAt: r.created_at }));
}
