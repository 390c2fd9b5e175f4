// msync frames <-> what the session core and the message service understand (PROTOCOL.md §3–§9).
// Decoding never trusts the frame: anything that is not what the SDK sends becomes a FrameError
// or a refusal, never an exception of protobufjs reaching the endpoint.
import type { ClientSend } from '../services/messages.js';
import type { ConversationView } from '../services/sessions/conversations.js';
import type { DeliveredMessage, LogEntry, MessageEdit, MessageSignal } from '../services/sessions/entries.js';
import type { MsyncStatus } from '../http/client-errors.js';
import { BodyType, Command, CONFERENCE_DOMAIN, ContentType, DOMAIN, EditScope, ErrorCode, NameSpace, pb, StatisticsOperation, ValueType } from './schema.js';

/** The resource of the queue that carries a user's own notices (room events to them as a person). */
export const NOTICES_RESOURCE = 'notices';

export interface Jid {
  appKey?: string;
  name?: string;
  domain?: string;
  clientResource?: string;
}

/** A frame that cannot be handled: the connection is closed with `reason`. */
export class FrameError extends Error {
  constructor(
    readonly kind: 'undecodable' | 'unknown_command',
    reason: string,
  ) {
    super(reason);
  }
}

export type Inbound =
  | { command: 'provision'; guid?: Jid; auth: string; resource: string; authToken: string; sessionId: string }
  | { command: 'unread' }
  | { command: 'logout' }
  | { command: 'sync'; meta?: InboundMeta; key?: string; queue?: Jid };

export interface InboundMeta {
  /** The client's id of the request, echoed in the ack (a decimal uint64). */
  id: string;
  to?: Jid;
  ns: number;
  payload: Uint8Array;
  routeOnline: boolean;
  /** Meta.ext (a recall's `recallMessageExtensionInfo`). */
  ext?: unknown;
}

type Obj = Record<string, unknown>;

const has = (o: Obj, field: string): boolean => Object.prototype.hasOwnProperty.call(o, field);
const str = (o: Obj, field: string): string => (has(o, field) && typeof o[field] === 'string' ? (o[field] as string) : '');
// 64-bit fields decode as Long objects, whose toString() is the decimal value.
const u64 = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v as { toString(): string }));

function decode(type: keyof typeof pb, bytes: Uint8Array, what: string): Obj {
  try {
    return pb[type].decode(bytes) as unknown as Obj;
  } catch {
    throw new FrameError('undecodable', `undecodable ${what}`);
  }
}

function jid(v: unknown): Jid | undefined {
  if (v === null || v === undefined || typeof v !== 'object') return undefined;
  const o = v as Obj;
  const out: Jid = {};
  for (const f of ['appKey', 'name', 'domain', 'clientResource'] as const) if (has(o, f)) out[f] = str(o, f);
  return out;
}

/** Decodes one inbound binary frame. */
export function decodeFrame(bytes: Uint8Array): Inbound {
  const msync = decode('MSync', bytes, 'msync frame');
  const command = has(msync, 'command') ? Number(msync.command) : Command.SYNC;
  const payload = (msync.payload as Uint8Array | undefined) ?? new Uint8Array();
  switch (command) {
    case Command.PROVISION: {
      const p = decode('Provision', payload, 'provision');
      return {
        command: 'provision',
        guid: jid(msync.guid),
        auth: str(msync, 'auth'),
        resource: str(p, 'resource'),
        authToken: str(p, 'authToken'),
        sessionId: str(p, 'sessionId'),
      };
    }
    case Command.UNREAD:
      return { command: 'unread' };
    case Command.LOGOUT:
      return { command: 'logout' };
    case Command.SYNC: {
      const ul = decode('CommSyncUL', payload, 'sync');
      const out: Inbound = { command: 'sync' };
      if (has(ul, 'meta') && ul.meta) {
        const m = ul.meta as Obj;
        out.meta = {
          id: u64(m.id) ?? '0',
          to: jid(m.to),
          ns: has(m, 'ns') ? Number(m.ns) : NameSpace.STATISTIC,
          payload: (m.payload as Uint8Array | undefined) ?? new Uint8Array(),
          routeOnline: Number(m.routetype) === 1,
          ext: m.ext,
        };
      }
      if (has(ul, 'key')) out.key = u64(ul.key);
      if (has(ul, 'queue') && ul.queue) out.queue = jid(ul.queue);
      return out;
    }
    default:
      throw new FrameError('unknown_command', `unknown msync command ${command}`);
  }
}

