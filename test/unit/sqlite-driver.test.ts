// The SQLite dialect of src/store/sqlite-driver.ts (kept statements, literal LIMITs, rows built
// from raw values) and the compiled-once queries of src/store/prepared.ts, on real better-sqlite3
// databases, the `synchronous` and `locking` settings as SQLite reports them, and prepared reads that
// run at once when the connection is free.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, sql, type Generated } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createQunliao } from '../../src/app.js';
import { isUniqueViolation, openDatabase } from '../../src/store/db.js';
import { testConfig } from '../support/harness.js';
import { prepare } from '../../src/store/prepared.js';
import { CachingSqliteDialect, StatementCache } from '../../src/store/sqlite-driver.js';

interface Tables {
  items: { id: Generated<number>; name: string; note: string | null };
}

let sqlite: SQLite.Database;
let dialect: CachingSqliteDialect;
let db: Kysely<Tables>;
/** The SQL texts better-sqlite3 was asked to prepare, in order. */
let preparedTexts: string[];

/** How many times better-sqlite3 prepared `text`. */
const preparedTimes = (text: string) => preparedTexts.filter((s) => s === text).length;

function open(statementCacheSize?: number): void {
  sqlite = new SQLite(':memory:');
  sqlite.exec('create table items (id integer primary key, name text not null unique, note text)');
  preparedTexts = [];
  const prepare = sqlite.prepare.bind(sqlite);
  sqlite.prepare = ((source: string) => {
    preparedTexts.push(source);
    return prepare(source);
  }) as typeof sqlite.prepare;
  dialect = new CachingSqliteDialect({ database: sqlite, ...(statementCacheSize ? { statementCacheSize } : {}) });
  db = new Kysely<Tables>({ dialect });
}

