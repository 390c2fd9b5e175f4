// Delivery of frames to connected devices. A small publish/subscribe interface: in-process now;
// a Redis implementation (channels per user) lets several server processes share it later.

/** A connected device; answers whether it took the frame (false once its connection is closing). */
export type FrameHandler = (frame: string) => boolean;

export interface Fanout {
  /**
   * Registers a connected device of a user; returns the function that unregisters it. `onKick`
   * closes the device when the user's sessions end (deactivated, deleted, password changed).
   */
  subscribe(appUuid: string, username: string, handler: FrameHandler, onKick?: () => void): () => void;
  /** Ends every connected device of the user (the hosted service logs them out). */
  kick(appUuid: string, username: string): void;
  /**
   * Sends one frame to every connected device of each user (except `skip`, the sending device);
   * returns the users at least one of whose devices took it.
   */
  publish(appUuid: string, usernames: Iterable<string>, frame: string, skip?: FrameHandler): Set<string>;
  /** Whether the user has a connected device (presence). */
  isOnline(appUuid: string, username: string): boolean;
}

export class InProcessFanout implements Fanout {
  private readonly devices = new Map<string, Set<FrameHandler>>();
  private readonly kicks = new Map<FrameHandler, () => void>();

  private key(appUuid: string, username: string): string {
    return `${appUuid}\u0000${username}`;
  }

  subscribe(appUuid: string, username: string, handler: FrameHandler, onKick?: () => void): () => void {
    const key = this.key(appUuid, username);
    let set = this.devices.get(key);
    if (!set) this.devices.set(key, (set = new Set()));
    set.add(handler);
    if (onKick) this.kicks.set(handler, onKick);
    return () => {
      set.delete(handler);
      this.kicks.delete(handler);
      if (set.size === 0) this.devices.delete(key);
    };
  }

  kick(appUuid: string, username: string): void {
    for (const handler of [...(this.devices.get(this.key(appUuid, username)) ?? [])]) this.kicks.get(handler)?.();
  }

  publish(appUuid: string, usernames: Iterable<string>, frame: string, skip?: FrameHandler): Set<string> {
    const reached = new Set<string>();
    for (const username of usernames) {
      const set = this.devices.get(this.key(appUuid, username));
      if (!set) continue;
      for (const handler of set) if (handler !== skip && handler(frame)) reached.add(username);
    }
    return reached;
  }

  isOnline(appUuid: string, username: string): boolean {
    return this.devices.has(this.key(appUuid, username));
  }
}
