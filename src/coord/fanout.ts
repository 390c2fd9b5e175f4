// Delivery of frames to connected devices. A small publish/subscribe interface: in-process now;
// a Redis implementation (channels per user) lets several server processes share it later.

export type FrameHandler = (frame: string) => void;

export interface Fanout {
  /** Registers a connected device of a user; returns the function that unregisters it. */
  subscribe(appUuid: string, username: string, handler: FrameHandler): () => void;
  /** Sends one frame to every connected device of each user (except `skip`, the sending device). */
  publish(appUuid: string, usernames: Iterable<string>, frame: string, skip?: FrameHandler): void;
  /** Whether the user has a connected device (users who do not get an inbox entry). */
  isOnline(appUuid: string, username: string): boolean;
}

export class InProcessFanout implements Fanout {
  private readonly devices = new Map<string, Set<FrameHandler>>();

  private key(appUuid: string, username: string): string {
    return `${appUuid}\u0000${username}`;
  }

  subscribe(appUuid: string, username: string, handler: FrameHandler): () => void {
    const key = this.key(appUuid, username);
    let set = this.devices.get(key);
    if (!set) this.devices.set(key, (set = new Set()));
    set.add(handler);
    return () => {
      set.delete(handler);
      if (set.size === 0) this.devices.delete(key);
    };
  }

  publish(appUuid: string, usernames: Iterable<string>, frame: string, skip?: FrameHandler): void {
    for (const username of usernames) {
      const set = this.devices.get(this.key(appUuid, username));
      if (!set) continue;
      for (const handler of set) if (handler !== skip) handler(frame);
    }
  }

  isOnline(appUuid: string, username: string): boolean {
    return this.devices.has(this.key(appUuid, username));
  }
}
