// Message edits (issue 15): how many times a message was edited, by whom and when — what the
// client SDK shows as `modifiedInfo` (operationCount, operatorId, operationTime). A recalled
// message is deleted, with its log entry turned into an empty one (store/message-lifecycle.ts),
// so recall needs no column.
//
// Also what a user removed from their own view (the SDK's deleteConversation, DELETE
// /users/{u}/user_channel): per user and conversation, the conversation is listed only with
// messages after `hidden_before`, and its history (roaming) holds only messages after
// `roam_before`; single messages a user removed from their history (removeHistoryMessages); and
// who read a group message (group read acks: the SDK's groupReadCount, getGroupMsgReadUser).
import type { Kysely } from 'kysely';
import type { Dialect } from './dialect.js';

export function messageEdits(_dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('messages').addColumn('edit_count', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.alterTable('messages').addColumn('edited_by', 'varchar(64)').execute();
      await db.schema.alterTable('messages').addColumn('edited_at', 'bigint').execute();
      // History reads one conversation's messages: by target (the peer, group or chatroom).
      await db.schema.createIndex('messages_target').on('messages').columns(['app_uuid', 'to_target', 'chat_type']).execute();
      await db.schema
        .createTable('conversation_cutoffs')
        .addColumn('app_uuid', 'varchar(36)', (c) => c.notNull())
        .addColumn('username', 'varchar(64)', (c) => c.notNull())
        .addColumn('conversation', 'varchar(160)', (c) => c.notNull())
        .addColumn('hidden_before', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('roam_before', 'bigint', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('conversation_cutoffs_pk', ['app_uuid', 'username', 'conversation'])
        .execute();
      await db.schema
        .createTable('roaming_removed')
        .addColumn('app_uuid', 'varchar(36)', (c) => c.notNull())
        .addColumn('username', 'varchar(64)', (c) => c.notNull())
        .addColumn('message_id', 'varchar(24)', (c) => c.notNull().references('messages.id').onDelete('cascade'))
        .addPrimaryKeyConstraint('roaming_removed_pk', ['app_uuid', 'username', 'message_id'])
        .execute();
      await db.schema
        .createTable('group_read_acks')
        .addColumn('message_id', 'varchar(24)', (c) => c.notNull().references('messages.id').onDelete('cascade'))
        .addColumn('username', 'varchar(64)', (c) => c.notNull())
        .addColumn('timestamp', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('group_read_acks_pk', ['message_id', 'username'])
        .execute();
    },
  };
}
