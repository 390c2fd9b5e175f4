// The app's messages by time (GET /chatmessages/{YYYYMMDDHH}, message_historical.md): every
// message stored in an hour, whatever conversation it went into (none, for unknown groups), read
// in keyset pages of (timestamp, seq) over the index of migration 012.
import type { Selectable } from 'kysely';
import type { Db } from './db.js';
import type { MessagesTable } from './schema.js';

export type MessageRow = Selectable<MessagesTable>;

export interface TimeKey {
  timestamp: number;
  seq: number;
}

export class HistoryRepository {
  constructor(private readonly db: Db) {}

  /** Whether the app stored a message in [from, to). */
  async any(appUuid: string, from: number, to: number): Promise<boolean> {
    const row = await this.db
      .selectFrom('messages')
      .select('seq')
      .where('app_uuid', '=', appUuid)
      .where('timestamp', '>=', from)
      .where('timestamp', '<', to)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Messages in [from, to) after `after`, oldest first (by time, then by when they were stored). */
  async page(appUuid: string, from: number, to: number, after: TimeKey | undefined, limit: number): Promise<MessageRow[]> {
    // The range starts at the last key's timestamp (an index range, not a scan from the hour's
    // start); within that millisecond, after its seq.
    let q = this.db
      .selectFrom('messages')
      .selectAll()
      .where('app_uuid', '=', appUuid)
      .where('timestamp', '>=', after ? after.timestamp : from)
      .where('timestamp', '<', to);
    if (after) q = q.where((eb) => eb.or([eb('timestamp', '>', after.timestamp), eb('seq', '>', after.seq)]));
    const rows = await q.orderBy('timestamp', 'asc').orderBy('seq', 'asc').limit(limit).execute();
    return rows.map((r) => Object.assign({}, r, { seq: Number(r.seq), timestamp: Number(r.timestamp) }));
  }
}
