// Groups (seed 001 "群组管理") and their members and admins (REFERENCE §2d, group_member.md).
import type { GroupLimits } from '../config.js';
import {
  AppGroupLimitError,
  GroupFullError,
  OwnerChangedError,
  UserGroupLimitError,
  type GroupRow,
  type GroupsRepository,
  type MemberRow,
  type NewGroup,
} from '../store/groups.js';
import type { UsersRepository } from '../store/users.js';
import { isUniqueViolation } from '../store/db.js';
import type { App } from './apps.js';
import type { BlobStore } from '../blobs/index.js';
import type { ModerationRepository } from '../store/moderation.js';
import { fail } from './errors.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { charLength, commaList, objectBody, optionalBool, optionalString, stringArray } from './fields.js';
import { isNumericId, numericId } from './ids.js';

const NAME_MAX = 128;
const DESCRIPTION_MAX = 512;
const AVATAR_MAX = 1024;
const CUSTOM_CREATE_MAX_BYTES = 8 * 1024; // create: "不要超过 8 KB"
const CUSTOM_MODIFY_MAX_CHARS = 1024; // modify: "不要超过 1,024 字符"
const DEFAULT_MAXUSERS = 200;
const ANNOUNCEMENT_MAX = 512;

/** Fields PUT /chatgroups/{id} may change, with the aliases official SDKs send. */
const MODIFIABLE: Record<string, string> = {
  groupname: 'groupname',
  avatar: 'avatar',
  description: 'description',
  desc: 'description',
  maxusers: 'maxusers',
  membersonly: 'membersonly',
  members_only: 'membersonly',
  allowinvites: 'allowinvites',
  invite_need_confirm: 'invite_need_confirm',
  custom: 'custom',
  public: 'public',
  newowner: 'newowner',
};

/** The columns of a new group or chatroom that its create request decides. */
export type RoomFields = Pick<
  NewGroup,
  'name' | 'description' | 'avatar' | 'public' | 'membersonly' | 'allowinvites' | 'invite_need_confirm' | 'maxusers' | 'custom'
>;

export interface GroupDetails {
  id: string;
  name: string;
  avatar: string;
  description: string;
  membersonly: boolean;
  allowinvites: boolean;
  invite_need_confirm: boolean;
  maxusers: number;
  owner: string;
  created: number;
  custom: string;
  mute: boolean;
  affiliations_count: number;
  disabled: boolean;
  affiliations: ({ owner: string } | { member: string })[];
  public: boolean;
}

export interface GroupListItem {
  owner: string;
  groupid: string;
  affiliations: number;
  type: 'group';
  lastModified: string;
  groupname: string;
}

export interface UserGroupItem {
  name: string;
  avatar: string;
  owner: string;
  id: string;
  groupId: string;
  description: string;
  disabled: boolean;
  public: boolean;
  allowinvites: boolean;
  membersonly: boolean;
  maxusers: number;
  created: number;
}

export type MemberItem = { owner: string; joined_time?: number } | { member: string; joined_time?: number };

export interface RemoveResult {
  result: boolean;
  action: 'remove_member';
  reason?: string;
  user: string;
  groupid: string;
}

const bool = (n: number): boolean => n === 1;

export class GroupsService {
  constructor(
    private readonly groups: GroupsRepository,
    private readonly users: UsersRepository,
    private readonly lists: ModerationRepository,
    private readonly limits: GroupLimits,
    private readonly blobs: BlobStore,
    private readonly now: () => number = Date.now,
  ) {}

  private get isRoom(): boolean {
    return this.groups.kind === 'chatroom';
  }

  /** Blocked users cannot join again (REFERENCE §2c/§2d blocklist). */
  private async refuseBlocked(id: string, names: string[]): Promise<void> {
    const blocked = await this.lists.containing('group_blocklist', id, names);
    if (blocked.size > 0) fail('groupUserBlocked', { username: [...blocked][0]!, id });
  }

  // ---- lookups shared by every operation ----

