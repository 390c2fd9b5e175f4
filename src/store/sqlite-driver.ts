// A Kysely dialect over better-sqlite3 that keeps prepared statements. Kysely's own SqliteDriver
// prepares every query anew (better-sqlite3 `prepare`), which was the largest single cost of a
// simple read; here statements are kept by SQL text in a bounded least-recently-used cache. The
// rest is Kysely's SQLite dialect as it is (adapter, introspector, one connection behind a mutex,
// `begin` / `commit` / `rollback` and savepoints as plain statements), with one change to its
// query compiler: integer LIMITs are written into the SQL (below).
import type SQLite from 'better-sqlite3';
import { ReadCache, type CacheableStatement, type StatementEffect } from './read-cache.js';
import {
  CompiledQuery,
  SqliteAdapter,
  ValueNode,
  SqliteIntrospector,
  SqliteQueryCompiler,
  createQueryId,
  sql,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type LimitNode,
  type QueryCompiler,
  type QueryResult,
} from 'kysely';

/** Enough for every query text the repositories produce in normal use; a bound for the rest. */
export const DEFAULT_STATEMENT_CACHE_SIZE = 500;

type Statement = SQLite.Statement<unknown[], unknown>;
type RowOf = (values: unknown[]) => unknown;

/**
 * A prepared statement. One that returns rows answers them as objects, as better-sqlite3 does,
 * but builds them itself: better-sqlite3 sets each column on a new object one property at a time
 * (a quarter of a primary-key lookup's time), while a function made once per statement from its
 * column names (`v => ({"seq": v[0], "name": v[1]})`) builds each row as one object literal.
 */
export class KeptStatement implements CacheableStatement {
  readonly reader: boolean;
  /** Filled in by the read cache (read-cache.ts). */
  effect?: StatementEffect;
  answers?: CacheableStatement['answers'];
  /** When the statement cache last handed it out. */
  usedAt = 0;
  private rowOf: RowOf = () => undefined;
  private width = 0;

  constructor(
    readonly statement: Statement,
    readonly text: string,
  ) {
    this.reader = statement.reader;
    if (this.reader) {
      statement.raw(true);
      this.makeRowOf();
    }
  }

  private makeRowOf(): void {
    const names = this.statement.columns().map((c) => c.name);
    this.width = names.length;
    // A "__proto__" key in an object literal would set the prototype; Object.fromEntries defines
    // it as a property. Repeated names keep the last value either way, as better-sqlite3 does.
    this.rowOf = names.includes('__proto__')
      ? (values) => Object.fromEntries(names.map((name, i) => [name, values[i]]))
      : (new Function('v', `return {${names.map((name, i) => `${JSON.stringify(name)}: v[${i}]`).join(', ')}};`) as RowOf);
  }

  /** The rows as objects (statements that return rows). */
  all(parameters: unknown[]): unknown[] {
    const values = this.statement.all(parameters) as unknown[][];
    // A schema change re-prepares the statement inside SQLite and may change `select *`'s columns.
    if (values.length > 0 && values[0]!.length !== this.width) this.makeRowOf();
    const rows = new Array<unknown>(values.length);
    for (let i = 0; i < values.length; i++) rows[i] = this.rowOf(values[i]!);
    return rows;
  }

  *iterate(parameters: unknown[]): IterableIterator<unknown> {
    for (const values of this.statement.iterate(parameters)) yield this.rowOf(values as unknown[]);
  }

  run(parameters: unknown[]): SQLite.RunResult {
    return this.statement.run(parameters);
  }
}

/** Prepared statements by SQL text; the least recently used one is dropped beyond `capacity`. */
export class StatementCache {
  private readonly statements = new Map<string, KeptStatement>();
  /** Uses so far: a use stamps its statement (`usedAt`); a drop looks for the oldest stamp. */
  private uses = 0;

