// Chatrooms (REFERENCE §2c; chatroom_manage.md, chatroom_create.md): what only chatrooms have —
// create, modify, the app's list, a user's rooms. The rest is the shared room model (./rooms/).
import type { App } from './apps.js';
import { encodeCursor, readCursor } from './cursor.js';
import { fail } from './errors.js';
import { FieldReader, objectBody } from './fields.js';
import { numberedPage, pageSize, probedPage, type SizeRule } from './paging.js';
import type { Room } from './rooms/index.js';
import type { NumberedPageQuery } from './rooms/members.js';
import { roomRecord, type RoomRecord } from './rooms/records.js';
import { username } from './usernames.js';
import type { Principal } from './tokens.js';

const NAME_MAX = 128;
const DESCRIPTION_MAX = 512;
const CUSTOM_MAX_BYTES = 8 * 1024;
/** `groupname` is the client SDK's name for `name` (modifyChatRoom). */
const MODIFIABLE = new Set(['name', 'groupname', 'description', 'maxusers', 'custom', 'newowner']);

/** GET /chatrooms: limit default 10; a larger one than 1000 reads 1000. */
export const ROOMS_PAGE: SizeRule = { default: 10, max: 1000, overMax: 'cap' };
/** GET /users/{username}/joined_chatrooms with paging: pagesize default and at most 1000. */
export const JOINED_PAGE: SizeRule = { default: 1000, max: 1000, overMax: 'cap' };
/** …without paging parameters: the latest 500 joined. */
const JOINED_LATEST = 500;

export class ChatroomsService {
  constructor(
    readonly room: Room,
    private readonly now: () => number = Date.now,
  ) {}

  /** POST /chatrooms — answers the new id. A super admin creates rooms they own. */
  async create(app: App, body: unknown, actor: Principal): Promise<string> {
    const f = new FieldReader(objectBody(body, 'groupBodyNotObject'), { notString: 'groupFieldNotString', notBool: 'groupFieldNotBool' });
    const name = f.string('name', NAME_MAX, () => fail('roomTitleTooLong', { max: NAME_MAX }));
    if (name === undefined || name === '') fail('roomNameRequired');
    const description = f.string('description', DESCRIPTION_MAX, () => fail('roomDescriptionTooLong', { max: DESCRIPTION_MAX }));
    if (description === undefined) fail('groupFieldRequired', { field: 'description' });
    const rawOwner = f.fields.owner ?? (actor.kind === 'user' ? actor.user.username : undefined);
    if (typeof rawOwner !== 'string' || rawOwner === '') fail('groupFieldRequired', { field: 'owner' });
    const owner = username(rawOwner);
    if (actor.kind === 'user' && owner !== actor.user.username) fail('callerNotCreator', { username: actor.user.username });
    const custom = f.string('custom', CUSTOM_MAX_BYTES, () => fail('groupCustomTooLong'), Buffer.byteLength) ?? '';
    const { creation, profile } = this.room;
    const maxusers = creation.parseMaxUsers(f.fields.maxusers) ?? profile.maxUsers.default;
    const members = await creation.initialMembers(app, f.fields.members, owner, maxusers);
    return creation.insert(
      app,
      { name, description, avatar: '', public: 1, membersonly: 0, allowinvites: 0, invite_need_confirm: 0, maxusers, custom },
      owner,
      members,
    );
  }

  /**
   * GET /chatrooms?limit=&cursor= — newest first; with `pagenum` / `pagesize` (the client SDK's
   * getChatRooms) a numbered page of the same order.
   */
  async list(app: App, query: { limit?: unknown; cursor?: string; pagenum?: unknown; pagesize?: unknown }): Promise<{ items: RoomRecord[]; cursor?: string }> {
    if (query.pagenum !== undefined || query.pagesize !== undefined) {
      const page = numberedPage(query.pagenum, query.pagesize, ROOMS_PAGE);
      return { items: (await this.room.core.rows.pageNewestAt(app.uuid, page.offset, page.limit)).map(roomRecord) };
    }
    const limit = pageSize(query.limit, ROOMS_PAGE, 'limit');
    const before = readCursor('chatrooms', query.cursor, 'groupCursorInvalid');
    const { items, hasMore } = probedPage(await this.room.core.rows.pageNewest(app.uuid, before, limit + 1), limit);
    const last = items[items.length - 1];
    return { items: items.map(roomRecord), cursor: hasMore && last ? encodeCursor('chatrooms', last.seq) : undefined };
  }

  /** GET /users/{username}/joined_chatrooms?pagenum=&pagesize= — without them, the latest 500 joined, newest first. */
  async joined(app: App, rawName: string, query: NumberedPageQuery): Promise<RoomRecord[]> {
    const paged = query.pagenum !== undefined || query.pagesize !== undefined;
    const page = paged ? numberedPage(query.pagenum, query.pagesize, JOINED_PAGE) : { offset: 0, limit: JOINED_LATEST };
    const rows = await this.room.core.rows.userGroups(app.uuid, username(rawName), page.offset, page.limit, paged ? 'asc' : 'desc');
    return rows.map(roomRecord);
  }

  /** PUT /chatrooms/{id} — name, description, maxusers, custom; or {"newowner"}. Answers the fields changed. */
  async modify(app: App, id: string, body: unknown, actor: Principal): Promise<string[]> {
    const f = new FieldReader(objectBody(body, 'groupBodyNotObject'), { notString: 'groupFieldNotString', notBool: 'groupFieldNotBool' });
    const invalid = Object.keys(f.fields).filter((k) => !MODIFIABLE.has(k));
    if (invalid.length > 0) fail('groupInvalidFields', { fields: invalid.join(', ') });
    const { core, creation, ownership } = this.room;
    const room = await core.getManageable(app, id);
    if (f.fields.newowner !== undefined && actor.kind === 'user' && actor.user.username !== room.owner) fail('callerNotOwner', { username: actor.user.username });
    const newOwner = f.fields.newowner === undefined ? undefined : await ownership.checkNewOwner(app, room, f.fields.newowner);
    const changes: Record<string, string | number> = {};
    const changed: string[] = [];
    const set = (column: string, field: string, value: string | number | undefined) => {
      if (value === undefined) return;
      changes[column] = value;
      if (!changed.includes(field)) changed.push(field);
    };
    for (const key of ['name', 'groupname']) set('name', 'name', f.string(key, NAME_MAX, () => fail('roomTitleTooLong', { max: NAME_MAX })));
    set('description', 'description', f.string('description', DESCRIPTION_MAX, () => fail('roomDescriptionTooLong', { max: DESCRIPTION_MAX })));
    set('custom', 'custom', f.string('custom', CUSTOM_MAX_BYTES, () => fail('groupCustomTooLong'), Buffer.byteLength));
    const maxusers = creation.parseMaxUsers(f.fields.maxusers);
    set('maxusers', 'maxusers', maxusers);
    if (Object.keys(changes).length > 0) {
      const update = { ...changes, modified: this.now() };
      if (maxusers !== undefined) {
        if (!(await core.rows.updateWithMaxUsers(app.uuid, id, { ...update, maxusers }))) {
          await core.get(app, id);
          fail('groupMaxUsersBelowCount');
        }
      } else {
        await core.update(app, id, update);
      }
      await core.announce(app, id, actor, { op: 'info_updated', changes });
    }
    if (newOwner !== undefined) {
      await ownership.transfer(app, room, newOwner, actor);
      changed.push('newowner');
    }
    return changed;
  }
}
