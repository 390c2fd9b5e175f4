// Messages: the REST sends of REFERENCE §2e (message_single.md, message_group.md,
// message_chatroom.md) and sends from connected clients (docs/realtime.md, docs/client-sdk.md).
// A message is stored once, as an entry of its conversation's log (services/sessions): a 1:1
// conversation, a group or a chatroom. Connected devices of the recipients get a live notice;
// the others read the log when they connect. Writing costs the same for a group of 2 as for a
// group of 1,000 (the members are only read, to tell the connected ones).
import { randomInt } from 'node:crypto';
import type { Fanout } from '../coord/fanout.js';
import type { ConversationHead, ConversationsRepository } from '../store/conversations.js';
import type { GroupRow, GroupsRepository } from '../store/groups.js';
import type { ChatType } from '../store/schema.js';
import type { UsersRepository } from '../store/users.js';
import type { App } from './apps.js';
import { isUniqueViolation } from '../store/db.js';
import { fail, refuse } from './errors.js';
import type { ModerationService } from './moderation.js';
import { isNumericId } from './ids.js';
import { chatConversation, roomConversation, type RoomKind } from './sessions/conversations.js';
import { ALL_DEVICES } from './sessions/entries.js';
import { connectedMembers } from './sessions/recipients.js';
import type { DeliveredMessage, LogEntry } from './sessions/entries.js';
import { nextMessageId } from './ids.js';

export type { DeliveredMessage } from './sessions/entries.js';

