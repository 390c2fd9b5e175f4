// Chatroom super admins (chatroom_superadmin.md): users an app lets create chatrooms from clients.
import type { Db } from './db.js';

export class SuperAdminsRepository {
  constructor(private readonly db: Db) {}

  async contains(appUuid: string, username: string): Promise<boolean> {
    return (await this.db.selectFrom('chatroom_super_admins').select('username').where('app_uuid', '=', appUuid).where('username', '=', username).executeTakeFirst()) !== undefined;
  }

  /** False when they were one already. */
  async add(appUuid: string, username: string, now: number): Promise<boolean> {
    const row = await this.db
      .insertInto('chatroom_super_admins')
      .values({ app_uuid: appUuid, username, created: now })
      .onConflict((oc) => oc.columns(['app_uuid', 'username']).doNothing())
      .returning('username')
      .executeTakeFirst();
    return row !== undefined;
  }

  /** False when they were not one. */
  async remove(appUuid: string, username: string): Promise<boolean> {
    const result = await this.db.deleteFrom('chatroom_super_admins').where('app_uuid', '=', appUuid).where('username', '=', username).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Oldest first. */
  async page(appUuid: string, offset: number, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('chatroom_super_admins')
      .select('username')
      .where('app_uuid', '=', appUuid)
      .orderBy('created', 'asc')
      .orderBy('username', 'asc')
      .offset(offset)
      .limit(limit)
      .execute();
    return rows.map((r) => r.username);
  }
}
