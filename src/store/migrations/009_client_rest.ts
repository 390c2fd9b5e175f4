// What the client SDK's own REST calls need (issue 14): chatroom super admins, and the pending
// requests of groups — applications to join a members-only group, and invitations awaiting the
// invitee's answer.
import type { Kysely } from 'kysely';
import type { Dialect } from './dialect.js';

export function clientRest(_dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('chatroom_super_admins')
        .addColumn('app_uuid', 'varchar(36)', (c) => c.notNull().references('apps.uuid').onDelete('cascade'))
        .addColumn('username', 'varchar(64)', (c) => c.notNull())
        .addColumn('created', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('chatroom_super_admins_pk', ['app_uuid', 'username'])
        .execute();

      await db.schema
        .createTable('group_requests')
        .addColumn('group_id', 'varchar(20)', (c) => c.notNull().references('groups.id').onDelete('cascade'))
        .addColumn('app_uuid', 'varchar(36)', (c) => c.notNull())
        // The applicant, or the invitee.
        .addColumn('username', 'varchar(64)', (c) => c.notNull())
        // 'apply': waits for the owner or an admin; 'invite': waits for the invitee.
        .addColumn('kind', 'varchar(8)', (c) => c.notNull())
        // Who invited (invitations only).
        .addColumn('inviter', 'varchar(64)')
        .addColumn('reason', 'varchar(512)', (c) => c.notNull())
        .addColumn('created', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('group_requests_pk', ['group_id', 'username', 'kind'])
        .execute();
      await db.schema.createIndex('group_requests_user').on('group_requests').columns(['app_uuid', 'username']).execute();
    },
  };
}
