// Bulk-inserts users straight into a qunliao SQLite file (bench/messages.ts). Registering them
// through the API would cost one scrypt hash each (tens of milliseconds); here every user gets the
// password hash of one user registered through the API beforehand, so all of them have that
// user's password. The rows are what UsersRepository would write (migration 001_foundation).
import { randomUUID } from 'node:crypto';
import { appUuidOf, passwordHashOf, withSeedingDb } from './seed-db.js';

export function seedUsers(file: string, opts: { org: string; app: string; template: string; usernames: string[] }): { users: number; seconds: number } {
  const started = process.hrtime.bigint();
  return withSeedingDb(file, (db) => {
    const appUuid = appUuidOf(db, opts.org, opts.app);
    const passwordHash = passwordHashOf(db, appUuid, opts.template);

    const now = Date.now();
    const insertUser = db.prepare(
      `INSERT INTO users (app_uuid, uuid, username, password_hash, nickname, activated, token_version, created, modified)
       VALUES (?, ?, ?, ?, NULL, 1, 0, ?, ?)`,
    );
    db.transaction(() => {
      for (const username of opts.usernames) insertUser.run(appUuid, randomUUID(), username, passwordHash, now, now);
    })();

    const counted = db.prepare('SELECT count(*) AS n FROM users WHERE app_uuid = ?').get(appUuid) as { n: number };
    if (counted.n < opts.usernames.length + 1) throw new Error(`${file} has ${counted.n} users after seeding ${opts.usernames.length}`);
    return { users: opts.usernames.length, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  });
}