  constructor(
    private readonly database: SQLite.Database,
    readonly capacity: number = DEFAULT_STATEMENT_CACHE_SIZE,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`statement cache capacity must be a positive integer, got ${capacity}`);
  }

  get size(): number {
    return this.statements.size;
  }

  /**
   * The statement for `text`, prepared once. A statement still busy (a row iterator not yet
   * finished over the same text) cannot run again until it is done, so that case gets a fresh one.
   */
  get(text: string): KeptStatement {
    const cached = this.statements.get(text);
    if (cached) {
      if (cached.statement.busy) return new KeptStatement(this.database.prepare(text), text);
      cached.usedAt = ++this.uses;
      return cached;
    }
    const statement = new KeptStatement(this.database.prepare(text), text);
    this.statements.set(text, statement);
    statement.usedAt = ++this.uses;
    // Dropped statements are finalized by better-sqlite3 once garbage-collected, or at close.
    if (this.statements.size > this.capacity) this.statements.delete(this.leastRecentlyUsed());
    return statement;
  }

  private leastRecentlyUsed(): string {
    let oldest: string | undefined;
    let oldestUse = Infinity;
    for (const [text, statement] of this.statements) {
      if (statement.usedAt < oldestUse) [oldest, oldestUse] = [text, statement.usedAt];
    }
    return oldest!;
  }

  /** Forgets every statement (after migrations: the schema they were prepared against changed). */
  clear(): void {
    this.statements.clear();
  }
}

export interface CachingSqliteDialectConfig {
  database: SQLite.Database;
  /** Prepared statements kept (DEFAULT_STATEMENT_CACHE_SIZE). */
  statementCacheSize?: number;
  /**
   * Keep the answers of reads until a write could change them (src/store/read-cache.ts):
   * `exclusive` when no other connection can open the file, `shared` when one may.
   */
  readCache?: 'exclusive' | 'shared' | 'off';
}

export class CachingSqliteDialect implements Dialect {
  readonly statements: StatementCache;
  readonly reads: ReadCache | undefined;
  private driver: CachingSqliteDriver | undefined;

  constructor(private readonly config: CachingSqliteDialectConfig) {
    this.statements = new StatementCache(config.database, config.statementCacheSize);
    const mode = config.readCache ?? 'off';
    this.reads = mode === 'off' ? undefined : new ReadCache(config.database, mode === 'exclusive');
  }

  createDriver(): Driver {
    this.driver = new CachingSqliteDriver(this.config.database, this.statements, this.reads);
    return this.driver;
  }

  /** Forgets every kept statement and answer (after migrations: the schema changed). */
  forgetStatements(): void {
    this.statements.clear();
    this.reads?.clear();
  }

  /**
   * Runs `query` at once when nobody holds the connection (no transaction under way, nothing
   * queued), and answers undefined otherwise: the caller then goes through Kysely. Running without
   * yielding is what taking the lock, running and releasing it would do, minus the dozen promises
   * of Kysely's connection provider (measurable on a primary-key read; docs/bench.md).
   */
  runNow<R>(query: CompiledQuery<R>): QueryResult<R> | undefined {
    return this.driver?.runIfFree(query);
  }

  createQueryCompiler(): QueryCompiler {
    return new LiteralLimitQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }

  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}

/**
 * Kysely binds LIMIT as a parameter (`limit ?`). SQLite plans a LIMIT with the value bound to it,
 * so a statement whose LIMIT is a parameter is marked to be prepared again whenever that parameter
 * is bound anew, which is every execution: a kept statement would save nothing. An integer LIMIT
 * is therefore written as a literal (`limit 10`), one statement per distinct limit. OFFSET stays a
 * parameter; SQLite does not plan with it. https://www.sqlite.org/c3ref/prepare.html ("the
 * specific value bound to a host parameter … might influence the choice of query plan")
 */
