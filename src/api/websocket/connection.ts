// One msync connection (PROTOCOL.md): PROVISION first, then SYNC (sends, chatroom joins, pulls),
// UNREAD (the login's list of waiting conversations, then heartbeats) and LOGOUT. A thin codec
// over the session core in pull mode: NOTICE when a conversation has new entries, batches on pull,
// the pull key as the acknowledgement.
import type { FastifyBaseLogger } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import type { KickReason } from '../../coord/fanout.js';
import type { App } from '../../services/apps.js';
import { ClientRefusal, DomainError } from '../../services/errors.js';
import type { Services } from '../../services/index.js';
import { nextMessageId } from '../../services/messages.js';
import { chatConversation, roomConversation, userConversation, type ConversationView } from '../../services/sessions/conversations.js';
import type { LogEntry } from '../../services/sessions/entries.js';
import type { Session } from '../../services/sessions/index.js';
import type { UserRow } from '../../store/users.js';
import { MSYNC_CLOSE, MSYNC_INTERNAL, MSYNC_KICKS, MSYNC_PROVISION_ERRORS, msyncStatus, type MsyncStatus } from '../../http/client-errors.js';
import { serialFrames } from '../../http/socket-frames.js';
import {
  ackFrame,
  batchFrame,
  decodeChat,
  decodeFrame,
  decodeMuc,
  editAckMeta,
  entryMeta,
  FrameError,
  kickFrame,
  logoutReply,
  noticeFrame,
  NOTICES_RESOURCE,
  provisionReply,
  pullKey,
  queueOf,
  seqOfKey,
  unreadReply,
  type Inbound,
  type InboundMeta,
  type Jid,
} from '../../msync/codec.js';
import { eventMeta } from '../../msync/events.js';
import { CONFERENCE_DOMAIN, MucOperation, NameSpace } from '../../msync/schema.js';

const RESOURCE_MAX = 64;
/** How long a kicked connection stays open after the kick frame (see kick()). */
const KICK_CLOSE_DELAY_MS = 200;

/** Token check refusals (services/tokens.ts codes) as PROVISION refusals. */
function tokenRefusal(err: DomainError): MsyncStatus {
  if (err.code === 'tokenExpired') return MSYNC_PROVISION_ERRORS.tokenExpired;
  if (err.code === 'tokenRevoked' && err.params.reason === 'user_not_found') return MSYNC_PROVISION_ERRORS.userNotFound;
  if (err.code === 'tokenRevoked' && err.params.reason === 'deactivated') return MSYNC_PROVISION_ERRORS.userDeactivated;
  return MSYNC_PROVISION_ERRORS.tokenInvalid;
}

/** "$t$<token>" as the SDK sends it in MSync.auth, or inside Provision.authToken's JSON. */
function tokenOf(frame: Extract<Inbound, { command: 'provision' }>): string | undefined {
  const strip = (t: string) => (t.startsWith('$t$') ? t.slice(3) : t);
  if (frame.auth) return strip(frame.auth);
  try {
    const parsed = JSON.parse(frame.authToken) as { token?: unknown };
    if (typeof parsed.token === 'string') return strip(parsed.token);
  } catch {
    // no token there either
  }
  return undefined;
}

export class MsyncConnection {
  private state: 'new' | 'provisioning' | 'ready' | 'closed' = 'new';
  private app?: App;
  private appKey = '';
  private user?: UserRow;
  private session?: Session;
  private firstUnread = true;
  /** NOTICEs due before the PROVISION answer went out. */
  private readonly heldNotices = new Map<string, ConversationView>();

  constructor(
    private readonly socket: WebSocket,
    private readonly services: Services,
    private readonly log: FastifyBaseLogger,
  ) {}

  start(): void {
    serialFrames(
      this.socket,
      (data, isBinary) => this.handle(data, isBinary),
      (err) => this.fail(err, 'handling an msync frame'),
    );
    this.socket.on('close', () => {
      this.state = 'closed';
      const session = this.session;
      if (session) void this.services.sessions.close(session).catch((err: unknown) => this.log.error({ err }, 'closing an msync session failed'));
    });
  }

