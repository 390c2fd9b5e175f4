// Apps (org#app) and their credentials.
import type { Selectable } from 'kysely';
import type { Db } from './db.js';
import type { AppsTable } from './schema.js';

export type AppRow = Selectable<AppsTable>;

export class AppsRepository {
  constructor(private readonly db: Db) {}

  findByName(org: string, app: string): Promise<AppRow | undefined> {
    return this.db.selectFrom('apps').selectAll().where('org_name', '=', org).where('app_name', '=', app).executeTakeFirst();
  }

  async count(): Promise<number> {
    const row = await this.db.selectFrom('apps').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async insert(row: AppRow): Promise<void> {
    await this.db.insertInto('apps').values(row).execute();
  }

  async updateCredentials(uuid: string, clientId: string, clientSecretHash: string): Promise<void> {
    await this.db
      .updateTable('apps')
      .set({ client_id: clientId, client_secret_hash: clientSecretHash })
      .where('uuid', '=', uuid)
      .execute();
  }

  async updateAgora(uuid: string, appId: string | null, appCertificate: string | null): Promise<void> {
    await this.db.updateTable('apps').set({ agora_app_id: appId, agora_app_certificate: appCertificate }).where('uuid', '=', uuid).execute();
  }
}
