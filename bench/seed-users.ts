// Bulk-inserts users straight into a qunliao SQLite file (bench/messages.ts). Registering them
// through the API would cost one scrypt hash each (tens of milliseconds); here every user gets the
// password hash of one user registered through the API beforehand, so all of them have that
// user's password. The rows are what UsersRepository would write (migration 001_foundation).
import { randomUUID } from 'node:crypto';
import SQLite from 'better-sqlite3';

export function seedUsers(file: string, opts: { org: string; app: string; template: string; usernames: string[] }): { users: number; seconds: number } {
  const started = process.hrtime.bigint();
  const db = new SQLite(file);
  try {
    // The file is ours alone while qunliao is stopped (see seed-groups.ts).
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');

    const appRow = db.prepare('SELECT uuid FROM apps WHERE org_name = ? AND app_name = ?').get(opts.org, opts.app) as { uuid: string } | undefined;
    if (!appRow) throw new Error(`app ${opts.org}#${opts.app} is not in ${file}`);
    const appUuid = appRow.uuid;
    const template = db.prepare('SELECT password_hash FROM users WHERE app_uuid = ? AND username = ?').get(appUuid, opts.template) as
      | { password_hash: string }
      | undefined;
    if (!template) throw new Error(`user ${opts.template} was not registered before seeding`);

    const now = Date.now();
    const insertUser = db.prepare(
      `INSERT INTO users (app_uuid, uuid, username, password_hash, nickname, activated, token_version, created, modified)
       VALUES (?, ?, ?, ?, NULL, 1, 0, ?, ?)`,
    );
    db.transaction(() => {
      for (const username of opts.usernames) insertUser.run(appUuid, randomUUID(), username, template.password_hash, now, now);
    })();

    const counted = db.prepare('SELECT count(*) AS n FROM users WHERE app_uuid = ?').get(appUuid) as { n: number };
    if (counted.n < opts.usernames.length + 1) throw new Error(`${file} has ${counted.n} users after seeding ${opts.usernames.length}`);
    db.pragma('journal_mode = WAL');
    return { users: opts.usernames.length, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  } finally {
    db.close();
  }
}
