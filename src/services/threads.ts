// Threads (子区; seed 002 and group_thread.md): create, rename, delete, list app-wide / per user /
// per user in a group, and thread members. Lists are keyset pages; as the hosted service does,
// a page with threads carries a cursor even when it is the last one, and an empty page ends a walk.
import type { ThreadLimits } from '../config.js';
import { RoomGoneError } from '../store/locking.js';
import { NotInGroupError, ThreadLimitError, type Sort, type ThreadRow, type ThreadsRepository } from '../store/threads.js';
import { isUniqueViolation } from '../store/db.js';
import type { App } from './apps.js';
import { encodeCursor, readCursor } from './cursor.js';
import { fail } from './errors.js';
import { charLength, objectBody, stringArray } from './fields.js';
import { isNumericId, numericId } from './ids.js';
import { pageSize, refuseWith, type SizeRule } from './paging.js';
import type { RoomCore } from './rooms/core.js';
import { username, usernames } from './usernames.js';
import type { Principal } from './tokens.js';

const NAME_MAX = 64;
const MSG_ID_MAX = 64;
const MEMBER_BATCH = 10;

/** Thread lists: limit 1..50, default 50; more is refused ("query param reaches limit."). */
export const THREADS_PAGE: SizeRule = { default: 50, max: 50, overMax: 'refuse' };

export interface ThreadPageQuery {
  limit?: unknown;
  cursor?: string;
  sort?: string;
}

export interface Page<T> {
  items: T[];
  cursor?: string;
}

/** A thread as services answer it; src/api/thread/present.ts shows it on the wire. */
export interface ThreadRecord {
  id: string;
  name: string;
  owner: string;
  messageId: string;
  groupId: string;
  created: number;
}

/** An id sent as a JSON number (the seed's own example) or a string. */
function idField(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? String(value) : undefined;
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  return undefined;
}

function parsePage(q: ThreadPageQuery, kind: string): { limit: number; sort: Sort; after: number | undefined } {
  const limit = pageSize(q.limit, THREADS_PAGE, 'limit', refuseWith('threadQueryLimit'));
  const sort = q.sort === undefined || q.sort === '' ? 'desc' : q.sort.toLowerCase();
  if (sort !== 'asc' && sort !== 'desc') fail('threadParamIllegal');
  const after = readCursor(kind, q.cursor, 'threadParamIllegal');
  return { limit, sort, after };
}

function threadRecord(t: ThreadRow): ThreadRecord {
  return { id: t.id, name: t.name, owner: t.owner, messageId: t.msg_id, groupId: t.group_id, created: t.created };
}

export class ThreadsService {
  constructor(
    private readonly threads: ThreadsRepository,
    /** The groups' room core: threads live in groups, and the group rules decide. */
    private readonly groups: RoomCore,
    private readonly limits: ThreadLimits,
    private readonly now: () => number = Date.now,
  ) {}

  private async get(app: App, id: string): Promise<ThreadRow> {
    const thread = isNumericId(id) ? await this.threads.find(app.uuid, id) : undefined;
    if (!thread) fail('threadNotFound');
    return thread;
  }

  /** The thread for a management operation: its group must not be disabled. */
  private async getManageable(app: App, id: string): Promise<ThreadRow> {
    const thread = await this.get(app, id);
    // A thread's group exists (dissolving a group deletes its threads); the group rule decides.
    await this.groups.getManageable(app, thread.group_id);
    return thread;
  }

