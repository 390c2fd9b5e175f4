// Group announcement and shared files (issue: seed 000).
import type { Kysely } from 'kysely';
import { type Dialect, serialColumn } from './dialect.js';

export function groupFiles(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('groups').addColumn('announcement', 'text', (c) => c.notNull().defaultTo('')).execute();

      await serialColumn(dialect, db.schema.createTable('group_files'), 'seq')
        .addColumn('app_uuid', 'varchar(36)', (c) => c.notNull())
        .addColumn('group_id', 'varchar(20)', (c) => c.notNull().references('groups.id').onDelete('cascade'))
        .addColumn('file_id', 'varchar(36)', (c) => c.notNull().unique())
        .addColumn('file_name', 'varchar(255)', (c) => c.notNull())
        .addColumn('file_owner', 'varchar(64)', (c) => c.notNull())
        .addColumn('file_size', 'bigint', (c) => c.notNull())
        .addColumn('content_type', 'varchar(255)', (c) => c.notNull())
        .addColumn('restricted', 'integer', (c) => c.notNull())
        .addColumn('share_secret', 'varchar(64)', (c) => c.notNull())
        .addColumn('created', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('group_files_group_seq').on('group_files').columns(['group_id', 'seq']).execute();
    },
  };
}