// ---- ext and message bodies ----

/** KeyValue list (the SDK's typed ext) -> a JSON object, as the SDK reads it (`et`). */
export function extOf(list: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!Array.isArray(list)) return out;
  for (const item of list as Obj[]) {
    const key = str(item, 'key');
    const type = Number(item.type);
    switch (type) {
      case ValueType.BOOL:
        out[key] = Number(u64(item.varintValue) ?? 0) !== 0;
        break;
      case ValueType.INT:
      case ValueType.UINT:
      case ValueType.LLINT:
        out[key] = Number(u64(item.varintValue) ?? 0);
        break;
      case ValueType.FLOAT:
        out[key] = Number(item.floatValue ?? 0);
        break;
      case ValueType.DOUBLE:
        out[key] = Number(item.doubleValue ?? 0);
        break;
      case ValueType.JSON_STRING: {
        const text = str(item, 'stringValue');
        try {
          out[key] = JSON.parse(text);
        } catch {
          out[key] = text;
        }
        break;
      }
      default:
        out[key] = str(item, 'stringValue');
    }
  }
  return out;
}

/** A JSON object -> KeyValue list, typed as the SDK types its own ext (`Pr`). */
export function keyValuesOf(ext: unknown): Obj[] {
  if (ext === null || typeof ext !== 'object' || Array.isArray(ext)) return [];
  const out: Obj[] = [];
  for (const [key, value] of Object.entries(ext as Obj)) {
    if (value === undefined) continue;
    if (typeof value === 'string') out.push({ key, type: ValueType.STRING, stringValue: value });
    else if (typeof value === 'boolean') out.push({ key, type: ValueType.BOOL, varintValue: value ? 1 : 0 });
    else if (typeof value === 'number' && Number.isSafeInteger(value)) out.push({ key, type: ValueType.INT, varintValue: value });
    else if (typeof value === 'number') out.push({ key, type: ValueType.DOUBLE, doubleValue: value });
    else out.push({ key, type: ValueType.JSON_STRING, stringValue: JSON.stringify(value) });
  }
  return out;
}

const int32 = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0x7fffffff ? v : undefined);
const num = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
};
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function size(v: unknown): Obj | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const s = v as Obj;
  const width = num(s.width);
  const height = num(s.height);
  return width === undefined && height === undefined ? undefined : { width, height };
}

/** A stored message body (the REST shapes, REFERENCE §2e) -> the protobuf Content. */
export function contentOf(type: string, body: unknown): Obj {
  const b = (body !== null && typeof body === 'object' ? body : {}) as Obj;
  const file = { remotePath: text(b.url), secretKey: text(b.secret), displayName: text(b.filename), fileLength: int32(b.file_length) };
  switch (type) {
    case 'txt':
      return { type: ContentType.TEXT, text: text(b.msg) ?? '' };
    case 'img':
      return Object.assign({ type: ContentType.IMAGE }, file, { size: size(b.size), thumbnailRemotePath: text(b.thumb), thumbnailSecretKey: text(b.thumb_secret) });
    case 'audio':
      return Object.assign({ type: ContentType.VOICE }, file, { duration: int32(b.length) });
    case 'video':
      return Object.assign({ type: ContentType.VIDEO }, file, { duration: int32(b.length), thumbnailRemotePath: text(b.thumb), thumbnailSecretKey: text(b.thumb_secret) });
    case 'file':
      return Object.assign({ type: ContentType.FILE }, file);
    case 'loc':
      return { type: ContentType.LOCATION, latitude: num(b.lat), longitude: num(b.lng), address: text(b.addr), buildingName: text(b.buildingName) };
    case 'cmd':
      return { type: ContentType.COMMAND, action: text(b.action) ?? '' };
    case 'custom':
      return { type: ContentType.CUSTOM, customEvent: text(b.customEvent), customExts: keyValuesOf(b.customExts) };
    default:
      return { type: ContentType.TEXT, text: '' };
  }
}

