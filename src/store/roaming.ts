// A user's view of their conversations (issue 15: the client SDK's getHistoryMessages,
// getServerConversations, deleteConversation): the stored messages of one conversation page by
// page, the conversations with their newest message, and what the user removed from their view
// (migration 013 conversation_cutoffs).
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { Db } from './db.js';
import { furthestDevicePosition } from './conversations.js';
import type { MessageRow } from './message-lifecycle.js';
import type { ChatType, Database } from './schema.js';

/** One conversation's messages as a user sees them. */
export type HistoryScope = { kind: 'chat'; me: string; peer: string } | { kind: 'room'; chatType: ChatType; id: string };

export interface HistoryQuery {
  /** Message id to continue after (exclusive); undefined: from the newest (or oldest, ascending). */
  after?: string;
  /** Oldest first (the SDK's searchDirection "down"). */
  ascending: boolean;
  limit: number;
  types?: string[];
  startTime?: number;
  endTime?: number;
  /** Only messages of this sender. */
  from?: string;
  /** Only messages after this time (the user's roam_before). */
  since: number;
  /** The user whose removed messages are left out. */
  viewer: string;
}

export interface Cutoffs {
  hidden_before: number;
  roam_before: number;
}

export interface ListedConversation {
  id: string;
  kind: 'chat' | 'group';
  /** The peer or the group. */
  target: string;
  last_timestamp: number;
}

type Eb = ExpressionBuilder<Database, 'messages'>;

/** Message ids are decimal numbers without leading zeros: shorter is smaller, then by text. */
function idCompare(eb: Eb, op: '<' | '>', id: string): Expression<SqlBool> {
  const len = sql<number>`length(${eb.ref('messages.id')})`;
  return eb.or([eb(len, op, id.length), eb.and([eb(len, '=', id.length), eb('messages.id', op, id)])]);
}

export class RoamingRepository {
  constructor(private readonly db: Db) {}

