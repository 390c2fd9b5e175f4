// Metadata of group shared files; the bytes are in the blob store under file_id.
import type { Insertable, Selectable } from 'kysely';
import { lockKeys, type Db } from './db.js';
import { lockRoom, writeTransaction } from './locking.js';
import type { Dialect } from './migrations/dialect.js';
import type { GroupFilesTable } from './schema.js';

export type GroupFileRow = Selectable<GroupFilesTable>;

export class GroupFilesRepository {
  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
  ) {}

  /**
   * Inserts the row unless the group already has `max` files (counted under a lock); undefined then.
   * RoomGoneError when the group was dissolved while the bytes were arriving.
   */
  insertIfBelow(row: Insertable<GroupFilesTable>, max: number): Promise<GroupFileRow | undefined> {
    return writeTransaction(this.db, async (trx) => {
      await lockRoom(trx, this.dialect, row.group_id);
      await lockKeys(trx, this.dialect, [`files:${row.group_id}`]);
      const count = await trx
        .selectFrom('group_files')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('group_id', '=', row.group_id)
        .executeTakeFirstOrThrow();
      if (Number(count.n) >= max) return undefined;
      return trx.insertInto('group_files').values(row).returningAll().executeTakeFirstOrThrow();
    });
  }

  find(groupId: string, fileId: string): Promise<GroupFileRow | undefined> {
    return this.db.selectFrom('group_files').selectAll().where('group_id', '=', groupId).where('file_id', '=', fileId).executeTakeFirst();
  }

  /** Newest first. */
  page(groupId: string, offset: number, limit: number): Promise<GroupFileRow[]> {
    return this.db.selectFrom('group_files').selectAll().where('group_id', '=', groupId).orderBy('seq', 'desc').offset(offset).limit(limit).execute();
  }

  async count(groupId: string): Promise<number> {
    const row = await this.db
      .selectFrom('group_files')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('group_id', '=', groupId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async delete(groupId: string, fileId: string): Promise<boolean> {
    const result = await this.db.deleteFrom('group_files').where('group_id', '=', groupId).where('file_id', '=', fileId).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Which of `fileIds` still have a metadata row. */
  async existing(fileIds: string[]): Promise<Set<string>> {
    if (fileIds.length === 0) return new Set();
    const rows = await this.db.selectFrom('group_files').select('file_id').where('file_id', 'in', fileIds).execute();
    return new Set(rows.map((r) => r.file_id));
  }
}