describe('CachingSqliteDialect', () => {
  beforeEach(() => open());
  afterEach(async () => {
    await db.destroy();
    vi.restoreAllMocks();
  });

  it('prepares each SQL text once and runs it again with new values', async () => {
    await db.insertInto('items').values([{ name: 'a' }, { name: 'b' }, { name: 'c' }]).execute();
    const byName = (name: string) => db.selectFrom('items').select(['id', 'name']).where('name', '=', name).executeTakeFirst();
    const selectSql = db.selectFrom('items').select(['id', 'name']).where('name', '=', 'x').compile().sql;
    expect(await byName('a')).toEqual({ id: 1, name: 'a' });
    expect(await byName('b')).toEqual({ id: 2, name: 'b' });
    expect(await byName('zz')).toBeUndefined();
    expect(preparedTimes(selectSql)).toBe(1);
    expect(dialect.statements.size).toBeGreaterThanOrEqual(1);
  });

  it('keeps at most its capacity, dropping the least recently used statement', async () => {
    await db.destroy();
    open(2);
    const q = (column: 'id' | 'name' | 'note') => db.selectFrom('items').select(column);
    const texts = (['id', 'name', 'note'] as const).map((c) => q(c).compile().sql);
    await q('id').execute();
    await q('name').execute();
    await q('id').execute(); // "name" is now the least recently used
    await q('note').execute(); // drops "name"
    expect(dialect.statements.size).toBe(2);
    await q('id').execute();
    await q('note').execute();
    expect(preparedTimes(texts[0]!)).toBe(1);
    expect(preparedTimes(texts[2]!)).toBe(1);
    await q('name').execute();
    expect(preparedTimes(texts[1]!)).toBe(2);
    expect(dialect.statements.size).toBe(2);
    expect(() => new StatementCache(sqlite, 0)).toThrow(RangeError);
  });

  it('runs statements that return no rows and answers their changes and row id', async () => {
    const first = await db.insertInto('items').values({ name: 'a' }).executeTakeFirstOrThrow();
    expect(first.insertId).toBe(1n);
    expect(first.numInsertedOrUpdatedRows).toBe(1n);
    const second = await db.insertInto('items').values({ name: 'b', note: 'n' }).executeTakeFirstOrThrow();
    expect(second.insertId).toBe(2n);
    const updated = await db.updateTable('items').set({ note: 'x' }).executeTakeFirstOrThrow();
    expect(updated.numUpdatedRows).toBe(2n);
    const deleted = await db.deleteFrom('items').where('name', '=', 'a').executeTakeFirstOrThrow();
    expect(deleted.numDeletedRows).toBe(1n);
    expect(await db.selectFrom('items').selectAll().execute()).toEqual([{ id: 2, name: 'b', note: 'x' }]);
  });

  it('answers rows of statements that write and return, once per run', async () => {
    const rows = await db.insertInto('items').values([{ name: 'a' }, { name: 'b', note: 'n' }]).returning(['id', 'name', 'note']).execute();
    expect(rows).toEqual([
      { id: 1, name: 'a', note: null },
      { id: 2, name: 'b', note: 'n' },
    ]);
    expect(await db.selectFrom('items').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst()).toEqual({ n: 2 });
  });

  it('builds the same row objects better-sqlite3 does, repeated and odd column names included', async () => {
    sqlite.exec(`insert into items (name, note) values ('a', null), ('b', 'n')`);
    const text = `select id, name, note, name as "x y", 1 as "1", note as name, 'it''s' as "q""uote" from items order by id`;
    const ours = (await sql.raw(text).execute(db)).rows;
    const theirs = sqlite.prepare(text).all();
    expect(ours).toEqual(theirs);
    expect(ours[1]).toEqual({ id: 2, name: 'n', note: 'n', 'x y': 'b', 1: 1, 'q"uote': "it's" });
    expect(Object.keys(ours[0] as object)).toEqual(Object.keys(theirs[0] as object));
    expect(Object.getPrototypeOf(ours[0])).toBe(Object.prototype);
  });

  it('answers a column named __proto__ as a property, not as the prototype', async () => {
    sqlite.exec(`insert into items (name) values ('a')`);
    const [row] = (await sql.raw(`select id, name as "__proto__" from items`).execute(db)).rows;
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(row, '__proto__')?.value).toBe('a');
    expect((row as { id: number }).id).toBe(1);
  });

  it('sees the new columns of a kept `select *` after the table changes', async () => {
    sqlite.exec(`insert into items (name) values ('a')`);
    expect(await db.selectFrom('items').selectAll().execute()).toEqual([{ id: 1, name: 'a', note: null }]);
    sqlite.exec(`alter table items add column extra text default 'e'`);
    expect(await db.selectFrom('items').selectAll().execute()).toEqual([{ id: 1, name: 'a', note: null, extra: 'e' }]);
  });

  it('writes an integer LIMIT into the SQL and keeps OFFSET and other values as parameters', async () => {
    sqlite.exec(`insert into items (name) values ('a'), ('b'), ('c'), ('d')`);
    const page = (limit: number, offset: number) => db.selectFrom('items').select('name').orderBy('id').limit(limit).offset(offset);
    expect(page(2, 1).compile().sql).toMatch(/ limit 2 offset \?$/);
    expect(page(2, 1).compile().parameters).toEqual([1]);
    expect(await page(2, 1).execute()).toEqual([{ name: 'b' }, { name: 'c' }]);
    expect(await page(2, 3).execute()).toEqual([{ name: 'd' }]);
    expect(preparedTimes(page(2, 0).compile().sql)).toBe(1);
    // Anything but a safe integer stays a bound parameter.
    const computed = db.selectFrom('items').select('name').orderBy('id').limit(sql<number>`1 + 1`);
    expect(computed.compile().sql).toMatch(/ limit 1 \+ 1$/);
    expect(await computed.execute()).toEqual([{ name: 'a' }, { name: 'b' }]);
    const big = db.selectFrom('items').select('name').limit(2 ** 60);
    expect(big.compile().sql).toMatch(/ limit \?$/);
  });

  it('commits and rolls back transactions, and queues other queries behind an open one', async () => {
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('items').values({ name: 'kept' }).execute();
    });
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('items').values({ name: 'dropped' }).execute();
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await db.selectFrom('items').select('name').execute()).toEqual([{ name: 'kept' }]);

    // A query outside the transaction waits for it, so it never sees its uncommitted rows.
    const order: string[] = [];
    let outside: Promise<unknown> | undefined;
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('items').values({ name: 'pending' }).execute();
      outside = db
        .selectFrom('items')
        .select('name')
        .execute()
        .then((rows) => order.push(`outside saw ${rows.length}`));
      await new Promise((resolve) => setTimeout(resolve, 20));
      order.push('commit');
    });
    await outside;
    expect(order).toEqual(['commit', 'outside saw 2']);
  });

  it('rolls back to savepoints', async () => {
    const trx = await db.startTransaction().execute();
    await trx.insertInto('items').values({ name: 'before' }).execute();
    const inner = await trx.savepoint('inner').execute();
    await inner.insertInto('items').values({ name: 'after' }).execute();
    await inner.rollbackToSavepoint('inner').execute();
    const again = await trx.savepoint('again').execute();
    await again.insertInto('items').values({ name: 'released' }).execute();
    await again.releaseSavepoint('again').execute();
    await trx.commit().execute();
    expect(await db.selectFrom('items').select('name').orderBy('id').execute()).toEqual([{ name: 'before' }, { name: 'released' }]);
  });

  it('passes errors through with their SQLite codes, and the statement runs again afterwards', async () => {
    await db.insertInto('items').values({ id: 1, name: 'a' }).execute();
    const duplicateName = await db
      .insertInto('items')
      .values({ id: 2, name: 'a' })
      .execute()
      .catch((err: unknown) => err);
    expect((duplicateName as { code?: string }).code).toBe('SQLITE_CONSTRAINT_UNIQUE');
    expect(isUniqueViolation(duplicateName)).toBe(true);
    const duplicateId = await db
      .insertInto('items')
      .values({ id: 1, name: 'b' })
      .execute()
      .catch((err: unknown) => err);
    expect((duplicateId as { code?: string }).code).toBe('SQLITE_CONSTRAINT_PRIMARYKEY');
    expect(isUniqueViolation(duplicateId)).toBe(true);
    // The same kept statement, now with values that fit.
    await db.insertInto('items').values({ id: 2, name: 'b' }).execute();
    expect(await db.selectFrom('items').select('name').orderBy('id').execute()).toEqual([{ name: 'a' }, { name: 'b' }]);
    await expect(sql`select * from missing_table`.execute(db)).rejects.toMatchObject({ code: 'SQLITE_ERROR' });
  });

  it('streams rows', async () => {
    sqlite.exec(`insert into items (name) values ('a'), ('b'), ('c')`);
    const seen: unknown[] = [];
    for await (const row of db.selectFrom('items').select(['id', 'name']).orderBy('id').stream()) seen.push(row);
    expect(seen).toEqual([
      { id: 1, name: 'a' },
      { id: 2, name: 'b' },
      { id: 3, name: 'c' },
    ]);
  });

  it('answers a fresh statement for a text whose kept one is still iterating', () => {
    sqlite.exec(`insert into items (name) values ('a'), ('b')`);
    const cache = new StatementCache(sqlite, 10);
    const text = 'select name from items order by id';
    const kept = cache.get(text);
    const rows = kept.iterate([]);
    expect(rows.next().value).toEqual({ name: 'a' });
    const other = cache.get(text);
    expect(other).not.toBe(kept);
    expect(other.all([])).toEqual([{ name: 'a' }, { name: 'b' }]);
    expect(rows.next().value).toEqual({ name: 'b' });
    expect(rows.next().done).toBe(true);
    expect(cache.get(text)).toBe(kept);
  });

  it('closes the database on destroy', async () => {
    await db.selectFrom('items').selectAll().execute();
    await db.destroy();
    expect(sqlite.open).toBe(false);
    open(); // for afterEach
  });
});

