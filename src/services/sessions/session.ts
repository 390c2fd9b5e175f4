// One connected device: which entries of which conversation it has, and getting it the rest, in
// order, once. The codecs (the JSON `/ws`, msync on `/websocket`) drive it and turn entries into
// their frames; nothing here knows a frame.
//
// Why each entry reaches the device once and in order:
// - a conversation's entries are numbered without gaps and immutable (store/conversations.ts);
// - the session handles everything (its start, live notices, pulls) one task at a time, and keeps
//   a cursor per conversation: the number of the last entry the device has (push mode: handed to
//   the socket; pull mode: acknowledged by the client's next pull key);
// - an entry is handed over only when it is the one right after the cursor, which then moves to
//   it: a live notice that does not follow the cursor is read from the log instead, and what is at
//   or behind the cursor is dropped; so no entry is skipped or repeated within a session;
// - cursors are stored as device positions, flushed before the session lets the device go and
//   read when it connects again, so the next session starts where this one stopped.
// A pulled batch that the client never acknowledged is offered again by the next session (the
// SDK drops message ids it has already seen), never twice within one session.
//
// Reading the log is needed only for what the session was not told live: every entry a device may
// see is announced to the sessions of its user once it is stored (messages.ts, events.ts), so a
// session reads the log when it starts a conversation (backlog, first pull) and when a notice does
// not follow on from its cursor (one was missed); past the newest entry it has heard of, never.
import type { Fanout, KickReason, Listener, Notice } from '../../coord/fanout.js';
import type { ConversationsRepository } from '../../store/conversations.js';
import type { GroupsRepository, MemberRow } from '../../store/groups.js';
import type { UserRow, UsersRepository } from '../../store/users.js';
import type { App } from '../apps.js';
import { roomConversation, userConversation, viewOf, type ConversationView, type RoomKind } from './conversations.js';
import { ALL_DEVICES, entryFromRow, type LogEntry } from './entries.js';
import type { PositionWriter } from './positions.js';

/** Entries per pulled batch: at most the SDK's de-duplication window (its last 100 ids). */
export const PULL_BATCH = 50;
/** Entries read at a time when pushing a backlog. */
const PUSH_BATCH = 500;
/** Live entries kept per conversation for a device that has not pulled them yet. */
const BUFFER_MAX = 200;
/** Live-only entries remembered as told. */
const LIVE_SEEN_MAX = 10_000;

/** What the codec of a connected device does with what the session decides. */
export interface SessionSink {
  /**
   * Push mode (JSON `/ws`): hand a visible entry to the device now; false when it is gone (the
   * entry then stays for its next session).
   */
  deliver?(entry: LogEntry, view: ConversationView): boolean;
  /** Pull mode (msync): entries are waiting in `view` (the codec sends a NOTICE). */
  notify?(view: ConversationView): void;
  /** The user's sessions end (close the connection the protocol's way). */
  kick(reason: KickReason): void;
}

export interface SessionDevice {
  /** The device whose positions this session reads and moves (msync: the SDK's resource). */
  resource: string;
  /** Stamped on what this connection sends, so that it is never given back to it. */
  origin: string;
}

export interface SessionDeps {
  conversations: ConversationsRepository;
  /** The user's row, read again when kicks may have been missed (resync). */
  users?: Pick<UsersRepository, 'findByUuid'>;
  rooms: Record<RoomKind, GroupsRepository>;
  positions: PositionWriter;
  fanout: Fanout;
  onError: (err: unknown, what: string) => void;
}

interface Cursor {
  /** The last entry the device has. */
  seq: number;
  /**
   * The newest entry this session knows of (-1: it has not looked yet). Every entry a device may
   * see reaches its session as a live notice, so past this there is nothing to read in the log.
   */
  known: number;
  /** Pull mode: the furthest entry offered (the key a client may acknowledge). */
  offered: number;
  /** Stored as a device position (not for chatrooms: their messages are not kept for later). */
  persist: boolean;
}

export interface PendingView {
  view: ConversationView;
  /** Entries after the device's position (some may be hidden from it). */
  count: number;
}

export interface Pulled {
  entries: LogEntry[];
  /** The key for the client to acknowledge them with; undefined when nothing is waiting. */
  nextKey?: number;
}

