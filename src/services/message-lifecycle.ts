// What happens to a message after it was sent (issue 15): recall, edit, and the read / delivery /
// channel acks clients send about it. Each is written to the message's conversation log as a
// signal entry (sessions/entries.ts MessageSignal) for the devices it concerns, so that connected
// devices get it at once and the others when they next connect, like a message.
//
// Pages: message_recall.md (REST recall; the 2-minute default window, at most 7 days), the client
// pages message_recall.html (who may recall what), message_modify_text_custom.md (REST edit, its
// error table, 10 edits per message), the web SDK's modifyMessage / onModifiedMessage and its
// read-receipt pages (onReadMessage, onDeliveredMessage, onChannelMessage).
import type { Fanout } from '../coord/fanout.js';
import type { ConversationHead, ConversationsRepository } from '../store/conversations.js';
import type { GroupsRepository } from '../store/groups.js';
import type { MessageLifecycleRepository, MessageRow } from '../store/message-lifecycle.js';
import type { ChatType } from '../store/schema.js';
import type { UsersRepository } from '../store/users.js';
import type { App } from './apps.js';
import { fail, refuse } from './errors.js';
import { nextMessageId, parseContent, type ContentProblem, type Sender } from './messages.js';
import { chatConversation, roomConversation, type RoomKind } from './sessions/conversations.js';
import type { DeliveredMessage, LogEntry, MessageEdit, MessageSignal } from './sessions/entries.js';
import { connectedMembers } from './sessions/recipients.js';
import { deliveredOf } from './roaming.js';

/** Edits per message (message_modify_text_custom.md: "每条消息最多可修改 10 次"). */
export const EDIT_LIMIT = 10;
/** Message types that may be edited (the same page: text and custom messages). */
const EDITABLE = new Set(['txt', 'custom']);
const CHAT_TYPES: readonly ChatType[] = ['chat', 'groupchat', 'chatroom'];
const ROOM_OF: Record<ChatType, RoomKind | undefined> = { chat: undefined, groupchat: 'group', chatroom: 'chatroom' };
const ID_MAX = 64;
/** Message ids: decimal uint64 (messages.ts nextMessageId). */
const isMessageId = (id: string): boolean => /^[1-9][0-9]{0,19}$/.test(id);

/** The REST recall's `data` (message_recall.md): `recalled` is "yes", or why not. */
export interface RecallResult {
  msg_id: string;
  recalled: string;
  from: string;
  to: string;
  chattype: string;
}

/** Failures of a REST recall, as the page lists them in `recalled`. */
const RECALL_TEXT = {
  notFound: 'not_found msg',
  wrongTarget: "can't find msg to",
  tooLate: 'exceed recall time limit',
} as const;

export interface ClientRecall {
  msgId: string;
  ext: string;
}

export interface ClientEdit {
  msgId: string;
  type?: string;
  body?: unknown;
  /** The new ext (the SDK's edit scope BODY_AND_EXT); undefined keeps the old one. */
  ext?: Record<string, unknown>;
}

export interface ClientReceipt {
  receipt: 'read' | 'delivered' | 'channel';
  to: string;
  room: boolean;
  msgId?: string;
  content?: string;
}

/** Readers per page of GET /chatgroups/{id}/acks/{msg_id} (the SDK asks for 500). */
const READERS_PAGE_MAX = 500;

export interface GroupReaders {
  msgId: string;
  readers: string[];
  total: number;
  isLast: boolean;
  nextKey: string;
  timestamp: number;
}