  /** The group, or 404 `grpID X does not exist!`. Ids that cannot be ours are simply not found. */
  async get(app: App, id: string): Promise<GroupRow> {
    const group = isNumericId(id) ? await this.groups.find(app.uuid, id) : undefined;
    if (!group) fail('groupNotFound', { id });
    return group;
  }

  /** The group for a management operation: it must exist and not be disabled. */
  async getManageable(app: App, id: string): Promise<GroupRow> {
    const group = await this.get(app, id);
    if (group.disabled === 1) fail('groupDisabled', { id });
    return group;
  }

  /** Every name must be an existing user: 404 `username X doesn't exist!` otherwise. */
  async requireUsers(app: App, names: string[]): Promise<void> {
    const found = new Set((await this.users.findManyByName(app.uuid, names)).map((u) => u.username));
    const missing = names.find((n) => !found.has(n));
    if (missing !== undefined) fail('groupUserNotFound', { username: missing });
  }

  // ---- POST /chatgroups ----

  async create(app: App, body: unknown): Promise<string> {
    const f = objectBody(body, 'groupInvalidParameter', { message: 'request body must be a JSON object' });
    if (f.public === undefined || f.public === null) fail('groupPublicRequired');
    const isPublic = optionalBool(f, 'public')!;
    if (f.owner === undefined || f.owner === null || f.owner === '') fail('groupFieldRequired', { field: 'owner' });
    if (typeof f.owner !== 'string') fail('groupInvalidParameter', { message: 'owner must be a string' });
    const owner = f.owner.toLowerCase();
    const name = optionalString(f, 'groupname', NAME_MAX, () => fail('groupInvalidParameter', { message: 'groupname length is too big' })) ?? '';
    const avatar = optionalString(f, 'avatar', AVATAR_MAX, () => fail('groupAvatarTooLong')) ?? '';
    const descriptionKey = f.description !== undefined ? 'description' : 'desc';
    const description =
      optionalString(f, descriptionKey, DESCRIPTION_MAX, () => fail('groupInvalidParameter', { message: 'description length is too big' })) ?? '';
    const custom =
      optionalString(f, 'custom', CUSTOM_CREATE_MAX_BYTES, () => fail('groupInvalidParameter', { message: 'custom length is too big' }), Buffer.byteLength) ?? '';
    const membersonly = optionalBool(f, f.membersonly !== undefined ? 'membersonly' : 'members_only') ?? false;
    const allowinvites = optionalBool(f, 'allowinvites') ?? false;
    const inviteNeedConfirm = optionalBool(f, 'invite_need_confirm') ?? true;
    const maxusers = this.parseMaxUsers(f.maxusers) ?? DEFAULT_MAXUSERS;
    const members = await this.initialMembers(app, f.members, owner, maxusers);

    return this.insertRoom(
      app,
      {
        name,
        description,
        avatar,
        public: isPublic ? 1 : 0,
        membersonly: membersonly ? 1 : 0,
        allowinvites: allowinvites ? 1 : 0,
        invite_need_confirm: inviteNeedConfirm ? 1 : 0,
        maxusers,
        custom,
      },
      owner,
      members,
    );
  }

  /**
   * The `members` of a create request besides the owner: existing users, lower-cased, without
   * repeats, fitting in `maxusers` together with the owner (who must exist too).
   */
  async initialMembers(app: App, raw: unknown, owner: string, maxusers: number): Promise<string[]> {
    const members =
      raw === undefined || raw === null
        ? []
        : [...new Set(stringArray(raw, 'groupInvalidParameter', { message: 'members must be an array of usernames' }).map((m) => m.toLowerCase()))].filter(
            (m) => m !== owner,
          );
    if (members.length + 1 > maxusers) fail('groupMembersExceedMax');
    await this.requireUsers(app, [owner, ...members]);
    return members;
  }