export class Session implements Listener {
  private readonly cursors = new Map<string, Cursor>();
  private readonly buffers = new Map<string, LogEntry[]>();
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  private closing: Promise<void> | undefined;
  /** When the device subscribed; live-only entries from before are not for it… */
  private startedAt = Date.now();
  /** …unless it was told about them live. */
  private readonly liveSeen = new Set<string>();
  private unsubscribe: () => void = () => undefined;

  constructor(
    readonly app: App,
    readonly user: UserRow,
    private readonly device: SessionDevice,
    private readonly sink: SessionSink,
    private readonly deps: SessionDeps,
  ) {}

  get username(): string {
    return this.user.username;
  }

  get resource(): string {
    return this.device.resource;
  }

  get origin(): string {
    return this.device.origin;
  }

  /** Which connection of the device this is (1, 2, 3… counted in the database), once ready. */
  connection = 0;

  /** Settles once the device is recorded (rejects when that failed: the codec closes the connection). */
  ready: Promise<void> = Promise.resolve();

  /**
   * Subscribes to live notices first (notices wait in the session's queue), then runs `init`
   * (recording the device) and, in push mode, sends the backlog.
   */
  start(init: () => Promise<void>): void {
    this.startedAt = Date.now();
    this.unsubscribe = this.deps.fanout.subscribe(this.app.uuid, this.username, this);
    // Across processes the subscription takes a round trip to Redis, and the same device may still
    // be letting go of another process: its positions are read after both.
    const ready = this.chain.then(() => this.deps.fanout.settled(this.app.uuid, this.username, this.resource)).then(init);
    this.ready = ready;
    // Nothing else runs for a device that could not be recorded.
    this.chain = ready.catch(() => {
      this.closed = true;
    });
    ready.catch(() => undefined);
    if (this.sink.deliver) void this.enqueue(() => this.pushBacklog(), 'delivering the backlog');
  }

  /** Runs `task` after everything queued before it (the session's one-at-a-time order). */
  private enqueue<T>(task: () => Promise<T>, what: string): Promise<T | undefined> {
    const run = this.chain.then(async () => {
      if (this.closed) return undefined;
      try {
        return await task();
      } catch (err) {
        this.deps.onError(err, what);
        return undefined;
      }
    });
    this.chain = run;
    return run;
  }

  // ---- Listener (the fan-out) ----

  notice(notice: Notice): void {
    if (this.closed) return;
    for (const e of notice.entries) {
      if (!e.liveOnly) continue;
      this.liveSeen.add(`${e.conversation}\u0000${e.seq}`);
      // Oldest first out: by then they are long behind the cursor.
      if (this.liveSeen.size > LIVE_SEEN_MAX) this.liveSeen.delete(this.liveSeen.values().next().value!);
    }
    void this.enqueue(() => this.onNotice(notice), 'handling a live notice');
  }

  kick(reason: KickReason): void {
    if (this.closed) return;
    this.sink.kick(reason);
  }

  /**
   * Live notices and kicks may have been missed (the fan-out lost Redis): a kick that was due is
   * made now; otherwise the session forgets what it believed
   * was the newest entry of each conversation and look at the logs as at the start — push mode
   * sends what is new, pull mode announces it.
   */
  resync(): void {
    if (this.closed) return;
    void this.enqueue(async () => {
      // Kicks are missed as notices are: the user's row says whether one was due meanwhile.
      if (this.deps.users) {
        const now = await this.deps.users.findByUuid(this.app.uuid, this.user.uuid);
        const reason: KickReason | undefined = !now
          ? 'deleted'
          : now.activated !== 1
            ? 'deactivated'
            : now.token_version !== this.user.token_version
              ? 'password_changed'
              : undefined;
        if (reason) return this.kick(reason);
      }
      for (const cursor of this.cursors.values()) cursor.known = -1;
      const views = new Map<string, ConversationView>();
      for (const { view } of await this.waiting()) views.set(view.id, view);
      // Chatrooms are not in the stored positions: those this session follows are looked at too.
      for (const id of this.cursors.keys()) {
        const view = viewOf(id, this.username);
        if (view?.kind === 'chatroom' && !views.has(id) && (await this.anyVisible(view, this.cursors.get(id)!))) views.set(id, view);
      }
      for (const view of views.values()) {
        if (this.closed) return;
        if (this.sink.deliver) await this.pushConversation(view, await this.cursor(view));
        else this.sink.notify!(view);
      }
    }, 'reading the logs again');
  }

