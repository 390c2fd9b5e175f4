// Issue 15 (server side of messages beyond "send"): indexes for what reads messages by id and by
// time rather than by conversation — a message's log entry (offline_msg_status), an app's
// messages of one hour (GET /chatmessages/{YYYYMMDDHH}).
import type { Kysely } from 'kysely';

export function messageRecords() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.createIndex('conversation_log_message').on('conversation_log').columns(['message_id']).execute();
      await db.schema.createIndex('messages_app_time').on('messages').columns(['app_uuid', 'timestamp', 'seq']).execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('messages_app_time').execute();
      await db.schema.dropIndex('conversation_log_message').execute();
    },
  };
}
