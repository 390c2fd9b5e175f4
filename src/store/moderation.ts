// Mutes, allowlists and blocklists of groups and chatrooms (keyed by the room id).
import type { Transaction } from 'kysely';
import type { Db } from './db.js';
import type { Database } from './schema.js';
import { lockRoom, lockUsers, requireMembers, writeTransaction } from './locking.js';
import type { Dialect } from './migrations/dialect.js';

export type ModerationList = 'group_allowlist' | 'group_blocklist';

export interface MuteRow {
  username: string;
  expire: number;
}

/** A mute counts while it is permanent (-1) or ends in the future: expiry needs no sweeper. */
const PERMANENT = -1;

export class ModerationRepository {
  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
  ) {}

  /** Room row, then the users' rows (a deletion waits), then their membership. */
  private async lockMembers(trx: Transaction<Database>, appUuid: string, roomId: string, usernames: string[]): Promise<void> {
    await lockRoom(trx, this.dialect, roomId);
    await lockUsers(trx, this.dialect, appUuid, usernames);
    await requireMembers(trx, roomId, usernames);
  }

  /**
   * Mutes (or re-mutes with a new expiry) each member. RoomGoneError when the room was dissolved
   * meanwhile, NotMembersError when one left it (or was deleted) since the caller checked.
   */
  async mute(appUuid: string, roomId: string, usernames: string[], expire: number, now: number): Promise<void> {
    await writeTransaction(this.db, async (trx) => {
      await this.lockMembers(trx, appUuid, roomId, usernames);
      for (const username of usernames) {
        await trx
          .insertInto('group_mutes')
          .values({ group_id: roomId, app_uuid: appUuid, username, expire, created: now })
          .onConflict((oc) => oc.columns(['group_id', 'username']).doUpdateSet({ expire, created: now }))
          .execute();
      }
    });
  }

  /** Lifts the mutes; returns who was muted (and not yet expired) before. */
  async unmute(roomId: string, usernames: string[], now: number): Promise<string[]> {
    if (usernames.length === 0) return [];
    const rows = await this.db.deleteFrom('group_mutes').where('group_id', '=', roomId).where('username', 'in', usernames).returning(['username', 'expire']).execute();
    return rows.filter((r) => r.expire === PERMANENT || r.expire > now).map((r) => r.username);
  }

  activeMutes(roomId: string, now: number): Promise<MuteRow[]> {
    return this.db
      .selectFrom('group_mutes')
      .select(['username', 'expire'])
      .where('group_id', '=', roomId)
      .where((eb) => eb.or([eb('expire', '=', PERMANENT), eb('expire', '>', now)]))
      .orderBy('created', 'asc')
      .orderBy('username', 'asc')
      .execute();
  }

  async activeMute(roomId: string, username: string, now: number): Promise<MuteRow | undefined> {
    return this.db
      .selectFrom('group_mutes')
      .select(['username', 'expire'])
      .where('group_id', '=', roomId)
      .where('username', '=', username)
      .where((eb) => eb.or([eb('expire', '=', PERMANENT), eb('expire', '>', now)]))
      .executeTakeFirst();
  }

  async list(table: ModerationList, roomId: string): Promise<string[]> {
    const rows = await this.db.selectFrom(table).select('username').where('group_id', '=', roomId).orderBy('created', 'asc').orderBy('username', 'asc').execute();
    return rows.map((r) => r.username);
  }

  async contains(table: ModerationList, roomId: string, username: string): Promise<boolean> {
    return (await this.db.selectFrom(table).select('username').where('group_id', '=', roomId).where('username', '=', username).executeTakeFirst()) !== undefined;
  }

  async containing(table: ModerationList, roomId: string, usernames: string[]): Promise<Set<string>> {
    if (usernames.length === 0) return new Set();
    const rows = await this.db.selectFrom(table).select('username').where('group_id', '=', roomId).where('username', 'in', usernames).execute();
    return new Set(rows.map((r) => r.username));
  }

  /** Adds members to the allowlist; the errors of `mute`. */
  async allow(appUuid: string, roomId: string, usernames: string[], now: number): Promise<void> {
    if (usernames.length === 0) return;
    const table = 'group_allowlist';
    await writeTransaction(this.db, async (trx) => {
      await this.lockMembers(trx, appUuid, roomId, usernames);
      await trx
        .insertInto(table)
        .values(usernames.map((username) => ({ group_id: roomId, app_uuid: appUuid, username, created: now })))
        .onConflict((oc) => oc.columns(['group_id', 'username']).doNothing())
        .execute();
    });
  }

  /** Removes the users from the list; returns who was on it. */
  async remove(table: ModerationList, roomId: string, usernames: string[]): Promise<string[]> {
    if (usernames.length === 0) return [];
    const rows = await this.db.deleteFrom(table).where('group_id', '=', roomId).where('username', 'in', usernames).returning('username').execute();
    return rows.map((r) => r.username);
  }
}
