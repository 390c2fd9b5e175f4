// Conversation logs, devices and their positions (migration 008). An append takes the
// conversation row's lock (an upsert that bumps last_seq), so the entries of one conversation are
// numbered without gaps and commit in number order on both databases: a reader that has seen entry
// n has seen every entry before it.
import { sql, type Insertable, type Selectable } from 'kysely';
import type { Db } from './db.js';
import type { ConversationKind, ConversationLogTable, MessagesTable } from './schema.js';

export type LogRow = Selectable<ConversationLogTable> & {
  /** The message of a message entry (null for events). */
  m_id: string | null;
  m_chat_type: string | null;
  m_from_user: string | null;
  m_to_target: string | null;
  m_msg_type: string | null;
  m_body: string | null;
  m_ext: string | null;
  m_timestamp: number | null;
  m_edit_count: number | null;
  m_edited_by: string | null;
  m_edited_at: number | null;
};

export interface ConversationHead {
  id: string;
  kind: ConversationKind;
  memberA?: string;
  memberB?: string;
}

export type NewLogEntry = Omit<Insertable<ConversationLogTable>, 'app_uuid' | 'conversation' | 'seq'>;

export interface PendingConversation {
  id: string;
  last_seq: number;
  /** The device's position, if it has one. */
  seq: number | null;
}

export interface PositionRow {
  app_uuid: string;
  username: string;
  resource: string;
  conversation: string;
  seq: number;
}

/** Positions written per statement (5 parameters each; SQLite allows 32,766). */
const POSITION_CHUNK = 500;

/** The furthest position any of the user's devices reached in the conversation (0: none). */
export async function furthestDevicePosition(db: Db, appUuid: string, username: string, conversation: string): Promise<number> {
  const row = await db
    .selectFrom('device_positions')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .where('app_uuid', '=', appUuid)
    .where('username', '=', username)
    .where('conversation', '=', conversation)
    .executeTakeFirst();
  return row?.seq === null || row?.seq === undefined ? 0 : Number(row.seq);
}

export class ConversationsRepository {
  constructor(private readonly db: Db) {}

