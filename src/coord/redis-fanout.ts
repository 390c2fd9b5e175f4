// The fan-out shared by every process using one Redis (QUNLIAO_REDIS; issue 16). A channel per user
// (`qunliao:user:{app uuid}:{username}`): a process subscribes to it while it has a device of that
// user connected, and a notice or kick for the user is published there, so it reaches the user's
// devices on every process without the sender knowing where they are. The sending process hands
// its own devices the notice directly and ignores its own publications coming back.
//
// Exactly-once does not rest on Redis: a notice only wakes a session, which takes entries by their
// numbers in the conversation log (services/sessions/session.ts), so a notice lost or repeated
// changes nothing a device sees. A notice lost while Redis is away is made up for by the sessions
// of this process reading their logs: every few seconds while the subscriber is down, and once when
// it is back (after its channels are subscribed again).
//
// A device (user and resource) moving to another process: each process holds a key per connected
// device (`qunliao:device:{app uuid}:{username}:{resource}`), deleted only once the device's
// positions are stored as it leaves. A process where the device connects waits (up to
// HANDOVER_WAIT_MS) for another process's key to go before reading the positions, so that a
// client reconnecting at once elsewhere does not get again what it already had.
//
// Presence: a sorted set per user (`qunliao:presence:{app uuid}:{username}`) of the processes with
// a device of that user, each scored with the time its entry runs out. Every process refreshes its
// entries on a heartbeat; the key expires with them, so a process killed with kill -9 leaves nothing
// behind for longer than PRESENCE_TTL_MS.
import { randomUUID } from 'node:crypto';
import type { Fanout, KickReason, Listener, Notice } from './fanout.js';
import type { RedisLink } from './redis.js';

const HEARTBEAT_MS = 10_000;
export const PRESENCE_TTL_MS = 30_000;
/** How often sessions read their logs while Redis is away. */
export const DEGRADED_POLL_MS = 3_000;
/** How long a connecting device waits for its channel's subscription before reading its backlog. */
const SUBSCRIBE_WAIT_MS = 2_000;
/** How long a connecting device waits for another process to let the same device go. */
export const HANDOVER_WAIT_MS = 1_000;
/** Deletes a device key only while it is still this process's. */
const RELEASE_SCRIPT = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

interface Wire {
  /** The publishing process. */
  o: string;
  n?: Notice;
  k?: { r: KickReason; s?: string };
}

interface UserSlot {
  app: string;
  user: string;
  listeners: Set<Listener>;
  /** Settles once Redis has confirmed the subscription (or could not be asked). */
  subscribed: Promise<void>;
}

const channelOf = (app: string, user: string) => `qunliao:user:${app}:${user}`;
const presenceOf = (app: string, user: string) => `qunliao:presence:${app}:${user}`;
const deviceOf = (app: string, user: string, resource: string) => `qunliao:device:${app}:${user}:${resource}`;

export class RedisFanout implements Fanout {
  /** This process, in presence entries and on what it publishes. */
  readonly process: string;
  private readonly slots = new Map<string, UserSlot>();
  /** Device keys of this process → how many of its listeners are that device. */
  private readonly devices = new Map<string, number>();
  private heartbeat: NodeJS.Timeout | undefined;
  private poll: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The last message read: a notice to a room's members arrives once per member, the same text each time. */
  private lastRaw: string | undefined;
  private lastWire: Wire | undefined;

  constructor(
    private readonly link: RedisLink,
    private readonly onError: (err: unknown, what: string) => void = () => undefined,
    processName?: string,
  ) {
    this.process = processName ?? randomUUID();
    link.subscriber.on('message', (channel: string, raw: string) => this.received(channel, raw));
    link.watch((up) => (up ? void this.recovered() : this.degraded()));
    this.heartbeat = setInterval(() => this.refreshPresence([...this.slots.values()], [...this.devices.keys()]), HEARTBEAT_MS).unref();
    if (!link.up) this.degraded();
  }

