// Messages: the REST sends of REFERENCE §2e (message_single.md, message_group.md,
// message_chatroom.md) and sends from connected clients (docs/realtime.md). Every message is
// stored, delivered to the recipients' connected devices, and queued for offline recipients of
// 1:1 and group messages (chatroom messages are not kept for offline users, as hosted).
import { randomInt } from 'node:crypto';
import type { Fanout, FrameHandler } from '../coord/fanout.js';
import type { GroupsRepository } from '../store/groups.js';
import type { MessagesRepository, MessageRow } from '../store/messages.js';
import type { ChatType } from '../store/schema.js';
import type { UsersRepository } from '../store/users.js';
import type { App } from './apps.js';
import { fail } from './errors.js';
import type { ModerationService } from './moderation.js';
import type { SpeakRefusal } from './speak.js';
import { isNumericId } from './ids.js';

export const MESSAGE_TYPES = ['txt', 'img', 'audio', 'video', 'file', 'loc', 'cmd', 'custom'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** Body + ext ≤ 5 KB (REFERENCE §2h). */
const MESSAGE_MAX_BYTES = 5 * 1024;
const CUSTOM_EVENT = /^[a-zA-Z0-9-_/.]{1,32}$/;
const PENDING_BATCH = 500;
const ID_MAX = 64;

export type Target = 'users' | 'chatgroups' | 'chatrooms';

const TARGET_LIMIT: Record<Target, number> = { users: 600, chatgroups: 3, chatrooms: 10 };
const CHAT_TYPE: Record<Target, ChatType> = { users: 'chat', chatgroups: 'groupchat', chatrooms: 'chatroom' };

export interface DeliveredMessage {
  id: string;
  from: string;
  to: string;
  chat_type: ChatType;
  type: string;
  body: unknown;
  ext: unknown;
  timestamp: number;
}

/** Why a client send was refused: the hosted SDKs' numeric codes (REFERENCE §2e). */
export class SendRefused extends Error {
  constructor(
    readonly code: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

/** SDK codes: 215 USER_MUTED, 507 MESSAGE_ILLEGAL_WHITELIST, 602 GROUP_NOT_JOINED, 210 USER_PERMISSION_DENIED; 603 for a disabled group (ours). */
const REFUSAL: Record<SpeakRefusal, { code: number; error: string; description: string }> = {
  muted: { code: 215, error: 'user_muted', description: 'you are muted in this group or chatroom' },
  mute_all: { code: 507, error: 'message_illegal_whitelist', description: 'all members are muted and you are not on the allowlist' },
  not_member: { code: 602, error: 'group_not_joined', description: 'you are not a member of this group or chatroom' },
  blocked: { code: 210, error: 'user_permission_denied', description: 'you are blocked in this group or chatroom' },
  disabled: { code: 603, error: 'group_disabled', description: 'this group is disabled' },
};

let lastMessageId = 0n;

/** Numeric string ids, unique and increasing with time (ms × 10^6 + a counter, like the hosted 19-digit ids). */
export function nextMessageId(now: number): string {
  const candidate = BigInt(now) * 1_000_000n + BigInt(randomInt(0, 1000));
  lastMessageId = candidate > lastMessageId ? candidate : lastMessageId + 1n;
  return lastMessageId.toString();
}

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

/** Validates type, body and ext; `invalid` names the error to raise for each problem. */
export function parseContent(
  type: unknown,
  body: unknown,
  ext: unknown,
  invalid: (problem: 'type' | 'body' | 'ext' | 'too_large' | 'bad_body') => never,
): Content {
  if (type === undefined || type === null || type === '') invalid('type');
  if (typeof type !== 'string' || !(MESSAGE_TYPES as readonly string[]).includes(type)) invalid('bad_body');
  if (body === undefined || body === null) invalid('body');
  if (typeof body !== 'object' || Array.isArray(body) || !validBody(type as MessageType, body as Record<string, unknown>)) invalid('bad_body');
  if (ext !== undefined && (ext === null || typeof ext !== 'object' || Array.isArray(ext))) invalid('ext');
  const extObj = (ext ?? {}) as Record<string, unknown>;
  if (Buffer.byteLength(JSON.stringify(body)) + Buffer.byteLength(JSON.stringify(extObj)) > MESSAGE_MAX_BYTES) invalid('too_large');
  return { type: type as MessageType, body: body as Record<string, unknown>, ext: extObj };
}

function restInvalid(problem: 'type' | 'body' | 'ext' | 'too_large' | 'bad_body'): never {
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

export class MessagesService {
  constructor(
    private readonly messages: MessagesRepository,
    private readonly users: UsersRepository,
    private readonly groups: GroupsRepository,
    private readonly chatrooms: GroupsRepository,
    private readonly groupModeration: ModerationService,
    private readonly chatroomModeration: ModerationService,
    private readonly fanout: Fanout,
    private readonly now: () => number = Date.now,
  ) {}

  // ---- REST: POST /messages/users | /messages/chatgroups | /messages/chatrooms ----

  /** Answers `{target: message id}` for each target. REST sends are admin sends: no mute checks. */
  async sendRest(app: App, target: Target, raw: unknown): Promise<Record<string, string>> {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail('messageInvalidBody');
    const f = raw as Record<string, unknown>;
    const from = f.from === undefined || f.from === null ? 'admin' : f.from;
    if (from === '') fail('messageSendError', { message: "param from can't be empty" });
    // Ids are at most 64 characters (usernames; group and room ids are shorter).
    if (typeof from !== 'string' || from.length > ID_MAX) fail('messageInvalidBody');
    if (f.to === undefined || f.to === null || (Array.isArray(f.to) && f.to.length === 0) || f.to === '') fail('messageSendError', { message: "param to can't be empty" });
    const to = Array.isArray(f.to) ? f.to : [f.to];
    if (to.some((t) => typeof t !== 'string' && typeof t !== 'number')) fail('messageInvalidBody');
    const targets = [...new Set(to.map((t) => String(t)))];
    if (targets.some((t) => t.length === 0 || t.length > ID_MAX)) fail('messageInvalidBody');
    const limit = TARGET_LIMIT[target];
    if (targets.length > limit) fail('messageSendError', { message: `params to's size can't exceed limit ${limit}` });
    const content = parseContent(f.type, f.body, f.ext, restInvalid);
    const sender = from.toLowerCase();
    const onlineOnly = f.routetype === 'ROUTE_ONLINE';
    const syncSender = target !== 'chatrooms' && (target === 'chatgroups' || f.sync_device === true);

    // Refuse the whole request before storing anything if one group is disabled.
    const rooms = target === 'users' ? [] : await (target === 'chatgroups' ? this.groups : this.chatrooms).findMany(app.uuid, targets.filter(isNumericId));
    const disabled = rooms.find((r) => r.disabled === 1);
    if (disabled) fail('groupDisabled', { id: disabled.id });

    const result: Record<string, string> = {};
    if (target === 'users') {
      const existing = new Set((await this.users.findManyByName(app.uuid, targets.map((t) => t.toLowerCase()))).map((u) => u.username));
      for (const user of targets) {
        const peer = user.toLowerCase();
        const recipients = existing.has(peer) ? [peer] : [];
        result[user] = await this.deliver(app, 'chat', sender, peer, content, recipients, { onlineOnly, syncSender });
      }
      return result;
    }
    const byId = new Map(rooms.map((r) => [r.id, r]));
    for (const id of targets) {
      const room = byId.get(id);
      // The hosted service does not check `to`: unknown groups and rooms get an id and reach nobody.
      const members = room ? (await (target === 'chatgroups' ? this.groups : this.chatrooms).members(id, 0, Number.MAX_SAFE_INTEGER)).map((m) => m.username) : [];
      result[id] = await this.deliver(app, CHAT_TYPE[target], sender, id, content, members.filter((m) => m !== sender), {
        onlineOnly: onlineOnly || target === 'chatrooms',
        syncSender,
      });
    }
    return result;
  }

  // ---- client sends over the WebSocket ----

  /**
   * A send from a connected user. Every group and chatroom send goes through the speak decision;
   * refusals throw SendRefused with the SDK code. Returns the message id.
   */
  async sendFromClient(
    app: App,
    sender: string,
    frame: { chat_type: unknown; to: unknown; msg_type: unknown; body: unknown; ext: unknown },
    device: FrameHandler,
  ): Promise<string> {
    const invalid = (problem: string): never => {
      throw new SendRefused(500, 'message_invalid', problem === 'too_large' ? 'message is too large' : `invalid message: ${problem}`);
    };
    const chatType = frame.chat_type;
    if (chatType !== 'chat' && chatType !== 'groupchat' && chatType !== 'chatroom') invalid('chat_type');
    if ((typeof frame.to !== 'string' && typeof frame.to !== 'number') || String(frame.to).length > ID_MAX) invalid('to');
    const to = String(frame.to);
    const content = parseContent(frame.msg_type, frame.body, frame.ext, invalid);

    if (chatType === 'chat') {
      const peer = to.toLowerCase();
      if (!(await this.users.findByName(app.uuid, peer))) throw new SendRefused(204, 'user_not_found', `user ${peer} does not exist`);
      return this.deliver(app, 'chat', sender, peer, content, [peer], { onlineOnly: false, syncSender: true, device });
    }
    const isGroup = chatType === 'groupchat';
    const rooms = isGroup ? this.groups : this.chatrooms;
    const room = isNumericId(to) ? await rooms.find(app.uuid, to) : undefined;
    if (!room) {
      throw isGroup ? new SendRefused(600, 'group_invalid_id', `group ${to} does not exist`) : new SendRefused(700, 'chatroom_invalid_id', `chatroom ${to} does not exist`);
    }
    const decision = await (isGroup ? this.groupModeration : this.chatroomModeration).maySpeak(room, sender);
    if (!decision.allowed) {
      const r = REFUSAL[decision.reason];
      throw new SendRefused(r.code, r.error, r.description);
    }
    const members = (await rooms.members(to, 0, Number.MAX_SAFE_INTEGER)).map((m) => m.username).filter((m) => m !== sender);
    return this.deliver(app, isGroup ? 'groupchat' : 'chatroom', sender, to, content, members, { onlineOnly: !isGroup, syncSender: true, device });
  }

  /** Deliveries under way; a connecting device waits for them before reading its queue. */
  private readonly inFlight = new Set<Promise<unknown>>();

  /** Resolves once every delivery that has started so far has stored or pushed its message. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Stores the message, queued for the recipients with no connected device, and pushes it to the
   * others; those whose connection was closing by then get it queued too. Whether a recipient is
   * connected is decided synchronously, and a device that connects waits for deliveries already
   * under way (settled) before reading its queue: so each message reaches a user exactly once,
   * live or from the queue, also when they connect or disconnect while it is being sent.
   */
  private async deliver(
    app: App,
    chatType: ChatType,
    from: string,
    to: string,
    content: Content,
    recipients: string[],
    options: { onlineOnly: boolean; syncSender: boolean; device?: FrameHandler },
  ): Promise<string> {
    const timestamp = this.now();
    const id = nextMessageId(timestamp);
    const online = recipients.filter((u) => this.fanout.isOnline(app.uuid, u));
    const offline = options.onlineOnly ? [] : recipients.filter((u) => !this.fanout.isOnline(app.uuid, u));
    const work = (async () => {
      await this.messages.store(
        { app_uuid: app.uuid, id, chat_type: chatType, from_user: from, to_target: to, msg_type: content.type, body: JSON.stringify(content.body), ext: JSON.stringify(content.ext), timestamp },
        offline,
      );
      const frame = JSON.stringify({ type: 'message', message: { id, from, to, chat_type: chatType, type: content.type, body: content.body, ext: content.ext, timestamp } });
      const reached = this.fanout.publish(app.uuid, online, frame);
      const missed = options.onlineOnly ? [] : online.filter((u) => !reached.has(u));
      if (missed.length > 0) await this.messages.queue(app.uuid, id, missed);
      // The sender's other devices get a copy (multi-device sync); never the device that sent it.
      if (options.syncSender) this.fanout.publish(app.uuid, [from], frame, options.device);
    })();
    this.inFlight.add(work);
    try {
      await work;
    } finally {
      this.inFlight.delete(work);
    }
    return id;
  }

  /** Messages waiting for a user, oldest first, a batch at a time; `acknowledge` the seqs once sent. */
  async pending(app: App, username: string): Promise<{ ids: string[]; frames: string[]; seqs: number[] }> {
    const rows = await this.messages.pending(app.uuid, username, PENDING_BATCH);
    return {
      ids: rows.map((r) => r.id),
      frames: rows.map((r) => JSON.stringify({ type: 'message', message: deliveredMessage(r) })),
      seqs: rows.map((r) => r.inbox_seq),
    };
  }

  acknowledge(app: App, username: string, seqs: number[]): Promise<void> {
    return this.messages.acknowledge(app.uuid, username, seqs);
  }
}

export function deliveredMessage(r: MessageRow): DeliveredMessage {
  return { id: r.id, from: r.from_user, to: r.to_target, chat_type: r.chat_type, type: r.msg_type, body: JSON.parse(r.body), ext: JSON.parse(r.ext), timestamp: r.timestamp };
}