class LiteralLimitQueryCompiler extends SqliteQueryCompiler {
  protected override visitLimit(node: LimitNode): void {
    const limit = node.limit;
    if (ValueNode.is(limit) && typeof limit.value === 'number' && Number.isSafeInteger(limit.value)) {
      this.append(`limit ${limit.value}`);
      return;
    }
    super.visitLimit(node);
  }
}

const BEGIN = CompiledQuery.raw('begin');
const COMMIT = CompiledQuery.raw('commit');
const ROLLBACK = CompiledQuery.raw('rollback');

class CachingSqliteDriver implements Driver {
  private readonly connection: CachingSqliteConnection;
  private readonly mutex = new ConnectionMutex();

  constructor(
    private readonly database: SQLite.Database,
    statements: StatementCache,
    reads: ReadCache | undefined,
  ) {
    this.connection = new CachingSqliteConnection(database, statements, reads);
  }

  async init(): Promise<void> {}

  /** The query's result, run now if the connection is free; undefined if someone holds it. */
  runIfFree<R>(query: CompiledQuery<R>): QueryResult<R> | undefined {
    if (this.mutex.held || !this.database.open) return undefined;
    return this.connection.run(query);
  }

  /** SQLite has one connection; a transaction holds it across awaits, so others queue for it. */
  async acquireConnection(): Promise<DatabaseConnection> {
    await this.mutex.lock();
    return this.connection;
  }

  async releaseConnection(): Promise<void> {
    this.mutex.unlock();
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(BEGIN);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(COMMIT);
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(ROLLBACK);
  }

  async savepoint(connection: DatabaseConnection, name: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    await connection.executeQuery(compileQuery(sql`savepoint ${sql.id(name)}`.toOperationNode(), createQueryId()));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    await connection.executeQuery(compileQuery(sql`rollback to ${sql.id(name)}`.toOperationNode(), createQueryId()));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    await connection.executeQuery(compileQuery(sql`release ${sql.id(name)}`.toOperationNode(), createQueryId()));
  }

  async destroy(): Promise<void> {
    // Closing finalizes every statement, cached ones included.
    if (this.database.open) this.database.close();
  }
}

class CachingSqliteConnection implements DatabaseConnection {
  constructor(
    private readonly database: SQLite.Database,
    private readonly statements: StatementCache,
    private readonly reads: ReadCache | undefined,
  ) {}

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    return this.run(compiledQuery);
  }

  run<R>(compiledQuery: CompiledQuery): QueryResult<R> {
    const statement = this.statements.get(compiledQuery.sql);
    const parameters = compiledQuery.parameters as unknown[];
    // Marked before it runs: whether it succeeds or fails, no answer it could change is given again.
    this.reads?.wrote(statement);
    // better-sqlite3 answers rows only from statements that return them, and `run` for the rest.
    if (statement.reader) {
      // Inside a transaction (however it was begun) a read sees that transaction's own writes.
      const reads = this.reads && !this.database.inTransaction ? this.reads : undefined;
      const kept = reads?.lookup(statement, parameters);
      if (kept) return { rows: kept as R[] };
      const rows = statement.all(parameters);
      reads?.keep(statement, parameters, rows);
      return { rows: rows as R[] };
    }
    const { changes, lastInsertRowid } = statement.run(parameters);
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    const statement = this.statements.get(compiledQuery.sql);
    if (!statement.reader) throw new Error('only statements that return rows can be streamed');
    for (const row of statement.iterate(compiledQuery.parameters as unknown[])) yield { rows: [row as R] };
  }
}

/** A lock without waiting when it is free: one resolved promise per acquisition, a queue otherwise. */
class ConnectionMutex {
  private locked = false;
  private readonly waiting: (() => void)[] = [];

  get held(): boolean {
    return this.locked;
  }

  lock(): Promise<void> {
    if (!this.locked) {
      this.locked = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  unlock(): void {
    const next = this.waiting.shift();
    // The lock passes straight to the next waiter, so nobody can take it in between.
    if (next) next();
    else this.locked = false;
  }
}
