// What waits for a user's devices (GET /users/{u}/offline_msg_count, offline_msg_status): the
// message entries of the user's 1:1 and group conversation logs after the furthest position any of
// their devices has reached there — what the session core (services/sessions) would hand the next
// device that connects. Chatroom logs are not kept for offline devices, so they never wait.
import { sql } from 'kysely';
import type { Db } from './db.js';

/** Waiting entries counted per distinct `audience` column value (null: everyone in the conversation). */
export interface AudienceCount {
  audience: string | null;
  n: number;
}

/** A message's entry in a conversation log, with what decides whether it waits for a user. */
export interface MessageEntryRow {
  conversation: string;
  seq: number;
  audience: string | null;
  from_user: string;
  live_only: number;
  timestamp: number;
}

export class OfflineRepository {
  constructor(private readonly db: Db) {}

  /**
   * Message entries that `username`'s devices have not had, not sent by the user, not live-only:
   * in 1:1 conversations written since the user was created, in groups since the user joined.
   */
  async waitingCounts(appUuid: string, username: string, userCreated: number): Promise<AudienceCount[]> {
    const furthest = (conversation: ReturnType<typeof sql.ref>) =>
      sql<number>`coalesce((select max(p.seq) from device_positions p where p.app_uuid = ${appUuid} and p.username = ${username} and p.conversation = ${conversation}), 0)`;
    const chats = await this.db
      .selectFrom('conversations as c')
      .innerJoin('conversation_log as l', (j) => j.onRef('l.app_uuid', '=', 'c.app_uuid').onRef('l.conversation', '=', 'c.id'))
      .select(['l.audience', (eb) => eb.fn.countAll<number>().as('n')])
      .where('c.app_uuid', '=', appUuid)
      .where('c.kind', '=', 'chat')
      .where((eb) => eb.or([eb('c.member_a', '=', username), eb('c.member_b', '=', username)]))
      .where('l.message_id', 'is not', null)
      .where('l.live_only', '=', 0)
      .where('l.from_user', '!=', username)
      .where('l.timestamp', '>=', userCreated)
      .where((eb) => eb('l.seq', '>', furthest(sql.ref('c.id'))))
      .groupBy('l.audience')
      .execute();
    const groups = await this.db
      .selectFrom('group_members as g')
      .innerJoin('conversation_log as l', (j) =>
        j.onRef('l.app_uuid', '=', 'g.app_uuid').on('l.conversation', '=', sql<string>`${sql.lit('group:')} || ${sql.ref('g.group_id')}`),
      )
      .select(['l.audience', (eb) => eb.fn.countAll<number>().as('n')])
      .where('g.app_uuid', '=', appUuid)
      .where('g.username', '=', username)
      .where('g.kind', '=', 'group')
      .where('l.message_id', 'is not', null)
      .where('l.live_only', '=', 0)
      .where('l.from_user', '!=', username)
      .whereRef('l.timestamp', '>=', 'g.joined')
      .where((eb) => eb('l.seq', '>', furthest(sql.ref('l.conversation'))))
      .groupBy('l.audience')
      .execute();
    return [...chats, ...groups].map((r) => ({ audience: r.audience, n: Number(r.n) }));
  }

  /** The log entry of a message of the app (none for unknown ids and messages kept outside any conversation). */
  async messageEntry(appUuid: string, messageId: string): Promise<MessageEntryRow | undefined> {
    const row = await this.db
      .selectFrom('conversation_log')
      .select(['conversation', 'seq', 'audience', 'from_user', 'live_only', 'timestamp'])
      .where('app_uuid', '=', appUuid)
      .where('message_id', '=', messageId)
      .executeTakeFirst();
    return row ? { ...row, seq: Number(row.seq), live_only: Number(row.live_only), timestamp: Number(row.timestamp) } : undefined;
  }

  /** The furthest position of any of the user's devices in the conversation (0: none). */
  async furthestPosition(appUuid: string, username: string, conversation: string): Promise<number> {
    const row = await this.db
      .selectFrom('device_positions')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .where('app_uuid', '=', appUuid)
      .where('username', '=', username)
      .where('conversation', '=', conversation)
      .executeTakeFirst();
    return row?.seq === null || row?.seq === undefined ? 0 : Number(row.seq);
  }

  /** When the user became a member of the group (undefined: not a member). */
  async joinedGroup(appUuid: string, groupId: string, username: string): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('group_members')
      .select('joined')
      .where('app_uuid', '=', appUuid)
      .where('group_id', '=', groupId)
      .where('username', '=', username)
      .where('kind', '=', 'group')
      .executeTakeFirst();
    return row ? Number(row.joined) : undefined;
  }
}
