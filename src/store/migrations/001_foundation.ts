// Apps and users (issue: foundation).
import type { Kysely } from 'kysely';
import { type Dialect, serialColumn } from './dialect.js';

export function foundation(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('apps')
        .addColumn('uuid', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('org_name', 'varchar(64)', (c) => c.notNull())
        .addColumn('app_name', 'varchar(64)', (c) => c.notNull())
        .addColumn('client_id', 'varchar(128)', (c) => c.notNull())
        .addColumn('client_secret_hash', 'varchar(256)', (c) => c.notNull())
        .addColumn('token_key', 'varchar(64)', (c) => c.notNull())
        .addColumn('created', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('apps_org_app_unique', ['org_name', 'app_name'])
        .execute();

      await serialColumn(dialect, db.schema.createTable('users'), 'seq')
        .addColumn('app_uuid', 'varchar(36)', (c) => c.notNull().references('apps.uuid').onDelete('cascade'))
        .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
        .addColumn('username', 'varchar(64)', (c) => c.notNull())
        .addColumn('password_hash', 'varchar(256)', (c) => c.notNull())
        .addColumn('nickname', 'varchar(100)')
        .addColumn('activated', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('token_version', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created', 'bigint', (c) => c.notNull())
        .addColumn('modified', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('users_app_username_unique', ['app_uuid', 'username'])
        .execute();
      await db.schema.createIndex('users_app_seq').on('users').columns(['app_uuid', 'seq']).execute();
    },
  };
}
