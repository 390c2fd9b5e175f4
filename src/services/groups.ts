// Groups (seed 001 "群组管理"): what only groups have — create, modify, disable / enable, the app's
// list, a user's groups, is_joined. Members, admins, owner, details, announcement and dissolving are
// the shared room model (./rooms/), used through `room`.
import type { App } from './apps.js';
import { encodeCursor, readCursor } from './cursor.js';
import { fail } from './errors.js';
import { FieldReader, objectBody, type Fields } from './fields.js';
import { isNumericId } from './ids.js';
import { numberedPage, pageSize, probedPage, type SizeRule } from './paging.js';
import type { Room } from './rooms/index.js';
import type { NumberedPageQuery } from './rooms/members.js';
import { joinedRoomRecord, roomRecord, type JoinedRoomRecord, type RoomRecord } from './rooms/records.js';
import { username } from './usernames.js';
import type { Principal } from './tokens.js';

const NAME_MAX = 128;
const DESCRIPTION_MAX = 512;
const AVATAR_MAX = 1024;
const CUSTOM_CREATE_MAX_BYTES = 8 * 1024; // create: "不要超过 8 KB"
const CUSTOM_MODIFY_MAX_CHARS = 1024; // modify: "不要超过 1,024 字符"

/** GET /chatgroups: limit default 10; a larger one than 1000 reads 1000. */
export const GROUPS_PAGE: SizeRule = { default: 10, max: 1000, overMax: 'cap' };
/** GET /chatgroups/user/{username}: pagesize default 5, at most 20. */
export const USER_GROUPS_PAGE: SizeRule = { default: 5, max: 20, overMax: 'cap' };
/** GET /users/{username}/joined_chatgroups (the client SDK's list): without paging, all of them. */
export const JOINED_GROUPS_PAGE: SizeRule = { default: 1000, max: 1000, overMax: 'cap' };
/** GET /publicchatgroups: limit default 20 (the SDK's), at most 100. */
export const PUBLIC_GROUPS_PAGE: SizeRule = { default: 20, max: 100, overMax: 'cap' };

/** Fields PUT /chatgroups/{id} may change, with the aliases official SDKs send. */
const MODIFIABLE = new Set([
  'groupname', 'avatar', 'description', 'desc', 'maxusers', 'membersonly', 'members_only', 'approval',
  'allowinvites', 'invite_need_confirm', 'custom', 'public', 'newowner',
]);

const fieldsOf = (f: Fields) => new FieldReader(f, { notString: 'groupFieldNotString', notBool: 'groupFieldNotBool' });

export class GroupsService {
  constructor(
    readonly room: Room,
    private readonly now: () => number = Date.now,
  ) {}

  // ---- POST /chatgroups ----

  /**
   * A user creates groups they own; the client SDK leaves unset fields out, so a group created by a
   * user without `public` is private (the REST API itself requires `public`). `approval` is the
   * client SDK's name for `membersonly`.
   */
  async create(app: App, body: unknown, actor: Principal): Promise<string> {
    const f = fieldsOf(objectBody(body, 'groupBodyNotObject'));
    const raw = f.fields;
    const byUser = actor.kind === 'user';
    if ((raw.public === undefined || raw.public === null) && !byUser) fail('groupPublicRequired');
    const isPublic = f.bool('public') ?? false;
    if ((raw.owner === undefined || raw.owner === null || raw.owner === '') && !byUser) fail('groupFieldRequired', { field: 'owner' });
    if (raw.owner !== undefined && raw.owner !== null && raw.owner !== '' && typeof raw.owner !== 'string') fail('groupFieldNotString', { field: 'owner' });
    const owner = typeof raw.owner === 'string' && raw.owner !== '' ? username(raw.owner) : byUser ? actor.user.username : '';
    if (byUser && owner !== actor.user.username) fail('callerNotCreator', { username: actor.user.username });
    const name = f.string('groupname', NAME_MAX, () => fail('groupNameTooLong')) ?? '';
    const avatar = f.string('avatar', AVATAR_MAX, () => fail('groupAvatarTooLong')) ?? '';
    const description = f.string(raw.description !== undefined ? 'description' : 'desc', DESCRIPTION_MAX, () => fail('groupDescriptionTooLong')) ?? '';
    const custom = f.string('custom', CUSTOM_CREATE_MAX_BYTES, () => fail('groupCustomTooLong'), Buffer.byteLength) ?? '';
    const membersonly = f.bool(raw.membersonly !== undefined ? 'membersonly' : raw.members_only !== undefined ? 'members_only' : 'approval') ?? false;
    const allowinvites = f.bool('allowinvites') ?? false;
    const inviteNeedConfirm = f.bool('invite_need_confirm') ?? true;
    const { creation, profile } = this.room;
    const maxusers = creation.parseMaxUsers(raw.maxusers) ?? profile.maxUsers.default;
    const members = await creation.initialMembers(app, raw.members, owner, maxusers);
    const flag = (b: boolean) => (b ? 1 : 0);
    const id = await creation.insert(
      app,
      {
        name,
        description,
        avatar,
        public: flag(isPublic),
        membersonly: flag(membersonly),
        allowinvites: flag(allowinvites),
        invite_need_confirm: flag(inviteNeedConfirm),
        maxusers,
        custom,
      },
      owner,
      members,
    );
    if (members.length > 0) await this.room.core.announce(app, id, actor, { op: 'created', to: members });
    return id;
  }

  // ---- POST /chatgroups/{id}/disable, /enable ----

