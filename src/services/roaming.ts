// The client SDK's history (roaming) and conversation list for the logged-in user (client-protocol
// REST.md "History (roaming) and deletion", "Conversations"; the hosted pages
// message_historical.md / conversation_*.md and message_recall.md "单向删除会话").
import type { GroupsRepository } from '../store/groups.js';
import type { MessageRow } from '../store/message-lifecycle.js';
import type { HistoryScope, RoamingRepository } from '../store/roaming.js';
import type { App } from './apps.js';
import { fail } from './errors.js';
import { isNumericId } from './ids.js';
import { MESSAGE_TYPES } from './messages.js';
import { chatConversation, roomConversation, type RoomKind } from './sessions/conversations.js';
import type { DeliveredMessage } from './sessions/entries.js';

/** Messages per history page: the SDK's default 20, at most 50 (the hosted page size). */
export const HISTORY_PAGE_MAX = 50;
const HISTORY_PAGE_DEFAULT = 20;
/** Conversations per page (getServerConversations' pageSize: default 20, at most 50). */
export const CONVERSATION_PAGE_MAX = 50;
const CONVERSATION_PAGE_DEFAULT = 20;
const DOMAIN = '@easemob.com';
const CONFERENCE = '@conference.easemob.com';
const ID_MAX = 64;
/** Message ids per removeHistoryMessages call (REST.md: ≤ 20). */
const REMOVE_MAX = 20;

export interface HistoryPage {
  messages: DeliveredMessage[];
  /** The id to continue after ("" when there is nothing more). */
  nextKey: string;
  isLast: boolean;
}

export interface ConversationInfo {
  /** The peer or the group. */
  target: string;
  type: 'chat' | 'groupchat';
  unread: number;
  last?: DeliveredMessage;
}

export interface ConversationPage {
  conversations: ConversationInfo[];
  cursor: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
function invalid(message: string): never {
  return fail('roamingInvalid', { message });
}

export function deliveredOf(row: MessageRow): DeliveredMessage {
  const m: DeliveredMessage = {
    id: row.id,
    from: row.from_user,
    to: row.to_target,
    chat_type: row.chat_type,
    type: row.msg_type,
    body: JSON.parse(row.body),
    ext: JSON.parse(row.ext),
    timestamp: Number(row.timestamp),
  };
  if (Number(row.edit_count) > 0) m.edit = { count: Number(row.edit_count), by: row.edited_by ?? '', at: Number(row.edited_at ?? 0) };
  return m;
}

export class RoamingService {
  constructor(
    private readonly rows: RoamingRepository,
    private readonly rooms: Record<RoomKind, GroupsRepository>,
    private readonly now: () => number = Date.now,
  ) {}

  /** POST /users/{me}/messageroaming (the SDK's getHistoryMessages). */
  async history(app: App, me: string, raw: unknown): Promise<HistoryPage> {
    if (!isObject(raw)) invalid('the request body must be a JSON object');
    const queue = raw.queue;
    if (typeof queue !== 'string') invalid('queue must be a string');
    const conference = queue.endsWith(CONFERENCE);
    if (!conference && !queue.endsWith(DOMAIN)) invalid(`queue must be {user}${DOMAIN} or {group}${CONFERENCE}`);
    const name = queue.slice(0, queue.length - (conference ? CONFERENCE.length : DOMAIN.length));
    if (name === '' || name.length > ID_MAX) invalid(`queue must name a user, group or chatroom of 1 to ${ID_MAX} characters`);

    const start = raw.start;
    let after: string | undefined;
    if (start !== undefined && start !== null && start !== -1 && start !== '-1' && start !== '') {
      const s = typeof start === 'number' && Number.isSafeInteger(start) ? String(start) : start;
      if (typeof s !== 'string' || !/^[1-9][0-9]{0,19}$/.test(s)) invalid('start must be a message id or -1');
      after = s;
    }
    const limit = raw.pull_number ?? HISTORY_PAGE_DEFAULT;
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > HISTORY_PAGE_MAX) invalid(`pull_number must be an integer from 1 to ${HISTORY_PAGE_MAX}`);
    if (raw.is_positive !== undefined && raw.is_positive !== null && typeof raw.is_positive !== 'boolean') invalid('is_positive must be a boolean');
    const types = raw.msgType === undefined || raw.msgType === null || raw.msgType === '' ? [] : raw.msgType;
    if (typeof types !== 'string' && !Array.isArray(types)) invalid('msgType must be a comma-separated list of message types');
    const typeList = typeof types === 'string' ? types.split(',').map((t) => t.trim()) : types;
    if (typeList.some((t) => typeof t !== 'string' || !(MESSAGE_TYPES as readonly string[]).includes(t))) invalid(`msgType must list only ${MESSAGE_TYPES.join(', ')}`);
    const time = (field: string): number | undefined => {
      const v = raw[field];
      if (v === undefined || v === null || v === -1) return undefined;
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) invalid(`${field} must be a time in ms`);
      return v as number;
    };
    const startTime = time('startTime');
    const endTime = time('endTime');
    const from = raw.userId;
    if (from !== undefined && from !== null && (typeof from !== 'string' || from === '' || from.length > ID_MAX)) invalid('userId must be a username');

