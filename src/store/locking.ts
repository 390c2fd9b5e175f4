// Writers that race each other (dissolving a room while its members change, deleting a user while
// they join) check what they depend on inside their own transaction, under a row lock, so that the
// loser sees the winner's result instead of failing on a foreign key. The order is always the room
// row first, then user rows, then advisory locks (db.ts lockKeys). PostgreSQL may still pick a
// deadlock victim between transactions that lock in other orders (a user's deletion touches all of
// their rooms): such a transaction is run again from the start.
import type { Kysely, Transaction } from 'kysely';
import type { Dialect } from './migrations/dialect.js';
import type { Database } from './schema.js';

/** The room a write depends on was dissolved meanwhile (or was never there). */
export class RoomGoneError extends Error {
  constructor(readonly roomId: string) {
    super(`room ${roomId} does not exist`);
  }
}

/** A user a write depends on was deleted meanwhile (or was never there). */
export class UserGoneError extends Error {
  constructor(readonly username: string) {
    super(`user ${username} does not exist`);
  }
}

/** Users a write needs to be members of the room are not (any more). */
export class NotMembersError extends Error {
  constructor(readonly usernames: string[]) {
    super(`users ${usernames.join(', ')} are not members`);
  }
}

/** Within a transaction that locked the room: every user must be a member of it. */
export async function requireMembers(trx: Transaction<Database>, roomId: string, usernames: string[]): Promise<void> {
  if (usernames.length === 0) return;
  const found = new Set(
    (await trx.selectFrom('group_members').select('username').where('group_id', '=', roomId).where('username', 'in', usernames).execute()).map((r) => r.username),
  );
  const outsiders = usernames.filter((u) => !found.has(u));
  if (outsiders.length > 0) throw new NotMembersError(outsiders);
}

/** Locks the room row (ids are unique across apps and kinds) for the rest of the transaction; RoomGoneError when there is none. */
export async function lockRoom(trx: Transaction<Database>, dialect: Dialect, roomId: string): Promise<void> {
  const q = trx.selectFrom('groups').select('id').where('id', '=', roomId);
  // SQLite has one writer at a time already: the plain read is the check.
  const row = await (dialect === 'postgres' ? q.forUpdate() : q).executeTakeFirst();
  if (!row) throw new RoomGoneError(roomId);
}

/** Holds the user rows (shared) for the rest of the transaction; UserGoneError names the first missing one. */
export async function lockUsers(trx: Transaction<Database>, dialect: Dialect, appUuid: string, usernames: string[]): Promise<void> {
  const found = await lockExistingUsers(trx, dialect, appUuid, usernames);
  const missing = usernames.find((u) => !found.has(u));
  if (missing !== undefined) throw new UserGoneError(missing);
}

/** Holds the rows of those users that exist (shared) for the rest of the transaction, and answers their names. */
export async function lockExistingUsers(trx: Transaction<Database>, dialect: Dialect, appUuid: string, usernames: string[]): Promise<Set<string>> {
  if (usernames.length === 0) return new Set();
  const q = trx.selectFrom('users').select('username').where('app_uuid', '=', appUuid).where('username', 'in', usernames).orderBy('username');
  return new Set((await (dialect === 'postgres' ? q.forShare() : q).execute()).map((r) => r.username));
}

const RETRYABLE = new Set(['40P01' /* deadlock_detected */, '40001' /* serialization_failure */]);
const ATTEMPTS = 5;

/** Runs `work` in a transaction, again from the start when PostgreSQL chose it as a deadlock victim. */
export async function writeTransaction<T>(db: Kysely<Database>, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(work);
    } catch (err) {
      const code = (err as { code?: string } | null)?.code;
      if (attempt >= ATTEMPTS || code === undefined || !RETRYABLE.has(code)) throw err;
      await new Promise((resolve) => setTimeout(resolve, attempt * 5 + Math.random() * 10));
    }
  }
}
