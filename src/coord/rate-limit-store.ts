// In-process counters for @fastify/rate-limit: fixed one-second windows per key and route.
// The library's own local store hands every caller the same mutable counter object, so requests
// that arrive in one tick (pipelined, or `inject` in tests) all read the final count and all get
// 429; this store answers each increment with its own snapshot. A Redis store (the library's
// RedisStore) can take its place when several processes share limits.

interface Window {
  count: number;
  startedAt: number;
}

type IncrCallback = (err: Error | null, result?: { current: number; ttl: number }) => void;

export class InProcessRateLimitStore {
  private readonly windows = new Map<string, Window>();
  private readonly timeWindow: number;

  /** Built by @fastify/rate-limit with its options; each route's child gets that route's window. */
  constructor(options: { timeWindow?: unknown } = {}) {
    this.timeWindow = typeof options.timeWindow === 'number' ? options.timeWindow : 1000;
  }

  incr(key: string, callback: IncrCallback): void {
    const timeWindow = this.timeWindow;
    const now = Date.now();
    let window = this.windows.get(key);
    if (!window || window.startedAt + timeWindow <= now) {
      if (this.windows.size > 10_000) this.sweep(now, timeWindow);
      window = { count: 0, startedAt: now };
      this.windows.set(key, window);
    }
    window.count += 1;
    callback(null, { current: window.count, ttl: window.startedAt + timeWindow - now });
  }

  /** One store per route, so each operation has its own budget. */
  child(routeOptions: object): InProcessRateLimitStore {
    return new InProcessRateLimitStore(routeOptions as { timeWindow?: unknown });
  }

  private sweep(now: number, timeWindow: number): void {
    for (const [key, window] of this.windows) if (window.startedAt + timeWindow <= now) this.windows.delete(key);
  }
}
