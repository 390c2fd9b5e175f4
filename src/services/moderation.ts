// Mutes, mute-all, allowlists and blocklists of groups and chatrooms (seed 003, REFERENCE §2c/§2d).
// One service per kind: the rules are the same, the words on the wire differ a little.
import type { ModerationLimits } from '../config.js';
import type { GroupRow, GroupsRepository } from '../store/groups.js';
import type { ModerationRepository } from '../store/moderation.js';
import type { RoomKind } from '../store/schema.js';
import type { App } from './apps.js';
import { type ErrorCode, fail } from './errors.js';
import { commaList, objectBody, stringArray } from './fields.js';
import type { GroupsService } from './groups.js';
import { decideSpeak, type Role, type SpeakDecision } from './speak.js';

const PERMANENT = -1;

export interface MuteResult {
  result: boolean;
  expire: number;
  user: string;
}

export interface ListResult {
  result: boolean;
  action: string;
  reason?: string;
  user: string;
}

export class ModerationService {
  /** Non-members: groups answer 403, chatrooms 400 (as their doc tables say). */
  private readonly notMembers: ErrorCode;

  constructor(
    readonly kind: RoomKind,
    private readonly rooms: GroupsService,
    private readonly roomRows: GroupsRepository,
    private readonly lists: ModerationRepository,
    private readonly limits: ModerationLimits,
    private readonly now: () => number = Date.now,
  ) {
    this.notMembers = kind === 'group' ? 'groupNotMembers' : 'roomNotMembers';
  }

  private usernames(body: unknown, tooMany: string): string[] {
    const f = objectBody(body, 'groupInvalidParameter', { message: 'request body must be a JSON object' });
    const names = [...new Set(stringArray(f.usernames, 'groupFieldRequired', { field: 'usernames' }).map((n) => n.toLowerCase()))];
    if (names.length === 0) fail('groupFieldRequired', { field: 'usernames' });
    if (names.length > this.limits.moderationBatch) fail('groupBatchTooLarge', { message: `${tooMany}${this.limits.moderationBatch}` });
    return names;
  }

  /** Every name must be a member (not only the owner) of the room. */
  private async requireMembers(room: GroupRow, names: string[]): Promise<void> {
    if (names.includes(room.owner)) fail('groupOwnerForbidden');
    const members = new Set((await this.roomRows.membersOf(room.id, names)).map((m) => m.username));
    const outsiders = names.filter((n) => !members.has(n));
    if (outsiders.length > 0) fail(this.notMembers, { usernames: outsiders.join(', ') });
  }

  // ---- mutes ----

  /** POST /{rooms}/{id}/mute {"usernames": [≤ 60], "mute_duration": ms | -1} */
  async mute(app: App, id: string, body: unknown): Promise<MuteResult[]> {
    const names = this.usernames(body, 'userNames size is more than max limit : ');
    const duration = (body as Record<string, unknown>).mute_duration;
    if (typeof duration !== 'number' || !Number.isSafeInteger(duration) || (duration < 1 && duration !== PERMANENT)) {
      fail('groupInvalidParameter', { message: 'mute_duration must be a positive number of milliseconds or -1' });
    }
    const room = await this.rooms.getManageable(app, id);
    await this.requireMembers(room, names);
    const now = this.now();
    const expire = duration === PERMANENT ? PERMANENT : now + duration;
    await this.lists.mute(app.uuid, id, names, expire, now);
    return names.map((user) => ({ result: true, expire, user }));
  }

  /** DELETE /{rooms}/{id}/mute/{m1,m2} — one result per user. */
  async unmute(app: App, id: string, list: string): Promise<{ result: boolean; user: string }[]> {
    const names = commaList(list).map((n) => n.toLowerCase());
    if (names.length > this.limits.moderationBatch) fail('groupBatchTooLarge', { message: `removeMute member size more than max limit : ${this.limits.moderationBatch}` });
    await this.rooms.getManageable(app, id);
    const lifted = new Set(await this.lists.unmute(id, names, this.now()));
    return names.map((user) => ({ result: lifted.has(user), user }));
  }

  /** GET /{rooms}/{id}/mute — mutes that have not expired, as of now. */
  async mutes(app: App, id: string): Promise<{ expire: number; user: string }[]> {
    await this.rooms.get(app, id);
    return (await this.lists.activeMutes(id, this.now())).map((m) => ({ expire: m.expire, user: m.username }));
  }

  /** POST / DELETE /{rooms}/{id}/ban — mute all; the individual list is left as it is. */
  async setMuteAll(app: App, id: string, on: boolean): Promise<boolean> {
    await this.rooms.getManageable(app, id);
    await this.roomRows.update(app.uuid, id, { mute_all: on ? 1 : 0, modified: this.now() });
    return on;
  }

