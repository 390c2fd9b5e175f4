// Stored messages and the inbox of messages waiting for users who were offline (issue: messages).
import type { Kysely } from 'kysely';
import { type Dialect, serialColumn } from './dialect.js';

export function messages(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await serialColumn(dialect, db.schema.createTable('messages'), 'seq')
        .addColumn('app_uuid', 'varchar(36)', (c) => c.notNull())
        .addColumn('id', 'varchar(24)', (c) => c.notNull().unique())
        .addColumn('chat_type', 'varchar(10)', (c) => c.notNull())
        .addColumn('from_user', 'varchar(64)', (c) => c.notNull())
        .addColumn('to_target', 'varchar(64)', (c) => c.notNull())
        .addColumn('msg_type', 'varchar(10)', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('ext', 'text', (c) => c.notNull())
        .addColumn('timestamp', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('messages_app_seq').on('messages').columns(['app_uuid', 'seq']).execute();

      await serialColumn(dialect, db.schema.createTable('inbox'), 'seq')
        .addColumn('app_uuid', 'varchar(36)', (c) => c.notNull())
        .addColumn('username', 'varchar(64)', (c) => c.notNull())
        .addColumn('message_id', 'varchar(24)', (c) => c.notNull().references('messages.id').onDelete('cascade'))
        .execute();
      await db.schema.createIndex('inbox_user_seq').on('inbox').columns(['app_uuid', 'username', 'seq']).execute();
    },
  };
}