/** A protobuf Content -> the stored message type and body (the REST shapes). */
export function bodyOf(content: Obj | undefined): { type: string; body: Obj } | undefined {
  if (!content) return undefined;
  const c = content;
  const keep = (o: Obj): Obj => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== ''));
  const sizeOf = (v: unknown): Obj | undefined => {
    if (v === null || typeof v !== 'object') return undefined;
    const s = v as Obj;
    return { width: Number(s.width ?? 0), height: Number(s.height ?? 0) };
  };
  const file = () =>
    keep({
      url: str(c, 'remotePath'),
      secret: str(c, 'secretKey'),
      filename: str(c, 'displayName'),
      file_length: has(c, 'fileLength') ? Number(c.fileLength) : undefined,
    });
  switch (has(c, 'type') ? Number(c.type) : ContentType.TEXT) {
    case ContentType.TEXT:
    case ContentType.COMBINE:
      return { type: 'txt', body: { msg: str(c, 'text') } };
    case ContentType.IMAGE:
      return { type: 'img', body: keep(Object.assign(file(), { url: str(c, 'remotePath'), size: has(c, 'size') ? sizeOf(c.size) : undefined })) };
    case ContentType.VOICE:
      return { type: 'audio', body: keep(Object.assign(file(), { url: str(c, 'remotePath'), length: has(c, 'duration') ? Number(c.duration) : undefined })) };
    case ContentType.VIDEO:
      return {
        type: 'video',
        body: keep(
          Object.assign(file(), {
            url: str(c, 'remotePath'),
            length: has(c, 'duration') ? Number(c.duration) : undefined,
            thumb: str(c, 'thumbnailRemotePath'),
            thumb_secret: str(c, 'thumbnailSecretKey'),
          }),
        ),
      };
    case ContentType.FILE:
      return { type: 'file', body: Object.assign(file(), { url: str(c, 'remotePath') }) };
    case ContentType.LOCATION:
      return {
        type: 'loc',
        body: keep({ lat: Number(c.latitude ?? 0), lng: Number(c.longitude ?? 0), addr: str(c, 'address'), buildingName: str(c, 'buildingName') }),
      };
    case ContentType.COMMAND:
      return { type: 'cmd', body: { action: str(c, 'action') } };
    case ContentType.CUSTOM: {
      const exts = extOf(c.customExts);
      return { type: 'custom', body: keep({ customEvent: str(c, 'customEvent'), customExts: Object.keys(exts).length > 0 ? exts : undefined }) };
    }
    default:
      return undefined;
  }
}

export type InboundChat =
  | { kind: 'send'; send: ClientSend }
  /** Read, delivery and channel acks (PROTOCOL.md §5): passed on to the peer. */
  | { kind: 'receipt'; receipt: 'read' | 'delivered' | 'channel'; to: string; room: boolean; msgId?: string; content?: string }
  /** RECALL of the message `msgId` (the SDK's recallMessage). */
  | { kind: 'recall'; to: string; room: boolean; msgId: string; ext: string }
  /** EDIT of the message `msgId` (the SDK's modifyMessage): the new content, and ext when the scope has it. */
  | { kind: 'edit'; to: string; room: boolean; msgId: string; type?: string; body?: Obj; ext?: Obj };

const CHAT_TYPE: Partial<Record<number, string>> = {
  [BodyType.CHAT]: 'chat',
  [BodyType.NORMAL]: 'chat',
  [BodyType.GROUPCHAT]: 'groupchat',
  [BodyType.CHATROOM]: 'chatroom',
};

const RECEIPT: Partial<Record<number, 'read' | 'delivered' | 'channel'>> = {
  [BodyType.READ_ACK]: 'read',
  [BodyType.DELIVER_ACK]: 'delivered',
  [BodyType.CHANNEL_ACK]: 'channel',
};

