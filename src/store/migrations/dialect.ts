import type { CreateTableBuilder } from 'kysely';

export type Dialect = 'sqlite' | 'postgres';

/** An auto-numbered primary key: SQLite's INTEGER PRIMARY KEY AUTOINCREMENT, PostgreSQL's bigserial. */
export function serialColumn<T extends string>(dialect: Dialect, table: CreateTableBuilder<T, never>, name: string) {
  return dialect === 'sqlite'
    ? table.addColumn(name, 'integer', (c) => c.primaryKey().autoIncrement())
    : table.addColumn(name, 'bigserial', (c) => c.primaryKey());
}
