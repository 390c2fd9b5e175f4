// Groups and their members. Member rows and the group's member_count change together in one
// transaction; "room left" is checked by a conditional UPDATE, so concurrent adds cannot overfill.
import { sql, type Insertable, type Selectable, type Transaction, type Updateable } from 'kysely';
import { lockKeys, type Db } from './db.js';
import { prepare, type PreparedQuery } from './prepared.js';

/** Page sizes of members pages kept compiled; others are compiled per call. */
const KEPT_MEMBER_PAGE_SIZES = 32;
import { lockExistingUsers, lockRoom, lockUsers, RoomGoneError, writeTransaction } from './locking.js';
import type { Database } from './schema.js';
import type { Dialect } from './migrations/dialect.js';
import type { GroupMembersTable, GroupRole, GroupsTable, RoomKind } from './schema.js';

export type GroupRow = Selectable<GroupsTable>;
export type NewGroup = Omit<Insertable<GroupsTable>, 'kind'>;
export type GroupChanges = Updateable<Omit<GroupsTable, 'seq' | 'app_uuid' | 'id' | 'created'>>;
export type MemberRow = Selectable<GroupMembersTable>;
/** A member as pages of members show them. */
export type MemberEntryRow = Pick<MemberRow, 'username' | 'role' | 'joined'>;

/** Thrown inside a transaction when added members would not fit in maxusers. */
export class GroupFullError extends Error {
  constructor() {
    super('group is full');
  }
}

/** Thrown when the owner or the new owner's membership changed under a transfer. */
export class OwnerChangedError extends Error {
  constructor() {
    super('the group owner changed during the transfer');
  }
}

/** Thrown inside a transaction when a user already belongs to as many groups as allowed. */
export class UserGroupLimitError extends Error {
  constructor(readonly username: string) {
    super(`user ${username} has joined too many groups`);
  }
}

/** Thrown inside a transaction when the app already has as many groups as allowed. */
export class AppGroupLimitError extends Error {
  constructor() {
    super('app has too many groups');
  }
}

/** Per-user and per-app caps checked inside the writing transaction (0 = no cap). */
export interface MembershipCaps {
  perUser: number;
  perApp?: number;
}

