// Threads (子区) and their members (issue: seed 002).
import type { Kysely } from 'kysely';
import { type Dialect, serialColumn } from './dialect.js';

export function threads(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await serialColumn(dialect, db.schema.createTable('threads'), 'seq')
        .addColumn('app_uuid', 'varchar(36)', (c) => c.notNull())
        .addColumn('id', 'varchar(20)', (c) => c.notNull().unique())
        .addColumn('group_id', 'varchar(20)', (c) => c.notNull().references('groups.id').onDelete('cascade'))
        .addColumn('name', 'varchar(64)', (c) => c.notNull())
        .addColumn('owner', 'varchar(64)', (c) => c.notNull())
        .addColumn('msg_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('created', 'bigint', (c) => c.notNull())
        .addColumn('modified', 'bigint', (c) => c.notNull())
        // One thread per parent message ("msg already create thread").
        .addUniqueConstraint('threads_group_msg_unique', ['group_id', 'msg_id'])
        .execute();
      await db.schema.createIndex('threads_app_seq').on('threads').columns(['app_uuid', 'seq']).execute();

      await serialColumn(dialect, db.schema.createTable('thread_members'), 'seq')
        .addColumn('thread_id', 'varchar(20)', (c) => c.notNull().references('threads.id').onDelete('cascade'))
        .addColumn('app_uuid', 'varchar(36)', (c) => c.notNull())
        .addColumn('group_id', 'varchar(20)', (c) => c.notNull())
        .addColumn('username', 'varchar(64)', (c) => c.notNull())
        .addColumn('joined', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('thread_members_thread_user_unique', ['thread_id', 'username'])
        .execute();
      // A user's threads (in join order), overall and within one group; a thread's members.
      await db.schema.createIndex('thread_members_user').on('thread_members').columns(['app_uuid', 'username', 'seq']).execute();
      await db.schema.createIndex('thread_members_user_group').on('thread_members').columns(['app_uuid', 'username', 'group_id', 'seq']).execute();
      await db.schema.createIndex('thread_members_thread_seq').on('thread_members').columns(['thread_id', 'seq']).execute();
    },
  };
}
