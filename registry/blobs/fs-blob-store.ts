import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError } from '../../runtime/errors.js';
import { NotFoundError, TooLargeError } from '../errors.js';
import { type BlobInfo, type BlobStore, type ByteRange, type PutOptions, SHA256_HEX } from './blob-store.js';

/**
 * Blobs as files under `<root>/sha256/ab/abcdef…`. A put streams into `<root>/tmp/<pid>.<random>`,
 * hashing as it goes, fsyncs, then renames to the content's name and fsyncs the folder: a blob file
 * is complete or absent, never half-written, whatever moment the process dies. Temp files of dead
 * processes are removed by `removeStaleTemps` (run when a registry opens).
 */
export class FsBlobStore implements BlobStore {
  private readonly tmp: string;
  private readonly objects: string;

  constructor(readonly root: string) {
    this.tmp = join(root, 'tmp');
    this.objects = join(root, 'sha256');
  }

  async init(): Promise<void> {
    await mkdir(this.tmp, { recursive: true });
    await mkdir(this.objects, { recursive: true });
  }

  async put(source: AsyncIterable<Uint8Array> | Uint8Array, options: PutOptions = {}): Promise<BlobInfo> {
    const temp = join(this.tmp, `${process.pid}.${randomBytes(8).toString('hex')}`);
    const hash = createHash('sha256');
    let bytes = 0;
    let handle: FileHandle | undefined = await open(temp, 'wx', 0o644);
    try {
      const chunks = source instanceof Uint8Array ? [source] : source;
      for await (const chunk of chunks) {
        bytes += chunk.length;
        if (options.maxBytes !== undefined && bytes > options.maxBytes) {
          throw new TooLargeError(`upload is larger than the limit of ${options.maxBytes} bytes`, {
            expected: `at most ${options.maxBytes} bytes`,
          });
        }
        hash.update(chunk);
        await handle.write(chunk);
      }
      await handle.sync();
      await handle.close();
      handle = undefined;
      const sha256 = hash.digest('hex');
      if (options.expectSha256 && options.expectSha256 !== sha256) {
        throw new KilnError(`blob content has sha256 ${sha256}`, {
          expected: `sha256 ${options.expectSha256}`,
        });
      }
      const dir = join(this.objects, sha256.slice(0, 2));
      await mkdir(dir, { recursive: true });
      await rename(temp, join(dir, sha256)); // same content under the same name: replacing is harmless
      await syncFolder(dir);
      return { sha256, bytes };
    } catch (err) {
      await handle?.close().catch(() => undefined);
      await rm(temp, { force: true });
      throw err;
    }
  }

  async stat(sha256: string): Promise<BlobInfo | undefined> {
    if (!SHA256_HEX.test(sha256)) return undefined;
    try {
      return { sha256, bytes: (await stat(this.path(sha256))).size };
    } catch {
      return undefined;
    }
  }

  async read(sha256: string): Promise<Uint8Array> {
    await this.mustExist(sha256);
    return new Uint8Array(await readFile(this.path(sha256)));
  }

  async stream(sha256: string, range?: ByteRange): Promise<NodeJS.ReadableStream> {
    await this.mustExist(sha256);
    return createReadStream(this.path(sha256), range ? { start: range.start, end: range.end } : {});
  }

  async *list(): AsyncIterable<string> {
    for (const prefix of (await readdir(this.objects)).sort()) {
      for (const name of (await readdir(join(this.objects, prefix))).sort()) {
        if (SHA256_HEX.test(name) && name.startsWith(prefix)) yield name;
      }
    }
  }

  async verify(sha256: string): Promise<boolean> {
    if (!(await this.stat(sha256))) return false;
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(this.path(sha256))) hash.update(chunk as Buffer);
    return hash.digest('hex') === sha256;
  }

  async delete(sha256: string): Promise<void> {
    if (SHA256_HEX.test(sha256)) await rm(this.path(sha256), { force: true });
  }

  /** Remove temp files whose writing process is gone (killed mid-put); returns how many. */
  async removeStaleTemps(): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.tmp)) {
      const pid = Number(name.split('.')[0]);
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) continue;
      await rm(join(this.tmp, name), { force: true });
      removed++;
    }
    return removed;
  }

  /** Temp files now present (writes in progress or left by a crash). */
  async temps(): Promise<string[]> {
    return readdir(this.tmp);
  }

  private path(sha256: string): string {
    return join(this.objects, sha256.slice(0, 2), sha256);
  }

  private async mustExist(sha256: string): Promise<void> {
    if (!(await this.stat(sha256))) throw new NotFoundError(`no blob with sha256 ${sha256}`);
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function syncFolder(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // some platforms cannot fsync a folder; the rename itself has happened
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
