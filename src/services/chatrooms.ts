// Chatrooms (REFERENCE §2c; chatroom_manage.md, chatroom_create.md): create, details, list,
// a user's rooms, modify, transfer, delete. Members and admins reuse GroupsService over the
// chatroom rows, since the rules are the same.
import type { Limits } from '../config.js';
import type { GroupsRepository } from '../store/groups.js';
import type { App } from './apps.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { fail } from './errors.js';
import { objectBody, optionalString } from './fields.js';
import type { GroupDetails, GroupsService } from './groups.js';

const NAME_MAX = 128;
const DESCRIPTION_MAX = 512;
const CUSTOM_MAX_BYTES = 8 * 1024;
const DEFAULT_MAXUSERS = 1000;
const MODIFIABLE = new Set(['name', 'description', 'maxusers', 'custom', 'newowner']);

export class ChatroomsService {
  constructor(
    private readonly rooms: GroupsRepository,
    /** Membership and admin rules, shared with groups. */
    readonly members: GroupsService,
    private readonly limits: Limits,
    private readonly now: () => number = Date.now,
  ) {}

  /** POST /chatrooms */
  async create(app: App, body: unknown): Promise<string> {
    const f = objectBody(body, 'groupInvalidParameter', { message: 'request body must be a JSON object' });
    const name = optionalString(f, 'name', NAME_MAX, () => fail('roomTitleTooLong', { max: NAME_MAX }));
    if (name === undefined || name === '') fail('roomNameRequired');
    const description = optionalString(f, 'description', DESCRIPTION_MAX, () => fail('roomDescriptionTooLong', { max: DESCRIPTION_MAX }));
    if (description === undefined) fail('groupFieldRequired', { field: 'description' });
    if (typeof f.owner !== 'string' || f.owner === '') fail('groupFieldRequired', { field: 'owner' });
    const owner = f.owner.toLowerCase();
    const custom = optionalString(f, 'custom', CUSTOM_MAX_BYTES, () => fail('groupInvalidParameter', { message: 'custom length is too big' }), Buffer.byteLength) ?? '';
    const maxusers = this.members.parseMaxUsers(f.maxusers) ?? DEFAULT_MAXUSERS;
    const members = await this.members.initialMembers(app, f.members, owner, maxusers);
    return this.members.insertRoom(
      app,
      { name, description, avatar: '', public: 1, membersonly: 0, allowinvites: 0, invite_need_confirm: 0, maxusers, custom },
      owner,
      members,
    );
  }

  /** GET /chatrooms/{id1,id2,…} — as group details; one missing id → 404 "do not find this group". */
  details(app: App, idList: string): Promise<(GroupDetails | { id: string; error: string })[]> {
    return this.members.details(app, idList);
  }

  /** GET /chatrooms?limit=&cursor= — newest first. */
  async list(app: App, limit: number, cursor: string | undefined) {
    const before = cursor === undefined ? undefined : decodeCursor('chatrooms', cursor, 'groupInvalidParameter');
    const rows = await this.rooms.pageNewest(app.uuid, before, limit + 1);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => ({ id: r.id, name: r.name, owner: r.owner, affiliations_count: r.member_count, disabled: r.disabled === 1 })),
      cursor: rows.length > limit && last ? encodeCursor('chatrooms', last.seq) : undefined,
    };
  }

  /** GET /users/{username}/joined_chatrooms?pagenum=&pagesize= — `latest`: the most recently joined first. */
  async joined(app: App, username: string, pagenum: number, pagesize: number, latest: boolean) {
    const rows = await this.rooms.userGroups(app.uuid, username.toLowerCase(), (Math.max(pagenum, 1) - 1) * pagesize, pagesize, latest ? 'desc' : 'asc');
    return rows.map((r) => ({ id: r.id, name: r.name, disabled: r.disabled === 1 }));
  }

  /** PUT /chatrooms/{id} — name, description, maxusers, custom; or {"newowner"}. */
  async modify(app: App, id: string, body: unknown): Promise<Record<string, boolean>> {
    const f = objectBody(body, 'groupInvalidParameter', { message: 'request body must be a JSON object' });
    const invalid = Object.keys(f).filter((k) => !MODIFIABLE.has(k));
    if (invalid.length > 0) fail('groupInvalidFields', { fields: invalid.join(', ') });
    const room = await this.members.getManageable(app, id);
    const newOwner = f.newowner === undefined ? undefined : await this.members.checkNewOwner(app, room, f.newowner);
    const changes: Record<string, string | number> = {};
    const result: Record<string, boolean> = {};
    // The hosted answer names the room's name "groupname".
    const set = (column: string, field: string, value: string | number | undefined) => {
      if (value === undefined) return;
      changes[column] = value;
      result[field] = true;
    };
    set('name', 'groupname', optionalString(f, 'name', NAME_MAX, () => fail('roomTitleTooLong', { max: NAME_MAX })));
    set('description', 'description', optionalString(f, 'description', DESCRIPTION_MAX, () => fail('roomDescriptionTooLong', { max: DESCRIPTION_MAX })));
    set('custom', 'custom', optionalString(f, 'custom', CUSTOM_MAX_BYTES, () => fail('groupInvalidParameter', { message: 'custom length is too big' }), Buffer.byteLength));
    const maxusers = this.members.parseMaxUsers(f.maxusers);
    set('maxusers', 'maxusers', maxusers);
    if (Object.keys(changes).length > 0) {
      const update = { ...changes, modified: this.now() };
      if (maxusers !== undefined) {
        if (!(await this.rooms.updateWithMaxUsers(app.uuid, id, { ...update, maxusers }))) fail('groupMaxUsersBelowCount');
      } else {
        await this.rooms.update(app.uuid, id, update);
      }
    }
    if (newOwner !== undefined) {
      await this.members.transfer(app, room, newOwner);
      result.newowner = true;
    }
    return result;
  }

  /** DELETE /chatrooms/{id} */
  async delete(app: App, id: string): Promise<void> {
    await this.members.dissolve(app, id);
  }
}
