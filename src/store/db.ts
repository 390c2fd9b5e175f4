// Opens the configured database (SQLite by default, PostgreSQL when configured) and migrates it.
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, Migrator, PostgresDialect, sql, type Transaction } from 'kysely';
import type { DatabaseConfig } from '../config.js';
import { CachingSqliteDialect } from './sqlite-driver.js';
import type { ReadCache } from './read-cache.js';
import { runImmediatelyOn } from './prepared.js';
import type { Database } from './schema.js';
import { migrationProvider } from './migrations/index.js';
import type { Dialect } from './migrations/dialect.js';

export type Db = Kysely<Database>;

export interface OpenDatabase {
  db: Db;
  dialect: Dialect;
  /** SQLite's kept read answers, when on. */
  readCache?: ReadCache;
}

const INT8_OID = 20;

export async function openDatabase(config: DatabaseConfig): Promise<OpenDatabase> {
  if (config.kind === 'sqlite') {
    if (config.file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(config.file)), { recursive: true });
    const sqlite = new SQLite(config.file);
    // Set before WAL mode is entered: the log's index then lives in the process's memory rather
    // than a shared-memory file, and no statement takes or releases a file lock.
    // https://www.sqlite.org/pragma.html#pragma_locking_mode, https://www.sqlite.org/wal.html#noshm
    if (config.locking === 'exclusive') sqlite.pragma('locking_mode = EXCLUSIVE');
    sqlite.pragma('journal_mode = WAL');
    // FULL: in WAL mode every commit syncs the log before it returns, so an acknowledged write
    // survives a power loss or an OS crash too. NORMAL syncs only at checkpoints: it survives a
    // crash of the process, but the last commits may be lost with the machine (docs/bench.md has
    // the cost). https://www.sqlite.org/pragma.html#pragma_synchronous
    sqlite.pragma(`synchronous = ${config.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    // Kept answers of reads (read-cache.ts): with an exclusive lock no other process can write the
    // file; with shared locks, each kept answer is checked against PRAGMA data_version first.
    const readCache = config.readCache === 'off' ? 'off' : config.locking === 'exclusive' ? 'exclusive' : 'shared';
    const dialect = new CachingSqliteDialect({ database: sqlite, readCache });
    const db = new Kysely<Database>({ dialect });
    runImmediatelyOn(db, (query) => dialect.runNow(query));
    await migrate(db, 'sqlite');
    dialect.forgetStatements();
    return { db, dialect: 'sqlite', readCache: dialect.reads };
  }

  // Processes starting at once on one database (several behind a load balancer) migrate it one
  // after another: a session-level advisory lock held from creating the schema to the last
  // migration. Kysely's own migration lock comes after its CREATE … IF NOT EXISTS of the schema and
  // its tables, which race each other in PostgreSQL (a unique violation in the catalog).
  const lock = new pg.Client({ connectionString: config.url });
  await lock.connect();
  lock.on('error', () => undefined);
  const lockKey = `qunliao-migrate:${config.schema ?? ''}`;
  try {
    await lock.query('select pg_advisory_lock(hashtext($1))', [lockKey]);
    // A private schema (tests use one per suite); created before the pool points its search_path at it.
    if (config.schema) await lock.query(`CREATE SCHEMA IF NOT EXISTS "${config.schema.replace(/"/g, '')}"`);
    return await openPool(config);
  } finally {
    // Ending the session releases the lock.
    await lock.end().catch(() => undefined);
  }
}

async function openPool(config: Extract<DatabaseConfig, { kind: 'postgres' }>): Promise<OpenDatabase> {
  const pool = new pg.Pool({
    connectionString: config.url,
    max: 10,
    ...(config.schema ? { options: `-c search_path=${config.schema}` } : {}),
    // bigint columns hold millisecond timestamps and sequence numbers, all below 2^53.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  await migrate(db, 'postgres', config.schema);
  return { db, dialect: 'postgres' };
}

/** PostgreSQL's "schema … does not exist" and "relation … does not exist". */
const VANISHED = new Set(['3F000', '42P01']);

async function migrate(db: Db, dialect: Dialect, schema?: string): Promise<void> {
  // With a private schema the migration tables must be looked up there, not in any schema of the database.
  const migrator = new Migrator({ db, provider: migrationProvider(dialect), ...(schema ? { migrationTableSchema: schema } : {}) });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    const failed = results?.find((r) => r.status === 'Error');
    if (!error && !failed) return;
    // Kysely looks its migration tables up by reading the whole catalog, resolving each schema by
    // name: a schema another client drops meanwhile fails that read (not a migration). Read again.
    const code = (error as { code?: string } | undefined)?.code;
    if (!failed && code !== undefined && VANISHED.has(code) && attempt < 5) continue;
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${(error as Error | undefined)?.message ?? 'unknown error'}`);
  }
}

/** True when a write failed on a UNIQUE or PRIMARY KEY constraint, on either database. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * Serializes writers that count the same things before writing. SQLite runs one write transaction
 * at a time already; PostgreSQL takes transaction-scoped advisory locks, in sorted order so that
 * two transactions cannot deadlock on them.
 */
export async function lockKeys(trx: Transaction<Database>, dialect: Dialect, keys: string[]): Promise<void> {
  if (dialect !== 'postgres') return;
  for (const key of [...new Set(keys)].sort()) {
    await sql`select pg_advisory_xact_lock(hashtext(${key}))`.execute(trx);
  }
}
