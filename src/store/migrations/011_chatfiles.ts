// Message attachments (issue 15, "Attachments"): files uploaded with POST /chatfiles or assembled
// from a part upload (/sdk/chatfiles/part-upload), and the part uploads in progress. The bytes are
// in the blob store: a file under `uuid` (its thumbnail under `thumbnail_key`), each part under
// its own `blob_key`.
import type { Kysely } from 'kysely';
import { type Dialect, serialColumn } from './dialect.js';

export function chatfiles(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await serialColumn(dialect, db.schema.createTable('chatfiles'), 'seq')
        .addColumn('app_uuid', 'varchar(36)', (c) => c.notNull())
        .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
        .addColumn('owner', 'varchar(64)', (c) => c.notNull())
        .addColumn('file_name', 'varchar(255)', (c) => c.notNull())
        .addColumn('content_type', 'varchar(255)', (c) => c.notNull())
        .addColumn('file_size', 'bigint', (c) => c.notNull())
        .addColumn('restricted', 'integer', (c) => c.notNull())
        .addColumn('share_secret', 'varchar(64)', (c) => c.notNull())
        .addColumn('thumbnail_key', 'varchar(64)')
        .addColumn('thumbnail_type', 'varchar(64)')
        .addColumn('thumbnail_size', 'bigint')
        .addColumn('created', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('chatfiles_created').on('chatfiles').columns(['created']).execute();
      await db.schema.createIndex('chatfiles_thumbnail').on('chatfiles').columns(['thumbnail_key']).execute();

      await db.schema
        .createTable('chatfile_uploads')
        .addColumn('uuid', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('app_uuid', 'varchar(36)', (c) => c.notNull())
        .addColumn('owner', 'varchar(64)', (c) => c.notNull())
        .addColumn('created', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('chatfile_uploads_created').on('chatfile_uploads').columns(['created']).execute();

      await db.schema
        .createTable('chatfile_parts')
        .addColumn('upload_uuid', 'varchar(36)', (c) => c.notNull().references('chatfile_uploads.uuid').onDelete('cascade'))
        .addColumn('part_number', 'integer', (c) => c.notNull())
        .addColumn('blob_key', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('part_size', 'bigint', (c) => c.notNull())
        .addColumn('created', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('chatfile_parts_pk', ['upload_uuid', 'part_number'])
        .execute();
    },
  };
}
