// What the load balancer asks before it sends a process requests (GET /health, docs/deploy.md):
// the process answers, its database answers a query, and Redis (when configured) a PING. A process
// shutting down says so, so that it is taken out while it finishes what it has.
import { sql } from 'kysely';
import type { Store } from '../store/index.js';
import type { RedisLink } from '../coord/redis.js';
import { currentWorker } from './ids.js';

/** How long the database may take to answer. */
const DB_TIMEOUT_MS = 2_000;

export type Check = 'ok' | 'unreachable' | 'not configured';

export interface Health {
  /** Every check passed and the process is not shutting down. */
  ok: boolean;
  status: 'ok' | 'unavailable' | 'shutting down';
  process: string;
  /** The worker number in this process's message ids (services/ids.ts). */
  worker: number;
  uptime: number;
  database: Check;
  redis: Check;
}

export class HealthService {
  private draining = false;
  private readonly started = Date.now();

  constructor(
    private readonly store: Store,
    private readonly redis: RedisLink | undefined,
    private readonly processName: string,
  ) {}

  /** From SIGTERM on, the process answers 503 (while it lets requests under way finish). */
  drain(): void {
    this.draining = true;
  }

  async check(): Promise<Health> {
    const [database, redis] = await Promise.all([this.database(), this.redis ? this.redis.ping().then((up): Check => (up ? 'ok' : 'unreachable')) : Promise.resolve<Check>('not configured')]);
    const reachable = database === 'ok' && redis !== 'unreachable';
    return {
      ok: reachable && !this.draining,
      status: this.draining ? 'shutting down' : reachable ? 'ok' : 'unavailable',
      process: this.processName,
      worker: currentWorker(),
      uptime: Math.floor((Date.now() - this.started) / 1000),
      database,
      redis,
    };
  }

  private async database(): Promise<Check> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        sql`select 1`.execute(this.store.db),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), DB_TIMEOUT_MS);
        }),
      ]);
      return 'ok';
    } catch {
      return 'unreachable';
    } finally {
      clearTimeout(timer);
    }
  }
}
