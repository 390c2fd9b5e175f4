// Live notices to connected devices. A small publish/subscribe interface: in-process now; a Redis
// implementation (a channel per user) lets several server processes share it later. Nothing here
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
}

export interface Fanout {
  /** Registers a connected device of a user; returns the function that unregisters it. */
  subscribe(appUuid: string, username: string, listener: Listener): () => void;
  /** Ends every connected device of the user, or only the one with `resource`. */
  kick(appUuid: string, username: string, reason: KickReason, resource?: string): void;
  /** Tells every connected device of each user; answers how many devices were told. */
  publish(appUuid: string, usernames: Iterable<string>, notice: Notice): number;
  /** Whether the user has a connected device (presence). */
  isOnline(appUuid: string, username: string): boolean;
}

export class InProcessFanout implements Fanout {
  private readonly devices = new Map<string, Set<Listener>>();

  private key(appUuid: string, username: string): string {
    return `${appUuid}\u0000${username}`;
  }

  subscribe(appUuid: string, username: string, listener: Listener): () => void {
    const key = this.key(appUuid, username);
    let set = this.devices.get(key);
    if (!set) this.devices.set(key, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.devices.get(key) === set) this.devices.delete(key);
    };
  }

  kick(appUuid: string, username: string, reason: KickReason, resource?: string): void {
    for (const listener of [...(this.devices.get(this.key(appUuid, username)) ?? [])]) {
      if (resource === undefined || listener.resource === resource) listener.kick(reason);
    }
  }

  publish(appUuid: string, usernames: Iterable<string>, notice: Notice): number {
    let told = 0;
    for (const username of usernames) {
      const set = this.devices.get(this.key(appUuid, username));
      if (!set) continue;
      for (const listener of set) {
        listener.notice(notice);
        told++;
      }
    }
    return told;
  }

  isOnline(appUuid: string, username: string): boolean {
    return this.devices.has(this.key(appUuid, username));
  }
}