  // ---- cursors ----

  /** The cursor of a conversation, created on first use: from the stored position, or where the user came in. */
  private async cursor(view: ConversationView): Promise<Cursor> {
    const known = this.cursors.get(view.id);
    if (known) return known;
    const { conversations } = this.deps;
    let cursor: Cursor;
    if (view.kind === 'chatroom') {
      // Chatroom messages are not kept for later: a device gets what was said while it was
      // connected and its user a member (by time: the notice that brought it here may be late).
      const since = Math.max(this.startedAt, (await this.member(view))?.joined ?? 0);
      const seq = await conversations.seqBefore(this.app.uuid, view.id, since);
      cursor = { seq, known: -1, offered: seq, persist: false };
    } else {
      const stored = (await conversations.positions(this.app.uuid, this.username, this.resource, [view.id])).get(view.id);
      const from = (since: number) => conversations.seqBefore(this.app.uuid, view.id, since);
      let seq: number;
      if (view.kind === 'group') {
        // Nothing from before the member joined (also after leaving and joining again).
        const floor = await from((await this.member(view))?.joined ?? Number.MAX_SAFE_INTEGER);
        seq = Math.max(stored ?? floor, floor);
      } else if (stored !== undefined) {
        seq = stored;
      } else {
        // 1:1: nothing from before the user existed (a user of the same name deleted before).
        seq = view.kind === 'chat' ? await from(this.user.created) : 0;
      }
      cursor = { seq, known: -1, offered: seq, persist: true };
    }
    this.cursors.set(view.id, cursor);
    return cursor;
  }

  private advance(view: ConversationView, cursor: Cursor, seq: number): void {
    if (seq <= cursor.seq) return;
    cursor.seq = seq;
    if (cursor.offered < seq) cursor.offered = seq;
    const buffer = this.buffers.get(view.id);
    if (buffer) {
      const rest = buffer.filter((e) => e.seq > seq);
      if (rest.length > 0) this.buffers.set(view.id, rest);
      else this.buffers.delete(view.id);
    }
    if (cursor.persist) {
      this.deps.positions.set({ app_uuid: this.app.uuid, username: this.username, resource: this.resource, conversation: view.id, seq });
    }
  }

  // ---- what the device may see ----

  private visible(e: LogEntry): boolean {
    // An emptied entry (a recalled message, services/message-lifecycle.ts): nothing to give, passed over.
    if (!e.message && !e.event && !e.signal) return false;
    if (e.fromResource !== null && e.from === this.username && (e.fromResource === this.origin || e.fromResource === ALL_DEVICES)) return false;
    if (e.audience !== null && !e.audience.includes(this.username)) return false;
    if (e.except?.includes(this.username)) return false;
    // Live-only entries: for devices that were connected when they were sent.
    if (e.liveOnly && e.timestamp < this.startedAt && !this.liveSeen.has(`${e.conversation}\u0000${e.seq}`)) return false;
    return true;
  }

  private member(view: ConversationView): Promise<MemberRow | undefined> {
    if (view.kind !== 'group' && view.kind !== 'chatroom') return Promise.resolve(undefined);
    return this.deps.rooms[view.kind].member(view.room, this.username);
  }

  /**
   * Entries after `after`, oldest first: the live ones this session was told about when they
   * follow on, otherwise from the log. Room logs are read only by members.
   */
  private async entriesAfter(view: ConversationView, cursor: Cursor, after: number, limit: number, membership: { checked?: boolean; member?: boolean }): Promise<LogEntry[]> {
    const buffer = this.buffers.get(view.id);
    if (buffer && buffer[0]?.seq === after + 1) {
      let n = 1;
      while (n < buffer.length && n < limit && buffer[n]!.seq === buffer[n - 1]!.seq + 1) n++;
      return buffer.slice(0, n);
    }
    // Nothing newer than what the session has heard of: no need to look.
    if (cursor.known >= 0 && after >= cursor.known) return [];
    if (view.kind === 'group' || view.kind === 'chatroom') {
      if (!membership.checked) {
        membership.member = (await this.member(view)) !== undefined;
        membership.checked = true;
      }
      if (!membership.member) return [];
    }
    const rows = await this.deps.conversations.read(this.app.uuid, view.id, after, limit);
    const entries = rows.map(entryFromRow);
    // A short read reached the end of the log as it was then.
    if (entries.length < limit) cursor.known = Math.max(cursor.known, entries.at(-1)?.seq ?? after);
    return entries;
  }