    let scope: HistoryScope;
    let conversation: string;
    if (conference) {
      const kind = await this.roomKind(app, name);
      if (!kind) fail('roamingRoomNotFound', { id: name });
      if (!(await this.rooms[kind].member(name, me))) fail('roamingNotMember', { username: me, id: name });
      scope = { kind: 'room', chatType: kind === 'group' ? 'groupchat' : 'chatroom', id: name };
      conversation = roomConversation(kind, name).id;
    } else {
      const peer = name.toLowerCase();
      scope = { kind: 'chat', me, peer };
      conversation = chatConversation(me, peer).id;
    }
    const { roam_before } = await this.rows.cutoffs(app.uuid, me, conversation);
    const rows = await this.rows.history(app.uuid, scope, {
      after,
      ascending: raw.is_positive === true,
      limit: limit as number,
      types: typeList as string[],
      startTime,
      endTime,
      from: typeof from === 'string' ? from.toLowerCase() : undefined,
      since: roam_before,
      viewer: me,
    });
    const isLast = rows.length < (limit as number);
    return { messages: rows.map(deliveredOf), nextKey: isLast ? '' : rows.at(-1)!.id, isLast };
  }

  /** GET /sdk/user/{me}/user_channels/list (getServerConversations), newest first. */
  async conversations(app: App, me: string, query: Record<string, unknown>): Promise<ConversationPage> {
    const one = (key: string): string | undefined => {
      // One value per key: the query parser keeps the first of repeated keys (http/query.ts).
      const v = query[key];
      return typeof v === 'string' && v !== '' && v !== 'undefined' && v !== 'null' ? v : undefined;
    };
    const limitText = one('limit');
    const limit = limitText === undefined ? CONVERSATION_PAGE_DEFAULT : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > CONVERSATION_PAGE_MAX || !/^\d+$/.test(limitText ?? '1')) {
      invalid(`limit must be an integer from 1 to ${CONVERSATION_PAGE_MAX}`);
    }
    const cursorText = one('cursor');
    if (cursorText !== undefined && !/^\d{1,9}$/.test(cursorText)) invalid('cursor is not a cursor of this list');
    const offset = cursorText === undefined ? 0 : Number(cursorText);
    const withEmpty = one('needEmptySession') === 'true';
    // Pinned conversations only (getServerPinnedConversations): qunliao pins none.
    if (one('is_top') === 'true') return { conversations: [], cursor: '' };

    const listed = await this.rows.conversations(app.uuid, me, offset, limit);
    const out: ConversationInfo[] = [];
    for (const c of listed) {
      const { hidden_before } = await this.rows.cutoffs(app.uuid, me, c.id);
      const scope: HistoryScope = c.kind === 'chat' ? { kind: 'chat', me, peer: c.target } : { kind: 'room', chatType: 'groupchat', id: c.target };
      const [last] = await this.rows.history(app.uuid, scope, { ascending: false, limit: 1, since: hidden_before, viewer: me });
      if (!last && (!withEmpty || hidden_before > 0)) continue;
      out.push({
        target: c.target,
        type: c.kind === 'chat' ? 'chat' : 'groupchat',
        unread: last ? await this.rows.unread(app.uuid, me, c.id) : 0,
        ...(last ? { last: deliveredOf(last) } : {}),
      });
    }
    return { conversations: out, cursor: listed.length === limit ? String(offset + limit) : '' };
  }

  /**
   * DELETE /user/{me}/user_channel (the SDK's deleteConversation) and DELETE
   * /users/{u}/user_channel (message_recall.md "单向删除会话"): the conversation leaves this
   * user's list; with delete_roam, its history too. Nothing changes for the other side.
   */
  async deleteConversation(app: App, me: string, raw: unknown): Promise<void> {
    if (!isObject(raw)) invalid('the request body must be a JSON object');
    const channel = raw.channel;
    if ((typeof channel !== 'string' && typeof channel !== 'number') || String(channel) === '' || String(channel).length > ID_MAX) {
      invalid(`channel must be a user or group id of 1 to ${ID_MAX} characters`);
    }
    const type = raw.type;
    if (type !== 'chat' && type !== 'groupchat' && type !== 'groupChat') invalid('type must be chat or groupchat');
    if (raw.delete_roam !== undefined && typeof raw.delete_roam !== 'boolean') invalid('delete_roam must be a boolean');
    const id = String(channel);
    const conversation = type === 'chat' ? chatConversation(me, id.toLowerCase()).id : roomConversation('group', id).id;
    await this.rows.cut(app.uuid, me, conversation, this.now(), raw.delete_roam === true);
  }

  /**
   * DELETE /sdk/message/roaming/{chat|group}/user/{me}[/time] (the SDK's removeHistoryMessages):
   * messages by id (msgIdList, at most 20) or everything up to delTime leave this user's history
   * of the conversation (userId: the peer; groupId: the group). One-way: others keep them.
   */
  async removeHistory(app: App, me: string, kind: 'chat' | 'group', byTime: boolean, query: Record<string, unknown>): Promise<void> {
    const one = (key: string): string | undefined => {
      // One value per key: the query parser keeps the first of repeated keys (http/query.ts).
      const v = query[key];
      return typeof v === 'string' && v !== '' && v !== 'undefined' ? v : undefined;
    };
    const targetKey = kind === 'chat' ? 'userId' : 'groupId';
    const target = one(targetKey);
    if (target === undefined || target.length > ID_MAX) invalid(`${targetKey} must be given`);
    const conversation = kind === 'chat' ? chatConversation(me, target.toLowerCase()).id : roomConversation('group', target).id;
    if (byTime) {
      const at = one('delTime');
      if (at === undefined || !/^\d{1,15}$/.test(at)) invalid('delTime must be a time in ms');
      await this.rows.cutRoam(app.uuid, me, conversation, Number(at));
      return;
    }
    const list = one('msgIdList');
    const ids = list === undefined ? [] : list.split(',');
    if (ids.length === 0 || ids.length > REMOVE_MAX || ids.some((id) => !/^[1-9][0-9]{0,19}$/.test(id))) {
      invalid(`msgIdList must list 1 to ${REMOVE_MAX} message ids`);
    }
    await this.rows.removeMessages(app.uuid, me, [...new Set(ids)]);
  }

  /** POST /sdk/message/roaming/user/{me}/delete/all (deleteAllMessagesAndConversations). */
  async removeAll(app: App, me: string): Promise<void> {
    const now = this.now();
    for (let offset = 0; ; offset += 500) {
      const page = await this.rows.conversations(app.uuid, me, offset, 500);
      for (const c of page) await this.rows.cut(app.uuid, me, c.id, now, true);
      if (page.length < 500) return;
    }
  }

  private async roomKind(app: App, id: string): Promise<RoomKind | undefined> {
    if (!isNumericId(id)) return undefined;
    if (await this.rooms.group.find(app.uuid, id)) return 'group';
    if (await this.rooms.chatroom.find(app.uuid, id)) return 'chatroom';
    return undefined;
  }
}
