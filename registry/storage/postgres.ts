import pg from 'pg';
import { KilnError } from '../../runtime/errors.js';
import type { Db, Queryable, SqlValue } from './db.js';

const INT8_OID = 20;

/** `?` placeholders to PostgreSQL's `$1, $2, …` (the registry's SQL has no `?` inside literals). */
export function toPgPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** PostgreSQL through a `pg` pool; each transaction runs on one client from the pool. */
export class PostgresDb implements Db {
  readonly dialect = 'postgres' as const;
  readonly location: string;
  private readonly pool: pg.Pool;

  constructor(url: string) {
    this.location = url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
    this.pool = new pg.Pool({
      connectionString: url,
      max: 4,
      // BIGINT columns (sizes, ids, counts) as numbers: every value the registry stores fits in 2^53.
      types: {
        getTypeParser: ((oid: number, format?: string) =>
          oid === INT8_OID
            ? Number
            : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
      },
    });
    // An idle client losing its connection must not crash the process; the next query reports it.
    this.pool.on('error', () => undefined);
  }

  /** Fail early with a clear message when the server cannot be reached. */
  async connect(): Promise<void> {
    try {
      await this.pool.query('SELECT 1');
    } catch (err) {
      throw new KilnError(`cannot connect to PostgreSQL at ${this.location}: ${(err as Error).message}`, {
        expected: 'a reachable server and a database the user may write to',
      });
    }
  }

  all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return queryOn(this.pool).all<T>(sql, params);
  }

  get<T>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return queryOn(this.pool).get<T>(sql, params);
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
    return queryOn(this.pool).run(sql, params);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(queryOn(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  isConflict(err: unknown): boolean {
    return (err as { code?: unknown } | null)?.code === '23505';
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function queryOn(target: pg.Pool | pg.PoolClient): Queryable {
  const q = async (sql: string, params: readonly SqlValue[]) =>
    target.query(toPgPlaceholders(sql), params as SqlValue[]);
  return {
    all: async <T>(sql: string, params: readonly SqlValue[] = []) => (await q(sql, params)).rows as T[],
    get: async <T>(sql: string, params: readonly SqlValue[] = []) =>
      (await q(sql, params)).rows[0] as T | undefined,
    run: async (sql: string, params: readonly SqlValue[] = []) => ({
      changes: (await q(sql, params)).rowCount ?? 0,
    }),
  };
}
