// Pending requests of groups: applications to join a members-only group (answered by the owner or
// an admin) and invitations (answered by the invitee).
import type { Selectable } from 'kysely';
import type { Db } from './db.js';
import { lockRoom, writeTransaction } from './locking.js';
import type { Dialect } from './migrations/dialect.js';
import type { GroupRequestKind, GroupRequestsTable } from './schema.js';

export type GroupRequestRow = Selectable<GroupRequestsTable>;

export class GroupRequestsRepository {
  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
  ) {}

  /** Records (or renews) a request; RoomGoneError when the group was dissolved meanwhile. */
  async put(row: GroupRequestRow): Promise<void> {
    await writeTransaction(this.db, async (trx) => {
      await lockRoom(trx, this.dialect, row.group_id);
      await trx
        .insertInto('group_requests')
        .values(row)
        .onConflict((oc) => oc.columns(['group_id', 'username', 'kind']).doUpdateSet({ inviter: row.inviter, reason: row.reason, created: row.created }))
        .execute();
    });
  }

  find(groupId: string, username: string, kind: GroupRequestKind): Promise<GroupRequestRow | undefined> {
    return this.db.selectFrom('group_requests').selectAll().where('group_id', '=', groupId).where('username', '=', username).where('kind', '=', kind).executeTakeFirst();
  }

  /** Takes the request away (once answered); false when there was none. */
  async take(groupId: string, username: string, kind: GroupRequestKind): Promise<boolean> {
    const result = await this.db.deleteFrom('group_requests').where('group_id', '=', groupId).where('username', '=', username).where('kind', '=', kind).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