  /**
   * Appends one entry (with its message, stored once in `messages`) to the conversation, creating
   * the conversation on its first entry; returns the entry's number.
   */
  async append(appUuid: string, head: ConversationHead, entry: NewLogEntry, message?: Insertable<MessagesTable>): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const { last_seq } = await trx
        .insertInto('conversations')
        .values({
          app_uuid: appUuid,
          id: head.id,
          kind: head.kind,
          member_a: head.memberA ?? null,
          member_b: head.memberB ?? null,
          last_seq: 1,
          last_timestamp: entry.timestamp,
        })
        .onConflict((oc) =>
          oc.columns(['app_uuid', 'id']).doUpdateSet((eb) => ({
            last_seq: eb('conversations.last_seq', '+', 1),
            last_timestamp: eb.ref('excluded.last_timestamp'),
          })),
        )
        .returning('last_seq')
        .executeTakeFirstOrThrow();
      if (message) await trx.insertInto('messages').values(message).execute();
      await trx
        .insertInto('conversation_log')
        .values(Object.assign({}, entry, { app_uuid: appUuid, conversation: head.id, seq: last_seq }))
        .execute();
      return Number(last_seq);
    });
  }

  /** Stores a message that goes into no conversation (sent to a group or chatroom that does not exist). */
  async storeMessage(message: Insertable<MessagesTable>): Promise<void> {
    await this.db.insertInto('messages').values(message).execute();
  }

  /** The usernames of a group's or chatroom's members (for live notices); only those among `among` when given. */
  async roomMembers(roomId: string, among?: string[]): Promise<string[]> {
    if (among !== undefined && among.length === 0) return [];
    let q = this.db.selectFrom('group_members').select('username').where('group_id', '=', roomId);
    if (among !== undefined) q = q.where('username', 'in', among);
    return (await q.execute()).map((r) => r.username);
  }

  /** Entries after `afterSeq`, oldest first, with their messages. */
  read(appUuid: string, conversation: string, afterSeq: number, limit: number): Promise<LogRow[]> {
    return this.db
      .selectFrom('conversation_log as l')
      .leftJoin('messages as m', 'm.id', 'l.message_id')
      .selectAll('l')
      .select([
        'm.id as m_id',
        'm.chat_type as m_chat_type',
        'm.from_user as m_from_user',
        'm.to_target as m_to_target',
        'm.msg_type as m_msg_type',
        'm.body as m_body',
        'm.ext as m_ext',
        'm.timestamp as m_timestamp',
        'm.edit_count as m_edit_count',
        'm.edited_by as m_edited_by',
        'm.edited_at as m_edited_at',
      ])
      .where('l.app_uuid', '=', appUuid)
      .where('l.conversation', '=', conversation)
      .where('l.seq', '>', afterSeq)
      .orderBy('l.seq', 'asc')
      .limit(limit)
      .execute() as Promise<LogRow[]>;
  }

  /** The number of the newest entry (0 for a conversation without entries). */
  async lastSeq(appUuid: string, conversation: string): Promise<number> {
    const row = await this.db.selectFrom('conversations').select('last_seq').where('app_uuid', '=', appUuid).where('id', '=', conversation).executeTakeFirst();
    return row ? Number(row.last_seq) : 0;
  }

  /** The position just before the first entry written at or after `timestamp` (the last entry when there is none). */
  async seqBefore(appUuid: string, conversation: string, timestamp: number): Promise<number> {
    const row = await this.db
      .selectFrom('conversation_log')
      .select((eb) => eb.fn.min('seq').as('first'))
      .where('app_uuid', '=', appUuid)
      .where('conversation', '=', conversation)
      .where('timestamp', '>=', timestamp)
      .executeTakeFirst();
    if (row?.first !== null && row?.first !== undefined) return Number(row.first) - 1;
    return this.lastSeq(appUuid, conversation);
  }

  // ---- what is waiting for a device ----

  /** 1:1 conversations of `username` with entries after the device's position, changed since `since`. */
  async pendingChats(appUuid: string, username: string, resource: string, since: number): Promise<PendingConversation[]> {
    const byMember = (column: 'member_a' | 'member_b') =>
      this.db
        .selectFrom('conversations as c')
        .leftJoin('device_positions as p', (join) =>
          join.onRef('p.app_uuid', '=', 'c.app_uuid').onRef('p.conversation', '=', 'c.id').on('p.username', '=', username).on('p.resource', '=', resource),
        )
        .select(['c.id', 'c.last_seq', 'p.seq'])
        .where('c.app_uuid', '=', appUuid)
        .where(`c.${column}`, '=', username)
        .where('c.kind', '=', 'chat')
        .where('c.last_timestamp', '>=', since)
        .where((eb) => eb('c.last_seq', '>', eb.fn.coalesce('p.seq', sql<number>`0`)))
        .execute();
    const rows = [...(await byMember('member_a')), ...(await byMember('member_b'))];
    const seen = new Set<string>();
    return rows.filter((r) => !seen.has(r.id) && seen.add(r.id)).map(toPending);
  }

  /** Rooms of `kind` that `username` belongs to with entries written since they joined and after the device's position. */
  async pendingRooms(appUuid: string, username: string, resource: string, kind: 'group' | 'chatroom'): Promise<PendingConversation[]> {
    const rows = await this.db
      .selectFrom('group_members as g')
      .innerJoin('conversations as c', (join) =>
        join.onRef('c.app_uuid', '=', 'g.app_uuid').on('c.id', '=', sql<string>`${sql.lit(`${kind}:`)} || ${sql.ref('g.group_id')}`),
      )
      .leftJoin('device_positions as p', (join) =>
        join.onRef('p.app_uuid', '=', 'c.app_uuid').onRef('p.conversation', '=', 'c.id').on('p.username', '=', username).on('p.resource', '=', resource),
      )
      .select(['c.id', 'c.last_seq', 'p.seq'])
      .where('g.app_uuid', '=', appUuid)
      .where('g.username', '=', username)
      .where('g.kind', '=', kind)
      .whereRef('c.last_timestamp', '>=', 'g.joined')
      .where((eb) => eb('c.last_seq', '>', eb.fn.coalesce('p.seq', sql<number>`0`)))
      .execute();
    return rows.map(toPending);
  }

  /** One conversation, if it has entries after the device's position. */
  async pendingOne(appUuid: string, conversation: string, username: string, resource: string): Promise<PendingConversation | undefined> {
    const row = await this.db
      .selectFrom('conversations as c')
      .leftJoin('device_positions as p', (join) =>
        join.onRef('p.app_uuid', '=', 'c.app_uuid').onRef('p.conversation', '=', 'c.id').on('p.username', '=', username).on('p.resource', '=', resource),
      )
      .select(['c.id', 'c.last_seq', 'p.seq'])
      .where('c.app_uuid', '=', appUuid)
      .where('c.id', '=', conversation)
      .where((eb) => eb('c.last_seq', '>', eb.fn.coalesce('p.seq', sql<number>`0`)))
      .executeTakeFirst();
    return row ? toPending(row) : undefined;
  }

  // ---- devices and positions ----

  /**
   * Records that the device connected. A device seen for the first time starts where the user's
   * other devices are (the furthest position of any of them in each conversation): it gets what
   * none of them has had, not the whole history. Beyond `maxDevices` the least recently seen
   * devices are forgotten. Answers whether the device is new and the number of this connection
   * of the device (1 for the first).
   */
  async touchDevice(appUuid: string, username: string, resource: string, now: number, maxDevices: number): Promise<{ fresh: boolean; connection: number }> {
    return this.db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('devices')
        .values({ app_uuid: appUuid, username, resource, created: now, last_seen: now, connections: 1 })
        .onConflict((oc) => oc.columns(['app_uuid', 'username', 'resource']).doNothing())
        .returning('resource')
        .executeTakeFirst();
      if (!inserted) {
        const row = await trx
          .updateTable('devices')
          .set((eb) => ({ last_seen: now, connections: eb('connections', '+', 1) }))
          .where('app_uuid', '=', appUuid)
          .where('username', '=', username)
          .where('resource', '=', resource)
          .returning('connections')
          .executeTakeFirstOrThrow();
        return { fresh: false, connection: Number(row.connections) };
      }
      await trx
        .insertInto('device_positions')
        .columns(['app_uuid', 'username', 'resource', 'conversation', 'seq'])
        .expression((eb) =>
          eb
            .selectFrom('device_positions')
            .select(['app_uuid', 'username', sql<string>`cast(${resource} as varchar(64))`.as('resource'), 'conversation', (e) => e.fn.max('seq').as('seq')])
            .where('app_uuid', '=', appUuid)
            .where('username', '=', username)
            .where('resource', '!=', resource)
            .groupBy(['app_uuid', 'username', 'conversation']),
        )
        .execute();
      const stale = await trx
        .selectFrom('devices')
        .select('resource')
        .where('app_uuid', '=', appUuid)
        .where('username', '=', username)
        .orderBy('last_seen', 'desc')
        .orderBy('resource', 'asc')
        .offset(maxDevices)
        .limit(1000)
        .execute();
      if (stale.length > 0) {
        const names = stale.map((s) => s.resource);
        for (const table of ['devices', 'device_positions'] as const) {
          await trx.deleteFrom(table).where('app_uuid', '=', appUuid).where('username', '=', username).where('resource', 'in', names).execute();
        }
      }
      return { fresh: true, connection: 1 };
    });
  }

  async positions(appUuid: string, username: string, resource: string, conversations: string[]): Promise<Map<string, number>> {
    if (conversations.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('device_positions')
      .select(['conversation', 'seq'])
      .where('app_uuid', '=', appUuid)
      .where('username', '=', username)
      .where('resource', '=', resource)
      .where('conversation', 'in', conversations)
      .execute();
    return new Map(rows.map((r) => [r.conversation, Number(r.seq)]));
  }

  /** Moves positions forward (never back: of two writers, the further one wins). */
  async savePositions(rows: PositionRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += POSITION_CHUNK) {
        await trx
          .insertInto('device_positions')
          .values(rows.slice(i, i + POSITION_CHUNK))
          .onConflict((oc) =>
            oc.columns(['app_uuid', 'username', 'resource', 'conversation']).doUpdateSet({
              seq: sql<number>`CASE WHEN excluded.seq > device_positions.seq THEN excluded.seq ELSE device_positions.seq END`,
            }),
          )
          .execute();
      }
    });
  }
}

function toPending(r: { id: string; last_seq: number; seq: number | null }): PendingConversation {
  return { id: r.id, last_seq: Number(r.last_seq), seq: r.seq === null ? null : Number(r.seq) };
}
