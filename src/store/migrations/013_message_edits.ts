// Message edits (issue 15): how many times a message was edited, by whom and when — what the
// client SDK shows as `modifiedInfo` (operationCount, operatorId, operationTime). A recalled
// message is deleted, with its log entry turned into an empty one (store/message-lifecycle.ts),
// so recall needs no column.
import type { Kysely } from 'kysely';
import type { Dialect } from './dialect.js';

export function messageEdits(_dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('messages').addColumn('edit_count', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.alterTable('messages').addColumn('edited_by', 'varchar(64)').execute();
      await db.schema.alterTable('messages').addColumn('edited_at', 'bigint').execute();
    },
  };
}