/** A CHAT meta the client sent -> what to do with it. */
export function decodeChat(meta: InboundMeta): InboundChat {
  const body = decode('MessageBody', meta.payload, 'message body');
  const type = has(body, 'type') ? Number(body.type) : BodyType.NORMAL;
  const to = meta.to?.name || jid(body.to)?.name || '';
  const room = meta.to?.domain === CONFERENCE_DOMAIN;
  const receipt = RECEIPT[type];
  if (receipt) return { kind: 'receipt', receipt, to, room, msgId: u64(body.ackMessageId), content: str(body, 'ackContent') || undefined };
  if (type === BodyType.RECALL) return { kind: 'recall', to, room, msgId: u64(body.ackMessageId) ?? '', ext: str(extOf(meta.ext), 'recallMessageExtensionInfo') };
  const contents = Array.isArray(body.contents) ? (body.contents as Obj[]) : [];
  const content = bodyOf(contents[0]);
  if (type === BodyType.EDIT) {
    const withExt = Number(body.editScope) === EditScope.BODY_AND_EXT;
    return { kind: 'edit', to, room, msgId: u64(body.editMessageId) ?? '', type: content?.type, body: content?.body, ext: withExt ? extOf(body.ext) : undefined };
  }
  return {
    kind: 'send',
    send: {
      chatType: CHAT_TYPE[type],
      to,
      type: content?.type,
      body: content?.body,
      ext: extOf(body.ext),
      onlineOnly: meta.routeOnline,
    },
  };
}

export interface MucRequest {
  operation: number;
  roomId: string;
  isChatroom: boolean;
  /** The user as the SDK names them (the key of the join answer's chatroomInfo). */
  from: string;
  ext: string;
  leaveOtherRooms: boolean;
}

export function decodeMuc(meta: InboundMeta): MucRequest {
  const body = decode('MUCBody', meta.payload, 'muc body');
  return {
    operation: has(body, 'operation') ? Number(body.operation) : -1,
    roomId: jid(body.mucId)?.name ?? '',
    isChatroom: body.isChatroom === true,
    from: jid(body.from)?.name ?? '',
    ext: str(body, 'ext'),
    leaveOtherRooms: body.leaveOtherRooms === true,
  };
}

// ---- outbound frames ----

function frame(command: number, payload?: Uint8Array): Uint8Array {
  return pb.MSync.encode(pb.MSync.fromObject(payload ? { version: 0, command, payload } : { version: 0, command })).finish();
}

function syncDL(dl: Obj): Uint8Array {
  return frame(Command.SYNC, pb.CommSyncDL.encode(pb.CommSyncDL.fromObject(dl)).finish());
}

const OK = { errorCode: ErrorCode.OK };

/** The PROVISION answer: OK with the echoed resource and the token's absolute expiry, or a refusal. */
/**
 * The SDK counts down to a token's expiry with setTimeout, which fires at once for more than
 * 2^31 - 1 ms (about 24.8 days): a later expiry is left out of the reply (no countdown at all).
 */
const LONGEST_COUNTDOWN_MS = 2 ** 31 - 1;

export function provisionReply(status: MsyncStatus | 'ok', resource: string, expiresAt?: number, now: number = Date.now()): Uint8Array {
  const p: Obj = { status: status === 'ok' ? OK : status };
  if (status === 'ok') {
    p.resource = resource;
    // The SDK wants the absolute expiry (PROTOCOL.md §4; a duration would log it out at once).
    if (expiresAt !== undefined && expiresAt > 0 && expiresAt - now < LONGEST_COUNTDOWN_MS) p.authToken = JSON.stringify({ expires_in: expiresAt });
  }
  return frame(Command.PROVISION, pb.Provision.encode(pb.Provision.fromObject(p)).finish());
}

export function logoutReply(): Uint8Array {
  return frame(Command.LOGOUT, pb.Logout.encode(pb.Logout.fromObject({ status: OK })).finish());
}

export interface QueueCount {
  queue: Jid;
  n: number;
}

export function unreadReply(queues: QueueCount[], now: number): Uint8Array {
  const dl = { status: OK, unread: queues.map((q) => ({ queue: q.queue, n: Math.min(q.n, 0xffffffff) })), timestamp: now };
  return frame(Command.UNREAD, pb.CommUnreadDL.encode(pb.CommUnreadDL.fromObject(dl)).finish());
}

export function noticeFrame(queue: Jid): Uint8Array {
  return frame(Command.NOTICE, pb.CommNotice.encode(pb.CommNotice.fromObject({ queue })).finish());
}

