// Threads and their members. Lists are keyset pages over sequence numbers in either direction.
import type { Insertable, Selectable, Transaction } from 'kysely';
import { lockKeys, type Db } from './db.js';
import { lockRoom, RoomGoneError, writeTransaction } from './locking.js';
import type { Dialect } from './migrations/dialect.js';
import type { Database, ThreadsTable } from './schema.js';

export type ThreadRow = Selectable<ThreadsTable>;
export type Sort = 'asc' | 'desc';

/** A thread a user has joined, with the membership's sequence number (the cursor position). */
export type JoinedThread = ThreadRow & { member_seq: number };

export class ThreadLimitError extends Error {
  constructor(readonly which: 'app' | 'user') {
    super(`thread limit per ${which} reached`);
  }
}

/** Thrown inside a transaction when a user is (no longer) a member of the thread's group. */
export class NotInGroupError extends Error {
  constructor(readonly username: string) {
    super(`user ${username} is not in the group`);
  }
}

export interface ThreadCaps {
  perApp: number;
  perUser: number;
}

export class ThreadsRepository {
  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
  ) {}

  /** Within a transaction: refuses (ThreadLimitError 'user') when a user is at the per-user cap. */
  private async checkUsers(trx: Transaction<Database>, appUuid: string, usernames: string[], perUser: number): Promise<void> {
    if (usernames.length === 0) return;
    await lockKeys(trx, this.dialect, usernames.map((u) => `threads:${appUuid}:${u}`));
    const full = await trx
      .selectFrom('thread_members')
      .select('username')
      .where('app_uuid', '=', appUuid)
      .where('username', 'in', usernames)
      .groupBy('username')
      .having((eb) => eb.fn.countAll(), '>=', perUser)
      .execute();
    if (full.length > 0) throw new ThreadLimitError('user');
  }

  /** Within a transaction: every user must be a member of the group (whose row the caller locked). */
  private async requireInGroup(trx: Transaction<Database>, groupId: string, usernames: string[]): Promise<void> {
    if (usernames.length === 0) return;
    const found = new Set(
      (await trx.selectFrom('group_members').select('username').where('group_id', '=', groupId).where('username', 'in', usernames).execute()).map((r) => r.username),
    );
    const missing = usernames.find((u) => !found.has(u));
    if (missing !== undefined) throw new NotInGroupError(missing);
  }

  /**
   * Creates the thread with its owner as first member, within the caps (counted under locks).
   * RoomGoneError when the group was dissolved meanwhile, NotInGroupError when the owner left it.
   */
  async create(thread: Insertable<ThreadsTable>, now: number, caps: ThreadCaps): Promise<void> {
    await writeTransaction(this.db, async (trx) => {
      await lockRoom(trx, this.dialect, thread.group_id);
      await this.requireInGroup(trx, thread.group_id, [thread.owner]);
      await lockKeys(trx, this.dialect, [`threads:${thread.app_uuid}`]);
      const count = await trx
        .selectFrom('threads')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('app_uuid', '=', thread.app_uuid)
        .executeTakeFirstOrThrow();
      if (Number(count.n) >= caps.perApp) throw new ThreadLimitError('app');
      await this.checkUsers(trx, thread.app_uuid, [thread.owner], caps.perUser);
      await trx.insertInto('threads').values(thread).execute();
      await trx
        .insertInto('thread_members')
        .values({ thread_id: thread.id, app_uuid: thread.app_uuid, group_id: thread.group_id, username: thread.owner, joined: now })
        .execute();
    });
  }

  find(appUuid: string, id: string): Promise<ThreadRow | undefined> {
    return this.db.selectFrom('threads').selectAll().where('app_uuid', '=', appUuid).where('id', '=', id).executeTakeFirst();
  }

  findByMessage(groupId: string, msgId: string): Promise<ThreadRow | undefined> {
    return this.db.selectFrom('threads').selectAll().where('group_id', '=', groupId).where('msg_id', '=', msgId).executeTakeFirst();
  }

  async rename(appUuid: string, id: string, name: string, now: number): Promise<void> {
    await this.db.updateTable('threads').set({ name, modified: now }).where('app_uuid', '=', appUuid).where('id', '=', id).execute();
  }

  async delete(appUuid: string, id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('threads').where('app_uuid', '=', appUuid).where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Every thread of the app, by creation; `after` is the last seen sequence number. */
  pageApp(appUuid: string, sort: Sort, after: number | undefined, limit: number): Promise<ThreadRow[]> {
    let q = this.db.selectFrom('threads').selectAll().where('app_uuid', '=', appUuid);
    if (after !== undefined) q = q.where('seq', sort === 'asc' ? '>' : '<', after);
    return q.orderBy('seq', sort).limit(limit).execute();
  }

  /** The threads of one group, by creation. */
  pageGroup(groupId: string, sort: Sort, after: number | undefined, limit: number): Promise<ThreadRow[]> {
    let q = this.db.selectFrom('threads').selectAll().where('group_id', '=', groupId);
    if (after !== undefined) q = q.where('seq', sort === 'asc' ? '>' : '<', after);
    return q.orderBy('seq', sort).limit(limit).execute();
  }

  async memberCount(threadId: string): Promise<number> {
    const row = await this.db.selectFrom('thread_members').select((eb) => eb.fn.countAll<number>().as('n')).where('thread_id', '=', threadId).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async isMember(threadId: string, username: string): Promise<boolean> {
    return (await this.db.selectFrom('thread_members').select('username').where('thread_id', '=', threadId).where('username', '=', username).executeTakeFirst()) !== undefined;
  }

  /** Threads `username` joined (optionally in one group), by join time. */
  pageJoined(appUuid: string, username: string, groupId: string | undefined, sort: Sort, after: number | undefined, limit: number): Promise<JoinedThread[]> {
    let q = this.db
      .selectFrom('thread_members as m')
      .innerJoin('threads as t', 't.id', 'm.thread_id')
      .selectAll('t')
      .select('m.seq as member_seq')
      .where('m.app_uuid', '=', appUuid)
      .where('m.username', '=', username);
    if (groupId !== undefined) q = q.where('m.group_id', '=', groupId);
    if (after !== undefined) q = q.where('m.seq', sort === 'asc' ? '>' : '<', after);
    return q.orderBy('m.seq', sort).limit(limit).execute();
  }

  /** Members in join order after sequence `after`. */
  members(threadId: string, after: number | undefined, limit: number): Promise<{ username: string; seq: number }[]> {
    let q = this.db.selectFrom('thread_members').select(['username', 'seq']).where('thread_id', '=', threadId);
    if (after !== undefined) q = q.where('seq', '>', after);
    return q.orderBy('seq', 'asc').limit(limit).execute();
  }

  /**
   * Adds the users who are not members yet (each within the per-user cap); returns them.
   * RoomGoneError when the thread or its group is gone, NotInGroupError when one left the group.
   */
  async addMembers(thread: ThreadRow, usernames: string[], now: number, perUser: number): Promise<string[]> {
    return writeTransaction(this.db, async (trx) => {
      await lockRoom(trx, this.dialect, thread.group_id);
      if (!(await trx.selectFrom('threads').select('id').where('id', '=', thread.id).executeTakeFirst())) throw new RoomGoneError(thread.id);
      await this.requireInGroup(trx, thread.group_id, usernames);
      const already = new Set(
        (await trx.selectFrom('thread_members').select('username').where('thread_id', '=', thread.id).where('username', 'in', usernames).execute()).map(
          (r) => r.username,
        ),
      );
      const fresh = usernames.filter((u) => !already.has(u));
      await this.checkUsers(trx, thread.app_uuid, fresh, perUser);
      const added: string[] = [];
      for (const username of fresh) {
        const row = await trx
          .insertInto('thread_members')
          .values({ thread_id: thread.id, app_uuid: thread.app_uuid, group_id: thread.group_id, username, joined: now })
          .onConflict((oc) => oc.columns(['thread_id', 'username']).doNothing())
          .returning('username')
          .executeTakeFirst();
        if (row) added.push(row.username);
      }
      return added;
    });
  }

  async removeMembers(threadId: string, usernames: string[]): Promise<string[]> {
    if (usernames.length === 0) return [];
    const rows = await this.db.deleteFrom('thread_members').where('thread_id', '=', threadId).where('username', 'in', usernames).returning('username').execute();
    return rows.map((r) => r.username);
  }
}
