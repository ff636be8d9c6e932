/**
 * The one database interface the registry's repository code is written against, so the same
 * queries run on the embedded SQLite default and on PostgreSQL. SQL uses `?` placeholders (values
 * are always bound, never spliced in); the PostgreSQL driver rewrites them to `$n`.
 */
export type SqlValue = string | number | null;
export type Row = Record<string, unknown>;

export interface Queryable {
  all<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
}

export type Dialect = 'sqlite' | 'postgres';

export interface Db extends Queryable {
  readonly dialect: Dialect;
  /** Where the data lives, for messages (a file path or a URL without its password). */
  readonly location: string;
  /**
   * Run `fn` in one transaction that holds the write lock from its start (SQLite: BEGIN IMMEDIATE),
   * committed if it resolves, rolled back if it throws.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** True for a unique/primary-key violation: the caller lost a race and may retry. */
  isConflict(err: unknown): boolean;
  close(): Promise<void>;
}
