// Groups and their members (issue: groups; seed 001 and REFERENCE §2d).
import type { Kysely } from 'kysely';
import { type Dialect, serialColumn } from './dialect.js';

export function groups(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await serialColumn(dialect, db.schema.createTable('groups'), 'seq')
        .addColumn('app_uuid', 'varchar(36)', (c) => c.notNull().references('apps.uuid').onDelete('cascade'))
        .addColumn('id', 'varchar(20)', (c) => c.notNull().unique())
        .addColumn('name', 'varchar(128)', (c) => c.notNull())
        .addColumn('description', 'varchar(512)', (c) => c.notNull())
        .addColumn('avatar', 'varchar(1024)', (c) => c.notNull())
        .addColumn('public', 'integer', (c) => c.notNull())
        .addColumn('membersonly', 'integer', (c) => c.notNull())
        .addColumn('allowinvites', 'integer', (c) => c.notNull())
        .addColumn('invite_need_confirm', 'integer', (c) => c.notNull())
        .addColumn('maxusers', 'integer', (c) => c.notNull())
        .addColumn('owner', 'varchar(64)', (c) => c.notNull())
        .addColumn('custom', 'text', (c) => c.notNull())
        .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('mute_all', 'integer', (c) => c.notNull().defaultTo(0))
        // Members including the owner; kept in the same transaction as member rows so that
        // "is the group full" is one conditional UPDATE.
        .addColumn('member_count', 'integer', (c) => c.notNull())
        .addColumn('created', 'bigint', (c) => c.notNull())
        .addColumn('modified', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('groups_app_seq').on('groups').columns(['app_uuid', 'seq']).execute();

      await serialColumn(dialect, db.schema.createTable('group_members'), 'seq')
        .addColumn('group_id', 'varchar(20)', (c) => c.notNull().references('groups.id').onDelete('cascade'))
        .addColumn('app_uuid', 'varchar(36)', (c) => c.notNull())
        .addColumn('username', 'varchar(64)', (c) => c.notNull())
        .addColumn('role', 'varchar(8)', (c) => c.notNull())
        .addColumn('joined', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('group_members_group_user_unique', ['group_id', 'username'])
        .execute();
      await db.schema.createIndex('group_members_user').on('group_members').columns(['app_uuid', 'username', 'seq']).execute();
      await db.schema.createIndex('group_members_group_seq').on('group_members').columns(['group_id', 'seq']).execute();
    },
  };
}
