// Chatrooms and moderation lists (issue: seed 003 and REFERENCE §2c/§2d). A chatroom is a row of
// `groups` with kind 'chatroom': membership, admins, owners and moderation work the same way for
// both, and their ids share one namespace.
import type { Kysely } from 'kysely';
import type { Dialect } from './dialect.js';

export function chatroomsModeration(_dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('groups').addColumn('kind', 'varchar(8)', (c) => c.notNull().defaultTo('group')).execute();
      await db.schema.alterTable('group_members').addColumn('kind', 'varchar(8)', (c) => c.notNull().defaultTo('group')).execute();
      await db.schema.createIndex('groups_app_kind_seq').on('groups').columns(['app_uuid', 'kind', 'seq']).execute();
      await db.schema.createIndex('group_members_user_kind').on('group_members').columns(['app_uuid', 'username', 'kind', 'seq']).execute();

      // Individual mutes outlive membership (a muted member who leaves and rejoins is still muted).
      await db.schema
        .createTable('group_mutes')
        .addColumn('group_id', 'varchar(20)', (c) => c.notNull().references('groups.id').onDelete('cascade'))
        .addColumn('app_uuid', 'varchar(36)', (c) => c.notNull())
        .addColumn('username', 'varchar(64)', (c) => c.notNull())
        // Unix ms when the mute ends; -1 = permanent.
        .addColumn('expire', 'bigint', (c) => c.notNull())
        .addColumn('created', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('group_mutes_pk', ['group_id', 'username'])
        .execute();
      for (const list of ['group_allowlist', 'group_blocklist']) {
        await db.schema
          .createTable(list)
          .addColumn('group_id', 'varchar(20)', (c) => c.notNull().references('groups.id').onDelete('cascade'))
          .addColumn('app_uuid', 'varchar(36)', (c) => c.notNull())
          .addColumn('username', 'varchar(64)', (c) => c.notNull())
          .addColumn('created', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint(`${list}_pk`, ['group_id', 'username'])
          .execute();
      }
      for (const table of ['group_mutes', 'group_allowlist', 'group_blocklist']) {
        await db.schema.createIndex(`${table}_user`).on(table).columns(['app_uuid', 'username']).execute();
      }
    },
  };
}
