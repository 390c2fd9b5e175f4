// Agora Chat credentials of an app (issue 13): AccessToken2 tokens are checked against them.
import type { Kysely } from 'kysely';
import type { Dialect } from './dialect.js';

export function agora(_dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // One column per statement: SQLite's ALTER TABLE adds one column at a time.
      await db.schema.alterTable('apps').addColumn('agora_app_id', 'varchar(32)').execute();
      await db.schema.alterTable('apps').addColumn('agora_app_certificate', 'varchar(32)').execute();
    },
  };
}
