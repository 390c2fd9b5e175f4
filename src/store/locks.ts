// What processes sharing one PostgreSQL database coordinate through it: tasks that one process at a
// time runs (the orphan-blob sweep) and the worker numbers of message ids. SQLite is one process's
// database: the task simply runs, and there is no number to draw.
import { sql } from 'kysely';
import type { Db } from './db.js';
import type { Dialect } from './migrations/dialect.js';

/**
 * Runs `task` unless another process is running the task of the same name (PostgreSQL: a
 * session-level advisory lock per schema, tried without waiting); answers undefined when skipped.
 */
export async function runAlone<T>(db: Db, dialect: Dialect, name: string, task: () => Promise<T>): Promise<T | undefined> {
  if (dialect !== 'postgres') return task();
  return db.connection().execute(async (conn) => {
    const key = sql`hashtext(${`qunliao:${name}:`} || current_schema())`;
    const { rows } = await sql<{ ok: boolean }>`select pg_try_advisory_lock(${key}) as ok`.execute(conn);
    if (!rows[0]?.ok) return undefined;
    try {
      return await task();
    } finally {
      await sql`select pg_advisory_unlock(${key})`.execute(conn);
    }
  });
}

/** The next number of the shared worker sequence (migration 014); undefined on SQLite. */
export async function drawWorkerNumber(db: Db, dialect: Dialect): Promise<number | undefined> {
  if (dialect !== 'postgres') return undefined;
  const { rows } = await sql<{ n: number | string }>`select nextval('worker_numbers') as n`.execute(db);
  return Number(rows[0]!.n);
}