describe('prepare (queries compiled once)', () => {
  beforeEach(() => open());
  afterEach(async () => {
    await db.destroy();
    vi.restoreAllMocks();
  });

  it('builds and compiles once, and runs with each call’s values and the constants it was built with', async () => {
    sqlite.exec(`insert into items (name, note) values ('a', 'keep'), ('b', 'keep'), ('c', 'other')`);
    const build = vi.fn((p: { name: string }) => db.selectFrom('items').select(['id', 'name']).where('note', '=', 'keep').where('name', '=', p.name));
    const byName = prepare(db, build);
    expect(await byName.takeFirst({ name: 'a' })).toEqual({ id: 1, name: 'a' });
    expect(await byName.takeFirst({ name: 'b' })).toEqual({ id: 2, name: 'b' });
    expect(await byName.takeFirst({ name: 'c' })).toBeUndefined(); // note is not 'keep'
    expect(await byName.execute({ name: 'zz' })).toEqual([]);
    expect(build).toHaveBeenCalledTimes(1);
    expect(byName.bind({ name: 'q' }).parameters).toEqual(['keep', 'q']);
  });

  it('puts a parameter used twice in both places, and runs inside a transaction', async () => {
    const byEither = prepare(db, (p: { name: string }) => db.selectFrom('items').select('id').where((eb) => eb.or([eb('name', '=', p.name), eb('note', '=', p.name)])));
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('items').values([{ name: 'x' }, { name: 'y', note: 'x' }]).execute();
      expect(await byEither.execute({ name: 'x' }, trx)).toEqual([{ id: 1 }, { id: 2 }]);
    });
    expect(byEither.bind({ name: 'n' }).parameters).toEqual(['n', 'n']);
  });
});

