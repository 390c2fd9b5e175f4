// The kept answers of SQLite reads (src/store/read-cache.ts) through the real dialect on real
// better-sqlite3 files: what is kept and given again, every kind of write that makes a kept answer
// stale (this connection's writes, cascades, triggers, DDL, another connection's commits), and
// what is never kept (transactions, volatile SQL, CTEs, large answers).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, sql, type Generated } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_ROWS, ReadCache, statementEffect } from '../../src/store/read-cache.js';
import { CachingSqliteDialect } from '../../src/store/sqlite-driver.js';

interface Tables {
  parents: { id: number; name: string };
  children: { id: Generated<number>; parent_id: number; name: string };
  other: { id: Generated<number>; name: string };
  audit: { id: Generated<number>; what: string };
}

let dir: string;
let sqlite: SQLite.Database;
let db: Kysely<Tables>;
let reads: ReadCache;

function open(mode: 'shared' | 'exclusive'): void {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qunliao-read-cache-'));
  sqlite = new SQLite(path.join(dir, 'db.sqlite'));
  if (mode === 'exclusive') sqlite.pragma('locking_mode = EXCLUSIVE');
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.exec(`
    create table parents (id integer primary key, name text not null);
    create table children (id integer primary key, parent_id integer not null references parents(id) on delete cascade, name text not null);
    create table other (id integer primary key, name text not null);
    create table audit (id integer primary key, what text not null);
    insert into parents values (1, 'p1'), (2, 'p2');
    insert into children (parent_id, name) values (1, 'c1'), (2, 'c2');
    insert into other (name) values ('o1');
  `);
  const dialect = new CachingSqliteDialect({ database: sqlite, readCache: mode });
  reads = dialect.reads!;
  db = new Kysely<Tables>({ dialect });
}