  subscribe(appUuid: string, username: string, listener: Listener): () => void {
    const channel = channelOf(appUuid, username);
    let slot = this.slots.get(channel);
    if (!slot) {
      slot = { app: appUuid, user: username, listeners: new Set(), subscribed: this.subscribeChannel(channel) };
      this.slots.set(channel, slot);
      this.refreshPresence([slot]);
    }
    slot.listeners.add(listener);
    const own = slot;
    const device = deviceOf(appUuid, username, listener.resource);
    this.devices.set(device, (this.devices.get(device) ?? 0) + 1);
    return () => {
      // Called once the device's positions are stored (Session.close): the device is free to go on elsewhere.
      const left = (this.devices.get(device) ?? 1) - 1;
      if (left > 0) this.devices.set(device, left);
      else {
        this.devices.delete(device);
        if (!this.stopped && this.link.commands.status === 'ready') this.link.commands.eval(RELEASE_SCRIPT, 1, device, this.process).catch(() => undefined);
      }
      own.listeners.delete(listener);
      if (own.listeners.size > 0 || this.slots.get(channel) !== own) return;
      this.slots.delete(channel);
      if (this.stopped) return;
      this.link.subscriber.unsubscribe(channel).catch(() => undefined);
      if (this.link.commands.status === 'ready') this.link.commands.zrem(presenceOf(appUuid, username), this.process).catch(() => undefined);
    };
  }

  /** Waits until notices for the user reach this process and no other process holds the device. */
  async settled(appUuid: string, username: string, resource: string): Promise<void> {
    await (this.slots.get(channelOf(appUuid, username))?.subscribed ?? Promise.resolve());
    const key = deviceOf(appUuid, username, resource);
    const deadline = Date.now() + HANDOVER_WAIT_MS;
    const commands = this.link.commands;
    try {
      for (;;) {
        if (commands.status !== 'ready') return;
        if ((await commands.set(key, this.process, 'PX', PRESENCE_TTL_MS, 'NX')) === 'OK') return;
        const holder = await commands.get(key);
        // Ours already (another connection of the device here), or a holder that does not let go
        // (a process that died, the same resource connected twice): take it over.
        if (holder === this.process || Date.now() >= deadline) {
          await commands.set(key, this.process, 'PX', PRESENCE_TTL_MS);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    } catch {
      // Redis went away meanwhile: the device goes on from the positions as they are.
    }
  }

  kick(appUuid: string, username: string, reason: KickReason, resource?: string): void {
    this.kickHere(channelOf(appUuid, username), reason, resource);
    this.send(channelOf(appUuid, username), { o: this.process, k: resource === undefined ? { r: reason } : { r: reason, s: resource } });
  }

  publish(appUuid: string, usernames: Iterable<string>, notice: Notice): number {
    let told = 0;
    const channels: string[] = [];
    for (const username of usernames) {
      const channel = channelOf(appUuid, username);
      channels.push(channel);
      for (const listener of this.slots.get(channel)?.listeners ?? []) {
        listener.notice(notice);
        told++;
      }
    }
    if (channels.length > 0 && this.link.commands.status === 'ready') {
      const payload = JSON.stringify({ o: this.process, n: notice } satisfies Wire);
      const pipeline = this.link.commands.pipeline();
      for (const channel of channels) pipeline.publish(channel, payload);
      // A failed publish is made up for by the sessions reading their logs (see the top).
      pipeline.exec().catch(() => undefined);
    }
    return told;
  }

  /** Whether the user has a device connected to this process. */
  isOnline(appUuid: string, username: string): boolean {
    return this.slots.has(channelOf(appUuid, username));
  }

  /** The processes with a device of the user connected (entries not yet run out). */
  async processes(appUuid: string, username: string): Promise<string[]> {
    const here = this.isOnline(appUuid, username) ? [this.process] : [];
    if (this.link.commands.status !== 'ready') return here;
    try {
      const there = await this.link.commands.zrangebyscore(presenceOf(appUuid, username), Date.now(), '+inf');
      return [...new Set([...here, ...there])];
    } catch {
      return here;
    }
  }

  /** Not known across processes: senders tell every member of a room (publishing is cheap). */
  onlineUsers(): undefined {
    return undefined;
  }

  /** Stops the timers and takes this process's presence entries out (shutdown). */
  async close(): Promise<void> {
    this.stopped = true;
    clearInterval(this.heartbeat);
    clearInterval(this.poll);
    if (this.link.commands.status !== 'ready' || this.slots.size === 0) return;
    const pipeline = this.link.commands.pipeline();
    for (const slot of this.slots.values()) pipeline.zrem(presenceOf(slot.app, slot.user), this.process);
    for (const device of this.devices.keys()) pipeline.eval(RELEASE_SCRIPT, 1, device, this.process);
    await pipeline.exec().catch(() => undefined);
  }

  // ---- inside ----

  private subscribeChannel(channel: string): Promise<void> {
    // While Redis is away the subscription is made when it comes back (recovered); the device
    // reads its backlog meanwhile and the degraded poll covers the rest.
    if (this.link.subscriber.status !== 'ready') return Promise.resolve();
    const confirmed = this.link.subscriber.subscribe(channel).then(
      () => undefined,
      () => undefined,
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, SUBSCRIBE_WAIT_MS);
    });
    return Promise.race([confirmed, timeout]).finally(() => clearTimeout(timer));
  }