export const MESSAGE_TYPES = ['txt', 'img', 'audio', 'video', 'file', 'loc', 'cmd', 'custom'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** Body + ext ≤ 5 KB (REFERENCE §2h). */
const MESSAGE_MAX_BYTES = 5 * 1024;
const CUSTOM_EVENT = /^[a-zA-Z0-9-_/.]{1,32}$/;
/** Usernames, group and room ids are at most 64 characters — as stored (lower-cased). */
const ID_MAX = 64;

export type Target = 'users' | 'chatgroups' | 'chatrooms' | 'chatgroups/users' | 'chatrooms/users';

/**
 * What differs between the REST sends (REFERENCE §2e). Targeted sends (message_group.md "发送定向消息",
 * message_chatroom.md) reach only the listed `users` of the room; their `to` limit is the error
 * table's (3 groups, as for plain group sends; the prose says one group — the Java SDK sends a set).
 */
const TARGETS: Record<Target, { chatType: ChatType; room?: RoomKind; maxTargets: number; targeted?: boolean }> = {
  users: { chatType: 'chat', maxTargets: 600 },
  chatgroups: { chatType: 'groupchat', room: 'group', maxTargets: 3 },
  chatrooms: { chatType: 'chatroom', room: 'chatroom', maxTargets: 10 },
  'chatgroups/users': { chatType: 'groupchat', room: 'group', maxTargets: 3, targeted: true },
  'chatrooms/users': { chatType: 'chatroom', room: 'chatroom', maxTargets: 10, targeted: true },
};

/** Recipients of one targeted send (message_group.md: at most 20). */
const TARGETED_USERS_MAX = 20;
/** Users read per page by a broadcast to every user; rooms per page by a chatroom broadcast. */
const BROADCAST_PAGE = 500;

/** Where a broadcast goes (broadcast_to_all_users.md, broadcast_to_online_users.md, broadcast_to_chatrooms.md). */
export type BroadcastScope = 'all' | 'online' | 'chatrooms';

/** The legacy send's target types (POST /messages, the Java SDK 1.x `send`). */
const LEGACY_TARGETS = ['users', 'chatgroups', 'chatrooms'] as const;

let lastBroadcastId = 0;

/** Broadcast ids: numbers (the docs answer `data.id` as a JSON number) kept within 2^53 so no client loses digits. */
function nextBroadcastId(now: number): number {
  const candidate = now * 1000 + randomInt(0, 1000);
  lastBroadcastId = candidate > lastBroadcastId ? candidate : lastBroadcastId + 1;
  return lastBroadcastId;
}

/** A broadcast's or legacy send's `msg` object: `type` beside the body fields (broadcast_to_all_users.md). */
function splitMsg(msg: unknown): { type: unknown; body: unknown } {
  if (msg === undefined || msg === null || typeof msg !== 'object' || Array.isArray(msg)) return { type: undefined, body: msg };
  const { type, ...body } = msg as Record<string, unknown>;
  return { type, body };
}

/** The chat type of a client send, for rooms. */
const ROOM_OF: Partial<Record<ChatType, RoomKind>> = { groupchat: 'group', chatroom: 'chatroom' };

export interface RoomAccess {
  rows: GroupsRepository;
  moderation: ModerationService;
}

// Message ids are made in ids.ts (unique across processes: a worker number in the low digits).
export { nextMessageId };

function validBody(type: MessageType, body: Record<string, unknown>): boolean {
  const str = (v: unknown) => typeof v === 'string';
  const strOrNum = (v: unknown) => typeof v === 'string' || typeof v === 'number';
  switch (type) {
    case 'txt':
      return str(body.msg);
    case 'img':
    case 'audio':
    case 'video':
    case 'file':
      return str(body.url);
    case 'loc':
      return strOrNum(body.lat) && strOrNum(body.lng) && (body.addr === undefined || str(body.addr));
    case 'cmd':
      return str(body.action);
    case 'custom': {
      if (body.customEvent !== undefined && !(str(body.customEvent) && CUSTOM_EVENT.test(body.customEvent as string))) return false;
      const exts = body.customExts;
      if (exts === undefined) return true;
      if (exts === null || typeof exts !== 'object' || Array.isArray(exts)) return false;
      const entries = Object.values(exts as Record<string, unknown>);
      return entries.length <= 16 && entries.every(str);
    }
  }
}

export interface Content {
  type: MessageType;
  body: Record<string, unknown>;
  ext: Record<string, unknown>;
}

export type ContentProblem = 'type' | 'body' | 'ext' | 'too_large' | 'bad_body';

/** Validates type, body and ext; `invalid` names the error to raise for each problem. */
export function parseContent(type: unknown, body: unknown, ext: unknown, invalid: (problem: ContentProblem) => never): Content {
  if (type === undefined || type === null || type === '') invalid('type');
  if (typeof type !== 'string' || !(MESSAGE_TYPES as readonly string[]).includes(type)) invalid('bad_body');
  if (body === undefined || body === null) invalid('body');
  if (typeof body !== 'object' || Array.isArray(body) || !validBody(type as MessageType, body as Record<string, unknown>)) invalid('bad_body');
  if (ext !== undefined && (ext === null || typeof ext !== 'object' || Array.isArray(ext))) invalid('ext');
  const extObj = (ext ?? {}) as Record<string, unknown>;
  if (Buffer.byteLength(JSON.stringify(body)) + Buffer.byteLength(JSON.stringify(extObj)) > MESSAGE_MAX_BYTES) invalid('too_large');
  return { type: type as MessageType, body: body as Record<string, unknown>, ext: extObj };
}

/** Broadcasts answer `illegal_argument` for a bad `ext` and `invalid_request_body` for the rest (their error tables). */
function broadcastInvalid(problem: ContentProblem): never {
  if (problem === 'ext') return fail('broadcastExtInvalid');
  if (problem === 'too_large') return fail('messageSendError', { message: 'message is too large' });
  return fail('messageInvalidBody');
}

function restInvalid(problem: ContentProblem): never {
  switch (problem) {
    case 'type':
      return fail('messageSendError', { message: "param type can't be empty" });
    case 'body':
      return fail('messageSendError', { message: "param body can't be empty" });
    case 'ext':
      return fail('messageSendError', { message: 'param ext must be JSONObject' });
    case 'too_large':
      return fail('messageSendError', { message: 'message is too large' });
    case 'bad_body':
      return fail('messageInvalidBody');
  }
}

/** The `users` of a targeted send: 1–20 usernames, as stored (lower-cased), repeats counted once. */
function targetedUsers(raw: unknown): string[] {
  if (raw === undefined || raw === null || raw === '' || (Array.isArray(raw) && raw.length === 0)) fail('messageSendError', { message: "param users can't be empty" });
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.some((u) => typeof u !== 'string' || u.length === 0 || u.toLowerCase().length > ID_MAX)) fail('messageInvalidBody');
  const users = [...new Set((list as string[]).map((u) => u.toLowerCase()))];
  if (users.length > TARGETED_USERS_MAX) fail('messageSendError', { message: `params users's size can't exceed limit ${TARGETED_USERS_MAX}` });
  return users;
}