export interface Edited {
  message: DeliveredMessage;
  edit: MessageEdit;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export class MessageLifecycleService {
  constructor(
    private readonly rows: MessageLifecycleRepository,
    private readonly conversations: ConversationsRepository,
    private readonly users: UsersRepository,
    private readonly rooms: Record<RoomKind, GroupsRepository>,
    private readonly fanout: Fanout,
    /** The recall window (config recallSeconds), in ms. */
    private readonly recallMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  // ---- recall ----

  /**
   * POST /messages/msg_recall (and the PHP SDK's /messages/recall): the app recalls a message
   * within the recall window. `to` and `chat_type` must name the message's conversation.
   */
  async recallRest(app: App, raw: unknown): Promise<RecallResult> {
    if (!isObject(raw)) fail('recallInvalid', { message: 'the request body must be a JSON object' });
    const text = (field: string, required: boolean): string | undefined => {
      const v = raw[field];
      if (v === undefined || v === null) {
        if (required) fail('recallInvalid', { message: `${field} must be provided` });
        return undefined;
      }
      if (typeof v !== 'string' && typeof v !== 'number') fail('recallInvalid', { message: `${field} must be a string` });
      const s = String(v);
      if (s === '' || s.length > ID_MAX) fail('recallInvalid', { message: `${field} must be 1 to ${ID_MAX} characters` });
      return s;
    };
    const msgId = text('msg_id', true)!;
    const to = text('to', true)!;
    // `chattype` is the answer's spelling; accepted in the request too.
    const chatType = text('chat_type', raw.chattype === undefined) ?? text('chattype', true)!;
    if (!(CHAT_TYPES as readonly string[]).includes(chatType)) fail('recallInvalid', { message: 'chat_type must be chat, groupchat or chatroom' });
    if (raw.force !== undefined && typeof raw.force !== 'boolean') fail('recallInvalid', { message: 'force must be a boolean' });
    const from = (text('from', false) ?? 'admin').toLowerCase();
    const result = (recalled: string): RecallResult => ({ msg_id: msgId, recalled, from, to, chattype: chatType });

    const row = isMessageId(msgId) ? await this.rows.find(app.uuid, msgId) : undefined;
    if (!row) return result(RECALL_TEXT.notFound);
    const target = row.chat_type === 'chat' ? to.toLowerCase() : to;
    if (row.chat_type !== chatType || row.to_target !== target) return result(RECALL_TEXT.wrongTarget);
    if (this.now() - Number(row.timestamp) > this.recallMs) return result(RECALL_TEXT.tooLate);
    if (!(await this.recall(app, row, from, '', null))) return result(RECALL_TEXT.notFound);
    return result('yes');
  }

  /**
   * A client's recall (the SDK's recallMessage): its own message within the window; a group's or
   * chatroom's owner and admins recall anyone's, at any time (message_recall.html, SDK 4.15+).
   * Command messages are not recalled (the same page).
   */
  async recallFromClient(app: App, sender: Sender, req: ClientRecall): Promise<void> {
    const row = isMessageId(req.msgId) ? await this.rows.find(app.uuid, req.msgId) : undefined;
    if (!row) refuse('message_not_found', req.msgId);
    const own = row.from_user === sender.username;
    const kind = ROOM_OF[row.chat_type];
    if (!own) {
      const role = kind ? (await this.rooms[kind].member(row.to_target, sender.username))?.role : undefined;
      const manager = role === 'owner' || role === 'admin';
      // 1:1: only the sender; a plain member sees someone else's message as not theirs to recall.
      if (!manager) {
        if (row.chat_type === 'chat' && row.to_target !== sender.username) refuse('message_not_found', req.msgId);
        refuse('not_your_message', req.msgId);
      }
    } else if (this.now() - Number(row.timestamp) > this.recallMs) {
      refuse('recall_too_late');
    }
    if (row.msg_type === 'cmd') refuse('edit_format', 'cmd');
    if (!(await this.recall(app, row, sender.username, req.ext.slice(0, 1024), sender.origin))) refuse('message_not_found', req.msgId);
  }

  /** Deletes the message and tells its conversation; false when it was already gone. */
  private async recall(app: App, row: MessageRow, by: string, ext: string, origin: string | null): Promise<boolean> {
    if (!(await this.rows.remove(app.uuid, row.id))) return false;
    const timestamp = this.now();
    await this.signal(app, row, { kind: 'recall', id: nextMessageId(timestamp), chat_type: row.chat_type, from: by, to: row.to_target, msg_id: row.id, ...(ext ? { ext } : {}) }, null, by, origin);
    return true;
  }

  // ---- edit ----

  /** PUT /messages/rewrite/{msg_id} (message_modify_text_custom.md): text and custom messages. */
  async editRest(app: App, msgId: string, raw: unknown): Promise<void> {
    if (!isMessageId(msgId)) fail('rewriteInvalidId');
    if (!isObject(raw)) fail('rewriteInvalid', { message: 'the request body must be a JSON object' });
    const user = raw.user;
    if (user !== undefined && user !== null && (typeof user !== 'string' || user === '' || user.length > ID_MAX)) {
      fail('rewriteInvalid', { message: `user must be a string of 1 to ${ID_MAX} characters` });
    }
    const newMsg = raw.new_msg;
    if (!isObject(newMsg)) fail('rewriteInvalid', { message: 'new_msg must be a JSON object' });
    if (raw.new_ext !== undefined && raw.new_ext !== null && !isObject(raw.new_ext)) fail('rewriteInvalid', { message: 'new_ext must be a JSON object' });
    if (raw.is_combine_ext !== undefined && typeof raw.is_combine_ext !== 'boolean') fail('rewriteInvalid', { message: 'is_combine_ext must be a boolean' });
    const type = newMsg.type;
    if (typeof type !== 'string' || !EDITABLE.has(type)) fail('rewriteUnsupportedType');
    const body: Record<string, unknown> =
      type === 'txt' ? { msg: newMsg.msg } : { ...(newMsg.customEvent !== undefined ? { customEvent: newMsg.customEvent } : {}), ...(newMsg.customExts !== undefined ? { customExts: newMsg.customExts } : {}) };

    const row = await this.rows.find(app.uuid, msgId);
    if (!row) {
      if (await this.rows.existsElsewhere(app.uuid, msgId)) fail('rewriteNotAuthorized');
      fail('rewriteNotFound');
    }
    if (row.msg_type !== type) fail('rewriteUnsupportedType');
    let ext: Record<string, unknown> | undefined;
    if (isObject(raw.new_ext)) ext = raw.is_combine_ext === false ? raw.new_ext : { ...(JSON.parse(row.ext) as Record<string, unknown>), ...raw.new_ext };
    const content = parseContent(type, body, ext ?? JSON.parse(row.ext), (problem: ContentProblem) =>
      fail('rewriteInvalid', { message: problem === 'too_large' ? 'message is too large' : `new_msg is invalid (${problem === 'bad_body' ? 'its body' : problem})` }),
    );
    if (Number(row.edit_count) >= EDIT_LIMIT) fail('rewriteLimit');
    const done = await this.edit(app, row, typeof user === 'string' ? user.toLowerCase() : 'admin', content.body, content.ext, ext !== undefined, null);
    // Another edit or a recall came first.
    if (!done) fail((await this.rows.find(app.uuid, msgId)) ? 'rewriteLimit' : 'rewriteNotFound');
  }

  /** A client's edit (the SDK's modifyMessage): its own text or custom message, to the same type. */
  async editFromClient(app: App, sender: Sender, req: ClientEdit): Promise<Edited> {
    const row = isMessageId(req.msgId) ? await this.rows.find(app.uuid, req.msgId) : undefined;
    if (!row) refuse('message_not_found', req.msgId);
    if (row.from_user !== sender.username) refuse('not_your_message', req.msgId);
    if (!EDITABLE.has(row.msg_type) || req.type !== row.msg_type) refuse('edit_format', String(req.type));
    const content = parseContent(req.type, req.body, req.ext ?? JSON.parse(row.ext), (problem) =>
      problem === 'too_large' ? refuse('message_too_large') : refuse('edit_format', problem),
    );
    if (Number(row.edit_count) >= EDIT_LIMIT) refuse('edit_limit');
    const done = await this.edit(app, row, sender.username, content.body, content.ext, req.ext !== undefined, sender.origin);
    // Another edit or a recall came first.
    if (!done) return (await this.rows.find(app.uuid, req.msgId)) ? refuse('edit_limit') : refuse('message_not_found', req.msgId);
    return done;
  }

  private async edit(app: App, row: MessageRow, by: string, body: Record<string, unknown>, ext: Record<string, unknown>, withExt: boolean, origin: string | null): Promise<Edited | undefined> {
    const at = this.now();
    const count = await this.rows.edit(app.uuid, row.id, Number(row.edit_count), { body: JSON.stringify(body), ext: JSON.stringify(ext), by, at });
    // Another edit (or the recall) came first: the caller tells it as the limit / not found.
    if (count === undefined) return undefined;
    const message: DeliveredMessage = { ...deliveredOf(row), body, ext, edit: { count, by, at } };
    await this.signal(
      app,
      row,
      { kind: 'edit', id: nextMessageId(at), chat_type: row.chat_type, from: row.from_user, to: row.to_target, msg_id: row.id, message, scope: withExt ? 'body_and_ext' : 'body' },
      null,
      by,
      origin,
    );
    return { message, edit: message.edit! };
  }

  // ---- acks ----

  /**
   * Read, delivery and channel acks (READ_ACK, DELIVER_ACK, CHANNEL_ACK): 1:1 ones go to the peer;
   * a group read ack (the SDK's allowGroupAck messages) to the sender of the message read. The
   * others have nobody to tell and are only acknowledged.
   */
  async receipt(app: App, sender: Sender, req: ClientReceipt): Promise<void> {
    const from = sender.username;
    if (!req.room) {
      const peer = req.to.toLowerCase();
      if (peer === '' || peer.length > ID_MAX || peer === from) return;
      if (req.receipt !== 'channel' && (req.msgId === undefined || !isMessageId(req.msgId))) refuse('invalid_message', 'ackMessageId');
      if (!(await this.users.findByName(app.uuid, peer))) refuse('user_not_found', peer);
      const timestamp = this.now();
      const signal: MessageSignal =
        req.receipt === 'channel'
          ? { kind: 'channel', id: nextMessageId(timestamp), chat_type: 'chat', from, to: peer }
          : { kind: req.receipt, id: nextMessageId(timestamp), chat_type: 'chat', from, to: peer, msg_id: req.msgId!, ...(req.content ? { content: req.content.slice(0, 1024) } : {}) };
      await this.append(app, chatConversation(from, peer), signal, [peer], from, sender.origin, [peer]);
      return;
    }
    if (req.receipt !== 'read' || req.msgId === undefined || !isMessageId(req.msgId)) return;
    const row = await this.rows.find(app.uuid, req.msgId);
    if (!row || row.chat_type !== 'groupchat' || row.to_target !== req.to || row.from_user === from) return;
    if (!(await this.rooms.group.member(row.to_target, from))) refuse('not_member', row.to_target);
    const timestamp = this.now();
    const readers = await this.rows.groupRead(row.id, from, timestamp);
    await this.append(
      app,
      roomConversation('group', row.to_target),
      { kind: 'read', id: nextMessageId(timestamp), chat_type: 'groupchat', from, to: row.to_target, msg_id: row.id, readers, ...(req.content ? { content: req.content.slice(0, 1024) } : {}) },
      [row.from_user],
      from,
      sender.origin,
      [row.from_user],
    );
  }

  /**
   * GET /chatgroups/{id}/acks/{msg_id} (the SDK's getGroupMsgReadUser): who read a group message,
   * for the group's members (src/api/access.ts). `key` is the offset the previous page answered as `next_key`.
   */
  async groupReaders(app: App, groupId: string, msgId: string, query: Record<string, unknown>): Promise<GroupReaders> {
    const row = isMessageId(msgId) ? await this.rows.find(app.uuid, msgId) : undefined;
    if (!row || row.chat_type !== 'groupchat' || row.to_target !== groupId) fail('groupAckMessageNotFound', { id: msgId });
    const text = (key: string): string | undefined => {
      const v = query[key];
      return typeof v === 'string' && v !== '' && v !== 'undefined' && v !== 'null' ? v : undefined;
    };
    const limitText = text('limit');
    const limit = limitText === undefined ? READERS_PAGE_MAX : Number(limitText);
    if (!/^\d{1,4}$/.test(limitText ?? '1') || limit < 1 || limit > READERS_PAGE_MAX) fail('groupAckInvalid', { message: `limit must be an integer from 1 to ${READERS_PAGE_MAX}` });
    const keyText = text('key');
    if (keyText !== undefined && !/^\d{1,9}$/.test(keyText)) fail('groupAckInvalid', { message: 'key is not a key of this list' });
    const offset = keyText === undefined ? 0 : Number(keyText);
    const { readers, total } = await this.rows.groupReaders(row.id, offset, limit);
    const isLast = offset + readers.length >= total;
    return { msgId: row.id, readers, total, isLast, nextKey: isLast ? '' : String(offset + readers.length), timestamp: this.now() };
  }

  // ---- writing signals ----

  /** A signal about `row`, to everyone in its conversation (audience null) or to `audience`. */
  private async signal(app: App, row: MessageRow, signal: MessageSignal, audience: string[] | null, by: string, origin: string | null): Promise<void> {
    const kind = ROOM_OF[row.chat_type];
    if (!kind) {
      await this.append(app, chatConversation(row.from_user, row.to_target), signal, audience, by, origin, [...new Set([row.from_user, row.to_target, by])]);
      return;
    }
    const room = await this.rooms[kind].find(app.uuid, row.to_target);
    // A message sent to a room that does not exist (REST sends do not check) went into no log.
    if (!room) return;
    await this.append(app, roomConversation(kind, row.to_target), signal, audience, by, origin, async () => {
      const members = await connectedMembers(this.fanout, this.conversations, app.uuid, room.id, room.member_count);
      return members.includes(by) ? members : [...members, by];
    });
  }

  private async append(
    app: App,
    head: ConversationHead,
    signal: MessageSignal,
    audience: string[] | null,
    from: string,
    origin: string | null,
    notify: string[] | (() => Promise<string[]>),
  ): Promise<void> {
    const timestamp = this.now();
    const seq = await this.conversations.append(app.uuid, head, {
      message_id: null,
      event: JSON.stringify({ signal }),
      audience: audience === null ? null : JSON.stringify(audience),
      from_user: from,
      from_resource: origin,
      live_only: 0,
      timestamp,
    });
    const entry: LogEntry = { conversation: head.id, seq, timestamp, from, fromResource: origin, audience, liveOnly: false, signal };
    this.fanout.publish(app.uuid, typeof notify === 'function' ? await notify() : notify, { conversation: head.id, entries: [entry] });
  }
}
