// What waits for a user's devices (GET /users/{u}/offline_msg_count, offline_msg_status): the
// message entries of the user's 1:1 and group conversation logs after the furthest position any of
// their devices has reached there — what the session core (services/sessions) would hand the next
// device that connects. Chatroom logs are not kept for offline devices, so they never wait.
import { sql, type RawBuilder } from 'kysely';
import type { Db } from './db.js';
import { furthestDevicePosition } from './conversations.js';

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
   * First the user's conversations with entries past the furthest position (from the conversation
   * rows: no log is read), then each of those logs from that position on (a range of its primary
   * key), so that the cost follows what waits, not the size of the logs or of the app.
   */
  async waitingCounts(appUuid: string, username: string, userCreated: number): Promise<AudienceCount[]> {
    const furthest = (conversation: RawBuilder<string>) =>
      sql<number>`(select coalesce(max(p.seq), 0) from device_positions p where p.app_uuid = ${appUuid} and p.username = ${username} and p.conversation = ${conversation})`;
    const chatsBy = (column: 'member_a' | 'member_b') =>
      this.db
        .selectFrom('conversations as c')
        .select(['c.id', 'c.last_seq', furthest(sql<string>`${sql.ref('c.id')}`).as('after')])
        .where('c.app_uuid', '=', appUuid)
        .where(`c.${column}`, '=', username)
        .where('c.kind', '=', 'chat')
        .where('c.last_timestamp', '>=', userCreated)
        .execute();
    const groupConversation = sql<string>`${sql.lit('group:')} || ${sql.ref('g.group_id')}`;
    const groups = await this.db
      .selectFrom('group_members as g')
      .innerJoin('conversations as c', (j) => j.onRef('c.app_uuid', '=', 'g.app_uuid').on('c.id', '=', groupConversation))
      .select(['c.id', 'c.last_seq', 'g.joined', furthest(groupConversation).as('after')])
      .where('g.app_uuid', '=', appUuid)
      .where('g.username', '=', username)
      .where('g.kind', '=', 'group')
      .execute();
    const seen = new Set<string>();
    const logs: { id: string; after: number; since: number }[] = [];
    for (const c of [...(await chatsBy('member_a')), ...(await chatsBy('member_b'))]) {
      if (Number(c.last_seq) > Number(c.after) && !seen.has(c.id) && seen.add(c.id)) logs.push({ id: c.id, after: Number(c.after), since: userCreated });
    }
    for (const g of groups) if (Number(g.last_seq) > Number(g.after)) logs.push({ id: g.id, after: Number(g.after), since: Number(g.joined) });
    const out: AudienceCount[] = [];
    for (const log of logs) {
      const rows = await this.db
        .selectFrom('conversation_log')
        .select(['audience', (eb) => eb.fn.countAll<number>().as('n')])
        .where('app_uuid', '=', appUuid)
        .where('conversation', '=', log.id)
        .where('seq', '>', log.after)
        .where('message_id', 'is not', null)
        .where('live_only', '=', 0)
        .where('from_user', '!=', username)
        // Unary plus: kept off the (conversation, timestamp) index, which would read the log whole.
        .where(sql<number>`+${sql.ref('timestamp')}`, '>=', log.since)
        .groupBy('audience')
        .execute();
      out.push(...rows.map((r) => ({ audience: r.audience, n: Number(r.n) })));
    }
    return out;
  }

  /** The log entry of a message of the app (none for unknown ids and messages kept outside any conversation). */
  async messageEntry(appUuid: string, messageId: string): Promise<MessageEntryRow | undefined> {
    const row = await this.db
      .selectFrom('conversation_log')
      .select(['conversation', 'seq', 'audience', 'from_user', 'live_only', 'timestamp'])
      .where('app_uuid', '=', appUuid)
      .where('message_id', '=', messageId)
      .executeTakeFirst();
    return row ? Object.assign({}, row, { seq: Number(row.seq), live_only: Number(row.live_only), timestamp: Number(row.timestamp) }) : undefined;
  }

  /** The furthest position of any of the user's devices in the conversation (0: none). */
  furthestPosition(appUuid: string, username: string, conversation: string): Promise<number> {
    return furthestDevicePosition(this.db, appUuid, username, conversation);
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