  async setDisabled(app: App, id: string, disabled: boolean): Promise<boolean> {
    await this.room.core.get(app, id);
    await this.room.core.update(app, id, { disabled: disabled ? 1 : 0, modified: this.now() });
    return disabled;
  }

  // ---- PUT /chatgroups/{id} ----

  /** Changes only the fields sent; answers the names of the fields changed (and `newowner` for a transfer). */
  async modify(app: App, id: string, body: unknown, actor: Principal): Promise<string[]> {
    const f = fieldsOf(objectBody(body, 'groupBodyNotObject'));
    const invalid = Object.keys(f.fields).filter((k) => !MODIFIABLE.has(k));
    if (invalid.length > 0) fail('groupInvalidFields', { fields: invalid.join(', ') });
    const { core, creation, ownership } = this.room;
    const group = await core.getManageable(app, id);

    const changes: Record<string, string | number> = {};
    const changed = new Set<string>();
    const set = (field: string, column: string, value: string | number | undefined) => {
      if (value === undefined) return;
      changes[column] = value;
      changed.add(field);
    };
    const flag = (v: boolean | undefined) => (v === undefined ? undefined : v ? 1 : 0);
    set('groupname', 'name', f.string('groupname', NAME_MAX, () => fail('groupNameTooLong')));
    set('avatar', 'avatar', f.string('avatar', AVATAR_MAX, () => fail('groupAvatarTooLong')));
    for (const key of ['description', 'desc']) set('description', 'description', f.string(key, DESCRIPTION_MAX, () => fail('groupDescriptionTooLong')));
    set('custom', 'custom', f.string('custom', CUSTOM_MODIFY_MAX_CHARS, () => fail('groupCustomTooLong')));
    set('maxusers', 'maxusers', creation.parseMaxUsers(f.fields.maxusers));
    for (const key of ['membersonly', 'members_only', 'approval']) set('membersonly', 'membersonly', flag(f.bool(key)));
    for (const key of ['allowinvites', 'invite_need_confirm', 'public']) set(key, key, flag(f.bool(key)));

    // Admins may change the group's settings; only its owner may give it away.
    if (f.fields.newowner !== undefined && actor.kind === 'user' && actor.user.username !== group.owner) fail('callerNotOwner', { username: actor.user.username });
    const newOwner = f.fields.newowner === undefined ? undefined : await ownership.checkNewOwner(app, group, f.fields.newowner);

    if (Object.keys(changes).length > 0) {
      const updated = { ...changes, modified: this.now() };
      if (typeof changes.maxusers === 'number') {
        if (!(await core.rows.updateWithMaxUsers(app.uuid, id, { ...updated, maxusers: changes.maxusers }))) {
          await core.get(app, id);
          fail('groupMaxUsersBelowCount');
        }
      } else {
        await core.update(app, id, updated);
      }
      await core.announce(app, id, actor, { op: 'info_updated', changes });
    }
    if (newOwner !== undefined) {
      await ownership.transfer(app, group, newOwner, actor);
      changed.add('newowner');
    }
    return [...changed];
  }

  // ---- GET /chatgroups (newest first, keyset cursor) ----

  async list(app: App, query: { limit?: unknown; cursor?: string }): Promise<{ items: RoomRecord[]; cursor?: string }> {
    const limit = pageSize(query.limit, GROUPS_PAGE, 'limit');
    const before = readCursor('groups', query.cursor, 'groupCursorInvalid');
    const { items, hasMore } = probedPage(await this.room.core.rows.pageNewest(app.uuid, before, limit + 1), limit);
    const last = items[items.length - 1];
    return { items: items.map(roomRecord), cursor: hasMore && last ? encodeCursor('groups', last.seq) : undefined };
  }

  // ---- GET /chatgroups/user/{username} ----

  async userGroups(app: App, rawName: string, query: NumberedPageQuery, rule: SizeRule = USER_GROUPS_PAGE): Promise<{ items: JoinedRoomRecord[]; total: number }> {
    const page = numberedPage(query.pagenum, query.pagesize, rule);
    const name = username(rawName);
    const rows = this.room.core.rows;
    const total = await rows.countUserGroups(app.uuid, name);
    const items = page.offset < total ? await rows.userGroups(app.uuid, name, page.offset, page.limit) : [];
    return { total, items: items.map(joinedRoomRecord) };
  }

  /** GET /chatgroups/user/{username}/joined_count */
  joinedCount(app: App, rawName: string): Promise<number> {
    return this.room.core.rows.countUserGroups(app.uuid, username(rawName));
  }

  /** GET /publicchatgroups?limit=&cursor= — public groups, newest first (the client SDK's getPublicGroups). */
  async publicGroups(app: App, query: { limit?: unknown; cursor?: string }): Promise<{ items: RoomRecord[]; cursor?: string }> {
    const limit = pageSize(query.limit, PUBLIC_GROUPS_PAGE, 'limit');
    const before = readCursor('public', query.cursor, 'groupCursorInvalid');
    const { items, hasMore } = probedPage(await this.room.core.rows.pageNewest(app.uuid, before, limit + 1, true), limit);
    const last = items[items.length - 1];
    return { items: items.map(roomRecord), cursor: hasMore && last ? encodeCursor('public', last.seq) : undefined };
  }

  // ---- GET /chatgroups/{id}/user/{username}/is_joined ----

  async isJoined(app: App, id: string, rawName: string): Promise<boolean> {
    if (!isNumericId(id)) return false;
    return (await this.room.core.rows.memberApp(id, username(rawName))) === app.uuid;
  }
}