  private received(channel: string, raw: string): void {
    const slot = this.slots.get(channel);
    if (!slot) return;
    let wire: Wire;
    if (raw === this.lastRaw && this.lastWire) {
      wire = this.lastWire;
    } else {
      try {
        wire = JSON.parse(raw) as Wire;
      } catch (err) {
        this.onError(err, 'reading a fan-out message');
        return;
      }
      this.lastRaw = raw;
      this.lastWire = wire;
    }
    if (wire.o === this.process) return;
    if (wire.n) for (const listener of [...slot.listeners]) listener.notice(wire.n);
    if (wire.k) this.kickHere(channel, wire.k.r, wire.k.s);
  }

  private kickHere(channel: string, reason: KickReason, resource?: string): void {
    for (const listener of [...(this.slots.get(channel)?.listeners ?? [])]) {
      if (resource === undefined || listener.resource === resource) listener.kick(reason);
    }
  }

  private send(channel: string, wire: Wire): void {
    if (this.link.commands.status !== 'ready') return;
    this.link.commands.publish(channel, JSON.stringify(wire)).catch(() => undefined);
  }

  private refreshPresence(slots: UserSlot[], devices: string[] = []): void {
    if ((slots.length === 0 && devices.length === 0) || this.link.commands.status !== 'ready') return;
    const now = Date.now();
    const pipeline = this.link.commands.pipeline();
    for (const device of devices) pipeline.pexpire(device, PRESENCE_TTL_MS);
    for (const { app, user } of slots) {
      const key = presenceOf(app, user);
      pipeline.zremrangebyscore(key, '-inf', now);
      pipeline.zadd(key, now + PRESENCE_TTL_MS, this.process);
      pipeline.pexpire(key, PRESENCE_TTL_MS);
    }
    pipeline.exec().catch(() => undefined);
  }

  /** Redis went away: sessions read their logs every few seconds until it is back. */
  private degraded(): void {
    if (this.poll || this.stopped) return;
    this.poll = setInterval(() => this.resyncAll(), DEGRADED_POLL_MS).unref();
  }

  /** Redis is back: channels subscribed again, presence written, then every session reads its logs once. */
  private async recovered(): Promise<void> {
    clearInterval(this.poll);
    this.poll = undefined;
    const channels = [...this.slots.keys()];
    try {
      if (channels.length > 0) await this.link.subscriber.subscribe(...channels);
    } catch (err) {
      this.onError(err, 'subscribing again after Redis came back');
    }
    this.refreshPresence([...this.slots.values()], [...this.devices.keys()]);
    this.resyncAll();
  }

  private resyncAll(): void {
    for (const slot of this.slots.values()) for (const listener of slot.listeners) listener.resync?.();
  }
}
