// IM user accounts. Usernames are stored lower-cased; pages are keyset pages over `seq`.
import type { Insertable, Selectable } from 'kysely';
import type { Db } from './db.js';
import { prepare } from './prepared.js';
import { writeTransaction } from './locking.js';
import type { Dialect } from './migrations/dialect.js';
import type { UsersTable } from './schema.js';

export type UserRow = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
/** What GET /users/{username} answers: no password hash, no token fields. */
export type UserProfileRow = Pick<UserRow, 'uuid' | 'created' | 'modified' | 'username' | 'activated' | 'nickname'>;

export class UsersRepository {
  // Compiled once (prepared.ts): requests naming a user, and every user-token check, run one.
  private readonly byName;
  private readonly byUuid;
  private readonly profileByName;

  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
  ) {
    this.byName = prepare(db, (p: { appUuid: string; username: string }) =>
      db.selectFrom('users').selectAll().where('app_uuid', '=', p.appUuid).where('username', '=', p.username),
    );
    this.byUuid = prepare(db, (p: { appUuid: string; uuid: string }) => db.selectFrom('users').selectAll().where('app_uuid', '=', p.appUuid).where('uuid', '=', p.uuid));
    // The columns a profile shows only: a row's every column costs its own conversion to JS, and
    // the password hash is the longest of them (docs/bench.md).
    this.profileByName = prepare(db, (p: { appUuid: string; username: string }) =>
      db
        .selectFrom('users')
        .select(['uuid', 'created', 'modified', 'username', 'activated', 'nickname'])
        .where('app_uuid', '=', p.appUuid)
        .where('username', '=', p.username),
    );
  }

  findByName(appUuid: string, username: string): Promise<UserRow | undefined> {
    return this.byName.takeFirst({ appUuid, username });
  }

  findProfileByName(appUuid: string, username: string): Promise<UserProfileRow | undefined> {
    return this.profileByName.takeFirst({ appUuid, username });
  }

  findByUuid(appUuid: string, uuid: string): Promise<UserRow | undefined> {
    return this.byUuid.takeFirst({ appUuid, uuid });
  }

  /** Users of `names` that exist, in one query. */
  findManyByName(appUuid: string, names: string[]): Promise<UserRow[]> {
    if (names.length === 0) return Promise.resolve([]);
    return this.db.selectFrom('users').selectAll().where('app_uuid', '=', appUuid).where('username', 'in', names).execute();
  }

  /**
   * Inserts each user unless its name is taken; returns the rows that were inserted, in input
   * order. One transaction, so a crash never leaves half a batch.
   */
  async insertMissing(users: NewUser[]): Promise<UserRow[]> {
    return this.db.transaction().execute(async (trx) => {
      const inserted: UserRow[] = [];
      for (const user of users) {
        const row = await trx
          .insertInto('users')
          .values(user)
          .onConflict((oc) => oc.columns(['app_uuid', 'username']).doNothing())
          .returningAll()
          .executeTakeFirst();
        if (row) inserted.push(row);
      }
      return inserted;
    });
  }

  /** Oldest first, strictly after `afterSeq`; one row more than asked tells whether a next page exists. */
  page(appUuid: string, afterSeq: number, limit: number): Promise<UserRow[]> {
    return this.db
      .selectFrom('users')
      .selectAll()
      .where('app_uuid', '=', appUuid)
      .where('seq', '>', afterSeq)
      .orderBy('seq', 'asc')
      .limit(limit)
      .execute();
  }

  /**
   * Deletes a user and everything that is only theirs, in one transaction: the groups they own are
   * dissolved, and they leave every other group. Returns the ids of the dissolved groups' shared files (whose bytes live outside the database), or undefined when the user did not
   * exist.
   */
  async deleteCascade(
    appUuid: string,
    user: Pick<UserRow, 'uuid' | 'username'>,
    now: number,
  ): Promise<{ fileIds: string[] } | undefined> {
    return writeTransaction(this.db, async (trx) => {
      // Room rows before the user row, as every other writer locks them (locking.ts).
      if (this.dialect === 'postgres') {
        const rooms = await trx.selectFrom('group_members').select('group_id').where('app_uuid', '=', appUuid).where('username', '=', user.username).execute();
        for (const id of [...new Set(rooms.map((r) => r.group_id))].sort()) await trx.selectFrom('groups').select('id').where('id', '=', id).forUpdate().execute();
      }
      const deleted = await trx.deleteFrom('users').where('app_uuid', '=', appUuid).where('uuid', '=', user.uuid).executeTakeFirst();
      if (Number(deleted.numDeletedRows) === 0) return undefined;
      const files = await trx
        .selectFrom('group_files')
        .innerJoin('groups', 'groups.id', 'group_files.group_id')
        .select('group_files.file_id')
        .where('groups.app_uuid', '=', appUuid)
        .where('groups.owner', '=', user.username)
        .execute();
      await trx.deleteFrom('groups').where('app_uuid', '=', appUuid).where('owner', '=', user.username).execute();
      const memberships = await trx
        .deleteFrom('group_members')
        .where('app_uuid', '=', appUuid)
        .where('username', '=', user.username)
        .returning('group_id')
        .execute();
      const left = memberships.map((m) => m.group_id);
      for (const table of ['thread_members', 'group_mutes', 'group_allowlist', 'group_blocklist', 'group_requests', 'chatroom_super_admins', 'devices', 'device_positions'] as const) {
        await trx.deleteFrom(table).where('app_uuid', '=', appUuid).where('username', '=', user.username).execute();
      }
      if (left.length > 0) {
        await trx
          .updateTable('groups')
          .set((eb) => ({ member_count: eb('member_count', '-', 1), modified: now }))
          .where('id', 'in', left)
          .execute();
      }
      return { fileIds: files.map((f) => f.file_id) };
    });
  }

  async setPassword(appUuid: string, uuid: string, passwordHash: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('users')
      .set((eb) => ({ password_hash: passwordHash, modified: now, token_version: eb('token_version', '+', 1) }))
      .where('app_uuid', '=', appUuid)
      .where('uuid', '=', uuid)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Deactivation ends every token issued so far for good, as a password change does (account_ban.md). */
  setActivated(appUuid: string, uuid: string, activated: boolean, now: number): Promise<UserRow | undefined> {
    return this.db
      .updateTable('users')
      .set((eb) => (activated ? { activated: 1, modified: now } : { activated: 0, modified: now, deactivated_at: now, token_version: eb('token_version', '+', 1) }))
      .where('app_uuid', '=', appUuid)
      .where('uuid', '=', uuid)
      .returningAll()
      .executeTakeFirst();
  }
}