  // ---- live notices ----

  private async onNotice(notice: Notice): Promise<void> {
    const view = viewOf(notice.conversation, this.username);
    const first = notice.entries[0];
    if (!view || !first) return;
    const cursor = await this.cursor(view);
    // What is known to exist: with no gap between the cursor and the notice, up to its last entry.
    const newest = notice.entries[notice.entries.length - 1]!.seq;
    if (cursor.known >= 0 || first.seq === cursor.seq + 1) cursor.known = Math.max(cursor.known, newest);
    const fresh = notice.entries.filter((e) => e.seq > cursor.seq);
    if (fresh.length === 0) return;
    const buffer = this.buffers.get(view.id) ?? [];
    const merged = [...buffer.filter((b) => !fresh.some((f) => f.seq === b.seq)), ...fresh].sort((a, b) => a.seq - b.seq);
    this.buffers.set(view.id, merged.slice(-BUFFER_MAX));

    if (this.sink.deliver) {
      await this.pushConversation(view, cursor);
      return;
    }
    // Pull mode: entries this device must not see need no NOTICE, only moving past.
    let seq = cursor.seq;
    let anyVisible = false;
    for (const e of merged) {
      if (e.seq !== seq + 1) {
        anyVisible = true; // a gap: let the client pull, the log has the rest
        break;
      }
      if (this.visible(e)) {
        anyVisible = true;
        break;
      }
      seq = e.seq;
    }
    if (!anyVisible) {
      // Only when nothing is offered and not yet acknowledged, or the client's key would go back.
      if (cursor.offered === cursor.seq) this.advance(view, cursor, seq);
      return;
    }
    this.sink.notify!(view);
  }

  // ---- push mode ----

  /** Hands every visible entry after the cursor to the device, oldest first. */
  private async pushConversation(view: ConversationView, cursor: Cursor): Promise<void> {
    const membership = {};
    for (;;) {
      const batch = await this.entriesAfter(view, cursor, cursor.seq, PUSH_BATCH, membership);
      if (batch.length === 0) return;
      for (const e of batch) {
        if (this.visible(e) && !this.sink.deliver!(e, view)) return;
        this.advance(view, cursor, e.seq);
      }
      if (this.closed) return;
    }
  }

  /**
   * What waited while the device was away, every conversation merged by time (then message id),
   * as the JSON `/ws` has always delivered it.
   */
  private async pushBacklog(): Promise<void> {
    const streams: { view: ConversationView; cursor: Cursor; queue: LogEntry[]; done: boolean; membership: object }[] = [];
    for (const { view } of await this.waiting()) {
      streams.push({ view, cursor: await this.cursor(view), queue: [], done: false, membership: {} });
    }
    const refill = async (s: (typeof streams)[number]) => {
      if (s.queue.length > 0 || s.done) return;
      const batch = await this.entriesAfter(s.view, s.cursor, s.queue.at(-1)?.seq ?? s.cursor.seq, PUSH_BATCH, s.membership);
      if (batch.length === 0) s.done = true;
      s.queue.push(...batch);
    };
    for (;;) {
      for (const s of streams) await refill(s);
      let next: (typeof streams)[number] | undefined;
      for (const s of streams) if (s.queue.length > 0 && (!next || before(s.queue[0]!, next.queue[0]!))) next = s;
      if (!next) return;
      const e = next.queue.shift()!;
      if (e.seq <= next.cursor.seq) continue;
      if (this.visible(e) && !this.sink.deliver!(e, next.view)) return;
      this.advance(next.view, next.cursor, e.seq);
      if (this.closed) return;
    }
  }

  // ---- pull mode ----

  /**
   * Conversations with entries this device has not had (what the login UNREAD lists). Those whose
   * waiting entries are all hidden from it (its own sends, REST sends not synced to it) are passed
   * over, and the device moves past them.
   */
  async pending(): Promise<PendingView[]> {
    return (await this.enqueue(() => this.waiting(), 'listing waiting conversations')) ?? [];
  }

