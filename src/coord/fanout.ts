// Live notices to connected devices. A small publish/subscribe interface: in-process here; the
// Redis one (redis-fanout.ts, a channel per user) lets several server processes share it. Nothing here
// is needed for correctness across restarts: the conversation logs and device positions in the
// database are the truth, a notice only says "conversation X has these new entries" so that a
// connected device need not wait or poll (services/sessions).
import type { LogEntry } from '../services/sessions/entries.js';

/** New entries of one conversation (serializable: it may cross processes). */
export interface Notice {
  conversation: string;
  entries: LogEntry[];
}

/**
 * Why a user's sessions end (the hosted service logs the devices out); `replaced`: the same device
 * (resource) logged in again on another connection.
 */
export type KickReason = 'password_changed' | 'deleted' | 'deactivated' | 'forced_logout' | 'replaced';

/** A connected device. */
export interface Listener {
  /** Which of the user's devices this is (its resource). */
  readonly resource: string;
  notice(notice: Notice): void;
  kick(reason: KickReason): void;
  /** Notices may have been missed (the fan-out lost Redis for a while): read the logs again. */
  resync?(): void;
}

export interface Fanout {
  /** Registers a connected device of a user; returns the function that unregisters it. */
  subscribe(appUuid: string, username: string, listener: Listener): () => void;
  /** Ends every connected device of the user, or only the one with `resource`. */
  kick(appUuid: string, username: string, reason: KickReason, resource?: string): void;
  /** Tells every connected device of each user; answers how many devices were told. */
  publish(appUuid: string, usernames: Iterable<string>, notice: Notice): number;
  /**
   * Settles once notices for the user published from now on reach a device that just subscribed
   * (the Redis subscription is confirmed), so that its backlog read misses nothing, and once
   * another process has let the same device (`resource`) go, its positions stored, so that the
   * device does not start from older ones (a device moving between processes).
   */
  settled(appUuid: string, username: string, resource: string): Promise<void>;
  /** Whether the user has a device connected to this process. */
  isOnline(appUuid: string, username: string): boolean;
  /** Presence: the processes where the user has a connected device (this one's name alone in-process). */
  processes(appUuid: string, username: string): Promise<string[]>;
  /**
   * The users of the app with a connected device, when the implementation knows them all (the
   * in-process one does): senders then tell only those of a room's members. Undefined otherwise.
   */
  onlineUsers(appUuid: string): ReadonlySet<string> | undefined;
  /** Stops timers and takes this process's presence out (shutdown). */
  close(): Promise<void>;
}

export class InProcessFanout implements Fanout {
  readonly process = 'local';
  /** app → user → connected devices. */
  private readonly apps = new Map<string, Map<string, Set<Listener>>>();
  private readonly online = new Map<string, Set<string>>();

  subscribe(appUuid: string, username: string, listener: Listener): () => void {
    let users = this.apps.get(appUuid);
    if (!users) this.apps.set(appUuid, (users = new Map()));
    let set = users.get(username);
    if (!set) users.set(username, (set = new Set()));
    set.add(listener);
    let names = this.online.get(appUuid);
    if (!names) this.online.set(appUuid, (names = new Set()));
    names.add(username);
    return () => {
      set.delete(listener);
      if (set.size === 0 && users.get(username) === set) {
        users.delete(username);
        names.delete(username);
      }
    };
  }

  kick(appUuid: string, username: string, reason: KickReason, resource?: string): void {
    for (const listener of [...(this.apps.get(appUuid)?.get(username) ?? [])]) {
      if (resource === undefined || listener.resource === resource) listener.kick(reason);
    }
  }

  publish(appUuid: string, usernames: Iterable<string>, notice: Notice): number {
    const users = this.apps.get(appUuid);
    if (!users) return 0;
    let told = 0;
    for (const username of usernames) {
      const set = users.get(username);
      if (!set) continue;
      for (const listener of set) {
        listener.notice(notice);
        told++;
      }
    }
    return told;
  }

  settled(): Promise<void> {
    return Promise.resolve();
  }

  isOnline(appUuid: string, username: string): boolean {
    return this.apps.get(appUuid)?.has(username) ?? false;
  }

  processes(appUuid: string, username: string): Promise<string[]> {
    return Promise.resolve(this.isOnline(appUuid, username) ? [this.process] : []);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  onlineUsers(appUuid: string): ReadonlySet<string> {
    return this.online.get(appUuid) ?? new Set();
  }
}
