import type { Registry } from './registry.js';
import { FsBlobStore } from './blobs/fs-blob-store.js';

export interface IntegrityReport {
  /** Rows whose blob is missing or whose bytes no longer match their sha256. */
  problems: string[];
  blobs: number;
  /** Blobs no row refers to (an add that died before its commit): harmless, removable with gc. */
  unreferenced: string[];
  /** Temp files in the blob store (writes in progress, or left by a crash and not yet cleaned). */
  temps: string[];
}

/** Check that every source and artifact a row names is a complete blob with the right bytes. */
export async function checkIntegrity(reg: Registry): Promise<IntegrityReport> {
  const problems: string[] = [];
  const referenced = new Map<string, string>();
  for (const r of await reg.db.all<{
    model: string;
    version: number;
    source_sha256: string;
    source_bytes: number;
  }>('SELECT model, version, source_sha256, source_bytes FROM versions')) {
    referenced.set(r.source_sha256, `${r.model}@${r.version} source`);
    await checkBlob(reg, r.source_sha256, r.source_bytes, `${r.model}@${r.version} source`, problems);
  }
  for (const r of await reg.db.all<{
    model: string;
    version: number;
    target: string;
    artifact_sha256: string;
    artifact_bytes: number;
  }>('SELECT model, version, target, artifact_sha256, artifact_bytes FROM variants')) {
    const what = `${r.model}@${r.version} ${r.target} artifact`;
    referenced.set(r.artifact_sha256, what);
    await checkBlob(reg, r.artifact_sha256, r.artifact_bytes, what, problems);
  }
  const unreferenced: string[] = [];
  let blobs = 0;
  for await (const sha of reg.blobs.list()) {
    blobs++;
    if (!referenced.has(sha)) unreferenced.push(sha);
  }
  const temps = reg.blobs instanceof FsBlobStore ? await reg.blobs.temps() : [];
  return { problems, blobs, unreferenced, temps };
}

/** Delete blobs no row refers to. Only safe while no add is in flight (its blob is not yet referenced). */
export async function collectGarbage(reg: Registry): Promise<string[]> {
  const { unreferenced } = await checkIntegrity(reg);
  for (const sha of unreferenced) await reg.blobs.delete(sha);
  return unreferenced;
}

async function checkBlob(
  reg: Registry,
  sha: string,
  bytes: number,
  what: string,
  problems: string[],
): Promise<void> {
  const info = await reg.blobs.stat(sha);
  if (!info) problems.push(`${what}: blob ${sha} is missing`);
  else if (info.bytes !== bytes)
    problems.push(`${what}: blob ${sha} is ${info.bytes} bytes, expected ${bytes}`);
  else if (!(await reg.blobs.verify(sha))) problems.push(`${what}: blob ${sha} does not match its sha256`);
}
