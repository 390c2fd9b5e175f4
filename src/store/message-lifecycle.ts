// Recall and edit of stored messages (issue 15). A recalled message is deleted; its entry in the
// conversation log is kept as an empty entry (neither message nor event), so that the log stays
// numbered without gaps (store/conversations.ts) and nothing reads it again: devices that had not
// had it never get it, history and roaming no longer hold it.
import type { Selectable } from 'kysely';
import type { Db } from './db.js';
import type { MessagesTable } from './schema.js';

export type MessageRow = Selectable<MessagesTable>;

export class MessageLifecycleRepository {
  constructor(private readonly db: Db) {}

  find(appUuid: string, id: string): Promise<MessageRow | undefined> {
    return this.db.selectFrom('messages').selectAll().where('app_uuid', '=', appUuid).where('id', '=', id).executeTakeFirst();
  }

  /** Whether a message of that id belongs to another app. */
  async existsElsewhere(appUuid: string, id: string): Promise<boolean> {
    const row = await this.db.selectFrom('messages').select('id').where('id', '=', id).where('app_uuid', '!=', appUuid).executeTakeFirst();
    return row !== undefined;
  }

  /** Deletes the message and empties its log entry; false when it was gone already (another recall won). */
  async remove(appUuid: string, id: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx.updateTable('conversation_log').set({ message_id: null }).where('app_uuid', '=', appUuid).where('message_id', '=', id).execute();
      const deleted = await trx.deleteFrom('messages').where('app_uuid', '=', appUuid).where('id', '=', id).executeTakeFirst();
      return Number(deleted.numDeletedRows) > 0;
    });
  }

  /** Records that `username` read a group message; answers how many have read it. */
  async groupRead(messageId: string, username: string, at: number): Promise<number> {
    await this.db
      .insertInto('group_read_acks')
      .values({ message_id: messageId, username, timestamp: at })
      .onConflict((oc) => oc.columns(['message_id', 'username']).doNothing())
      .execute();
    const row = await this.db.selectFrom('group_read_acks').select((eb) => eb.fn.countAll().as('n')).where('message_id', '=', messageId).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Who read a group message, in the order they read it (a page of them). */
  async groupReaders(messageId: string, offset: number, limit: number): Promise<{ readers: string[]; total: number }> {
    const readers = await this.db
      .selectFrom('group_read_acks')
      .select('username')
      .where('message_id', '=', messageId)
      .orderBy('timestamp', 'asc')
      .orderBy('username', 'asc')
      .offset(offset)
      .limit(limit)
      .execute();
    const row = await this.db.selectFrom('group_read_acks').select((eb) => eb.fn.countAll().as('n')).where('message_id', '=', messageId).executeTakeFirst();
    return { readers: readers.map((r) => r.username), total: Number(row?.n ?? 0) };
  }

  /**
   * Replaces the body (and ext) of a message if it has been edited `expectedCount` times so far
   * (a concurrent edit makes this answer undefined); answers the new edit count.
   */
  async edit(appUuid: string, id: string, expectedCount: number, change: { body: string; ext: string; by: string; at: number }): Promise<number | undefined> {
    const row = await this.db
      .updateTable('messages')
      .set({ body: change.body, ext: change.ext, edited_by: change.by, edited_at: change.at, edit_count: expectedCount + 1 })
      .where('app_uuid', '=', appUuid)
      .where('id', '=', id)
      .where('edit_count', '=', expectedCount)
      .returning('edit_count')
      .executeTakeFirst();
    return row ? Number(row.edit_count) : undefined;
  }
}