describe('openDatabase (SQLite)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qunliao-driver-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each([
    [undefined, 2],
    ['full', 2],
    ['normal', 1],
  ] as const)('with synchronous %s runs WAL with PRAGMA synchronous = %i', async (synchronous, expected) => {
    const { db: store } = await openDatabase({ kind: 'sqlite', file: path.join(dir, 'q.sqlite'), ...(synchronous ? { synchronous } : {}) });
    try {
      expect((await sql<{ synchronous: number }>`pragma synchronous`.execute(store)).rows).toEqual([{ synchronous: expected }]);
      expect((await sql<{ journal_mode: string }>`pragma journal_mode`.execute(store)).rows).toEqual([{ journal_mode: 'wal' }]);
      // Migrated, and the kept statements work against the migrated schema.
      expect(await store.selectFrom('apps').selectAll().execute()).toEqual([]);
    } finally {
      await store.destroy();
    }
  });

  it('with locking exclusive keeps the file to itself; shared lets another connection read it', async () => {
    const file = path.join(dir, 'q.sqlite');
    const { db: exclusive } = await openDatabase({ kind: 'sqlite', file, locking: 'exclusive' });
    try {
      expect((await sql<{ locking_mode: string }>`pragma locking_mode`.execute(exclusive)).rows).toEqual([{ locking_mode: 'exclusive' }]);
      // No shared-memory index: it lives in the process.
      expect(fs.existsSync(`${file}-shm`)).toBe(false);
      const other = new SQLite(file, { timeout: 50 });
      try {
        expect(() => other.prepare('select count(*) from apps').get()).toThrow(/locked/);
      } finally {
        other.close();
      }
    } finally {
      await exclusive.destroy();
    }
    const { db: shared } = await openDatabase({ kind: 'sqlite', file });
    try {
      expect((await sql<{ locking_mode: string }>`pragma locking_mode`.execute(shared)).rows).toEqual([{ locking_mode: 'normal' }]);
      const other = new SQLite(file, { timeout: 50 });
      try {
        expect(other.prepare('select count(*) as n from apps').get()).toEqual({ n: 0 });
      } finally {
        other.close();
      }
    } finally {
      await shared.destroy();
    }
  });

  it('runs a prepared read outside a transaction after the transaction that holds the connection, never inside it', async () => {
    const { db: store } = await openDatabase({ kind: 'sqlite', file: path.join(dir, 'q.sqlite') });
    const byName = prepare(store, (p: { org: string }) => store.selectFrom('apps').select('org_name').where('org_name', '=', p.org));
    const app = (org: string) => ({ uuid: `uuid-${org}`, org_name: org, app_name: 'a', client_id: 'c', client_secret_hash: 'h', token_key: 'k', created: 1, agora_app_id: null, agora_app_certificate: null });
    try {
      // Free connection: the read answers what is committed.
      expect(await byName.execute({ org: 'kept' })).toEqual([]);
      for (const outcome of ['commit', 'rollback'] as const) {
        const org = `org-${outcome}`;
        let release!: () => void;
        const paused = new Promise<void>((resolve) => (release = resolve));
        let signalInserted!: () => void;
        const inserted = new Promise<void>((resolve) => (signalInserted = resolve));
        const writing = store
          .transaction()
          .execute(async (trx) => {
            await trx.insertInto('apps').values(app(org)).execute();
            signalInserted();
            await paused;
            if (outcome === 'rollback') throw new Error('rolled back');
          })
          .catch(() => undefined);
        await inserted;
        // The transaction holds the connection with an uncommitted row: the read waits for it.
        const reading = byName.execute({ org });
        release();
        await writing;
        expect(await reading).toEqual(outcome === 'commit' ? [{ org_name: org }] : []);
      }
    } finally {
      await store.destroy();
    }
  });

  it.each(['full', 'normal'] as const)('is opened by the server with its sqliteSync setting (%s)', async (sqliteSync) => {
    const { server, store } = await createQunliao(testConfig(dir, { sqliteSync }));
    try {
      expect((await sql<{ synchronous: number }>`pragma synchronous`.execute(store.db)).rows).toEqual([{ synchronous: sqliteSync === 'full' ? 2 : 1 }]);
    } finally {
      await server.close();
    }
  });
});
