import { mkdirSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { KilnError } from '../runtime/errors.js';
import type { BlobStore } from './blobs/blob-store.js';
import { FsBlobStore } from './blobs/fs-blob-store.js';
import type { Db } from './storage/db.js';
import { migrate } from './storage/migrations.js';
import { SqliteDb } from './storage/sqlite.js';

export interface RegistryOptions {
  /** The registry's folder: blobs, keys, and the SQLite database (default `$KILN_HOME` or `~/.kiln`). */
  home?: string;
  /** A `postgres://` URL to keep the tables in PostgreSQL instead of `<home>/registry.db`. */
  db?: string;
  /** Who is acting, recorded in created_by/approved_by (default: the OS user). */
  actor?: string;
}

/**
 * An open registry: the database (SQLite or PostgreSQL behind one interface), the blob store, and
 * the folder with the signing keys. The operations live in the modules beside this one and take a
 * Registry as their first argument.
 */
export class Registry {
  private constructor(
    readonly home: string,
    readonly db: Db,
    readonly blobs: BlobStore,
    readonly actor: string,
  ) {}

  get keysDir(): string {
    return join(this.home, 'keys');
  }

  static async open(options: RegistryOptions = {}): Promise<Registry> {
    const home = resolve(options.home ?? process.env.KILN_HOME ?? join(homedir(), '.kiln'));
    try {
      mkdirSync(home, { recursive: true });
    } catch (err) {
      throw new KilnError(`cannot create the registry folder: ${(err as Error).message}`, {
        file: home,
        expected: 'a writable folder (--home DIR or KILN_HOME)',
      });
    }
    const url = options.db ?? process.env.KILN_DB;
    let db: Db;
    if (url && /^postgres(ql)?:\/\//.test(url)) {
      // loaded only when asked for, so SQLite users (and every other kiln command) never load `pg`
      const { PostgresDb } = await import('./storage/postgres.js');
      const pg = new PostgresDb(url);
      await pg.connect();
      db = pg;
    } else if (url) {
      throw new KilnError(`unsupported database URL '${url}'`, { expected: 'postgres://user:pass@host/db' });
    } else db = new SqliteDb(join(home, 'registry.db'));
    const blobs = new FsBlobStore(join(home, 'blobs'));
    try {
      await migrate(db);
      await blobs.init();
      await blobs.removeStaleTemps();
    } catch (err) {
      await db.close();
      throw err;
    }
    return new Registry(home, db, blobs, options.actor ?? defaultActor());
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

function defaultActor(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** ISO time now, the registry's one clock. */
export function now(): string {
  return new Date().toISOString();
}
