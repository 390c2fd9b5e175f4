// Mutes, mute-all, allowlists and blocklists of a room kind (seed 003, REFERENCE §2c/§2d). One
// service per kind over its Room; what differs between kinds is in the room's profile.
import type { ModerationLimits } from '../config.js';
import type { GroupRow } from '../store/groups.js';
import type { ModerationRepository } from '../store/moderation.js';
import type { App } from './apps.js';
import { fail, type ErrorCode } from './errors.js';
import { commaList, objectBody, stringArray } from './fields.js';
import type { Room } from './rooms/index.js';
import { decideSpeak, type Role, type SpeakDecision } from './speak.js';
import { username, usernames } from './usernames.js';
import type { Principal } from './tokens.js';

const PERMANENT = -1;

export interface MuteRecord {
  user: string;
  /** Unix ms when the mute ends; -1 = permanent. */
  expire: number;
}

/** One user of a list change: whether it took effect, and why not. */
export interface ListChange {
  user: string;
  result: boolean;
  reason?: 'not_member';
}

export class ModerationService {
  constructor(
    readonly room: Room,
    private readonly lists: ModerationRepository,
    private readonly limits: ModerationLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** `{"usernames": [...]}` of a batch request, folded, at most the batch limit (`tooMany` otherwise). */
  private batch(body: unknown, tooMany: ErrorCode): string[] {
    const f = objectBody(body, 'groupBodyNotObject');
    const names = usernames(stringArray(f.usernames, 'groupFieldRequired', { field: 'usernames' }));
    if (names.length === 0) fail('groupFieldRequired', { field: 'usernames' });
    if (names.length > this.limits.moderationBatch) fail(tooMany, { max: this.limits.moderationBatch });
    return names;
  }

  /** A comma list from the path, folded, at most the batch limit. */
  private pathList(list: string, tooMany: ErrorCode): string[] {
    const names = usernames(commaList(list));
    if (names.length > this.limits.moderationBatch) fail(tooMany, { max: this.limits.moderationBatch });
    return names;
  }

  private async memberSet(room: GroupRow, names: string[]): Promise<Set<string>> {
    return new Set((await this.room.core.rows.membersOf(room.id, names)).map((m) => m.username));
  }

  /** Every name must be a member of the room (the owner included, but see below). */
  private async requireMembers(room: GroupRow, names: string[]): Promise<void> {
    const members = await this.memberSet(room, names);
    await this.refuseOutsiders(room, names.filter((n) => !members.has(n)));
  }

  /**
   * Names found not to be members are refused — unless the room was dissolved since it was looked
   * up (its members went with it): then the 404 everyone who lost to the dissolve gets.
   */
  private async refuseOutsiders(room: GroupRow, outsiders: string[]): Promise<void> {
    if (outsiders.length === 0) return;
    if (!(await this.room.core.rows.find(room.app_uuid, room.id))) fail('groupNotFound', { id: room.id });
    fail(this.room.profile.errors.notMembers, { usernames: outsiders.join(', ') });
  }

  // ---- mutes ----

  /** POST /{rooms}/{id}/mute {"usernames": [≤ 60], "mute_duration": ms | -1} — the owner cannot be muted. */
  async mute(app: App, id: string, body: unknown, actor: Principal): Promise<MuteRecord[]> {
    const names = this.batch(body, 'muteTooMany');
    const duration = (body as Record<string, unknown>).mute_duration;
    if (typeof duration !== 'number' || !Number.isSafeInteger(duration) || (duration < 1 && duration !== PERMANENT)) fail('muteDurationInvalid');
    const room = await this.room.core.getManageable(app, id);
    if (names.includes(room.owner)) fail('groupOwnerForbidden');
    await this.requireMembers(room, names);
    await this.room.core.requireOutrank(room, actor, names);
    const now = this.now();
    const expire = duration === PERMANENT ? PERMANENT : now + duration;
    await this.room.core.write(id, () => this.lists.mute(app.uuid, id, names, expire, now));
    await this.room.core.announce(app, id, actor, { op: 'muted', to: names, expire });
    return names.map((user) => ({ user, expire }));
  }

  /** DELETE /{rooms}/{id}/mute/{m1,m2} — whether each was muted. */
  async unmute(app: App, id: string, list: string, actor: Principal): Promise<ListChange[]> {
    const names = this.pathList(list, 'unmuteTooMany');
    const room = await this.room.core.getManageable(app, id);
    await this.room.core.requireOutrank(room, actor, names);
    const lifted = new Set(await this.lists.unmute(id, names, this.now()));
    if (lifted.size > 0) await this.room.core.announce(app, id, actor, { op: 'unmuted', to: [...lifted] });
    return names.map((user) => ({ user, result: lifted.has(user) }));
  }

  /** GET /{rooms}/{id}/mute — mutes that have not expired, as of now. */
  async mutes(app: App, id: string): Promise<MuteRecord[]> {
    await this.room.core.get(app, id);
    return (await this.lists.activeMutes(id, this.now())).map((m) => ({ user: m.username, expire: m.expire }));
  }

  /** GET /sdk/{rooms}/{id}/mute/{username} — whether the user is muted now. */
  async isMuted(app: App, id: string, rawName: string): Promise<boolean> {
    await this.room.core.get(app, id);
    return (await this.lists.activeMute(id, username(rawName), this.now())) !== undefined;
  }

  /** POST / DELETE /{rooms}/{id}/ban — mute all; the individual list is left as it is. */
  async setMuteAll(app: App, id: string, on: boolean, actor: Principal): Promise<boolean> {
    await this.room.core.getManageable(app, id);
    await this.room.core.update(app, id, { mute_all: on ? 1 : 0, modified: this.now() });
    await this.room.core.announce(app, id, actor, { op: on ? 'mute_all' : 'unmute_all' });
    return on;
  }

  // ---- allowlist ----

  async allowlist(app: App, id: string): Promise<string[]> {
    await this.room.core.get(app, id);
    return this.lists.list('group_allowlist', id);
  }

  /**
   * GET /{rooms}/{id}/white/users/{username} — whether the user is a member, and on the allowlist.
   * A plain member may ask about themself only; the owner, admins and the app about anyone.
   */
  async allowlistStatus(app: App, id: string, rawName: string, actor: Principal): Promise<{ member: boolean; white: boolean }> {
    const name = username(rawName);
    const room = await this.room.core.get(app, id);
    if (actor.kind === 'user' && actor.user.username !== name && (await this.room.core.standing(room, actor)) === 'member') {
      fail('callerNotAdmin', { username: actor.user.username });
    }
    const [member, white] = await Promise.all([this.room.core.rows.member(id, name), this.lists.contains('group_allowlist', id, name)]);
    return { member: member !== undefined, white };
  }

  /** POST /{rooms}/{id}/white/users/{username} — one member. */
  allowOne(app: App, id: string, rawName: string, actor: Principal): Promise<ListChange[]> {
    return this.allow(app, id, [username(rawName)], actor);
  }

  /** POST /{rooms}/{id}/white/users {"usernames": [≤ 60]} — members only. */
  allowMany(app: App, id: string, body: unknown, actor: Principal): Promise<ListChange[]> {
    return this.allow(app, id, this.batch(body, 'allowTooMany'), actor);
  }

  private async allow(app: App, id: string, names: string[], actor: Principal): Promise<ListChange[]> {
    const room = await this.room.core.getManageable(app, id);
    await this.requireMembers(room, names);
    await this.room.core.requireOutrank(room, actor, names);
    await this.room.core.write(id, () => this.lists.allow(app.uuid, id, names, this.now()));
    await this.room.core.announce(app, id, actor, { op: 'allowlisted', to: names });
    return names.map((user) => ({ user, result: true }));
  }

  /** DELETE /{rooms}/{id}/white/users/{u1,u2} */
  async disallow(app: App, id: string, list: string, actor: Principal): Promise<ListChange[]> {
    const names = this.pathList(list, 'disallowTooMany');
    const room = await this.room.core.getManageable(app, id);
    await this.room.core.requireOutrank(room, actor, names);
    const removed = new Set(await this.lists.remove('group_allowlist', id, names));
    if (removed.size > 0) await this.room.core.announce(app, id, actor, { op: 'unallowlisted', to: [...removed] });
    return names.map((user) => ({ user, result: removed.has(user) }));
  }

  // ---- blocklist ----

  async blocklist(app: App, id: string): Promise<string[]> {
    await this.room.core.get(app, id);
    return this.lists.list('group_blocklist', id);
  }

  /** POST /{rooms}/{id}/blocks/users/{username} — one member: removed and kept out; a non-member is refused. */
  blockOne(app: App, id: string, rawName: string, actor: Principal): Promise<ListChange[]> {
    return this.block(app, id, [username(rawName)], true, actor);
  }

  /** POST /{rooms}/{id}/blocks/users {"usernames": [≤ 60]} — each non-member is reported in place. */
  blockMany(app: App, id: string, body: unknown, actor: Principal): Promise<ListChange[]> {
    return this.block(app, id, this.batch(body, 'blockTooMany'), false, actor);
  }

  /** Blocked members leave the room (and its threads and allowlist) and cannot rejoin. */
  private async block(app: App, id: string, names: string[], single: boolean, actor: Principal): Promise<ListChange[]> {
    const room = await this.room.core.getManageable(app, id);
    if (names.includes(room.owner)) fail('groupOwnerForbidden');
    await this.room.core.requireOutrank(room, actor, names);
    const members = await this.memberSet(room, names);
    const outsiders = names.filter((n) => !members.has(n));
    if (single) await this.refuseOutsiders(room, outsiders);
    // Those who left (or were deleted) since the check above are reported as not members.
    const blocked = new Set(await this.room.core.write(id, () => this.room.core.rows.blockMembers(app.uuid, id, names.filter((n) => members.has(n)), this.now())));
    if (blocked.size > 0) await this.room.core.announce(app, id, actor, { op: 'blocked', to: [...blocked] });
    return names.map((user) => (blocked.has(user) ? { user, result: true } : { user, result: false, reason: 'not_member' }));
  }

  /** DELETE /{rooms}/{id}/blocks/users/{username} or /{u1,u2} */
  async unblock(app: App, id: string, list: string, actor: Principal): Promise<ListChange[]> {
    const names = this.pathList(list, 'unblockTooMany');
    await this.room.core.getManageable(app, id);
    const removed = new Set(await this.lists.remove('group_blocklist', id, names));
    if (removed.size > 0) await this.room.core.announce(app, id, actor, { op: 'unblocked', to: [...removed] });
    return names.map((user) => ({ user, result: removed.has(user) }));
  }

  // ---- the speak decision ----

  /** Gathers the facts about `name` (folded) in `room` (already looked up by the caller) and decides (decideSpeak). */
  async maySpeak(room: GroupRow, name: string): Promise<SpeakDecision> {
    const id = room.id;
    const now = this.now();
    const [member, blocked, muted, allowlisted] = await Promise.all([
      this.room.core.rows.member(id, name),
      this.lists.contains('group_blocklist', id, name),
      this.lists.activeMute(id, name, now),
      this.lists.contains('group_allowlist', id, name),
    ]);
    const role: Role = member ? member.role : 'none';
    return decideSpeak({ role, blocked, muted: muted !== undefined, allowlisted, muteAll: room.mute_all === 1, disabled: room.disabled === 1 });
  }
}
