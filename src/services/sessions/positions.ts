// Device positions are written behind the deliveries, a few milliseconds later and many at a time:
// a group message that reaches 1,000 connected devices moves 1,000 positions in one transaction,
// not in 1,000. A session flushes before it lets go of its device (and a device that connects
// flushes before it reads), so a reconnect never starts behind what was delivered; only a crash
// of the process can lose the last few milliseconds, and then entries are delivered again rather
// than lost.
import type { ConversationsRepository, PositionRow } from '../../store/conversations.js';

const FLUSH_DELAY_MS = 20;
const RETRY_DELAY_MS = 1000;

export class PositionWriter {
  private readonly pending = new Map<string, PositionRow>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly repo: ConversationsRepository,
    private readonly onError: (err: unknown) => void,
  ) {}

  set(row: PositionRow): void {
    this.keep(row);
    this.schedule(FLUSH_DELAY_MS);
  }

  private keep(row: PositionRow): void {
    const key = `${row.app_uuid}\u0000${row.username}\u0000${row.resource}\u0000${row.conversation}`;
    const previous = this.pending.get(key);
    if (!previous || previous.seq < row.seq) this.pending.set(key, row);
  }

  private schedule(delay: number): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delay);
  }

  /** Writes every position set so far; resolves once they are stored. */
  flush(): Promise<void> {
    const run = this.running.then(async () => {
      if (this.pending.size === 0) return;
      const rows = [...this.pending.values()];
      this.pending.clear();
      try {
        await this.repo.savePositions(rows);
      } catch (err) {
        // Kept for the next flush (unless a newer position came meanwhile).
        for (const row of rows) this.keep(row);
        this.schedule(RETRY_DELAY_MS);
        this.onError(err);
      }
    });
    this.running = run;
    return run;
  }

  /** Stops the timer (server shutdown, after a last flush). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
