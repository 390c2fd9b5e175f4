// When a user was last deactivated (issue 10): tokens issued before it stay refused after the user
// is activated again. Easemob tokens carry a token version for this; Agora user tokens, which the
// app server builds, are checked against this time.
import type { Kysely } from 'kysely';
import type { Dialect } from './dialect.js';

export function tokenCutoff(_dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('users').addColumn('deactivated_at', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
    },
  };
}