  private send(bytes: Uint8Array): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(bytes);
  }

  private close([code, reason]: readonly [number, string]): void {
    if (this.socket.readyState === this.socket.OPEN || this.socket.readyState === this.socket.CONNECTING) this.socket.close(code, reason);
  }

  private fail(err: unknown, what: string): void {
    this.log.error({ err }, what);
    this.close(MSYNC_CLOSE.internal);
  }

  private async handle(data: RawData, isBinary: boolean): Promise<void> {
    if (this.state === 'closed') return;
    if (!isBinary) return this.close(MSYNC_CLOSE.textFrame);
    let frame: Inbound;
    try {
      frame = decodeFrame(Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data));
    } catch (err) {
      if (err instanceof FrameError) return this.close(err.kind === 'undecodable' ? MSYNC_CLOSE.undecodable : MSYNC_CLOSE.unknownCommand);
      throw err;
    }
    if (this.state !== 'ready') {
      if (frame.command !== 'provision') return this.close(MSYNC_CLOSE.provisionFirst);
      return this.provision(frame);
    }
    switch (frame.command) {
      case 'provision':
        return this.close(MSYNC_CLOSE.provisionedAlready);
      case 'unread':
        return this.unread();
      case 'logout':
        this.send(logoutReply());
        return this.close(MSYNC_CLOSE.logout);
      case 'sync':
        if (frame.meta) return this.uplink(frame.meta);
        if (frame.queue) return this.pull(frame.queue, frame.key);
        // SYNC{key:0} without a queue answers an unsolicited push: nothing to do.
        return;
    }
  }

  // ---- login ----

  private refuse(status: MsyncStatus): void {
    this.send(provisionReply(status, ''));
    // The SDK does not close after a refused provision (PROTOCOL.md §4).
    this.close(MSYNC_CLOSE.refused);
  }

  private async provision(frame: Extract<Inbound, { command: 'provision' }>): Promise<void> {
    this.state = 'provisioning';
    const { apps, tokens, sessions, fanout } = this.services;
    const [org, appName, ...rest] = (frame.guid?.appKey ?? '').split('#');
    const app = org && appName && rest.length === 0 ? await apps.find(org, appName) : undefined;
    if (!app) return this.refuse(MSYNC_PROVISION_ERRORS.appNotFound);
    let user: UserRow;
    let expiresAt: number | undefined;
    try {
      const principal = await tokens.verify(app, tokenOf(frame));
      if (principal.kind !== 'user') return this.refuse(MSYNC_PROVISION_ERRORS.tokenInvalid);
      user = principal.user;
      expiresAt = principal.expiresAt ?? undefined;
    } catch (err) {
      if (err instanceof DomainError) return this.refuse(tokenRefusal(err));
      throw err;
    }
    // The token decides who logs in; a guid naming someone else is refused.
    const name = frame.guid?.name;
    if (name && name.toLowerCase() !== user.username) return this.refuse(MSYNC_PROVISION_ERRORS.tokenInvalid);
    const resource = frame.resource;
    if (resource.length === 0 || resource.length > RESOURCE_MAX) return this.refuse(MSYNC_PROVISION_ERRORS.badResource);
    if (this.socket.readyState !== this.socket.OPEN) return;

    // The same device logged in on an older connection: that one is logged out.
    fanout.kick(app.uuid, user.username, 'replaced', resource);
    this.app = app;
    this.appKey = `${org}#${appName}`;
    this.user = user;
    this.session = sessions.open(
      app,
      user,
      { resource, origin: resource },
      {
        notify: (view) => this.notice(view),
        kick: (reason) => this.kick(reason),
      },
    );
    try {
      await this.session.ready;
    } catch (err) {
      this.log.error({ err }, 'opening an msync session failed');
      return this.refuse(MSYNC_PROVISION_ERRORS.unavailable);
    }
    if (this.socket.readyState !== this.socket.OPEN) return;
    this.send(provisionReply('ok', resource, expiresAt));
    this.state = 'ready';
    for (const view of this.heldNotices.values()) this.notice(view);
    this.heldNotices.clear();
  }

  private unread(): void | Promise<void> {
    const now = Date.now();
    if (!this.firstUnread) return this.send(unreadReply([], now));
    this.firstUnread = false;
    return this.session!.pending().then((pending) => {
      const self = this.user!.username;
      this.send(
        unreadReply(
          pending.map((p) => ({ queue: queueOf(p.view, this.appKey, self), n: p.count })),
          Date.now(),
        ),
      );
    });
  }

  // ---- live ----

  private notice(view: ConversationView): void {
    if (this.state !== 'ready') {
      this.heldNotices.set(view.id, view);
      return;
    }
    this.send(noticeFrame(queueOf(view, this.appKey, this.user!.username)));
  }

  private kick(reason: KickReason): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    const self = this.user!.username;
    this.send(
      kickFrame(MSYNC_KICKS[reason], nextMessageId(Date.now()), queueOf({ kind: 'user', id: userConversation(self).id }, this.appKey, self), Date.now()),
    );
    if (this.session) void this.services.sessions.close(this.session).catch((err: unknown) => this.log.error({ err }, 'closing an msync session failed'));
    // The SDK reads the kick asynchronously and its close handler checks it on a timer: closing in
    // the same instant can make it reconnect as after a network failure.
    setTimeout(() => this.close(MSYNC_CLOSE.kicked), KICK_CLOSE_DELAY_MS).unref();
  }

  // ---- uplink metas ----

  private async uplink(meta: InboundMeta): Promise<void> {
    switch (meta.ns) {
      case NameSpace.STATISTIC:
        return; // client statistics: no answer expected
      case NameSpace.CHAT:
        return this.chat(meta);
      case NameSpace.MUC:
        return this.muc(meta);
      default:
        return this.send(ackFrame(meta.id, msyncStatus(new ClientRefusal('unsupported', `namespace ${meta.ns}`)), Date.now()));
    }
  }

  private ack(meta: InboundMeta, work: () => Promise<Uint8Array>): Promise<void> {
    return work().then(
      (frame) => this.send(frame),
      (err: unknown) => {
        if (err instanceof ClientRefusal) return this.send(ackFrame(meta.id, msyncStatus(err), Date.now()));
        if (err instanceof FrameError) return this.send(ackFrame(meta.id, msyncStatus(new ClientRefusal('invalid_message', 'undecodable body')), Date.now()));
        this.log.error({ err }, 'an msync request failed');
        this.send(ackFrame(meta.id, MSYNC_INTERNAL, Date.now()));
      },
    );
  }

  private chat(meta: InboundMeta): Promise<void> {
    return this.ack(meta, async () => {
      const chat = decodeChat(meta);
      const sender = { username: this.user!.username, origin: this.session!.origin };
      const lifecycle = this.services.messageLifecycle;
      const now = Date.now();
      switch (chat.kind) {
        case 'receipt':
          await lifecycle.receipt(this.app!, sender, chat);
          return ackFrame(meta.id, 'ok', now, nextMessageId(now));
        case 'recall':
          await lifecycle.recallFromClient(this.app!, sender, chat);
          return ackFrame(meta.id, 'ok', now, nextMessageId(now));
        case 'edit': {
          const { message, edit } = await lifecycle.editFromClient(this.app!, sender, chat);
          // The edit's ack carries edit_msg, which the SDK resolves modifyMessage with (PROTOCOL.md §5).
          return ackFrame(meta.id, 'ok', edit.at, message.id, [editAckMeta(message, edit, nextMessageId(edit.at))]);
        }
        case 'send': {
          const sent = await this.services.messages.sendFromClient(this.app!, sender, chat.send);
          return ackFrame(meta.id, 'ok', sent.timestamp, sent.id);
        }
      }
    });
  }

  private muc(meta: InboundMeta): Promise<void> {
    return this.ack(meta, async () => {
      const req = decodeMuc(meta);
      const username = this.user!.username;
      const now = Date.now();
      if (!req.isChatroom || (req.operation !== MucOperation.JOIN && req.operation !== MucOperation.LEAVE)) {
        throw new ClientRefusal('unsupported', 'this group operation over the socket (use the REST API)');
      }
      const presence = this.services.chatroomPresence;
      if (req.operation === MucOperation.LEAVE) {
        await presence.leave(this.app!, username, req.roomId);
        return ackFrame(meta.id, 'ok', now, nextMessageId(now));
      }
      const { info } = await presence.join(this.app!, username, req.roomId, req.leaveOtherRooms, req.ext);
      await this.session!.joined(req.roomId);
      // The join answer's room info, keyed by the user as the SDK names them (PROTOCOL.md §8).
      const chatroomInfo = JSON.stringify({
        [req.from || username]: {
          is_all_mute: info.isAllMembersMuted,
          create_timestamp: info.createTimestamp,
          is_in_white_list: info.isInAllowlist,
          member_count: info.memberCount,
          ...(info.muteExpire !== undefined ? { mute_duration: info.muteExpire } : {}),
        },
      });
      const roomInfo = {
        id: nextMessageId(now),
        ns: NameSpace.MUC,
        timestamp: now,
        payload: eventMeta.mucBody({
          mucId: { appKey: this.appKey, name: req.roomId, domain: CONFERENCE_DOMAIN },
          operation: MucOperation.JOIN,
          isChatroom: true,
          status: { errorCode: 0, chatroomInfo },
        }),
      };
      return ackFrame(meta.id, 'ok', now, nextMessageId(now), [roomInfo]);
    });
  }

  // ---- pulls ----

  /** The conversation a queue names, as this user sees it; undefined when it names none of theirs. */
  private async conversationOf(queue: Jid): Promise<string | undefined> {
    const name = queue.name ?? '';
    const self = this.user!.username;
    if (!name) return undefined;
    if (queue.domain === CONFERENCE_DOMAIN) {
      const kind = await this.session!.roomKind(name);
      return kind ? roomConversation(kind, name).id : undefined;
    }
    if (queue.clientResource === NOTICES_RESOURCE && name.toLowerCase() === self) return userConversation(self).id;
    return chatConversation(self, name.toLowerCase()).id;
  }

  private async pull(queue: Jid, key: string | undefined): Promise<void> {
    const conversation = await this.conversationOf(queue);
    const now = Date.now();
    if (!conversation) return this.send(batchFrame(queue, [], undefined, now));
    const session = this.session!;
    const pulled = await session.pull(conversation, seqOfKey(key));
    const metas = pulled.entries.map((e: LogEntry) => entryMeta(e, this.appKey, (entry) => eventMeta.of(entry, this.appKey))).filter((m) => m !== undefined);
    this.send(batchFrame(queue, metas, pulled.nextKey === undefined ? undefined : pullKey(pulled.nextKey, session.connection), Date.now()));
  }
}
