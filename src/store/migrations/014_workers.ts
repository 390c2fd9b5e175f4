// Worker numbers for message ids (issue 16): each process draws one at start (services/ids.ts), so
// that processes sharing a PostgreSQL database never make the same id. With Redis configured the
// number comes from Redis instead; SQLite is one process's database and needs none.
import { sql, type Kysely } from 'kysely';
import type { Dialect } from './dialect.js';

export function workers(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect === 'postgres') await sql`create sequence worker_numbers`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (dialect === 'postgres') await sql`drop sequence worker_numbers`.execute(db);
    },
  };
}
