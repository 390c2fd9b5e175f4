// Answers of SQLite reads kept until a write could change them. A primary-key read on a kept
// statement still costs ten to fifteen microseconds inside a server under load (SQLite's pages and
// code are cold between requests; docs/bench.md), more than the rest of a simple GET. The answer of
// a read outside a transaction depends only on its SQL, its values and the tables it reads, so it
// can be given again until one of those tables is written:
//
// - Every statement qunliao runs on SQLite passes through one connection (src/store/sqlite-driver.ts),
//   so every write of this process is seen: an INSERT, UPDATE or DELETE marks its table and the
//   tables whose foreign keys cascade from it (read from the schema); any other statement that is
//   not a plain SELECT or transaction control (DDL, PRAGMA, a WITH … INSERT) marks every table, as
//   does every write once the schema has a trigger.
// - Writes of other processes: with `QUNLIAO_SQLITE_LOCKING=exclusive` SQLite lets no other
//   connection open the file. With `shared`, `PRAGMA data_version` tells whether another connection
//   committed since the last look, checked before a kept answer is given; if one did, nothing kept
//   is given again. https://www.sqlite.org/pragma.html#pragma_data_version
// - Only SELECTs over known tables, without time or random functions, with plain values, outside
//   transactions, with at most MAX_ROWS rows. Reads inside a transaction neither use nor fill it
//   (a transaction sees its own uncommitted writes).
// - The rows given are frozen: a caller that changed one would change every later answer. Each
//   answer is a list of its own.
import type SQLite from 'better-sqlite3';

/** Kept answers of more rows than this are not worth their memory. */
export const MAX_ROWS = 50;
/** Rows kept in all at most; past it, every kept answer is forgotten at once (and kept again as read). */
export const DEFAULT_KEPT_ROWS = 5_000;

/** What a statement does to the tables, from its SQL text (computed once per kept statement). */
export interface StatementEffect {
  /** The tables a cacheable SELECT reads; undefined when its answer must not be kept. */
  reads: string[] | undefined;
  /** The tables a write changes directly; 'all' when it may change any; [] for none. */
  writes: string[] | 'all';
}