/** The ack of an uplink meta; `metas` rides along (a chatroom join's room info). */
export function ackFrame(metaId: string, status: MsyncStatus | 'ok', now: number, serverId?: string, metas: Obj[] = []): Uint8Array {
  const dl: Obj = { status: status === 'ok' ? OK : status, metaId, timestamp: now };
  if (serverId !== undefined) dl.serverId = serverId;
  if (metas.length > 0) dl.metas = metas;
  return syncDL(dl);
}

/** A pulled batch: metas with isLast false and the key to acknowledge them, or the empty last one. */
export function batchFrame(queue: Jid, metas: Obj[], nextKey: string | undefined, now: number): Uint8Array {
  if (metas.length === 0 || nextKey === undefined) return syncDL({ status: OK, queue, metas: [], isLast: true, timestamp: now });
  return syncDL({ status: OK, queue, metas, nextKey, isLast: false, timestamp: now });
}

/**
 * The forced logout: a STATISTIC meta pushed on its own (isLast, PROTOCOL.md §6, §9). It names a
 * queue (the user's own): the SDK reads the queue's name of every batch before it looks at the metas.
 */
export function kickFrame(operation: number, id: string, queue: Jid, now: number): Uint8Array {
  const meta = { id, ns: NameSpace.STATISTIC, timestamp: now, payload: pb.StatisticsBody.encode(pb.StatisticsBody.fromObject({ operation })).finish() };
  return syncDL({ status: OK, queue, metas: [meta], isLast: true, timestamp: now });
}

export { StatisticsOperation };

// ---- pull keys ----

/**
 * A pull key names the log entry acknowledged up to and, below it, the connection it was given
 * on: key = seq × 1000 + connection mod 1000. The SDK drops a queue when a batch comes with the
 * same nextKey as the one before (PROTOCOL.md §6), and a batch it did not acknowledge before a
 * reconnect is offered again on the next connection — with another key.
 */
const KEY_SCALE = 1000n;

export function pullKey(seq: number, connection: number): string {
  return (BigInt(seq) * KEY_SCALE + BigInt(connection % 1000)).toString();
}

/** The log entry a pull key acknowledges; undefined for a key that is no key of ours. */
export function seqOfKey(key: string | undefined): number | undefined {
  if (key === undefined || !/^\d{1,20}$/.test(key)) return undefined;
  const seq = BigInt(key) / KEY_SCALE;
  return seq > 0n && seq <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(seq) : undefined;
}

// ---- queues and metas of delivered entries ----

export function queueOf(view: ConversationView, appKey: string, self: string): Jid {
  switch (view.kind) {
    case 'chat':
      return { appKey, name: view.peer, domain: DOMAIN };
    case 'group':
    case 'chatroom':
      return { appKey, name: view.room, domain: CONFERENCE_DOMAIN };
    case 'user':
      return { appKey, name: self, domain: DOMAIN, clientResource: NOTICES_RESOURCE };
  }
}

const BODY_TYPE: Record<string, number> = { chat: BodyType.CHAT, groupchat: BodyType.GROUPCHAT, chatroom: BodyType.CHATROOM };

/** The SDK's names of the chat types in `edit_msg` (its `Ye` table: "chat:user" → singleChat…). */
const EDIT_CHAT_TYPE: Record<string, string> = { chat: 'chat:user', groupchat: 'chat:group', chatroom: 'chat:room' };

/** MessageBody.meta of an edited message: what the SDK turns into `modifiedInfo`. */
function editMeta(m: DeliveredMessage, edit: MessageEdit): string {
  return JSON.stringify({
    edit_msg: { count: edit.count, operator: edit.by, edit_time: edit.at, sender: m.from, send_time: m.timestamp, chat_type: EDIT_CHAT_TYPE[m.chat_type] ?? 'chat:user' },
  });
}

function jids(appKey: string, from: string, to: string, room: boolean, fromResource: string | null): { from: Jid; to: Jid } {
  const fromJid: Jid = { appKey, name: from, domain: DOMAIN };
  if (fromResource) fromJid.clientResource = fromResource;
  return { from: fromJid, to: { appKey, name: to, domain: room ? CONFERENCE_DOMAIN : DOMAIN } };
}

