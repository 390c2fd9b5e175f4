// Owner transfer (PUT /{rooms}/{id} {"newowner"}): the new owner must be a member; the old owner
// stays as a member.
import { OwnerChangedError, type GroupRow } from '../../store/groups.js';
import type { App } from '../apps.js';
import type { Principal } from '../tokens.js';
import { fail } from '../errors.js';
import { username } from '../usernames.js';
import type { RoomCore } from './core.js';

export class RoomOwnership {
  constructor(
    private readonly core: RoomCore,
    private readonly now: () => number = Date.now,
  ) {}

  /** `{"newowner"}`: an existing user, a member, not the owner already. Returns the folded name. */
  async checkNewOwner(app: App, room: GroupRow, raw: unknown): Promise<string> {
    if (typeof raw !== 'string' || raw === '') fail('groupNewOwnerInvalid');
    const newOwner = username(raw);
    if (newOwner === room.owner) fail('groupSameOwner');
    await this.core.requireUsers(app, [newOwner]);
    if (!(await this.core.rows.member(room.id, newOwner))) fail('groupUserNotInGroup', { username: newOwner, id: room.id });
    return newOwner;
  }

  /** Makes a checked new owner the owner. */
  async transfer(app: App, room: GroupRow, newOwner: string, actor: Principal): Promise<void> {
    try {
      await this.core.write(room.id, () => this.core.rows.transferOwner(app.uuid, room.id, room.owner, newOwner, this.now()));
    } catch (err) {
      if (err instanceof OwnerChangedError) fail('ownerTransferConflict');
      throw err;
    }
    await this.core.announce(app, room.id, actor, { op: 'owner_changed', to: [newOwner] });
  }
}