/** A table's name, quoted (as Kysely writes it) or bare (as raw SQL may): group 1 or group 2. */
const NAME = '(?:"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z0-9_]*))';
const ALIAS = '(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_]*)';
const FROM_OR_JOIN = /\b(?:from|join)\b\s*/gi;
/** What follows FROM or JOIN: a table, its alias, and a comma if another table follows (group 3). */
const SOURCE = new RegExp(`^${NAME}(?:\\s+(?:as\\s+)?${ALIAS})?(\\s*,)?`, 'i');
const WRITE_TARGET = new RegExp(`^\\s*(?:(?:insert|replace)(?:\\s+or\\s+\\w+)?\\s+into|update(?:\\s+or\\s+\\w+)?|delete\\s+from)\\s+${NAME}`, 'i');
const TRANSACTION_CONTROL = /^\s*(?:begin|commit|end|rollback|savepoint|release)\b/i;
/** SQL whose answer changes with time or by chance, or depends on the connection's last write. */
const VOLATILE = /\b(?:random|randomblob|date|time|datetime|julianday|strftime|unixepoch|changes|total_changes|last_insert_rowid)\s*\(|\bcurrent_(?:date|time|timestamp)\b/i;

/** The table a NAME match names. */
const tableOf = (m: RegExpExecArray) => (m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!);

export function statementEffect(text: string, known: { has(table: string): boolean }): StatementEffect {
  if (TRANSACTION_CONTROL.test(text)) return { reads: undefined, writes: [] };
  const target = WRITE_TARGET.exec(text);
  if (target) return { reads: undefined, writes: [tableOf(target)] };
  if (!/^\s*select\b/i.test(text)) return { reads: undefined, writes: 'all' };
  if (VOLATILE.test(text)) return { reads: undefined, writes: [] };
  const reads = new Set<string>();
  for (const m of text.matchAll(FROM_OR_JOIN)) {
    const rest = text.slice(m.index + m[0].length);
    // A subquery: its own FROM comes later in the text.
    if (rest.startsWith('(')) continue;
    const source = SOURCE.exec(rest);
    const table = source ? tableOf(source) : undefined;
    // Anything else is not read here: `from "a", "b"`, a CTE's name, a table-valued function, FROM
    // inside an expression. Such an answer is not kept.
    if (table === undefined || source![3] !== undefined || !known.has(table)) return { reads: undefined, writes: [] };
    reads.add(table);
  }
  return { reads: reads.size > 0 ? [...reads] : undefined, writes: [] };
}

/** A kept answer. */
class Entry {
  constructor(
    readonly rows: readonly unknown[],
    /** The clock when the rows were read. */
    readonly stamp: number,
    readonly tables: readonly string[],
  ) {}
}

/** Kept answers of one statement by its values, one level per value. */
type Answers = Map<unknown, Answers | Entry>;

/** Stands for "no values" as the key of a statement without parameters. */
const NO_VALUES = [Symbol('no values')];

/** A statement as the cache sees it: its SQL, what it does, and its kept answers (both filled in here). */
export interface CacheableStatement {
  readonly text: string;
  effect?: StatementEffect;
  answers?: Answers;
}

export class ReadCache {
  /** Statements with kept answers, and how many rows they keep in all (rowsCounted). */
  private readonly keeping = new Set<CacheableStatement>();
  private keptRows = 0;
  /** Advances on every write; a table's mark is the clock of its last write. */
  private clock = 0;
  private readonly changedAt = new Map<string, number>();
  private everythingChangedAt = 0;
  /** Per table, the tables a write to it may change (itself and its cascading children). */
  private reach: Map<string, string[]> | undefined;
  private anyTrigger = false;
  private readonly dataVersion: SQLite.Statement | undefined;
  private lastDataVersion: unknown;
  hits = 0;

  constructor(
    private readonly database: SQLite.Database,
    /** No other connection can open the file (locking_mode = EXCLUSIVE). */
    exclusive: boolean,
    private readonly capacity = DEFAULT_KEPT_ROWS,
  ) {
    if (!exclusive) {
      this.dataVersion = database.prepare('pragma data_version').pluck();
      this.lastDataVersion = this.dataVersion.get();
    }
  }

  private effectOf(statement: CacheableStatement): StatementEffect {
    statement.effect ??= statementEffect(statement.text, this.schema());
    return statement.effect;
  }

  /** The kept answer of `statement` with `parameters` if there is one still true; a list of its own. */
  lookup(statement: CacheableStatement, parameters: readonly unknown[]): unknown[] | undefined {
    let node: Answers | Entry | undefined = statement.answers;
    for (const value of parameters.length === 0 ? NO_VALUES : parameters) {
      if (node === undefined || node instanceof Entry) return undefined;
      node = node.get(value);
    }
    if (!(node instanceof Entry) || !this.fresh(node)) return undefined;
    this.hits++;
    // Callers sort and push (Kysely's migrator among them); the rows themselves are frozen.
    return node.rows.slice();
  }

  /** Keeps `rows`, just read by `statement` with `parameters` outside a transaction, if it may. */
  keep(statement: CacheableStatement, parameters: readonly unknown[], rows: unknown[]): void {
    const { reads } = this.effectOf(statement);
    if (reads === undefined || rows.length > MAX_ROWS || !parameters.every(plainValue)) return;
    if (this.keptRows >= this.capacity) this.forgetAnswers();
    for (const row of rows) Object.freeze(row);
    const path = parameters.length === 0 ? NO_VALUES : parameters;
    let node = (statement.answers ??= new Map());
    for (let i = 0; i < path.length - 1; i++) {
      let next = node.get(path[i]);
      if (!(next instanceof Map)) node.set(path[i], (next = new Map()));
      node = next;
    }
    const last = path[path.length - 1];
    const older = node.get(last);
    if (older instanceof Entry) this.keptRows -= rowsCounted(older.rows);
    node.set(last, new Entry(rows.slice(), this.clock, reads));
    this.keptRows += rowsCounted(rows);
    this.keeping.add(statement);
  }

  /** After a statement that may have written (run inside or outside a transaction). */
  wrote(statement: CacheableStatement): void {
    const { writes } = this.effectOf(statement);
    if (writes !== 'all' && writes.length === 0) return;
    this.clock++;
    if (writes === 'all') {
      this.everythingChangedAt = this.clock;
      // DDL may have changed the tables, their foreign keys and triggers.
      this.reach = undefined;
      return;
    }
    // Read first: it is what knows whether a trigger exists now.
    const schema = this.schema();
    if (this.anyTrigger) {
      this.everythingChangedAt = this.clock;
      return;
    }
    for (const table of writes) {
      const reached = schema.get(table);
      if (reached === undefined) {
        this.everythingChangedAt = this.clock;
        return;
      }
      for (const t of reached) this.changedAt.set(t, this.clock);
    }
  }

  /** Forgets every answer (the schema changed under the statements). */
  clear(): void {
    this.forgetAnswers();
    this.clock++;
    this.everythingChangedAt = this.clock;
    this.reach = undefined;
  }

  private forgetAnswers(): void {
    for (const statement of this.keeping) statement.answers = undefined;
    this.keeping.clear();
    this.keptRows = 0;
  }

  /** Rows kept now (an empty answer counts as one). */
  get size(): number {
    return this.keptRows;
  }

  private fresh(entry: Entry): boolean {
    if (this.dataVersion !== undefined) {
      const version = this.dataVersion.get();
      if (version !== this.lastDataVersion) {
        // Another connection committed: whatever it wrote, nothing kept is given again.
        this.lastDataVersion = version;
        this.clock++;
        this.everythingChangedAt = this.clock;
      }
    }
    if (this.everythingChangedAt > entry.stamp) return false;
    for (const table of entry.tables) if ((this.changedAt.get(table) ?? 0) > entry.stamp) return false;
    return true;
  }

  /** Each table and the tables a write to it reaches through ON DELETE / ON UPDATE actions. */
  private schema(): Map<string, string[]> {
    if (this.reach) return this.reach;
    const tables = (this.database.prepare("select name from sqlite_master where type = 'table'").pluck().all() as string[]).filter((t) => !t.startsWith('sqlite_'));
    const children = new Map<string, Set<string>>(tables.map((t) => [t, new Set<string>()]));
    for (const table of tables) {
      const keys = this.database.prepare('select "table" from pragma_foreign_key_list(?)').pluck().all(table) as string[];
      for (const parent of keys) children.get(parent)?.add(table);
    }
    this.anyTrigger = (this.database.prepare("select count(*) from sqlite_master where type = 'trigger'").pluck().get() as number) > 0;
    const reach = new Map<string, string[]>();
    for (const table of tables) {
      const seen = new Set<string>([table]);
      const queue = [table];
      while (queue.length > 0) {
        for (const child of children.get(queue.pop()!) ?? []) {
          if (seen.has(child)) continue;
          seen.add(child);
          queue.push(child);
        }
      }
      reach.set(table, [...seen]);
    }
    this.reach = reach;
    return reach;
  }
}

/** What an answer counts against the capacity: its rows, or one for an empty one. */
const rowsCounted = (rows: readonly unknown[]) => Math.max(rows.length, 1);

/** Values a Map tells apart exactly as SQLite does (not blobs or bigints, compared by identity there). */
function plainValue(value: unknown): boolean {
  return value === null || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}
