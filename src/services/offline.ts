// Offline message data (message_offline.md: GET /users/{u}/offline_msg_count and
// /users/{u}/offline_msg_status/{msg_id}). "Offline" is what none of the user's devices has been
// given yet: the message entries of their 1:1 and group conversation logs past the furthest
// position any of their devices reached (services/sessions), which the next device to connect is
// handed. Messages the user sent, live-only (ROUTE_ONLINE) messages and chatroom messages never
// wait. Positions are stored a few milliseconds after a delivery (sessions/positions.ts), so a
// message that has just reached a device may be counted for that long.
import type { OfflineRepository } from '../store/offline.js';
import type { UserRow, UsersRepository } from '../store/users.js';
import type { App } from './apps.js';
import { fail } from './errors.js';
import { viewOf } from './sessions/conversations.js';

export type DeliveryStatus = 'delivered' | 'undelivered';

/** Whether an entry's `audience` column lets `username` see it (null: everyone; {"except":[…]}: all but them). */
function inAudience(audience: string | null, username: string): boolean {
  if (audience === null) return true;
  const parsed = JSON.parse(audience) as string[] | { except: string[] };
  return Array.isArray(parsed) ? parsed.includes(username) : !parsed.except.includes(username);
}

export class OfflineService {
  constructor(
    private readonly repo: OfflineRepository,
    private readonly users: UsersRepository,
  ) {}

  private async user(app: App, username: string): Promise<UserRow> {
    const row = await this.users.findByName(app.uuid, username.toLowerCase());
    if (!row) fail('userNotFound');
    return row;
  }

  /** The number of messages waiting for the user's devices. */
  async count(app: App, username: string): Promise<number> {
    const user = await this.user(app, username);
    const counts = await this.repo.waitingCounts(app.uuid, user.username, Number(user.created));
    return counts.reduce((sum, c) => sum + (inAudience(c.audience, user.username) ? c.n : 0), 0);
  }

  /**
   * `undelivered` while the message waits for the user's devices; `delivered` otherwise — also for
   * ids that are no message of the user's (the hosted service answers from the offline queue
   * alone, which holds no such id).
   */
  async status(app: App, username: string, messageId: string): Promise<DeliveryStatus> {
    const user = await this.user(app, username);
    const entry = /^\d{1,24}$/.test(messageId) ? await this.repo.messageEntry(app.uuid, messageId) : undefined;
    if (!entry || entry.live_only === 1 || entry.from_user === user.username || !inAudience(entry.audience, user.username)) return 'delivered';
    const view = viewOf(entry.conversation, user.username);
    if (!view) return 'delivered';
    if (view.kind === 'chat') {
      if (entry.timestamp < Number(user.created)) return 'delivered';
    } else if (view.kind === 'group') {
      const joined = await this.repo.joinedGroup(app.uuid, view.room, user.username);
      if (joined === undefined || entry.timestamp < joined) return 'delivered';
    } else {
      return 'delivered';
    }
    const furthest = await this.repo.furthestPosition(app.uuid, user.username, entry.conversation);
    return entry.seq > furthest ? 'undelivered' : 'delivered';
  }
}
