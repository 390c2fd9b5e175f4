// What every bench seeder does around its inserts: open the qunliao SQLite file while qunliao is
// stopped, write fast, and leave the file as qunliao runs it.
import SQLite from 'better-sqlite3';

/**
 * Runs `seed` on the file with no journal, no fsync and no foreign-key checks (the file is ours
 * alone, and seeders count their rows afterwards), then switches back to WAL and closes it.
 */
export function withSeedingDb<T>(file: string, seed: (db: SQLite.Database) => T): T {
  const db = new SQLite(file);
  try {
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.pragma('foreign_keys = OFF');
    db.pragma('cache_size = -524288'); // 512 MiB
    db.pragma('temp_store = MEMORY');
    const result = seed(db);
    db.pragma('journal_mode = WAL');
    return result;
  } finally {
    db.close();
  }
}

/** The uuid of app org#app in the file (created by qunliao's start from QUNLIAO_APPS). */
export function appUuidOf(db: SQLite.Database, org: string, app: string): string {
  const row = db.prepare('SELECT uuid FROM apps WHERE org_name = ? AND app_name = ?').get(org, app) as { uuid: string } | undefined;
  if (!row) throw new Error(`app ${org}#${app} is not in the database`);
  return row.uuid;
}

/** The password hash of a user registered through the API, to give seeded users the same password. */
export function passwordHashOf(db: SQLite.Database, appUuid: string, username: string): string {
  const row = db.prepare('SELECT password_hash FROM users WHERE app_uuid = ? AND username = ?').get(appUuid, username) as { password_hash: string } | undefined;
  if (!row) throw new Error(`user ${username} was not registered before seeding`);
  return row.password_hash;
}