  // ---- allowlist ----

  async allowlist(app: App, id: string): Promise<string[]> {
    await this.rooms.get(app, id);
    return this.lists.list('group_allowlist', id);
  }

  /** Adds members to the allowlist; non-members are refused. */
  async allow(app: App, id: string, names: string[]): Promise<ListResult[]> {
    const room = await this.rooms.getManageable(app, id);
    const members = new Set((await this.roomRows.membersOf(room.id, names)).map((m) => m.username));
    const outsiders = names.filter((n) => !members.has(n));
    if (outsiders.length > 0) fail(this.notMembers, { usernames: outsiders.join(', ') });
    await this.lists.add('group_allowlist', app.uuid, id, names, this.now());
    return names.map((user) => ({ result: true, action: 'add_user_whitelist', user }));
  }

  allowMany(app: App, id: string, body: unknown): Promise<ListResult[]> {
    return this.allow(app, id, this.usernames(body, 'usernames size is more than max limit : '));
  }

  async disallow(app: App, id: string, list: string): Promise<ListResult[]> {
    const names = commaList(list).map((n) => n.toLowerCase());
    if (names.length > this.limits.moderationBatch) fail('groupBatchTooLarge', { message: `removeWhitelist size is more than max limit : ${this.limits.moderationBatch}` });
    await this.rooms.getManageable(app, id);
    const removed = new Set(await this.lists.remove('group_allowlist', id, names));
    return names.map((user) => ({ result: removed.has(user), action: 'remove_user_whitelist', user }));
  }

  // ---- blocklist ----

  async blocklist(app: App, id: string): Promise<string[]> {
    await this.rooms.get(app, id);
    return this.lists.list('group_blocklist', id);
  }

  /**
   * Blocks members: they leave the room (and its threads and allowlist) and cannot rejoin. For one
   * user a non-member is refused; in a batch each non-member is reported in place.
   */
  async block(app: App, id: string, names: string[], single: boolean): Promise<ListResult[]> {
    const room = await this.rooms.getManageable(app, id);
    if (names.includes(room.owner)) fail('groupOwnerForbidden');
    const members = new Set((await this.roomRows.membersOf(room.id, names)).map((m) => m.username));
    const outsiders = names.filter((n) => !members.has(n));
    if (single && outsiders.length > 0) fail(this.notMembers, { usernames: outsiders.join(', ') });
    const blocked = names.filter((n) => members.has(n));
    const now = this.now();
    await this.lists.add('group_blocklist', app.uuid, id, blocked, now);
    await this.roomRows.removeMembers(id, blocked, now);
    return names.map((user) =>
      members.has(user)
        ? { result: true, action: 'add_blocks', user }
        : { result: false, action: 'add_blocks', reason: `user: ${user} doesn't exist in group: ${id}`, user },
    );
  }

  blockMany(app: App, id: string, body: unknown): Promise<ListResult[]> {
    return this.block(app, id, this.usernames(body, 'userNames is more than max limit : '), false);
  }

  async unblock(app: App, id: string, list: string): Promise<ListResult[]> {
    const names = commaList(list).map((n) => n.toLowerCase());
    if (names.length > this.limits.moderationBatch) fail('groupBatchTooLarge', { message: `removeBlacklist: list size more than max limit : ${this.limits.moderationBatch}` });
    await this.rooms.getManageable(app, id);
    const removed = new Set(await this.lists.remove('group_blocklist', id, names));
    return names.map((user) => ({ result: removed.has(user), action: 'remove_blocks', user }));
  }

  async isBlocked(roomId: string, username: string): Promise<boolean> {
    return this.lists.contains('group_blocklist', roomId, username);
  }

  // ---- the speak decision ----

  /** Gathers the facts about `username` in `room` (already looked up by the caller) and decides (decideSpeak). */
  async maySpeak(room: GroupRow, username: string): Promise<SpeakDecision> {
    const id = room.id;
    const name = username.toLowerCase();
    const now = this.now();
    const [member, blocked, muted, allowlisted] = await Promise.all([
      this.roomRows.member(id, name),
      this.lists.contains('group_blocklist', id, name),
      this.lists.activeMute(id, name, now),
      this.lists.contains('group_allowlist', id, name),
    ]);
    const role: Role = member ? member.role : 'none';
    return decideSpeak({ role, blocked, muted: muted !== undefined, allowlisted, muteAll: room.mute_all === 1, disabled: room.disabled === 1 });
  }
}