export function messageMeta(m: DeliveredMessage, fromResource: string | null, appKey: string): Obj {
  const room = m.chat_type !== 'chat';
  const body: Obj = {
    type: BODY_TYPE[m.chat_type] ?? BodyType.CHAT,
    from: { name: m.from },
    to: { name: m.to },
    contents: [contentOf(m.type, m.body)],
    ext: keyValuesOf(m.ext),
  };
  if (m.edit) body.meta = editMeta(m, m.edit);
  return Object.assign({ id: m.id }, jids(appKey, m.from, m.to, room, fromResource), {
    timestamp: m.timestamp,
    ns: NameSpace.CHAT,
    payload: pb.MessageBody.encode(pb.MessageBody.fromObject(body)).finish(),
  });
}

const SIGNAL_TYPE: Record<MessageSignal['kind'], number> = {
  recall: BodyType.RECALL,
  read: BodyType.READ_ACK,
  delivered: BodyType.DELIVER_ACK,
  channel: BodyType.CHANNEL_ACK,
  edit: BodyType.EDIT,
};

/**
 * A message signal as the SDK receives it (its `st`, PROTOCOL.md §6): a CHAT meta whose body type
 * says what it is — RECALL → onRecallMessage, READ_ACK → onReadMessage, DELIVER_ACK →
 * onDeliveredMessage, CHANNEL_ACK → onChannelMessage (each with `mid` = ackMessageId), EDIT →
 * onModifiedMessage (the message as it is now, its id = editMessageId, its sender and time from
 * `edit_msg`).
 */
export function signalMeta(signal: MessageSignal, timestamp: number, fromResource: string | null, appKey: string): Obj {
  const body: Obj = { type: SIGNAL_TYPE[signal.kind], from: { name: signal.from }, to: { name: signal.to } };
  const meta: Obj = Object.assign({ id: signal.id }, jids(appKey, signal.from, signal.to, signal.chat_type !== 'chat', fromResource), { timestamp, ns: NameSpace.CHAT });
  switch (signal.kind) {
    case 'recall':
      body.ackMessageId = signal.msg_id;
      if (signal.ext) meta.ext = keyValuesOf({ recallMessageExtensionInfo: signal.ext });
      break;
    case 'read':
    case 'delivered':
      body.ackMessageId = signal.msg_id;
      if (signal.content) body.ackContent = signal.content;
      // A group read ack: the SDK reads how many have read the message from the first ext entry.
      if (signal.readers !== undefined) body.ext = [{ key: 'group_read_count', type: ValueType.JSON_STRING, stringValue: String(signal.readers) }];
      break;
    case 'channel':
      break;
    case 'edit': {
      const m = signal.message;
      body.contents = [contentOf(m.type, m.body)];
      body.ext = keyValuesOf(m.ext);
      body.editMessageId = signal.msg_id;
      body.editScope = signal.scope === 'body_and_ext' ? EditScope.BODY_AND_EXT : EditScope.BODY;
      if (m.edit) body.meta = editMeta(m, m.edit);
      break;
    }
  }
  meta.payload = pb.MessageBody.encode(pb.MessageBody.fromObject(body)).finish();
  return meta;
}

/**
 * The NOTIFY meta riding on the ack of an edit: the SDK reads `edit_msg` from it for the
 * `modifiedInfo` it resolves modifyMessage with. JSON as bytes (compact: the SDK's decoder breaks
 * on bytes below 0x10).
 */
export function editAckMeta(m: DeliveredMessage, edit: MessageEdit, id: string): Obj {
  return { id, ns: NameSpace.NOTIFY, timestamp: edit.at, payload: Buffer.from(editMeta(m, edit)) };
}

/** Metas already built: a live entry is one object shared by every session it reached. */
const metaCache = new WeakMap<LogEntry, Obj>();

/** The meta of a delivered log entry; undefined for an entry msync has no form for. */
export function entryMeta(entry: LogEntry, appKey: string, eventMeta: (entry: LogEntry) => Obj | undefined): Obj | undefined {
  const cached = metaCache.get(entry);
  if (cached) return cached;
  const meta = entry.message
    ? messageMeta(entry.message, entry.fromResource, appKey)
    : entry.signal
      ? signalMeta(entry.signal, entry.timestamp, entry.fromResource, appKey)
      : entry.event
        ? eventMeta(entry)
        : undefined;
  if (meta) metaCache.set(entry, meta);
  return meta;
}
