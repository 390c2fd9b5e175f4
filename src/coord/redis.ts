// The connections to Redis (QUNLIAO_REDIS) that every shared thing of a process goes through: the
// rate-limit counters, the fan-out's publishes and presence keys (commands), and its channels
// (subscriber, which Redis puts in a mode of its own). ioredis reconnects by itself; what this adds
// is one place that knows whether Redis is reachable, says so in the log once per change (not per
// request or per reconnect attempt), and tells the fan-out when to fall back to the logs.
import { Redis } from 'ioredis';

export interface CoordLog {
  info(msg: string): void;
  warn(err: unknown, msg: string): void;
}

/** How long start-up waits for Redis before it serves anyway (degraded: see RedisFanout). */
const CONNECT_WAIT_MS = 5_000;
/** How long a health check waits for PONG. */
const PING_TIMEOUT_MS = 1_000;

export class RedisLink {
  /** Fails at once while Redis is away (no offline queue): callers fall back, nothing waits. */
  readonly commands: Redis;
  /** Keeps its subscriptions across reconnects. */
  readonly subscriber: Redis;
  private reported: 'up' | 'down' = 'up';
  private readonly watchers = new Set<(up: boolean) => void>();
  private closed = false;
  /** States are reported from the end of the first wait on (connecting is not going away). */
  private started = false;

  constructor(
    url: string,
    private readonly log: () => CoordLog | undefined,
  ) {
    // Reconnect attempts every 0.1 s at first, then every second at most.
    const retryStrategy = (times: number) => Math.min(times * 100, 1_000);
    this.commands = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy, connectionName: 'qunliao' });
    this.subscriber = new Redis(url, { maxRetriesPerRequest: null, retryStrategy, connectionName: 'qunliao-sub' });
    for (const conn of [this.commands, this.subscriber]) {
      conn.on('error', (err: unknown) => this.changed(err));
      conn.on('close', () => this.changed());
      conn.on('ready', () => this.changed());
    }
  }

  /** Both connections are ready. */
  get up(): boolean {
    return this.commands.status === 'ready' && this.subscriber.status === 'ready';
  }

  /** Waits (a few seconds at most) for the first connection; serving starts either way. */
  async connected(): Promise<boolean> {
    const deadline = Date.now() + CONNECT_WAIT_MS;
    while (!this.up && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.started = true;
    if (!this.up) this.changed(new Error('not reachable at start'));
    return this.up;
  }

  /** Called with the new state each time Redis goes away or comes back. */
  watch(fn: (up: boolean) => void): void {
    this.watchers.add(fn);
  }

  /** PING through the command connection (the health endpoint). */
  async ping(): Promise<boolean> {
    if (this.commands.status !== 'ready') return false;
    let timer: NodeJS.Timeout | undefined;
    try {
      const pong = await Promise.race([
        this.commands.ping(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), PING_TIMEOUT_MS);
        }),
      ]);
      return pong === 'PONG';
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  private changed(err?: unknown): void {
    if (this.closed || !this.started) return;
    const now = this.up ? 'up' : 'down';
    if (now === this.reported) return;
    this.reported = now;
    if (now === 'down') {
      this.log()?.warn(err, 'Redis is not reachable: live delivery across processes falls back to the conversation logs, rate limits to letting requests through; retrying');
    } else {
      this.log()?.info('Redis is reachable again: live delivery across processes resumed');
    }
    for (const fn of this.watchers) fn(now === 'up');
  }

  async close(): Promise<void> {
    this.closed = true;
    // QUIT waits for Redis; one that is away would keep it waiting (the subscriber queues commands).
    await Promise.all(
      [this.commands, this.subscriber].map(async (c) => {
        if (c.status !== 'ready') return c.disconnect();
        await c.quit().catch(() => c.disconnect());
      }),
    );
  }
}
