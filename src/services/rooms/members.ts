// Room members: list, add one or many, remove one or many (group_member.md, chatroom_member.md).
import { GroupFullError, UserGroupLimitError, type GroupRow } from '../../store/groups.js';
import type { ModerationRepository } from '../../store/moderation.js';
import type { App } from '../apps.js';
import { fail } from '../errors.js';
import { commaList, objectBody, stringArray } from '../fields.js';
import { numberedPage, pageSize, probedPage, type SizeRule } from '../paging.js';
import { encodeCursor, readCursor } from '../cursor.js';
import { username, usernames } from '../usernames.js';
import type { Limits } from '../../config.js';
import type { RoomCore } from './core.js';
import type { Principal } from '../tokens.js';
import { memberRecord, type MemberRecord, type RemovalResult } from './records.js';

/** GET …/users: pagesize 1..1000, default 1000 (a larger one reads 1000). */
export const MEMBERS_PAGE: SizeRule = { default: 1000, max: 1000, overMax: 'cap' };
/** GET …/users?limit=&cursor= (the client SDK's getGroupMembers): limit default 50, at most 1000. */
export const MEMBERS_CURSOR_PAGE: SizeRule = { default: 50, max: 1000, overMax: 'cap' };

export interface NumberedPageQuery {
  pagenum?: unknown;
  pagesize?: unknown;
}

export class RoomMembers {
  constructor(
    private readonly core: RoomCore,
    private readonly lists: ModerationRepository,
    private readonly limits: Pick<Limits, 'memberBatch'>,
    private readonly now: () => number = Date.now,
  ) {}

  /** GET /{rooms}/{id}/users — owner first, then members in join order; a missing room is "do not find this group". */
  async list(app: App, id: string, query: NumberedPageQuery): Promise<MemberRecord[]> {
    const page = numberedPage(query.pagenum, query.pagesize, MEMBERS_PAGE);
    if (!(await this.core.find(app, id))) fail('groupNotFoundForList', { id });
    return (await this.core.rows.members(id, page.offset, page.limit)).map(memberRecord);
  }

  /** GET /{rooms}/{id}/users?limit=&cursor= — keyset pages in join order; a cursor while more follow. */
  async listFrom(app: App, id: string, query: { limit?: unknown; cursor?: string }): Promise<{ items: MemberRecord[]; cursor?: string }> {
    const limit = pageSize(query.limit, MEMBERS_CURSOR_PAGE, 'limit');
    const after = readCursor('members', query.cursor, 'groupCursorInvalid');
    if (!(await this.core.find(app, id))) fail('groupNotFoundForList', { id });
    const { items, hasMore } = probedPage(await this.core.rows.membersAfter(id, after, limit + 1), limit);
    const last = items[items.length - 1];
    return { items: items.map(memberRecord), cursor: hasMore && last ? encodeCursor('members', last.seq) : undefined };
  }

  /** POST /{rooms}/{id}/users/{username} — answers the folded name. */
  async addOne(app: App, id: string, rawName: string, actor: Principal): Promise<string> {
    const name = username(rawName);
    const room = await this.core.getManageable(app, id);
    await this.core.requireUsers(app, [name]);
    if (await this.core.rows.member(id, name)) fail('groupAlreadyMember', { username: name, id });
    await this.refuseBlocked(id, [name]);
    // A concurrent request may have added them between the check and the write.
    if ((await this.insert(app, room, [name])).length === 0) fail('groupAlreadyMember', { username: name, id });
    await this.core.announce(app, id, actor, { op: 'members_added', to: [name] });
    return name;
  }

  /** POST /{rooms}/{id}/users {"usernames": [≤ 60]} — refused only when every user is already a member. */
  async addMany(app: App, id: string, body: unknown, actor: Principal): Promise<string[]> {
    const f = objectBody(body, 'groupBodyNotObject');
    const names = usernames(stringArray(f.usernames, 'groupFieldRequired', { field: 'usernames' }));
    if (names.length === 0) fail('groupFieldRequired', { field: 'usernames' });
    if (names.length > this.limits.memberBatch) fail('addMembersTooMany', { max: this.limits.memberBatch });
    const room = await this.core.getManageable(app, id);
    await this.core.requireUsers(app, names);
    const already = new Set((await this.core.rows.membersOf(id, names)).map((m) => m.username));
    const fresh = names.filter((n) => !already.has(n));
    if (fresh.length === 0) fail('groupAlreadyMember', { username: names[0]!, id });
    await this.refuseBlocked(id, fresh);
    const added = await this.insert(app, room, fresh);
    if (added.length === 0) fail('groupAlreadyMember', { username: fresh[0]!, id });
    await this.core.announce(app, id, actor, { op: 'members_added', to: added });
    return added;
  }

  /** Blocked users cannot join again (REFERENCE §2c/§2d blocklist). */
  async refuseBlocked(id: string, names: string[]): Promise<void> {
    const blocked = await this.blockedAmong(id, names);
    if (blocked.size > 0) fail('groupUserBlocked', { username: [...blocked][0]!, id });
  }

  blockedAmong(id: string, names: string[]): Promise<Set<string>> {
    return this.lists.containing('group_blocklist', id, names);
  }

  /** Users (existing, not members, folded) join by their own request or an accepted one; answers who joined. */
  async join(app: App, room: GroupRow, names: string[]): Promise<string[]> {
    await this.refuseBlocked(room.id, names);
    const added = await this.insert(app, room, names);
    if (added.length === 0) fail('groupAlreadyMember', { username: names[0]!, id: room.id });
    return added;
  }

  private async insert(app: App, room: GroupRow, names: string[]): Promise<string[]> {
    try {
      return await this.core.write(room.id, () => this.core.rows.addMembers(app.uuid, room.id, names, this.now(), this.core.profile.perUser));
    } catch (err) {
      if (err instanceof GroupFullError) fail('groupMembersExceedMax');
      if (err instanceof UserGroupLimitError) fail(this.core.profile.errors.joinUserTooMany, { username: err.username });
      throw err;
    }
  }

  /** DELETE /{rooms}/{id}/users/{username} — answers the folded name. */
  async removeOne(app: App, id: string, rawName: string, actor: Principal): Promise<string> {
    const name = username(rawName);
    const room = await this.core.getManageable(app, id);
    if (name === room.owner) fail('groupOwnerForbidden');
    await this.core.requireOutrank(room, actor, [name]);
    const removed = await this.core.write(id, () => this.core.rows.removeMembers(id, [name], this.now()));
    if (removed.length === 0) fail(this.core.profile.errors.removeNotMember, { username: name, usernames: name, id });
    await this.core.announce(app, id, actor, { op: 'members_removed', to: [name] });
    return name;
  }

  /** DELETE /{rooms}/{id}/users/{u1,u2} — one result per user. */
  async removeMany(app: App, id: string, list: string, actor: Principal): Promise<RemovalResult[]> {
    const names = usernames(commaList(list));
    if (names.length > this.limits.memberBatch) fail('kickMembersTooMany', { max: this.limits.memberBatch });
    const room = await this.core.getManageable(app, id);
    const removable = names.filter((n) => n !== room.owner);
    await this.core.requireOutrank(room, actor, removable);
    const removed = new Set(await this.core.write(id, () => this.core.rows.removeMembers(id, removable, this.now())));
    if (removed.size > 0) await this.core.announce(app, id, actor, { op: 'members_removed', to: [...removed] });
    return names.map((user): RemovalResult => {
      if (removed.has(user)) return { user, removed: true };
      return { user, removed: false, reason: user === room.owner ? 'owner' : 'not_member' };
    });
  }
}