  async history(appUuid: string, scope: HistoryScope, q: HistoryQuery): Promise<MessageRow[]> {
    let query = this.db.selectFrom('messages').selectAll().where('app_uuid', '=', appUuid);
    if (scope.kind === 'chat') {
      query = query
        .where('chat_type', '=', 'chat')
        .where((eb) =>
          eb.or([
            eb.and([eb('from_user', '=', scope.me), eb('to_target', '=', scope.peer)]),
            eb.and([eb('from_user', '=', scope.peer), eb('to_target', '=', scope.me)]),
          ]),
        );
    } else {
      query = query.where('chat_type', '=', scope.chatType).where('to_target', '=', scope.id);
    }
    if (q.after !== undefined) query = query.where((eb) => idCompare(eb, q.ascending ? '>' : '<', q.after!));
    if (q.types && q.types.length > 0) query = query.where('msg_type', 'in', q.types);
    if (q.startTime !== undefined) query = query.where('timestamp', '>=', q.startTime);
    if (q.endTime !== undefined) query = query.where('timestamp', '<=', q.endTime);
    if (q.from !== undefined) query = query.where('from_user', '=', q.from);
    if (q.since > 0) query = query.where('timestamp', '>', q.since);
    query = query.where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('roaming_removed as r')
            .select('r.message_id')
            .whereRef('r.message_id', '=', 'messages.id')
            .where('r.app_uuid', '=', appUuid)
            .where('r.username', '=', q.viewer),
        ),
      ),
    );
    const dir = q.ascending ? 'asc' : 'desc';
    return query
      .orderBy(sql`length(id)`, dir)
      .orderBy('id', dir)
      .limit(q.limit)
      .execute();
  }

  async cutoffs(appUuid: string, username: string, conversation: string): Promise<Cutoffs> {
    const row = await this.db
      .selectFrom('conversation_cutoffs')
      .select(['hidden_before', 'roam_before'])
      .where('app_uuid', '=', appUuid)
      .where('username', '=', username)
      .where('conversation', '=', conversation)
      .executeTakeFirst();
    return { hidden_before: Number(row?.hidden_before ?? 0), roam_before: Number(row?.roam_before ?? 0) };
  }

  /** Hides the conversation up to `at` (and its history too when `roam`). */
  async cut(appUuid: string, username: string, conversation: string, at: number, roam: boolean): Promise<void> {
    await this.db
      .insertInto('conversation_cutoffs')
      .values({ app_uuid: appUuid, username, conversation, hidden_before: at, roam_before: roam ? at : 0 })
      .onConflict((oc) =>
        oc.columns(['app_uuid', 'username', 'conversation']).doUpdateSet((eb) => ({
          hidden_before: eb.ref('excluded.hidden_before'),
          roam_before: roam ? eb.ref('excluded.roam_before') : eb.ref('conversation_cutoffs.roam_before'),
        })),
      )
      .execute();
  }

  /** Removes messages from the user's own history (those that exist). */
  async removeMessages(appUuid: string, username: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const existing = await this.db.selectFrom('messages').select('id').where('app_uuid', '=', appUuid).where('id', 'in', ids).execute();
    if (existing.length === 0) return;
    await this.db
      .insertInto('roaming_removed')
      .values(existing.map((r) => ({ app_uuid: appUuid, username, message_id: r.id })))
      .onConflict((oc) => oc.columns(['app_uuid', 'username', 'message_id']).doNothing())
      .execute();
  }

  /** Removes from the user's history of the conversation what came up to `at` (never moves back). */
  async cutRoam(appUuid: string, username: string, conversation: string, at: number): Promise<void> {
    await this.db
      .insertInto('conversation_cutoffs')
      .values({ app_uuid: appUuid, username, conversation, hidden_before: 0, roam_before: at })
      .onConflict((oc) =>
        oc.columns(['app_uuid', 'username', 'conversation']).doUpdateSet({
          roam_before: sql<number>`CASE WHEN excluded.roam_before > conversation_cutoffs.roam_before THEN excluded.roam_before ELSE conversation_cutoffs.roam_before END`,
        }),
      )
      .execute();
  }

  /** The user's 1:1 and group conversations, newest first. */
  async conversations(appUuid: string, username: string, offset: number, limit: number): Promise<ListedConversation[]> {
    const chats = this.db
      .selectFrom('conversations')
      .select([
        'id',
        sql<string>`'chat'`.as('kind'),
        sql<string>`CASE WHEN member_a = ${username} THEN member_b ELSE member_a END`.as('target'),
        'last_timestamp',
      ])
      .where('app_uuid', '=', appUuid)
      .where('kind', '=', 'chat')
      .where((eb) => eb.or([eb('member_a', '=', username), eb('member_b', '=', username)]));
    const groups = this.db
      .selectFrom('group_members as g')
      .innerJoin('conversations as c', (join) => join.onRef('c.app_uuid', '=', 'g.app_uuid').on('c.id', '=', sql<string>`${sql.lit('group:')} || ${sql.ref('g.group_id')}`))
      .select(['c.id as id', sql<string>`'group'`.as('kind'), 'g.group_id as target', 'c.last_timestamp as last_timestamp'])
      .where('g.app_uuid', '=', appUuid)
      .where('g.username', '=', username)
      .where('g.kind', '=', 'group');
    const rows = await this.db
      .selectFrom(chats.unionAll(groups).as('u'))
      .selectAll()
      .orderBy('last_timestamp', 'desc')
      .orderBy('id', 'asc')
      .offset(offset)
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: r.id, kind: r.kind as 'chat' | 'group', target: r.target ?? '', last_timestamp: Number(r.last_timestamp) }));
  }

  /** Messages of a conversation the user has not had on any device (after their furthest position). */
  async unread(appUuid: string, username: string, conversation: string): Promise<number> {
    const pos = await furthestDevicePosition(this.db, appUuid, username, conversation);
    const row = await this.db
      .selectFrom('conversation_log')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('app_uuid', '=', appUuid)
      .where('conversation', '=', conversation)
      .where('seq', '>', pos)
      .where('message_id', 'is not', null)
      .where('from_user', '!=', username)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}
