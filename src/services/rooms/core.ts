// Looking rooms up, and dissolving them: what every room operation starts from.
import type { BlobStore } from '../../blobs/index.js';
import type { GroupChanges, GroupRow, GroupsRepository } from '../../store/groups.js';
import type { UsersRepository } from '../../store/users.js';
import { NotMembersError, RoomGoneError, UserGoneError } from '../../store/locking.js';
import type { App } from '../apps.js';
import type { Announcement, EventsService, RoomOperation } from '../events.js';
import { fail } from '../errors.js';
import { isNumericId } from '../ids.js';
import type { RoomProfile } from './profile.js';
import type { Principal } from '../tokens.js';
import type { GroupRole } from '../../store/schema.js';

/** Who is acting: the app (admin token), or a user with their role in the room ('none': not a member). */
export type Standing = 'app' | GroupRole | 'none';

export class RoomCore {
  constructor(
    readonly profile: RoomProfile,
    readonly rows: GroupsRepository,
    private readonly users: UsersRepository,
    private readonly blobs: BlobStore,
    private readonly events: EventsService,
  ) {}

  /**
   * Tells the people concerned what an operation did to the room (services/events.ts), once it has
   * happened: as done by the acting user (`admin` for the app), not to the device that did it.
   * `actor` may also name the user it was done as (an invitee's answer given by the app).
   */
  announce(app: App, id: string, actor: Principal | string, operation: Announcement): Promise<void> {
    const from = typeof actor === 'string' ? actor : actor.kind === 'user' ? actor.user.username : 'admin';
    const device = typeof actor !== 'string' && actor.kind === 'user' ? actor.device : undefined;
    return this.events.room(app, { kind: this.profile.kind, id }, { ...operation, from } as RoomOperation, device);
  }

  /** The room, or undefined. Ids that cannot be ours are simply not found. */
  find(app: App, id: string): Promise<GroupRow | undefined> {
    return isNumericId(id) ? this.rows.find(app.uuid, id) : Promise.resolve(undefined);
  }

  /** The room, or 404 `grpID X does not exist!`. */
  async get(app: App, id: string): Promise<GroupRow> {
    const room = await this.find(app, id);
    if (!room) fail('groupNotFound', { id });
    return room;
  }

  /** The room for a management operation: it must exist and not be disabled. */
  async getManageable(app: App, id: string): Promise<GroupRow> {
    const room = await this.get(app, id);
    if (room.disabled === 1) fail('groupDisabled', { id });
    return room;
  }

  /** The caller's standing in the room. */
  async standing(room: GroupRow, actor: Principal): Promise<Standing> {
    if (actor.kind === 'app') return 'app';
    return (await this.rows.member(room.id, actor.user.username))?.role ?? 'none';
  }

  /**
   * Admins act on plain members only; the owner and the app on anyone (the hosted client rules:
   * an admin cannot remove, mute or block another admin).
   */
  async requireOutrank(room: GroupRow, actor: Principal, targets: string[]): Promise<void> {
    if (actor.kind === 'app' || targets.length === 0) return;
    if ((await this.standing(room, actor)) === 'owner') return;
    const ranked = (await this.rows.membersOf(room.id, targets)).filter((m) => m.role !== 'member');
    if (ranked.length > 0) fail('callerNotOwner', { username: actor.user.username });
  }

  /** Which of the names (folded) are users of the app. */
  async existingUsers(app: App, names: string[]): Promise<string[]> {
    return (await this.users.findManyByName(app.uuid, names)).map((u) => u.username);
  }

  /** Every name (already folded) must be an existing user: 404 `username X doesn't exist!` otherwise. */
  async requireUsers(app: App, names: string[]): Promise<void> {
    const found = new Set((await this.users.findManyByName(app.uuid, names)).map((u) => u.username));
    const missing = names.find((n) => !found.has(n));
    if (missing !== undefined) fail('groupUserNotFound', { username: missing });
  }

  /**
   * Runs a write that re-checks, inside its transaction, the room and users it depends on: when a
   * concurrent request dissolved the room or deleted a user first, this one answers the documented
   * 404 instead.
   */
  async write<T>(id: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof RoomGoneError) fail('groupNotFound', { id });
      if (err instanceof UserGoneError) fail('groupUserNotFound', { username: err.username });
      if (err instanceof NotMembersError) fail(this.profile.errors.notMembers, { usernames: err.usernames.join(', ') });
      throw err;
    }
  }

  /** Changes columns of the room; 404 when it was dissolved meanwhile. */
  async update(app: App, id: string, changes: GroupChanges): Promise<void> {
    if (!(await this.rows.update(app.uuid, id, changes))) fail('groupNotFound', { id });
  }

  /** DELETE /chatgroups/{id}, DELETE /chatrooms/{id}: members, lists, announcement, files and their bytes go. */
  async dissolve(app: App, id: string, actor: Principal): Promise<void> {
    const room = await this.get(app, id);
    // Who to tell, read before they are gone (a member joining meanwhile is not told).
    const members = (await this.rows.members(id, 0, Math.max(room.member_count, room.maxusers) + 1)).map((m) => m.username);
    const deleted = await this.rows.delete(app.uuid, id);
    if (!deleted) fail('groupNotFound', { id });
    await this.blobs.delete(deleted.fileIds);
    await this.announce(app, id, actor, { op: 'destroyed', members });
  }
}