afterEach(async () => {
  await db.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

const childrenOf = (parentId: number) => db.selectFrom('children').select('name').where('parent_id', '=', parentId).orderBy('id').execute();
const parentName = (id: number) => db.selectFrom('parents').select('name').where('id', '=', id).executeTakeFirst();

/** Runs `read` twice and answers how many of the two were kept answers. */
async function keptOf(read: () => Promise<unknown>): Promise<number> {
  const before = reads.hits;
  await read();
  await read();
  return reads.hits - before;
}

describe.each(['shared', 'exclusive'] as const)('read cache (%s locking)', (mode) => {
  it('gives a read again until its table is written, and not for other values', async () => {
    open(mode);
    expect(await childrenOf(1)).toEqual([{ name: 'c1' }]);
    const hits = reads.hits;
    expect(await childrenOf(1)).toEqual([{ name: 'c1' }]);
    expect(reads.hits).toBe(hits + 1);
    expect(await childrenOf(2)).toEqual([{ name: 'c2' }]);
    expect(reads.hits).toBe(hits + 1);
  });

  it('reads again after every kind of write of this connection', async () => {
    open(mode);
    await childrenOf(1);
    await db.insertInto('children').values({ parent_id: 1, name: 'c3' }).execute();
    expect(await childrenOf(1)).toEqual([{ name: 'c1' }, { name: 'c3' }]);
    await db.updateTable('children').set({ name: 'c3b' }).where('name', '=', 'c3').execute();
    expect(await childrenOf(1)).toEqual([{ name: 'c1' }, { name: 'c3b' }]);
    await db.insertInto('children').values({ id: 99, parent_id: 1, name: 'x' }).onConflict((oc) => oc.column('id').doUpdateSet({ name: 'y' })).execute();
    await db.insertInto('children').values({ id: 99, parent_id: 1, name: 'x' }).onConflict((oc) => oc.column('id').doUpdateSet({ name: 'y' })).execute();
    expect(await childrenOf(1)).toEqual([{ name: 'c1' }, { name: 'c3b' }, { name: 'y' }]);
    await db.deleteFrom('children').where('name', '=', 'c1').returning('id').execute();
    expect(await childrenOf(1)).toEqual([{ name: 'c3b' }, { name: 'y' }]);
    await sql`insert or replace into ${sql.table('children')} (id, parent_id, name) values (99, 1, 'z')`.execute(db);
    expect(await childrenOf(1)).toEqual([{ name: 'c3b' }, { name: 'z' }]);
    await sql`with gone as (select 99 as id) delete from children where id in (select id from gone)`.execute(db);
    expect(await childrenOf(1)).toEqual([{ name: 'c3b' }]);
  });

  it('reads again after writes and reads in raw SQL with bare table names', async () => {
    open(mode);
    const newest = () => sql<{ n: number }>`select (select count(*) from children c where c.parent_id = ${1}) as n from parents p where p.id = ${1}`.execute(db);
    expect((await newest()).rows).toEqual([{ n: 1 }]);
    expect(await keptOf(newest)).toBe(2);
    await sql`insert into children (parent_id, name) values (${1}, 'raw')`.execute(db);
    expect((await newest()).rows).toEqual([{ n: 2 }]);
    await sql`delete from children where name = 'raw'`.execute(db);
    expect((await newest()).rows).toEqual([{ n: 1 }]);
  });

  it('keeps what a write to another table cannot change', async () => {
    open(mode);
    await childrenOf(1);
    await db.insertInto('other').values({ name: 'o2' }).execute();
    expect(await keptOf(() => childrenOf(1))).toBe(2);
  });

  it('reads a child table again after a cascading delete of its parent', async () => {
    open(mode);
    expect(await childrenOf(2)).toEqual([{ name: 'c2' }]);
    await db.deleteFrom('parents').where('id', '=', 2).execute();
    expect(await childrenOf(2)).toEqual([]);
  });

  it('reads everything again after a write whose trigger writes another table', async () => {
    open(mode);
    const audit = () => db.selectFrom('audit').select('what').execute();
    // Both statements are known before the trigger exists, and nothing else is read after it.
    await audit();
    await db.insertInto('other').values({ name: 'before' }).execute();
    await sql`create trigger note_other after insert on other begin insert into audit (what) values (new.name); end`.execute(db);
    expect(await audit()).toEqual([]);
    await db.insertInto('other').values({ name: 'o3' }).execute();
    expect(await audit()).toEqual([{ what: 'o3' }]);
  });

  it('reads again after DDL', async () => {
    open(mode);
    expect(await db.selectFrom('parents').selectAll().where('id', '=', 1).execute()).toEqual([{ id: 1, name: 'p1' }]);
    await sql`alter table parents add column note text default 'n'`.execute(db);
    expect(await db.selectFrom('parents').selectAll().where('id', '=', 1).execute()).toEqual([{ id: 1, name: 'p1', note: 'n' }]);
  });

  it('neither gives nor keeps answers inside a transaction, and gives none a rollback undid', async () => {
    open(mode);
    expect(await parentName(1)).toEqual({ name: 'p1' });
    await db
      .transaction()
      .execute(async (trx) => {
        await trx.updateTable('parents').set({ name: 'uncommitted' }).where('id', '=', 1).execute();
        const hits = reads.hits;
        expect(await trx.selectFrom('parents').select('name').where('id', '=', 1).executeTakeFirst()).toEqual({ name: 'uncommitted' });
        expect(await trx.selectFrom('parents').select('name').where('id', '=', 1).executeTakeFirst()).toEqual({ name: 'uncommitted' });
        expect(reads.hits).toBe(hits);
        throw new Error('roll back');
      })
      .catch(() => undefined);
    expect(await parentName(1)).toEqual({ name: 'p1' });
    // A committed one is seen by the next read.
    await db.transaction().execute((trx) => trx.updateTable('parents').set({ name: 'committed' }).where('id', '=', 1).execute());
    expect(await parentName(1)).toEqual({ name: 'committed' });
  });

  it('neither gives nor keeps answers inside a transaction begun in raw SQL', async () => {
    open(mode);
    expect(await parentName(2)).toEqual({ name: 'p2' });
    await db.connection().execute(async (c) => {
      await sql`begin`.execute(c);
      await sql`update parents set name = 'raw uncommitted' where id = 2`.execute(c);
      expect(await c.selectFrom('parents').select('name').where('id', '=', 2).executeTakeFirst()).toEqual({ name: 'raw uncommitted' });
      await sql`rollback`.execute(c);
    });
    expect(await parentName(2)).toEqual({ name: 'p2' });
  });

  it('keeps no answer of volatile SQL, of a CTE, of a comma join, or of more than MAX_ROWS rows', async () => {
    open(mode);
    expect(await keptOf(() => sql`select random() as r from ${sql.table('parents')}`.execute(db))).toBe(0);
    expect(await keptOf(() => sql`select datetime('now') as t from ${sql.table('parents')}`.execute(db))).toBe(0);
    expect(await keptOf(() => sql`with "p" as (select * from "parents") select * from "p"`.execute(db))).toBe(0);
    expect(await keptOf(() => sql`select * from "parents" as "a", "children" as "b"`.execute(db))).toBe(0);
    sqlite.exec(`insert into other (name) select 'bulk' from (with recursive n(i) as (select 1 union all select i + 1 from n where i < ${MAX_ROWS + 1}) select i from n)`);
    reads.clear();
    expect(await keptOf(() => db.selectFrom('other').select('name').execute())).toBe(0);
  });

  it('gives frozen rows in a list of their own', async () => {
    open(mode);
    await childrenOf(1);
    const first = await childrenOf(1);
    expect(() => {
      (first[0] as { name: string }).name = 'changed';
    }).toThrow(TypeError);
    first.push({ name: 'mine' });
    expect(await childrenOf(1)).toEqual([{ name: 'c1' }]);
  });
});

describe('ReadCache capacity', () => {
  it('forgets every kept answer once it holds its capacity of rows, and keeps on keeping', () => {
    const file = new SQLite(':memory:');
    file.exec('create table t (id integer primary key)');
    const cache = new ReadCache(file, true, 3);
    const statement = { text: 'select "id" from "t" where "id" = ?' };
    for (const id of [1, 2]) cache.keep(statement, [id], [{ id }]);
    // An answer kept again in place of an older one is counted once.
    cache.keep(statement, [2], [{ id: 2 }]);
    expect(cache.size).toBe(2);
    cache.keep(statement, [3], [{ id: 3 }]);
    expect(cache.size).toBe(3);
    expect(cache.lookup(statement, [1])).toEqual([{ id: 1 }]);
    cache.keep(statement, [4], [{ id: 4 }]);
    expect(cache.size).toBe(1);
    expect(cache.lookup(statement, [1])).toBeUndefined();
    expect(cache.lookup(statement, [4])).toEqual([{ id: 4 }]);
    // An empty answer counts as one row; one of more than MAX_ROWS is not kept.
    cache.keep(statement, [5], []);
    expect(cache.lookup(statement, [5])).toEqual([]);
    cache.keep(statement, [6], Array.from({ length: MAX_ROWS + 1 }, () => ({ id: 6 })));
    expect(cache.lookup(statement, [6])).toBeUndefined();
    // Values a Map cannot tell apart as SQLite does are not kept.
    cache.keep(statement, [Buffer.from('x')], [{ id: 7 }]);
    expect(cache.lookup(statement, [Buffer.from('x')])).toBeUndefined();
    file.close();
  });
});

describe('read cache with shared locking', () => {
  it('reads again after another connection committed', async () => {
    open('shared');
    expect(await parentName(1)).toEqual({ name: 'p1' });
    expect(await parentName(1)).toEqual({ name: 'p1' });
    const other = new SQLite(path.join(dir, 'db.sqlite'));
    other.prepare("update parents set name = 'from another process' where id = 1").run();
    other.close();
    expect(await parentName(1)).toEqual({ name: 'from another process' });
  });
});

describe('statementEffect', () => {
  const known = new Set(['users', 'groups', 'group_members']);
  it('names the table a write changes, and every table for writes it cannot read', () => {
    expect(statementEffect('insert into "users" ("a") values (?)', known).writes).toEqual(['users']);
    expect(statementEffect('insert or ignore into "users" ("a") values (?) returning *', known).writes).toEqual(['users']);
    expect(statementEffect('replace into "users" ("a") values (?)', known).writes).toEqual(['users']);
    expect(statementEffect('update or abort "groups" set "a" = ?', known).writes).toEqual(['groups']);
    expect(statementEffect('delete from "group_members" where "a" = ?', known).writes).toEqual(['group_members']);
    expect(statementEffect('with x as (select 1) insert into "users" select * from x', known).writes).toBe('all');
    expect(statementEffect('pragma foreign_keys = off', known).writes).toBe('all');
    expect(statementEffect('create index "i" on "users" ("a")', known).writes).toBe('all');
    for (const control of ['begin', 'commit', 'rollback', 'savepoint "sp"', 'release "sp"', 'rollback to "sp"']) expect(statementEffect(control, known)).toEqual({ reads: undefined, writes: [] });
  });

  it('names the tables a SELECT reads, joins and subqueries included', () => {
    expect(statementEffect('select "g".* from "groups" as "g" inner join "group_members" as "m" on "m"."group_id" = "g"."id" where exists (select 1 from "users" where "u" = ?)', known).reads?.sort()).toEqual(['group_members', 'groups', 'users']);
    expect(statementEffect('select (select max(p.seq) from group_members p where p.a = ?) from users u join "groups" as g on 1', known).reads?.sort()).toEqual(['group_members', 'groups', 'users']);
    expect(statementEffect('insert into users (a) values (?)', known).writes).toEqual(['users']);
    expect(statementEffect('select * from "unknown_table"', known).reads).toBeUndefined();
    expect(statementEffect('select * from users, "groups"', known).reads).toBeUndefined();
    expect(statementEffect("select substr(a from 2) from users", known).reads).toBeUndefined();
    expect(statementEffect('select 1', known).reads).toBeUndefined();
  });
});
