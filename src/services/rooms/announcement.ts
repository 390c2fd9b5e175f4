// Room announcements (seed 000 "群公告", chatroom_attribute.md): at most 512 characters.
import type { App } from '../apps.js';
import type { Principal } from '../tokens.js';
import { fail } from '../errors.js';
import { charLength, objectBody } from '../fields.js';
import type { RoomCore } from './core.js';

const ANNOUNCEMENT_MAX = 512;

export class RoomAnnouncement {
  constructor(
    private readonly core: RoomCore,
    private readonly now: () => number = Date.now,
  ) {}

  async get(app: App, id: string): Promise<string> {
    return (await this.core.get(app, id)).announcement;
  }

  /** Counted in characters, not bytes; over the limit the old announcement is kept. */
  async set(app: App, id: string, body: unknown, actor: Principal): Promise<void> {
    const f = objectBody(body, 'groupBodyNotObject');
    if (typeof f.announcement !== 'string') fail('groupFieldRequired', { field: 'announcement' });
    if (charLength(f.announcement) > ANNOUNCEMENT_MAX) fail('announcementTooLong');
    await this.core.getManageable(app, id);
    await this.core.update(app, id, { announcement: f.announcement, modified: this.now() });
    // An empty announcement is the SDK's way of removing it.
    await this.core.announce(app, id, actor, f.announcement === '' ? { op: 'announcement_deleted' } : { op: 'announcement_updated', text: f.announcement });
  }
}