const CLIENT_PROBLEM: Record<ContentProblem, string> = { type: 'msg_type', body: 'body', ext: 'ext', too_large: 'too_large', bad_body: 'msg_type or body' };

function clientInvalid(problem: ContentProblem): never {
  return problem === 'too_large' ? refuse('message_too_large') : refuse('invalid_message', CLIENT_PROBLEM[problem]);
}

/** A send from a connected client, as its codec read it (the values are checked here). */
export interface ClientSend {
  chatType: unknown;
  to: unknown;
  type: unknown;
  body: unknown;
  ext: unknown;
  /** Keep nothing for devices that are not connected (msync ROUTE_ONLINE). */
  onlineOnly?: boolean;
}

/** The sending connection: the user and the origin tag of their device (never given back to it). */
export interface Sender {
  username: string;
  origin: string;
}

export interface Sent {
  id: string;
  timestamp: number;
}

interface Delivery {
  chatType: ChatType;
  from: string;
  origin: string | null;
  to: string;
  content: Content;
  /** The conversation it goes into; none: stored only (a room that does not exist). */
  conversation?: ConversationHead;
  /** Who may see it; null = every member of the conversation. */
  audience: string[] | null;
  liveOnly: boolean;
  /** Users whose connected devices are told, looked up once the message is stored. */
  notify: string[] | (() => Promise<string[]>);
}