  private async waiting(): Promise<PendingView[]> {
    const { conversations } = this.deps;
    const [chats, groups, own] = await Promise.all([
      conversations.pendingChats(this.app.uuid, this.username, this.resource, this.user.created),
      conversations.pendingRooms(this.app.uuid, this.username, this.resource, 'group'),
      conversations.pendingOne(this.app.uuid, userConversation(this.username).id, this.username, this.resource),
    ]);
    const out: PendingView[] = [];
    for (const p of [...chats, ...groups, ...(own ? [own] : [])]) {
      const view = viewOf(p.id, this.username);
      if (!view) continue;
      const cursor = await this.cursor(view);
      if (!(await this.anyVisible(view, cursor))) continue;
      out.push({ view, count: Math.max(p.last_seq - cursor.seq, 1) });
    }
    return out;
  }

  /** Whether a visible entry follows the cursor; when none does, the cursor moves past the hidden ones. */
  private async anyVisible(view: ConversationView, cursor: Cursor): Promise<boolean> {
    const membership = {};
    let last = cursor.seq;
    for (;;) {
      const batch = await this.entriesAfter(view, cursor, last, PULL_BATCH, membership);
      if (batch.length === 0) break;
      for (const e of batch) {
        if (this.visible(e)) return true;
        last = e.seq;
      }
    }
    if (cursor.offered === cursor.seq) this.advance(view, cursor, last);
    return false;
  }

  /**
   * A pull of one conversation. `key` (the previous batch's nextKey) acknowledges everything up to
   * it. Answers the next batch of visible entries, or none when the device has everything.
   */
  pull(conversation: string, key?: number): Promise<Pulled> {
    return this.enqueue(async () => {
      const view = viewOf(conversation, this.username);
      if (!view) return { entries: [] };
      const cursor = await this.cursor(view);
      // A key beyond what was offered acknowledges only what was offered.
      if (key !== undefined && key > cursor.seq) this.advance(view, cursor, Math.min(key, cursor.offered));
      const membership = {};
      const out: LogEntry[] = [];
      // After what this session has offered already: the SDK pulls once per NOTICE, and a second
      // NOTICE can come before it acknowledges the first batch; offering that batch again would
      // repeat its room events (the SDK de-duplicates message ids only).
      let last = cursor.offered;
      while (out.length === 0) {
        const batch = await this.entriesAfter(view, cursor, last, PULL_BATCH, membership);
        if (batch.length === 0) break;
        for (const e of batch) {
          last = e.seq;
          if (this.visible(e)) out.push(e);
        }
      }
      if (out.length === 0) {
        // Only hidden entries: nothing to acknowledge, the device is past them.
        if (cursor.offered === cursor.seq) this.advance(view, cursor, last);
        else cursor.offered = Math.max(cursor.offered, last);
        return { entries: [] };
      }
      if (cursor.offered < last) cursor.offered = last;
      return { entries: out, nextKey: last };
    }, 'answering a pull').then((r) => r ?? { entries: [] });
  }

  /** The kind of room `id` is, for a queue the client names (groups and chatrooms share ids). */
  async roomKind(id: string): Promise<RoomKind | undefined> {
    for (const kind of ['group', 'chatroom'] as const) {
      if (this.cursors.has(roomConversation(kind, id).id)) return kind;
    }
    for (const kind of ['group', 'chatroom'] as const) {
      if (await this.deps.rooms[kind].find(this.app.uuid, id)) return kind;
    }
    return undefined;
  }

  /** Starts a chatroom's cursor at its newest entry (a device that joins gets what comes next). */
  async joined(roomId: string): Promise<void> {
    const view = viewOf(roomConversation('chatroom', roomId).id, this.username);
    if (view) await this.enqueue(async () => void (await this.cursor(view)), 'joining a chatroom');
  }

  // ---- the end ----

  /** Lets the device go: waits for the task under way, stores its positions, unsubscribes. */
  close(): Promise<void> {
    this.closed = true;
    this.closing ??= (async () => {
      await this.chain;
      try {
        await this.deps.positions.flush();
      } finally {
        this.unsubscribe();
      }
    })();
    return this.closing;
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

/** Older first: by time, then by message id (ids grow with time), then by conversation. */
function before(a: LogEntry, b: LogEntry): boolean {
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp;
  const ia = a.message?.id;
  const ib = b.message?.id;
  if (ia !== undefined && ib !== undefined && ia !== ib) return ia.length !== ib.length ? ia.length < ib.length : ia < ib;
  return a.conversation < b.conversation;
}
