// Stored messages and per-user inboxes of messages not yet delivered.
import type { Insertable, Selectable } from 'kysely';
import type { Db } from './db.js';
import type { MessagesTable } from './schema.js';

export type MessageRow = Selectable<MessagesTable>;

export class MessagesRepository {
  constructor(private readonly db: Db) {}

  /** Stores the message and, in the same transaction, queues it for `queued` recipients. */
  async store(message: Insertable<MessagesTable>, queued: string[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('messages').values(message).execute();
      if (queued.length > 0) {
        await trx
          .insertInto('inbox')
          .values(queued.map((username) => ({ app_uuid: message.app_uuid, username, message_id: message.id })))
          .execute();
      }
    });
  }

  /** Waiting messages of a user, oldest first, with the inbox position of each. */
  pending(appUuid: string, username: string, limit: number): Promise<(MessageRow & { inbox_seq: number })[]> {
    return this.db
      .selectFrom('inbox as i')
      .innerJoin('messages as m', 'm.id', 'i.message_id')
      .selectAll('m')
      .select('i.seq as inbox_seq')
      .where('i.app_uuid', '=', appUuid)
      .where('i.username', '=', username)
      .orderBy('i.seq', 'asc')
      .limit(limit)
      .execute();
  }

  /** Queues a stored message for more users (those a push did not reach). */
  async queue(appUuid: string, messageId: string, usernames: string[]): Promise<void> {
    await this.db
      .insertInto('inbox')
      .values(usernames.map((username) => ({ app_uuid: appUuid, username, message_id: messageId })))
      .execute();
  }

  /** Forgets the delivered inbox entries (exactly those: an entry committed late stays for next time). */
  async acknowledge(appUuid: string, username: string, seqs: number[]): Promise<void> {
    if (seqs.length === 0) return;
    await this.db.deleteFrom('inbox').where('app_uuid', '=', appUuid).where('username', '=', username).where('seq', 'in', seqs).execute();
  }
}
