// Messages: the REST sends of REFERENCE §2e (message_single.md, message_group.md,
// message_chatroom.md) and sends from connected clients (docs/realtime.md, docs/client-sdk.md).
// A message is stored once, as an entry of its conversation's log (services/sessions): a 1:1
// conversation, a group or a chatroom. Connected devices of the recipients get a live notice;
// the others read the log when they connect. Writing costs the same for a group of 2 as for a
// group of 1,000 (the members are only read, to tell the connected ones).
import type { Fanout } from '../coord/fanout.js';
import type { ConversationHead, ConversationsRepository } from '../store/conversations.js';
import type { GroupRow, GroupsRepository } from '../store/groups.js';
import type { ChatType } from '../store/schema.js';
import type { UsersRepository } from '../store/users.js';
import type { App } from './apps.js';
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

export type Target = 'users' | 'chatgroups' | 'chatrooms';

/** What differs between the three REST sends (REFERENCE §2e). */
const TARGETS: Record<Target, { chatType: ChatType; room?: RoomKind; maxTargets: number }> = {
  users: { chatType: 'chat', maxTargets: 600 },
  chatgroups: { chatType: 'groupchat', room: 'group', maxTargets: 3 },
  chatrooms: { chatType: 'chatroom', room: 'chatroom', maxTargets: 10 },
};

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
  ) {
    this.rooms = rooms;
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
          audience: null,
          liveOnly,
          notify: async () => {
            const members = room ? await this.connectedMembers(app, room) : [];
            return syncSender && !members.includes(sender) ? [...members, sender] : members;
          },
        })
      ).id;
    }
    return result;
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