  /** POST /thread {"group_id", "name", "msg_id", "owner"} — a user creates threads they own, in groups they are in. */
  async create(app: App, body: unknown, actor: Principal): Promise<string> {
    const f = objectBody(body, 'threadParamIllegal');
    const groupId = idField(f.group_id);
    const msgId = idField(f.msg_id);
    if (!groupId || !msgId || typeof f.name !== 'string' || f.name === '' || typeof f.owner !== 'string' || f.owner === '') fail('threadParamIllegal');
    if (msgId.length > MSG_ID_MAX) fail('threadParamIllegal');
    if (charLength(f.name) > NAME_MAX) fail('threadNameTooLong');
    const owner = username(f.owner);
    if (actor.kind === 'user' && owner !== actor.user.username) fail('callerNotCreator', { username: actor.user.username });
    const group = isNumericId(groupId) ? await this.groups.rows.find(app.uuid, groupId) : undefined;
    if (!group) fail('threadGroupNotFound');
    if (group.disabled === 1) fail('groupDisabled', { id: groupId });
    if (!(await this.groups.rows.member(groupId, owner))) fail('threadUserNotInGroup');
    if (await this.threads.findByMessage(groupId, msgId)) fail('threadMessageTaken');
    for (let attempt = 0; ; attempt++) {
      const now = this.now();
      const id = numericId(now);
      try {
        await this.threads.create({ app_uuid: app.uuid, id, group_id: groupId, name: f.name, owner, msg_id: msgId, created: now, modified: now }, now, {
          perApp: this.limits.threadsPerApp,
          perUser: this.limits.threadsPerUser,
        });
        return id;
      } catch (err) {
        if (err instanceof ThreadLimitError) fail(err.which === 'app' ? 'threadLimitReached' : 'threadUserJoinLimit');
        // The group was dissolved, or the owner left it, since the checks above.
        if (err instanceof RoomGoneError) fail('threadGroupNotFound');
        if (err instanceof NotInGroupError) fail('threadUserNotInGroup');
        if (!isUniqueViolation(err) || attempt >= 4) throw err;
        // A concurrent create on the same message won; anything else was an id clash: retry.
        if (await this.threads.findByMessage(groupId, msgId)) fail('threadMessageTaken');
      }
    }
  }

  /** PUT /thread/{id} {"name"} — by the group's owner or an admin, or the thread's creator. */
  async rename(app: App, id: string, body: unknown, actor: Principal): Promise<string> {
    const f = objectBody(body, 'threadParamIllegal');
    if (typeof f.name !== 'string' || f.name === '') fail('threadParamIllegal');
    if (charLength(f.name) > NAME_MAX) fail('threadNameTooLong');
    const thread = await this.getManageable(app, id);
    if (actor.kind === 'user' && actor.user.username !== thread.owner) {
      const group = await this.groups.get(app, thread.group_id);
      if ((await this.groups.standing(group, actor)) === 'member') fail('callerNotAdmin', { username: actor.user.username });
    }
    await this.threads.rename(app.uuid, id, f.name, this.now());
    return f.name;
  }

  /** DELETE /thread/{id} */
  async delete(app: App, id: string): Promise<void> {
    await this.getManageable(app, id);
    if (!(await this.threads.delete(app.uuid, id))) fail('threadNotFound');
  }

  /** GET /thread — every thread of the app, by creation time. */
  async listApp(app: App, q: ThreadPageQuery): Promise<Page<{ id: string }>> {
    const { limit, sort, after } = parsePage(q, 'threads');
    const rows = await this.threads.pageApp(app.uuid, sort, after, limit);
    const last = rows[rows.length - 1];
    return { items: rows.map((t) => ({ id: t.id })), cursor: last ? encodeCursor('threads', last.seq) : undefined };
  }

  /** GET /threads/user/{u} and /threads/chatgroups/{gid}/user/{u} — by the time the user joined. */
  async listJoined(app: App, rawName: string, groupId: string | undefined, q: ThreadPageQuery): Promise<Page<ThreadRecord>> {
    const { limit, sort, after } = parsePage(q, 'joined');
    if (groupId !== undefined) await this.groups.get(app, groupId);
    const rows = await this.threads.pageJoined(app.uuid, username(rawName), groupId, sort, after, limit);
    const last = rows[rows.length - 1];
    return { items: rows.map(threadRecord), cursor: last ? encodeCursor('joined', last.member_seq) : undefined };
  }

  /** GET /threads/chatgroups/{gid}?limit=&cursor= — the threads of a group (the client SDK's getChatThreads), newest first. */
  async listOfGroup(app: App, groupId: string, q: ThreadPageQuery): Promise<Page<ThreadRecord>> {
    const { limit, sort, after } = parsePage(q, 'group-threads');
    await this.groups.get(app, groupId);
    const rows = await this.threads.pageGroup(groupId, sort, after, limit);
    const last = rows[rows.length - 1];
    return { items: rows.map(threadRecord), cursor: last ? encodeCursor('group-threads', last.seq) : undefined };
  }

