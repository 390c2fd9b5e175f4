// Conversation logs and device positions (issue 12). A conversation (a pair of users, a group, a
// chatroom, or one user's own notices) is an append-only log numbered 1, 2, 3…; a message is
// written once into its conversation's log, whatever the number of members. Each device (a user's
// resource) keeps a position per conversation: everything up to it has reached that device. The
// per-user inbox of the first version is dropped (messages still waiting in it are not carried
// over).
import type { Kysely } from 'kysely';
import type { Dialect } from './dialect.js';

export function conversationLogs(_dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('inbox').execute();

      await db.schema
        .createTable('conversations')
        .addColumn('app_uuid', 'varchar(36)', (c) => c.notNull())
        // "chat:…" (two users), "group:<id>", "chatroom:<id>", "user:<name>" (services/sessions/conversations.ts).
        .addColumn('id', 'varchar(160)', (c) => c.notNull())
        .addColumn('kind', 'varchar(10)', (c) => c.notNull())
        // The two users of a 1:1 conversation (the same user twice for notes to self).
        .addColumn('member_a', 'varchar(64)')
        .addColumn('member_b', 'varchar(64)')
        // Number of the newest entry; appends take this row's lock, so entries of one conversation
        // commit in the order of their numbers.
        .addColumn('last_seq', 'bigint', (c) => c.notNull())
        .addColumn('last_timestamp', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('conversations_pk', ['app_uuid', 'id'])
        .execute();
      await db.schema.createIndex('conversations_member_a').on('conversations').columns(['app_uuid', 'member_a']).execute();
      await db.schema.createIndex('conversations_member_b').on('conversations').columns(['app_uuid', 'member_b']).execute();

      await db.schema
        .createTable('conversation_log')
        .addColumn('app_uuid', 'varchar(36)', (c) => c.notNull())
        .addColumn('conversation', 'varchar(160)', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        // A message (stored once in `messages`) or a room event (JSON).
        .addColumn('message_id', 'varchar(24)', (c) => c.references('messages.id').onDelete('cascade'))
        .addColumn('event', 'text')
        // JSON array of the users who may see the entry; null = every member of the conversation.
        .addColumn('audience', 'text')
        .addColumn('from_user', 'varchar(64)', (c) => c.notNull())
        // The sending device, which already has the entry.
        .addColumn('from_resource', 'varchar(64)')
        // 1: only for devices connected when it was written (chatroom notices in a user's own log).
        .addColumn('live_only', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('timestamp', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('conversation_log_pk', ['app_uuid', 'conversation', 'seq'])
        .execute();
      // Where a member who joined at time t starts reading.
      await db.schema.createIndex('conversation_log_time').on('conversation_log').columns(['app_uuid', 'conversation', 'timestamp']).execute();

      await db.schema
        .createTable('devices')
        .addColumn('app_uuid', 'varchar(36)', (c) => c.notNull())
        .addColumn('username', 'varchar(64)', (c) => c.notNull())
        .addColumn('resource', 'varchar(64)', (c) => c.notNull())
        .addColumn('created', 'bigint', (c) => c.notNull())
        .addColumn('last_seen', 'bigint', (c) => c.notNull())
        // Connections so far: a client protocol can tell one connection of the device from the next.
        .addColumn('connections', 'bigint', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('devices_pk', ['app_uuid', 'username', 'resource'])
        .execute();

      await db.schema
        .createTable('device_positions')
        .addColumn('app_uuid', 'varchar(36)', (c) => c.notNull())
        .addColumn('username', 'varchar(64)', (c) => c.notNull())
        .addColumn('resource', 'varchar(64)', (c) => c.notNull())
        .addColumn('conversation', 'varchar(160)', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('device_positions_pk', ['app_uuid', 'username', 'resource', 'conversation'])
        .execute();
    },
  };
}