  /**
   * Inserts a new group or chatroom (this service's kind) with a fresh numeric id, its owner and
   * members, within the per-user and per-app caps. Returns the id.
   */
  async insertRoom(app: App, fields: RoomFields, owner: string, members: string[]): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const now = this.now();
      const id = numericId(now);
      try {
        await this.groups.create(
          { ...fields, app_uuid: app.uuid, id, owner, member_count: members.length + 1, created: now, modified: now },
          owner,
          members,
          now,
          { perUser: this.limits.groupsPerUser, perApp: this.limits.groupsPerApp },
        );
        return id;
      } catch (err) {
        if (err instanceof UserGroupLimitError) fail(this.isRoom ? 'userTooManyChatrooms' : 'userTooManyGroups', { username: err.username });
        if (err instanceof AppGroupLimitError) fail(this.isRoom ? 'appTooManyChatrooms' : 'appTooManyGroups', { appKey: `${app.org_name}#${app.app_name}` });
        if (!isUniqueViolation(err) || attempt >= 4) throw err;
      }
    }
  }

  /** `maxusers`: a positive integer (a numeric string too) up to this kind's cap. */
  parseMaxUsers(v: unknown): number | undefined {
    if (v === undefined || v === null) return undefined;
    const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) fail('groupInvalidParameter', { message: 'maxusers must be a positive integer' });
    if (n > this.limits.groupMaxUsers) fail('groupMaxUsersTooLarge', { max: this.limits.groupMaxUsers });
    return n;
  }

  // ---- disable / enable ----

  async setDisabled(app: App, id: string, disabled: boolean): Promise<boolean> {
    await this.get(app, id);
    await this.groups.update(app.uuid, id, { disabled: disabled ? 1 : 0, modified: this.now() });
    return disabled;
  }

  // ---- PUT /chatgroups/{id} ----

  /** Changes only the fields sent; answers `true` per field (and `newowner: true` for a transfer). */
  async modify(app: App, id: string, body: unknown): Promise<Record<string, boolean>> {
    const f = objectBody(body, 'groupInvalidParameter', { message: 'request body must be a JSON object' });
    const invalid = Object.keys(f).filter((k) => !(k in MODIFIABLE));
    if (invalid.length > 0) fail('groupInvalidFields', { fields: invalid.join(', ') });
    const group = await this.getManageable(app, id);

    const changes: Record<string, string | number> = {};
    const result: Record<string, boolean> = {};
    const set = (field: string, column: string, value: string | number | undefined) => {
      if (value === undefined) return;
      changes[column] = value;
      result[field] = true;
    };
    const flag = (v: boolean | undefined) => (v === undefined ? undefined : v ? 1 : 0);
    set('groupname', 'name', optionalString(f, 'groupname', NAME_MAX, () => fail('groupInvalidParameter', { message: 'groupname length is too big' })));
    set('avatar', 'avatar', optionalString(f, 'avatar', AVATAR_MAX, () => fail('groupAvatarTooLong')));
    for (const key of ['description', 'desc']) {
      set('description', 'description', optionalString(f, key, DESCRIPTION_MAX, () => fail('groupInvalidParameter', { message: 'description length is too big' })));
    }
    set('custom', 'custom', optionalString(f, 'custom', CUSTOM_MODIFY_MAX_CHARS, () => fail('groupInvalidParameter', { message: 'custom length is too big' })));
    set('maxusers', 'maxusers', this.parseMaxUsers(f.maxusers));
    for (const key of ['membersonly', 'members_only']) set('membersonly', 'membersonly', flag(optionalBool(f, key)));
    for (const key of ['allowinvites', 'invite_need_confirm', 'public']) set(key, key, flag(optionalBool(f, key)));

    const newOwner = f.newowner === undefined ? undefined : await this.checkNewOwner(app, group, f.newowner);

    const now = this.now();
    if (Object.keys(changes).length > 0) {
      const updated = { ...changes, modified: now };
      if (typeof changes.maxusers === 'number') {
        if (!(await this.groups.updateWithMaxUsers(app.uuid, id, { ...updated, maxusers: changes.maxusers }))) fail('groupMaxUsersBelowCount');
      } else {
        await this.groups.update(app.uuid, id, updated);
      }
    }
    if (newOwner !== undefined) {
      await this.transfer(app, group, newOwner);
      result.newowner = true;
    }
    return result;
  }

  /** `{"newowner"}`: an existing user, a member, not the owner already. Returns the name. */
  async checkNewOwner(app: App, group: GroupRow, raw: unknown): Promise<string> {
    if (typeof raw !== 'string' || raw === '') fail('groupInvalidParameter', { message: 'newowner must be a username' });
    const newOwner = raw.toLowerCase();
    if (newOwner === group.owner) fail('groupSameOwner');
    await this.requireUsers(app, [newOwner]);
    if (!(await this.groups.member(group.id, newOwner))) fail('groupUserNotInGroup', { username: newOwner, id: group.id });
    return newOwner;
  }

  /** Makes a checked new owner the owner; the old owner stays as a member. */
  async transfer(app: App, group: GroupRow, newOwner: string): Promise<void> {
    try {
      await this.groups.transferOwner(app.uuid, group.id, group.owner, newOwner, this.now());
    } catch (err) {
      if (err instanceof OwnerChangedError) fail('concurrentOperation', { message: 'the owner or the new owner changed during the transfer, try again' });
      throw err;
    }
  }

  // ---- GET /chatgroups (newest first, keyset cursor) ----

  async list(app: App, limit: number, cursor: string | undefined): Promise<{ items: GroupListItem[]; cursor?: string }> {
    const before = cursor === undefined ? undefined : decodeCursor('groups', cursor, 'groupInvalidParameter');
    const rows = await this.groups.pageNewest(app.uuid, before, limit + 1);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((g) => ({
        // The seed's recorded example shows the owner as "{org}#{app}_{username}".
        owner: `${app.org_name}#${app.app_name}_${g.owner}`,
        groupid: g.id,
        affiliations: g.member_count,
        type: 'group',
        lastModified: String(g.modified),
        groupname: g.name,
      })),
      cursor: rows.length > limit && last ? encodeCursor('groups', last.seq) : undefined,
    };
  }

  // ---- GET /chatgroups/user/{username} ----

  async userGroups(app: App, username: string, pagenum: number, pagesize: number): Promise<{ items: UserGroupItem[]; total: number }> {
    const name = username.toLowerCase();
    const total = await this.groups.countUserGroups(app.uuid, name);
    // Pages are numbered from 1; the doc's "page 0" is the first page too.
    const offset = (Math.max(pagenum, 1) - 1) * pagesize;
    const rows = offset < total ? await this.groups.userGroups(app.uuid, name, offset, pagesize) : [];
    return {
      total,
      items: rows.map((g) => ({
        name: g.name,
        avatar: g.avatar,
        owner: g.owner,
        id: g.id,
        groupId: g.id,
        description: g.description,
        disabled: bool(g.disabled),
        public: bool(g.public),
        allowinvites: bool(g.allowinvites),
        membersonly: bool(g.membersonly),
        maxusers: g.maxusers,
        created: g.created,
      })),
    };
  }

  // ---- GET /chatgroups/{id}/user/{username}/is_joined ----

  async isJoined(app: App, id: string, username: string): Promise<boolean> {
    if (!isNumericId(id)) return false;
    const member = await this.groups.member(id, username.toLowerCase());
    return member !== undefined && member.app_uuid === app.uuid;
  }

  // ---- GET /chatgroups/{id1,id2,…} ----

  /**
   * Details of up to 100 groups. One id that does not exist → 404; among several, each missing
   * id is answered in place as `{id, error: "group id doesn't exist"}`.
   */
  async details(app: App, idList: string): Promise<(GroupDetails | { id: string; error: string })[]> {
    const ids = commaList(idList);
    if (ids.length > this.limits.groupDetailsIds) fail('groupDetailsTooMany', { max: this.limits.groupDetailsIds });
    const rows = await this.groups.findMany(app.uuid, ids.filter(isNumericId));
    const byId = new Map(rows.map((g) => [g.id, g]));
    // One id that does not exist: groups answer "grpID X does not exist!", chatrooms "do not find this group:X".
    if (ids.length === 1 && !byId.has(ids[0]!)) fail(this.isRoom ? 'groupNotFoundForList' : 'groupNotFound', { id: ids[0]! });
    const out: (GroupDetails | { id: string; error: string })[] = [];
    for (const id of ids) {
      const group = byId.get(id);
      out.push(group ? await this.detailsOf(group) : { id, error: `${this.isRoom ? 'chatroom' : 'group'} id doesn't exist` });
    }
    return out;
  }

  private async detailsOf(g: GroupRow): Promise<GroupDetails> {
    const members = await this.groups.members(g.id, 0, this.limits.detailsMembers);
    return {
      id: g.id,
      name: g.name,
      avatar: g.avatar,
      description: g.description,
      membersonly: bool(g.membersonly),
      allowinvites: bool(g.allowinvites),
      invite_need_confirm: bool(g.invite_need_confirm),
      maxusers: g.maxusers,
      owner: g.owner,
      created: g.created,
      custom: g.custom,
      mute: bool(g.mute_all),
      affiliations_count: g.member_count,
      disabled: bool(g.disabled),
      affiliations: members.map(affiliation),
      public: bool(g.public),
    };
  }

  // ---- DELETE /chatgroups/{id} ----

  /** Everything of the group goes: members, admins, announcement, shared files and their bytes. */
  async dissolve(app: App, id: string): Promise<void> {
    await this.get(app, id);
    const deleted = await this.groups.delete(app.uuid, id);
    if (!deleted) fail('groupNotFound', { id });
    await this.blobs.delete(deleted.fileIds);
  }

  // ---- announcement (seed 000) ----

  async announcement(app: App, id: string): Promise<string> {
    return (await this.get(app, id)).announcement;
  }

  /** At most 512 characters (not bytes); over the limit the old announcement is kept. */
  async setAnnouncement(app: App, id: string, body: unknown): Promise<void> {
    const f = objectBody(body, 'groupInvalidParameter', { message: 'request body must be a JSON object' });
    if (typeof f.announcement !== 'string') fail('groupFieldRequired', { field: 'announcement' });
    if (charLength(f.announcement) > ANNOUNCEMENT_MAX) fail('announcementTooLong');
    await this.getManageable(app, id);
    await this.groups.update(app.uuid, id, { announcement: f.announcement, modified: this.now() });
  }

  // ---- members ----

  /** GET /chatgroups/{id}/users?pagenum=&pagesize= — owner first, then members in join order. */
  async members(app: App, id: string, pagenum: number, pagesize: number, withJoinedTime: boolean): Promise<MemberItem[]> {
    const group = isNumericId(id) ? await this.groups.find(app.uuid, id) : undefined;
    if (!group) fail('groupNotFoundForList', { id });
    const rows = await this.groups.members(id, (Math.max(pagenum, 1) - 1) * pagesize, pagesize);
    return rows.map((m) => (withJoinedTime ? { ...affiliation(m), joined_time: m.joined } : affiliation(m)));
  }

  /** POST /chatgroups/{id}/users/{username} */
  async addMember(app: App, id: string, username: string): Promise<string> {
    const name = username.toLowerCase();
    const group = await this.getManageable(app, id);
    await this.requireUsers(app, [name]);
    if (await this.groups.member(id, name)) fail('groupAlreadyMember', { username: name, id });
    await this.refuseBlocked(id, [name]);
    // A concurrent request may have added them between the check and the write.
    if ((await this.addChecked(app, group, [name])).length === 0) fail('groupAlreadyMember', { username: name, id });
    return name;
  }

  /** POST /chatgroups/{id}/users {"usernames": [...]} — refused only when every user is already a member. */
  async addMembers(app: App, id: string, body: unknown): Promise<string[]> {
    const f = objectBody(body, 'groupInvalidParameter', { message: 'request body must be a JSON object' });
    const names = [...new Set(stringArray(f.usernames, 'groupFieldRequired', { field: 'usernames' }).map((n) => n.toLowerCase()))];
    if (names.length === 0) fail('groupFieldRequired', { field: 'usernames' });
    if (names.length > this.limits.memberBatch) fail('groupBatchTooLarge', { message: `addMembers: addMembers number more than maxSize : ${this.limits.memberBatch}` });
    const group = await this.getManageable(app, id);
    await this.requireUsers(app, names);
    const already = new Set((await this.groups.membersOf(id, names)).map((m) => m.username));
    const fresh = names.filter((n) => !already.has(n));
    if (fresh.length === 0) fail('groupAlreadyMember', { username: names[0]!, id });
    await this.refuseBlocked(id, fresh);
    const added = await this.addChecked(app, group, fresh);
    if (added.length === 0) fail('groupAlreadyMember', { username: fresh[0]!, id });
    return added;
  }

  private async addChecked(app: App, group: GroupRow, names: string[]): Promise<string[]> {
    try {
      return await this.groups.addMembers(app.uuid, group.id, names, this.now(), this.limits.groupsPerUser);
    } catch (err) {
      if (err instanceof GroupFullError) fail('groupMembersExceedMax');
      // Joining a room at the cap has its own text ("can not join this group, reason:…", §2c).
      if (err instanceof UserGroupLimitError) fail(this.isRoom ? 'roomJoinTooMany' : 'userTooManyGroups', { username: err.username });
      throw err;
    }
  }

  /** DELETE /chatgroups/{id}/users/{username} */
  async removeMember(app: App, id: string, username: string): Promise<string> {
    const name = username.toLowerCase();
    const group = await this.getManageable(app, id);
    if (name === group.owner) fail('groupOwnerForbidden');
    const removed = await this.groups.removeMembers(id, [name], this.now());
    if (removed.length === 0) fail(this.isRoom ? 'roomNotMembers' : 'groupUserNotInGroup', { username: name, usernames: name, id });
    return name;
  }

  /** DELETE /chatgroups/{id}/users/{u1,u2} — one result per user. */
  async removeMembers(app: App, id: string, list: string): Promise<RemoveResult[]> {
    const names = commaList(list).map((n) => n.toLowerCase());
    if (names.length > this.limits.memberBatch) fail('groupBatchTooLarge', { message: `kickMember: kickMembers number more than maxSize : ${this.limits.memberBatch}` });
    const group = await this.getManageable(app, id);
    const removable = names.filter((n) => n !== group.owner);
    const removed = new Set(await this.groups.removeMembers(id, removable, this.now()));
    return names.map((user) => {
      if (removed.has(user)) return { result: true, action: 'remove_member', user, groupid: id };
      const reason = user === group.owner ? 'forbidden operation on group owner!' : `user: ${user} doesn't exist in group: ${id}`;
      return { result: false, action: 'remove_member', reason, user, groupid: id };
    });
  }

  // ---- admins ----

  async admins(app: App, id: string): Promise<string[]> {
    await this.get(app, id);
    return (await this.groups.admins(id)).map((m) => m.username);
  }

  async addAdmin(app: App, id: string, body: unknown): Promise<string> {
    const f = objectBody(body, 'groupInvalidParameter', { message: 'request body must be a JSON object' });
    if (typeof f.newadmin !== 'string' || f.newadmin === '') fail('groupFieldRequired', { field: 'newadmin' });
    const name = f.newadmin.toLowerCase();
    const group = await this.getManageable(app, id);
    if (name === group.owner) fail('groupOwnerForbidden');
    const member = await this.groups.member(id, name);
    if (!member) fail('groupNotMembers', { usernames: name });
    if (member.role === 'admin') fail('groupAlreadyAdmin', { username: name, id });
    const outcome = await this.groups.promoteAdmin(id, name, this.limits.groupAdmins);
    if (outcome === 'full') fail('groupAdminsFull', { max: this.limits.groupAdmins });
    // Promoted or removed by a concurrent request in the meantime.
    if (outcome === 'not_member') fail('groupAlreadyAdmin', { username: name, id });
    return name;
  }

  async removeAdmin(app: App, id: string, username: string): Promise<string> {
    const name = username.toLowerCase();
    await this.getManageable(app, id);
    if (!(await this.groups.setRole(id, name, 'admin', 'member'))) fail('groupNotAdmin', { username: name, id });
    return name;
  }
}

function affiliation(m: MemberRow): { owner: string } | { member: string } {
  return m.role === 'owner' ? { owner: m.username } : { member: m.username };
}