  /** GET /thread/{id} — the thread with its member count (the client SDK's getChatThreadDetail). */
  async detail(app: App, id: string): Promise<ThreadRecord & { memberCount: number }> {
    const thread = await this.get(app, id);
    return Object.assign(threadRecord(thread), { memberCount: await this.threads.memberCount(id) });
  }

  /** POST /thread/{id}/user/{username}/join — a member of the group joins; answers the thread's detail. */
  async join(app: App, id: string, actor: Principal): Promise<ThreadRecord & { memberCount: number }> {
    if (actor.kind !== 'user') fail('threadParamIllegal');
    const thread = await this.getManageable(app, id);
    await this.insertMembers(thread, [actor.user.username]);
    return this.detail(app, id);
  }

  /** DELETE /thread/{id}/user/{username}/quit — the caller leaves the thread; answers whether they were in it. */
  async quit(app: App, id: string, actor: Principal): Promise<boolean> {
    if (actor.kind !== 'user') fail('threadParamIllegal');
    const thread = await this.get(app, id);
    return (await this.threads.removeMembers(thread.id, [actor.user.username])).length > 0;
  }

  /** DELETE /thread/{id}/users/{username} — the group's owner or an admin removes one member. */
  async removeMember(app: App, id: string, rawName: string, actor: Principal): Promise<{ result: boolean; user: string }> {
    const name = username(rawName);
    const thread = await this.getManageable(app, id);
    await this.groups.requireOutrank(await this.groups.get(app, thread.group_id), actor, [name]);
    return { result: (await this.threads.removeMembers(thread.id, [name])).length > 0, user: name };
  }

  /** GET /thread/{id}/users — members in join order. */
  async members(app: App, id: string, q: ThreadPageQuery): Promise<Page<string>> {
    const { limit, after } = parsePage({ limit: q.limit, cursor: q.cursor }, 'members');
    await this.get(app, id);
    const rows = await this.threads.members(id, after, limit);
    const last = rows[rows.length - 1];
    return { items: rows.map((r) => r.username), cursor: last ? encodeCursor('members', last.seq) : undefined };
  }

  private usernames(body: unknown): string[] {
    const f = objectBody(body, 'threadParamIllegal');
    const names = usernames(stringArray(f.usernames, 'threadParamIllegal'));
    if (names.length === 0) fail('threadParamIllegal');
    if (names.length > MEMBER_BATCH) fail('threadBodyLimit');
    return names;
  }

  /** POST /thread/{id}/users {"usernames": [≤ 10]} — they must be members of the thread's group. */
  async addMembers(app: App, id: string, body: unknown): Promise<void> {
    const names = this.usernames(body);
    const thread = await this.getManageable(app, id);
    const inGroup = new Set((await this.groups.rows.membersOf(thread.group_id, names)).map((m) => m.username));
    if (names.some((n) => !inGroup.has(n))) fail('threadUserNotInGroup');
    await this.insertMembers(thread, names);
  }

  private async insertMembers(thread: ThreadRow, names: string[]): Promise<void> {
    try {
      await this.threads.addMembers(thread, names, this.now(), this.limits.threadsPerUser);
    } catch (err) {
      if (err instanceof ThreadLimitError) fail('threadUserJoinLimit');
      if (err instanceof RoomGoneError) fail('threadNotFound');
      if (err instanceof NotInGroupError) fail('threadUserNotInGroup');
      throw err;
    }
  }

  /** DELETE /thread/{id}/users {"usernames": [≤ 10]} — one result per user. */
  async removeMembers(app: App, id: string, body: unknown): Promise<{ result: boolean; user: string }[]> {
    const names = this.usernames(body);
    const thread = await this.getManageable(app, id);
    const removed = new Set(await this.threads.removeMembers(thread.id, names));
    return names.map((user) => ({ result: removed.has(user), user }));
  }
}