export class MessagesService {
  private readonly rooms: Record<RoomKind, RoomAccess>;

  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly users: UsersRepository,
    rooms: Record<RoomKind, RoomAccess>,
    private readonly fanout: Fanout,
    private readonly now: () => number = Date.now,
    private readonly onError: (err: unknown, what: string) => void = () => undefined,
  ) {
    this.rooms = rooms;
  }

  /** Broadcasts to every user still being delivered (they run after their request is answered). */
  private readonly running = new Set<Promise<void>>();

  /** Settles once every broadcast under way is delivered (server shutdown, tests). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  // ---- REST: POST /messages/users | /messages/chatgroups | /messages/chatrooms ----

  /** Answers `{target: message id}` for each target. REST sends are admin sends: no mute checks. */
  async sendRest(app: App, target: Target, raw: unknown): Promise<Record<string, string>> {
    const profile = TARGETS[target];
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail('messageInvalidBody');
    const f = raw as Record<string, unknown>;
    const from = f.from === undefined || f.from === null ? 'admin' : f.from;
    if (from === '') fail('messageSendError', { message: "param from can't be empty" });
    if (typeof from !== 'string') fail('messageInvalidBody');
    // Checked as stored: lower-casing can make a name longer ("İ" becomes two characters).
    const sender = from.toLowerCase();
    if (sender.length > ID_MAX) fail('messageInvalidBody');
    if (f.to === undefined || f.to === null || (Array.isArray(f.to) && f.to.length === 0) || f.to === '')
      fail('messageSendError', { message: "param to can't be empty" });
    const to = Array.isArray(f.to) ? f.to : [f.to];
    if (to.some((t) => typeof t !== 'string' && typeof t !== 'number')) fail('messageInvalidBody');
    const targets = [...new Set(to.map((t) => String(t)))];
    if (targets.some((t) => t.length === 0 || t.toLowerCase().length > ID_MAX)) fail('messageInvalidBody');
    if (targets.length > profile.maxTargets) fail('messageSendError', { message: `params to's size can't exceed limit ${profile.maxTargets}` });
    const content = parseContent(f.type, f.body, f.ext, restInvalid);
    const listed = profile.targeted ? targetedUsers(f.users) : undefined;
    const liveOnly = f.routetype === 'ROUTE_ONLINE';
    // Group messages always reach the sender's devices; 1:1 only with sync_device (message_single.md).
    const syncSender = profile.room === 'group' || (profile.room === undefined && f.sync_device === true);

    const result: Record<string, string> = {};
    if (!profile.room) {
      const existing = new Set(
        (
          await this.users.findManyByName(
            app.uuid,
            targets.map((t) => t.toLowerCase()),
          )
        ).map((u) => u.username),
      );
      for (const user of targets) {
        const peer = user.toLowerCase();
        const exists = existing.has(peer);
        const notify = [...(exists ? [peer] : []), ...(syncSender ? [sender] : [])];
        result[user] = (
          await this.deliver(app, {
            chatType: 'chat',
            from: sender,
            origin: syncSender ? null : ALL_DEVICES,
            to: peer,
            content,
            // To a user that does not exist: stored, and seen only by the sender's devices if synced.
            conversation: notify.length > 0 ? chatConversation(sender, peer) : undefined,
            audience: exists ? null : [sender],
            liveOnly,
            notify,
          })
        ).id;
      }
      return result;
    }

    // Refuse the whole request before storing anything if one group is disabled.
    const { rows } = this.rooms[profile.room];
    const found = await rows.findMany(app.uuid, targets.filter(isNumericId));
    const disabled = found.find((r) => r.disabled === 1);
    if (disabled) fail('groupDisabled', { id: disabled.id });
    const byId = new Map(found.map((r) => [r.id, r]));
    for (const id of targets) {
      const room = byId.get(id);
      // The hosted service does not check `to`: unknown groups and rooms get an id and reach nobody.
      result[id] = (
        await this.deliver(app, {
          chatType: profile.chatType,
          from: sender,
          origin: syncSender ? null : ALL_DEVICES,
          to: id,
          content,
          conversation: room ? roomConversation(profile.room, id) : undefined,
          // A targeted message is in the room's log for the listed users (and the synced sender) only.
          audience: listed ? [...new Set([...listed, ...(syncSender ? [sender] : [])])] : null,
          liveOnly,
          notify: async () => {
            // Only members are told live: the log of a room is read by members alone.
            const members = !room ? [] : listed ? await this.conversations.roomMembers(room.id, listed) : await this.connectedMembers(app, room);
            return syncSender && !members.includes(sender) ? [...members, sender] : members;
          },
        })
      ).id;
    }
    return result;
  }

  // ---- REST: POST /messages (legacy: target_type + target + msg) ----

  /**
   * The pre-2020 send the Java SDK 1.x still makes: `{target_type, target, msg: {type, …body}, from,
   * ext}`; answers `{target: "success"}`. It is the same send as /messages/{target_type}.
   */
  async sendLegacy(app: App, raw: unknown): Promise<Record<string, string>> {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail('messageInvalidBody');
    const { target_type: targetType, target, msg, ...rest } = raw as Record<string, unknown>;
    if (typeof targetType !== 'string' || !(LEGACY_TARGETS as readonly string[]).includes(targetType)) fail('legacyTargetTypeInvalid');
    if (rest.from === '') fail('broadcastFromEmpty');
    if (msg === undefined || msg === null) fail('messageSendError', { message: "param body can't be empty" });
    const { type, body } = splitMsg(msg);
    const ids = await this.sendRest(app, targetType as Target, { ...rest, to: target, type, body });
    return Object.fromEntries(Object.keys(ids).map((k) => [k, 'success']));
  }

  // ---- REST: broadcasts ----

  /**
   * A broadcast (`{from?, msg: {type, …body}, ext?}`; to all users also `target_type: "users"`):
   * every user of the app gets a 1:1 message from `from`, kept for offline devices; online users
   * get one that is not kept (ROUTE_ONLINE); active chatrooms get a chatroom message. The
   * broadcast to every user answers its id at once and is delivered after, a page of users at a
   * time (as the hosted service answers a task id and delivers at up to 1,000 users a second);
   * the others answer once every message is stored.
   */
  async broadcast(app: App, scope: BroadcastScope, raw: unknown): Promise<number> {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail('messageInvalidBody');
    const f = raw as Record<string, unknown>;
    if (scope === 'all') {
      if (f.target_type === undefined || f.target_type === null || f.target_type === '') fail('broadcastTargetTypeMissing');
      if (f.target_type !== 'users') fail('broadcastTargetTypeInvalid');
    }
    const from = f.from === undefined || f.from === null ? 'admin' : f.from;
    if (from === '') fail('broadcastFromEmpty');
    if (typeof from !== 'string' || from.toLowerCase().length > ID_MAX) fail('messageInvalidBody');
    const sender = from.toLowerCase();
    if (f.msg === undefined || f.msg === null || typeof f.msg !== 'object' || Array.isArray(f.msg)) fail('messageInvalidBody');
    const { type, body } = splitMsg(f.msg);
    const content = parseContent(type, body, f.ext, broadcastInvalid);
    const id = nextBroadcastId(this.now());

    const toUser = (user: string, liveOnly: boolean) =>
      this.deliver(app, {
        chatType: 'chat',
        from: sender,
        origin: ALL_DEVICES,
        to: user,
        content,
        conversation: chatConversation(sender, user),
        audience: null,
        liveOnly,
        notify: [user],
      });
    if (scope === 'all') {
      const run = (async () => {
        for (let after = 0; ; ) {
          const page = await this.users.page(app.uuid, after, BROADCAST_PAGE);
          for (const u of page) if (u.username !== sender) await toUser(u.username, false);
          if (page.length < BROADCAST_PAGE) break;
          after = Number(page.at(-1)!.seq);
        }
      })().catch((err: unknown) => this.onError(err, `delivering broadcast ${id}`));
      this.running.add(run);
      void run.finally(() => this.running.delete(run));
    } else if (scope === 'online') {
      // Who is connected: the in-process fan-out knows every device; across processes (Redis) each
      // user's presence is asked, a page of the app's users at a time.
      const known = this.fanout.onlineUsers(app.uuid);
      if (known) {
        for (const user of [...known].filter((u) => u !== sender).sort()) await toUser(user, true);
      } else {
        for (let after = 0; ; ) {
          const page = await this.users.page(app.uuid, after, BROADCAST_PAGE);
          for (const u of page) {
            if (u.username !== sender && (await this.fanout.processes(app.uuid, u.username)).length > 0) await toUser(u.username, true);
          }
          if (page.length < BROADCAST_PAGE) break;
          after = Number(page.at(-1)!.seq);
        }
      }
    } else {
      const { rows } = this.rooms.chatroom;
      for (let after = 0; ; ) {
        const page = await rows.activeRooms(app.uuid, after, BROADCAST_PAGE);
        for (const room of page) {
          await this.deliver(app, {
            chatType: 'chatroom',
            from: sender,
            origin: ALL_DEVICES,
            to: room.id,
            content,
            conversation: roomConversation('chatroom', room.id),
            audience: null,
            liveOnly: false,
            notify: () => this.connectedMembers(app, room),
          });
        }
        if (page.length < BROADCAST_PAGE) break;
        after = Number(page.at(-1)!.seq);
      }
    }
    return id;
  }

  // ---- REST: POST /messages/users/import | /messages/chatgroups/import ----

  /**
   * Imports one message of a migration (message_import.md): stored with its `msg_timestamp` (now
   * when absent) and, when given, its `msg_id`; delivered to nobody. It is an entry of its
   * conversation's log with an empty audience, so no device is handed it and nothing counts it as
   * offline, while the history file (by the message's time) and readers of the log's history see
   * it. The log entry is stamped with the time of the import: the log's order and the devices'
   * positions stay those of the log (an old timestamp must not move the conversation back in time).
   */
  async importMessage(app: App, kind: 'users' | 'chatgroups', raw: unknown): Promise<string> {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail('messageInvalidBody');
    const f = raw as Record<string, unknown>;
    if (f.type === undefined || f.type === null || f.type === '') fail('importTypeEmpty');
    if (f.body === undefined || f.body === null || (typeof f.body === 'object' && !Array.isArray(f.body) && Object.keys(f.body).length === 0)) fail('importBodyEmpty');
    const name = (v: unknown) => typeof v === 'string' && v.length > 0 && v.toLowerCase().length <= ID_MAX;
    const target = typeof f.target === 'number' && kind === 'chatgroups' ? String(f.target) : f.target;
    if (!name(f.from) || !name(target)) fail('messageInvalidBody');
    const content = parseContent(f.type, f.body, f.ext, () => fail('messageInvalidBody'));
    const now = this.now();
    // Unix ms from 1970 up to now: a migrated message is from the past.
    const ts = f.msg_timestamp === undefined || f.msg_timestamp === null ? now : f.msg_timestamp;
    if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0 || ts > now) fail('messageInvalidBody');
    if (f.msg_id !== undefined && !(typeof f.msg_id === 'string' && /^[1-9]\d{0,18}$/.test(f.msg_id) && BigInt(f.msg_id) < 2n ** 63n)) fail('messageInvalidBody');
    for (const flag of ['is_ack_read', 'need_download'] as const) if (f[flag] !== undefined && typeof f[flag] !== 'boolean') fail('messageInvalidBody');
    const from = (f.from as string).toLowerCase();
    const to = kind === 'users' ? (target as string).toLowerCase() : (target as string);
    // Ids grow with time (docs/realtime.md): an imported message's is made from its own timestamp,
    // with a random tail (another message of that millisecond may hold one; retried below).
    const given = f.msg_id as string | undefined;
    const madeId = () => (BigInt(ts) * 1_000_000n + BigInt(randomInt(0, 1_000_000))).toString();
    let id = given ?? madeId();
    const row = {
      app_uuid: app.uuid,
      id,
      chat_type: (kind === 'users' ? 'chat' : 'groupchat') as ChatType,
      from_user: from,
      to_target: to,
      msg_type: content.type,
      body: JSON.stringify(content.body),
      ext: JSON.stringify(content.ext),
      timestamp: ts,
    };
    let conversation: ConversationHead | undefined;
    if (kind === 'users') conversation = chatConversation(from, to);
    else if (isNumericId(to) && (await this.rooms.group.rows.find(app.uuid, to))) conversation = roomConversation('group', to);
    for (let attempt = 1; ; attempt++) {
      try {
        if (!conversation) await this.conversations.storeMessage(Object.assign({}, row, { id }));
        else {
          await this.conversations.append(
            app.uuid,
            conversation,
            { message_id: id, event: null, audience: JSON.stringify([]), from_user: from, from_resource: ALL_DEVICES, live_only: 0, timestamp: now },
            Object.assign({}, row, { id }),
          );
        }
        return id;
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        if (given !== undefined) fail('importIdTaken', { id });
        if (attempt >= 3) throw err;
        id = madeId();
      }
    }
  }

  // ---- client sends (the JSON /ws and msync codecs) ----

  /**
   * A send from a connected user. Every group and chatroom send goes through the speak decision;
   * refusals raise ClientRefusal with the reason.
   */
  async sendFromClient(app: App, sender: Sender, send: ClientSend): Promise<Sent> {
    const chatType = send.chatType;
    if (chatType !== 'chat' && chatType !== 'groupchat' && chatType !== 'chatroom') refuse('invalid_message', 'chat_type');
    if ((typeof send.to !== 'string' && typeof send.to !== 'number') || String(send.to) === '' || String(send.to).toLowerCase().length > ID_MAX) {
      refuse('invalid_message', 'to');
    }
    const to = String(send.to);
    const content = parseContent(send.type, send.body, send.ext, clientInvalid);
    const liveOnly = send.onlineOnly === true;
    const from = sender.username;

    const roomKind = ROOM_OF[chatType];
    if (!roomKind) {
      const peer = to.toLowerCase();
      if (!(await this.users.findByName(app.uuid, peer))) refuse('user_not_found', peer);
      return this.deliver(app, {
        chatType,
        from,
        origin: sender.origin,
        to: peer,
        content,
        conversation: chatConversation(from, peer),
        audience: null,
        liveOnly,
        notify: peer === from ? [from] : [peer, from],
      });
    }
    const room = await this.findRoom(app, roomKind, to);
    const decision = await this.rooms[roomKind].moderation.maySpeak(room, from);
    if (!decision.allowed) refuse(decision.reason, to);
    return this.deliver(app, {
      chatType,
      from,
      origin: sender.origin,
      to,
      content,
      conversation: roomConversation(roomKind, to),
      audience: null,
      liveOnly,
      notify: () => this.connectedMembers(app, room),
    });
  }

  /** The members of a room to tell now (called once the message is stored). */
  private connectedMembers(app: App, room: GroupRow): Promise<string[]> {
    return connectedMembers(this.fanout, this.conversations, app.uuid, room.id, room.member_count);
  }

  /** The group or chatroom a client names, or the refusal for one that does not exist. */
  async findRoom(app: App, kind: RoomKind, id: string): Promise<GroupRow> {
    const room = isNumericId(id) ? await this.rooms[kind].rows.find(app.uuid, id) : undefined;
    if (!room) refuse(kind === 'group' ? 'group_not_found' : 'chatroom_not_found', id);
    return room;
  }

  /** Stores the message (once) in its conversation and tells the connected devices of `notify`. */
  private async deliver(app: App, d: Delivery): Promise<Sent> {
    const timestamp = this.now();
    const id = nextMessageId(timestamp);
    const row = {
      app_uuid: app.uuid,
      id,
      chat_type: d.chatType,
      from_user: d.from,
      to_target: d.to,
      msg_type: d.content.type,
      body: JSON.stringify(d.content.body),
      ext: JSON.stringify(d.content.ext),
      timestamp,
    };
    if (!d.conversation) {
      await this.conversations.storeMessage(row);
      return { id, timestamp };
    }
    const seq = await this.conversations.append(
      app.uuid,
      d.conversation,
      {
        message_id: id,
        event: null,
        audience: d.audience === null ? null : JSON.stringify(d.audience),
        from_user: d.from,
        from_resource: d.origin,
        live_only: d.liveOnly ? 1 : 0,
        timestamp,
      },
      row,
    );
    const message: DeliveredMessage = {
      id,
      from: d.from,
      to: d.to,
      chat_type: d.chatType,
      type: d.content.type,
      body: d.content.body,
      ext: d.content.ext,
      timestamp,
    };
    const entry: LogEntry = {
      conversation: d.conversation.id,
      seq,
      timestamp,
      from: d.from,
      fromResource: d.origin,
      audience: d.audience,
      liveOnly: d.liveOnly,
      message,
    };
    const notify = typeof d.notify === 'function' ? await d.notify() : d.notify;
    this.fanout.publish(app.uuid, notify, { conversation: d.conversation.id, entries: [entry] });
    return { id, timestamp };
  }
}
