// Hot queries built and compiled once. Building a Kysely query and compiling it to SQL costs more
// than running a primary-key lookup on a kept SQLite statement; a query whose shape never changes
// (no IN list of varying length, no optional clauses) can be compiled once with placeholders and
// run with each call's values. Both databases: the SQL is compiled by the database's own dialect.
import type { CompiledQuery, Compilable, Kysely, QueryResult } from 'kysely';

/** The database or a transaction of it: whatever runs a compiled query. */
export type QueryRunner = Pick<Kysely<unknown>, 'executeQuery'>;

/** Runs a query at once when the database's connection is free; undefined when it is not. */
export type ImmediateRunner = <R>(query: CompiledQuery<R>) => QueryResult<R> | undefined;

/** Databases whose queries can run without waiting for a connection (SQLite's single one, when free). */
const immediateRunners = new WeakMap<object, ImmediateRunner>();

/** Registers `runner` for `db`, before repositories prepare their queries on it. */
export function runImmediatelyOn(db: object, runner: ImmediateRunner): void {
  immediateRunners.set(db, runner);
}

/** Stands for the parameter `name` while the query is compiled. */
class Placeholder {
  constructor(readonly name: string) {}
}

/** Where a compiled parameter's value comes from: a named argument, or the value written in the query. */
type Source = { name: string } | { value: unknown };

/**
 * `build` gets an object whose properties stand for the named parameters (use them only as values,
 * e.g. `.where('id', '=', p.id)`) and answers the query. It is built and compiled on the first
 * call; every call then runs that SQL with its own values. Values written in the query itself
 * (`.where('kind', '=', 'group')`) stay as they were compiled.
 */
export class PreparedQuery<P extends Record<string, unknown>, R> {
  private compiled: { query: CompiledQuery<R>; sources: Source[] } | undefined;
  private readonly runNow: ImmediateRunner | undefined;

  constructor(
    private readonly db: QueryRunner,
    private readonly build: (params: P) => Compilable<R>,
  ) {
    this.runNow = immediateRunners.get(db);
  }

  private compile(): { query: CompiledQuery<R>; sources: Source[] } {
    if (this.compiled) return this.compiled;
    const placeholders = new Proxy({} as P, { get: (_target, name) => new Placeholder(String(name)) });
    const query = this.build(placeholders).compile();
    const sources = query.parameters.map((p): Source => (p instanceof Placeholder ? { name: p.name } : { value: p }));
    this.compiled = { query, sources };
    return this.compiled;
  }

  /** The compiled query with `params` in place of the placeholders. */
  bind(params: P): CompiledQuery<R> {
    const { query, sources } = this.compile();
    const parameters = sources.map((s) => ('name' in s ? params[s.name] : s.value));
    return { query: query.query, queryId: query.queryId, sql: query.sql, parameters };
  }

  /** Runs on `executor` (the database, or a transaction of it). */
  async execute(params: P, executor: QueryRunner = this.db): Promise<R[]> {
    const query = this.bind(params);
    // Outside a transaction on SQLite, the statement runs now if nobody holds the connection.
    const now = executor === this.db ? this.runNow?.(query) : undefined;
    return (now ?? (await executor.executeQuery(query))).rows;
  }

  async takeFirst(params: P, executor: QueryRunner = this.db): Promise<R | undefined> {
    return (await this.execute(params, executor))[0];
  }
}

/** A PreparedQuery over `db`; see there. */
export function prepare<DB, P extends Record<string, unknown>, R>(db: Kysely<DB>, build: (params: P) => Compilable<R>): PreparedQuery<P, R> {
  return new PreparedQuery(db, build);
}
