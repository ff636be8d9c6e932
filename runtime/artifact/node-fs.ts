import { randomBytes } from 'node:crypto';
import { type FileHandle, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { asKilnError } from '../errors.js';
import { type ArtifactContents, readArtifact } from './artifact.js';

/**
 * Save artifact bytes so that `path` holds either its old content or the complete new artifact,
 * never a partial one: write a temp file in the same folder (rename is atomic only within one file
 * system), fsync it, rename it over `path`, then fsync the folder so the rename survives a crash.
 */
export async function saveArtifactFile(path: string, bytes: Uint8Array): Promise<void> {
  const target = resolve(path);
  const dir = dirname(target);
  const temp = join(dir, `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'wx', 0o644);
    await handle.writeFile(bytes);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, target);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true }).catch(() => undefined);
    throw asKilnError(err, 'could not save the artifact', { file: path, expected: 'a writable file path' });
  }
  await syncFolder(dir);
}

/** Read and verify an artifact file (see readArtifact); errors name the file. */
export async function loadArtifactFile(path: string): Promise<ArtifactContents> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (err) {
    throw asKilnError(err, 'could not read the artifact', { file: path, expected: 'a readable .kiln file' });
  }
  return readArtifact(bytes, { file: path });
}

/** Best effort: some platforms (Windows) cannot open a folder to fsync it; the rename still happened. */
async function syncFolder(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // not supported here; nothing more we can do
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