/** Groups or chatrooms (one instance per kind): the same tables, told apart by `kind`. */
export class GroupsRepository {
  // Compiled once (prepared.ts): nearly every room operation looks up the room, many a member.
  private readonly byId;
  private readonly memberByName;
  /** Pages of members by page size, which SQLite needs written into the query (sqlite-driver.ts). */
  private readonly memberPages = new Map<number, PreparedQuery<{ groupId: string; offset: number }, MemberEntryRow>>();
  private readonly memberAppByName;

  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
    readonly kind: RoomKind = 'group',
  ) {
    this.byId = prepare(db, (p: { appUuid: string; id: string }) =>
      db.selectFrom('groups').selectAll().where('app_uuid', '=', p.appUuid).where('kind', '=', kind).where('id', '=', p.id),
    );
    this.memberByName = prepare(db, (p: { groupId: string; username: string }) =>
      db.selectFrom('group_members').selectAll().where('group_id', '=', p.groupId).where('kind', '=', kind).where('username', '=', p.username),
    );
    // Membership alone (is_joined): one column to convert rather than the row's seven.
    this.memberAppByName = prepare(db, (p: { groupId: string; username: string }) =>
      db.selectFrom('group_members').select('app_uuid').where('group_id', '=', p.groupId).where('kind', '=', kind).where('username', '=', p.username),
    );
  }

  private lock(trx: Transaction<Database>, keys: string[]): Promise<void> {
    return lockKeys(trx, this.dialect, keys);
  }

  /** Within a transaction: refuses when one of `usernames` is at the per-user cap. */
  private async checkUserCaps(trx: Transaction<Database>, appUuid: string, usernames: string[], perUser: number): Promise<void> {
    if (usernames.length === 0 || perUser <= 0) return;
    await this.lock(trx, usernames.map((u) => `members:${appUuid}:${this.kind}:${u}`));
    const full = await trx
      .selectFrom('group_members')
      .select('username')
      .where('app_uuid', '=', appUuid)
      .where('kind', '=', this.kind)
      .where('username', 'in', usernames)
      .groupBy('username')
      .having((eb) => eb.fn.countAll(), '>=', perUser)
      .execute();
    if (full.length > 0) throw new UserGroupLimitError(full.map((r) => r.username).sort()[0]!);
  }

  /** Creates the group with its owner and members in one transaction, within the caps. */
  async create(group: NewGroup, owner: string, members: string[], now: number, caps: MembershipCaps): Promise<void> {
    await writeTransaction(this.db, async (trx) => {
      // The owner and members were looked up before; a deletion since then refuses the create.
      await lockUsers(trx, this.dialect, group.app_uuid, [owner, ...members]);
      if (caps.perApp && caps.perApp > 0) {
        await this.lock(trx, [`rooms:${group.app_uuid}:${this.kind}`]);
        const row = await trx
          .selectFrom('groups')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('app_uuid', '=', group.app_uuid)
          .where('kind', '=', this.kind)
          .executeTakeFirstOrThrow();
        if (Number(row.n) >= caps.perApp) throw new AppGroupLimitError();
      }
      await this.checkUserCaps(trx, group.app_uuid, [owner, ...members], caps.perUser);
      await trx.insertInto('groups').values(Object.assign({}, group, { kind: this.kind })).execute();
      const rows = [owner, ...members].map((username, i) => ({
        group_id: group.id,
        app_uuid: group.app_uuid,
        username,
        role: (i === 0 ? 'owner' : 'member') as GroupRole,
        joined: now,
        kind: this.kind,
      }));
      await trx.insertInto('group_members').values(rows).execute();
    });
  }

  find(appUuid: string, id: string): Promise<GroupRow | undefined> {
    return this.byId.takeFirst({ appUuid, id });
  }

  findMany(appUuid: string, ids: string[]): Promise<GroupRow[]> {
    if (ids.length === 0) return Promise.resolve([]);
    if (ids.length === 1) return this.byId.execute({ appUuid, id: ids[0]! });
    return this.db.selectFrom('groups').selectAll().where('app_uuid', '=', appUuid).where('kind', '=', this.kind).where('id', 'in', ids).execute();
  }

  /**
   * Rooms with members whose log holds a message (the "active chatrooms" a chatroom broadcast goes
   * to, broadcast_to_chatrooms.md), oldest first after `afterSeq`.
   */
  activeRooms(appUuid: string, afterSeq: number, limit: number): Promise<GroupRow[]> {
    return this.db
      .selectFrom('groups as g')
      .selectAll('g')
      .where('g.app_uuid', '=', appUuid)
      .where('g.kind', '=', this.kind)
      .where('g.member_count', '>', 0)
      .where('g.seq', '>', afterSeq)
      .where(({ exists, selectFrom }) =>
        exists(
          selectFrom('conversation_log as l')
            .select('l.seq')
            .whereRef('l.app_uuid', '=', 'g.app_uuid')
            .where('l.conversation', '=', sql<string>`${sql.lit(`${this.kind}:`)} || ${sql.ref('g.id')}`)
            .where('l.message_id', 'is not', null),
        ),
      )
      .orderBy('g.seq', 'asc')
      .limit(limit)
      .execute();
  }

  /** False when there was no such room (dissolved meanwhile). */
  async update(appUuid: string, id: string, changes: GroupChanges): Promise<boolean> {
    const result = await this.db.updateTable('groups').set(changes).where('app_uuid', '=', appUuid).where('kind', '=', this.kind).where('id', '=', id).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Sets maxusers unless the group already has more members than that; false when refused. */
  async updateWithMaxUsers(appUuid: string, id: string, changes: GroupChanges & { maxusers: number }): Promise<boolean> {
    const result = await this.db
      .updateTable('groups')
      .set(changes)
      .where('app_uuid', '=', appUuid)
      .where('id', '=', id)
      .where('member_count', '<=', changes.maxusers)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * Dissolves the group; members, admins and file metadata go with it (foreign keys). Returns the
   * ids of its shared files, whose bytes the caller removes, or undefined when there was no group.
   */
  async delete(appUuid: string, id: string): Promise<{ fileIds: string[] } | undefined> {
    return writeTransaction(this.db, async (trx) => {
      // Writers that change the room's members lock its row first: they run before or after this.
      try {
        await lockRoom(trx, this.dialect, id);
      } catch (err) {
        if (err instanceof RoomGoneError) return undefined;
        throw err;
      }
      const files = await trx.selectFrom('group_files').select('file_id').where('group_id', '=', id).execute();
      const result = await trx.deleteFrom('groups').where('app_uuid', '=', appUuid).where('kind', '=', this.kind).where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0 ? { fileIds: files.map((f) => f.file_id) } : undefined;
    });
  }

  /** Newest first: rooms created before the one with sequence `beforeSeq` (only public ones when asked). */
  pageNewest(appUuid: string, beforeSeq: number | undefined, limit: number, publicOnly = false): Promise<GroupRow[]> {
    let q = this.db.selectFrom('groups').selectAll().where('app_uuid', '=', appUuid).where('kind', '=', this.kind);
    if (publicOnly) q = q.where('public', '=', 1);
    if (beforeSeq !== undefined) q = q.where('seq', '<', beforeSeq);
    return q.orderBy('seq', 'desc').limit(limit).execute();
  }

  /** Newest first, by offset (numbered pages). */
  pageNewestAt(appUuid: string, offset: number, limit: number): Promise<GroupRow[]> {
    return this.db.selectFrom('groups').selectAll().where('app_uuid', '=', appUuid).where('kind', '=', this.kind).orderBy('seq', 'desc').offset(offset).limit(limit).execute();
  }

  async countUserGroups(appUuid: string, username: string): Promise<number> {
    const row = await this.db
      .selectFrom('group_members')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('app_uuid', '=', appUuid)
      .where('username', '=', username)
      .where('kind', '=', this.kind)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** The rooms `username` belongs to, with their role there, in the order joined (or newest joined first). */
  userGroups(appUuid: string, username: string, offset: number, limit: number, order: 'asc' | 'desc' = 'asc'): Promise<(GroupRow & { role: GroupRole })[]> {
    return this.db
      .selectFrom('group_members as m')
      .innerJoin('groups as g', 'g.id', 'm.group_id')
      .selectAll('g')
      .select('m.role as role')
      .where('m.app_uuid', '=', appUuid)
      .where('m.username', '=', username)
      .where('m.kind', '=', this.kind)
      .orderBy('m.seq', order)
      .offset(offset)
      .limit(limit)
      .execute();
  }

  async member(groupId: string, username: string): Promise<MemberRow | undefined> {
    return this.memberByName.takeFirst({ groupId, username });
  }

  /** The app of the room `username` is a member of, if they are one. */
  async memberApp(groupId: string, username: string): Promise<string | undefined> {
    return (await this.memberAppByName.takeFirst({ groupId, username }))?.app_uuid;
  }

  /** Which of `groupIds` the user is a member of. */
  async roomsOfAmong(username: string, groupIds: string[]): Promise<string[]> {
    if (groupIds.length === 0) return [];
    const rows = await this.db.selectFrom('group_members').select('group_id').where('username', '=', username).where('group_id', 'in', groupIds).execute();
    return rows.map((r) => r.group_id);
  }

  membersOf(groupId: string, names: string[]): Promise<MemberRow[]> {
    if (names.length === 0) return Promise.resolve([]);
    return this.db.selectFrom('group_members').selectAll().where('group_id', '=', groupId).where('username', 'in', names).execute();
  }

  /** Members in join order after the one with sequence `afterSeq` (keyset pages), with that sequence. */
  membersAfter(groupId: string, afterSeq: number | undefined, limit: number): Promise<MemberRow[]> {
    let q = this.db.selectFrom('group_members').selectAll().where('group_id', '=', groupId);
    if (afterSeq !== undefined) q = q.where('seq', '>', afterSeq);
    return q.orderBy('seq', 'asc').limit(limit).execute();
  }

  /** Members in join order (the owner joined first). */
  members(groupId: string, offset: number, limit: number): Promise<MemberEntryRow[]> {
    let page = this.memberPages.get(limit);
    if (!page) {
      page = prepare(this.db, (p: { groupId: string; offset: number }) =>
        this.db.selectFrom('group_members').select(['username', 'role', 'joined']).where('group_id', '=', p.groupId).orderBy('seq', 'asc').offset(p.offset).limit(limit),
      );
      if (this.memberPages.size < KEPT_MEMBER_PAGE_SIZES) this.memberPages.set(limit, page);
    }
    return page.execute({ groupId, offset });
  }

  admins(groupId: string): Promise<MemberRow[]> {
    return this.db.selectFrom('group_members').selectAll().where('group_id', '=', groupId).where('role', '=', 'admin').orderBy('seq', 'asc').execute();
  }

  /**
   * Adds the users that are not members yet; returns them. Throws GroupFullError when they would
   * not fit in maxusers and UserGroupLimitError when one is at the per-user cap (adding no one).
   */
  async addMembers(appUuid: string, groupId: string, usernames: string[], now: number, perUser: number): Promise<string[]> {
    return writeTransaction(this.db, async (trx) => {
      await lockRoom(trx, this.dialect, groupId);
      await lockUsers(trx, this.dialect, appUuid, usernames);
      await this.checkUserCaps(trx, appUuid, usernames, perUser);
      const added: string[] = [];
      for (const username of usernames) {
        const row = await trx
          .insertInto('group_members')
          .values({ group_id: groupId, app_uuid: appUuid, username, role: 'member', joined: now, kind: this.kind })
          .onConflict((oc) => oc.columns(['group_id', 'username']).doNothing())
          .returning('username')
          .executeTakeFirst();
        if (row) added.push(row.username);
      }
      if (added.length === 0) return added;
      const n = added.length;
      const result = await trx
        .updateTable('groups')
        .set((eb) => ({ member_count: eb('member_count', '+', n), modified: now }))
        .where('id', '=', groupId)
        .where((eb) => eb(eb('member_count', '+', n), '<=', eb.ref('maxusers')))
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) throw new GroupFullError();
      return added;
    });
  }

  /** Removes members other than the owner; returns who was removed. */
  async removeMembers(groupId: string, usernames: string[], now: number): Promise<string[]> {
    if (usernames.length === 0) return [];
    return writeTransaction(this.db, async (trx) => {
      await lockRoom(trx, this.dialect, groupId);
      return this.removeWithin(trx, groupId, usernames, now);
    });
  }

  /**
   * Blocks members (REFERENCE §2c/§2d blocklist): on the blocklist and out of the room, in one
   * transaction. Only those who are members when it runs (and still users: a deletion waits) are
   * blocked; returns them.
   */
  async blockMembers(appUuid: string, groupId: string, usernames: string[], now: number): Promise<string[]> {
    if (usernames.length === 0) return [];
    return writeTransaction(this.db, async (trx) => {
      await lockRoom(trx, this.dialect, groupId);
      const users = await lockExistingUsers(trx, this.dialect, appUuid, usernames);
      const members = (await trx.selectFrom('group_members').select('username').where('group_id', '=', groupId).where('username', 'in', usernames).where('role', '!=', 'owner').execute())
        .map((m) => m.username)
        .filter((u) => users.has(u));
      if (members.length === 0) return [];
      await trx
        .insertInto('group_blocklist')
        .values(members.map((username) => ({ group_id: groupId, app_uuid: appUuid, username, created: now })))
        .onConflict((oc) => oc.columns(['group_id', 'username']).doNothing())
        .execute();
      return this.removeWithin(trx, groupId, members, now);
    });
  }

  private async removeWithin(trx: Transaction<Database>, groupId: string, usernames: string[], now: number): Promise<string[]> {
    const removed = await trx
      .deleteFrom('group_members')
      .where('group_id', '=', groupId)
      .where('username', 'in', usernames)
      .where('role', '!=', 'owner')
      .returning('username')
      .execute();
    if (removed.length > 0) {
      const names = removed.map((r) => r.username);
      // Leaving a group means leaving its threads (REFERENCE §2d, remove member) and its
      // allowlist; a mute stays, so leaving and rejoining does not lift it.
      await trx.deleteFrom('thread_members').where('group_id', '=', groupId).where('username', 'in', names).execute();
      await trx.deleteFrom('group_allowlist').where('group_id', '=', groupId).where('username', 'in', names).execute();
      await trx
        .updateTable('groups')
        .set((eb) => ({ member_count: eb('member_count', '-', removed.length), modified: now }))
        .where('id', '=', groupId)
        .execute();
    }
    return removed.map((r) => r.username);
  }

  /**
   * Makes a member an admin unless the group already has `maxAdmins`; counted and written under a
   * lock, so concurrent promotions cannot overshoot. 'full' / 'not_member' / 'ok'.
   */
  async promoteAdmin(groupId: string, username: string, maxAdmins: number): Promise<'ok' | 'full' | 'not_member'> {
    return writeTransaction(this.db, async (trx) => {
      // The room row's lock also serializes promotions in it.
      await lockRoom(trx, this.dialect, groupId);
      const row = await trx
        .selectFrom('group_members')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('group_id', '=', groupId)
        .where('role', '=', 'admin')
        .executeTakeFirstOrThrow();
      if (Number(row.n) >= maxAdmins) return 'full';
      const updated = await trx
        .updateTable('group_members')
        .set({ role: 'admin' })
        .where('group_id', '=', groupId)
        .where('username', '=', username)
        .where('role', '=', 'member')
        .executeTakeFirst();
      return Number(updated.numUpdatedRows) > 0 ? 'ok' : 'not_member';
    });
  }

  async setRole(groupId: string, username: string, from: GroupRole, to: GroupRole): Promise<boolean> {
    const result = await this.db
      .updateTable('group_members')
      .set({ role: to })
      .where('group_id', '=', groupId)
      .where('username', '=', username)
      .where('role', '=', from)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * Makes `newOwner` (a member) the owner; the old owner stays as a member. Refuses with
   * OwnerChangedError when a concurrent request changed the owner or removed the new one first.
   */
  async transferOwner(appUuid: string, groupId: string, oldOwner: string, newOwner: string, now: number): Promise<void> {
    await writeTransaction(this.db, async (trx) => {
      // Concurrent transfers (and member changes) queue up behind the room row's lock.
      await lockRoom(trx, this.dialect, groupId);
      const moved = await trx
        .updateTable('groups')
        .set({ owner: newOwner, modified: now })
        .where('app_uuid', '=', appUuid)
        .where('id', '=', groupId)
        .where('owner', '=', oldOwner)
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) === 0) throw new OwnerChangedError();
      const promoted = await trx
        .updateTable('group_members')
        .set({ role: 'owner' })
        .where('group_id', '=', groupId)
        .where('username', '=', newOwner)
        .where('role', '!=', 'owner')
        .executeTakeFirst();
      if (Number(promoted.numUpdatedRows) === 0) throw new OwnerChangedError();
      await trx.updateTable('group_members').set({ role: 'member' }).where('group_id', '=', groupId).where('username', '=', oldOwner).execute();
      // The owner cannot be muted: a mute the new owner had ends with the transfer.
      await trx.deleteFrom('group_mutes').where('group_id', '=', groupId).where('username', '=', newOwner).execute();
    });
  }

}
