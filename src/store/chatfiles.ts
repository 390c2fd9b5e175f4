// Metadata of message attachments and of part uploads in progress; the bytes are in the blob store
// (a file under its uuid, its thumbnail under thumbnail_key, each part under its blob_key).
import type { Insertable, Selectable, Transaction } from 'kysely';
import type { Db } from './db.js';
import { writeTransaction } from './locking.js';
import type { Dialect } from './migrations/dialect.js';
import type { ChatfilePartsTable, ChatfilesTable, ChatfileUploadsTable, Database } from './schema.js';

export type ChatfileRow = Selectable<ChatfilesTable>;
export type ChatfileUploadRow = Selectable<ChatfileUploadsTable>;
export type ChatfilePartRow = Selectable<ChatfilePartsTable>;

export type PartOutcome =
  | { kind: 'stored'; replacedKey?: string }
  /** The upload was completed or aborted meanwhile (or never existed). */
  | { kind: 'gone' }
  /** The parts would add up to more than the file limit. */
  | { kind: 'too_large' };

export type CompleteOutcome = { kind: 'done'; file: ChatfileRow } | { kind: 'gone' } | { kind: 'changed' };

export class ChatfilesRepository {
  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
  ) {}

  insertFile(row: Insertable<ChatfilesTable>): Promise<ChatfileRow> {
    return this.db.insertInto('chatfiles').values(row).returningAll().executeTakeFirstOrThrow();
  }

  findFile(uuid: string): Promise<ChatfileRow | undefined> {
    return this.db.selectFrom('chatfiles').selectAll().where('uuid', '=', uuid).executeTakeFirst();
  }

  /** Up to `limit` files uploaded before `before` (ms), oldest first. */
  filesCreatedBefore(before: number, limit: number): Promise<ChatfileRow[]> {
    return this.db.selectFrom('chatfiles').selectAll().where('created', '<', before).orderBy('created').limit(limit).execute();
  }

  async deleteFiles(uuids: string[]): Promise<void> {
    if (uuids.length === 0) return;
    await this.db.deleteFrom('chatfiles').where('uuid', 'in', uuids).execute();
  }

  /** Which of `keys` are blobs of a file, a thumbnail or a part. */
  async existing(keys: string[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const [files, thumbs, parts] = await Promise.all([
      this.db.selectFrom('chatfiles').select('uuid as key').where('uuid', 'in', keys).execute(),
      this.db.selectFrom('chatfiles').select('thumbnail_key as key').where('thumbnail_key', 'in', keys).execute(),
      this.db.selectFrom('chatfile_parts').select('blob_key as key').where('blob_key', 'in', keys).execute(),
    ]);
    return new Set([...files, ...thumbs, ...parts].map((r) => r.key).filter((k): k is string => k !== null));
  }

  async createUpload(row: ChatfileUploadRow): Promise<void> {
    await this.db.insertInto('chatfile_uploads').values(row).execute();
  }

  findUpload(uuid: string): Promise<ChatfileUploadRow | undefined> {
    return this.db.selectFrom('chatfile_uploads').selectAll().where('uuid', '=', uuid).executeTakeFirst();
  }

  /** Parts in their order. */
  parts(uploadUuid: string): Promise<ChatfilePartRow[]> {
    return this.db.selectFrom('chatfile_parts').selectAll().where('upload_uuid', '=', uploadUuid).orderBy('part_number').execute();
  }

  /**
   * Records a part (replacing an earlier one of the same number, whose blob key is answered) unless
   * the upload is gone or its parts would then add up to more than `maxTotal` bytes.
   */
  insertPart(row: ChatfilePartRow, maxTotal: number): Promise<PartOutcome> {
    return writeTransaction(this.db, async (trx) => {
      if (!(await this.lockUpload(trx, row.upload_uuid))) return { kind: 'gone' };
      const others = await trx
        .selectFrom('chatfile_parts')
        .select(['part_number', 'part_size', 'blob_key'])
        .where('upload_uuid', '=', row.upload_uuid)
        .execute();
      const replaced = others.find((p) => p.part_number === row.part_number);
      const total = others.reduce((sum, p) => (p === replaced ? sum : sum + Number(p.part_size)), 0) + row.part_size;
      if (total > maxTotal) return { kind: 'too_large' };
      if (replaced) {
        await trx.deleteFrom('chatfile_parts').where('upload_uuid', '=', row.upload_uuid).where('part_number', '=', row.part_number).execute();
      }
      await trx.insertInto('chatfile_parts').values(row).execute();
      return replaced ? { kind: 'stored', replacedKey: replaced.blob_key } : { kind: 'stored' };
    });
  }

  /**
   * Turns an upload into its file: inserts the file row and removes the upload with its part rows,
   * provided the upload still has exactly the parts (blob keys) the file was assembled from.
   */
  completeUpload(uploadUuid: string, partKeys: string[], file: Insertable<ChatfilesTable>): Promise<CompleteOutcome> {
    return writeTransaction(this.db, async (trx) => {
      if (!(await this.lockUpload(trx, uploadUuid))) return { kind: 'gone' };
      const now = (await trx.selectFrom('chatfile_parts').select('blob_key').where('upload_uuid', '=', uploadUuid).orderBy('part_number').execute()).map(
        (p) => p.blob_key,
      );
      if (now.length !== partKeys.length || now.some((k, i) => k !== partKeys[i])) return { kind: 'changed' };
      const inserted = await trx.insertInto('chatfiles').values(file).returningAll().executeTakeFirstOrThrow();
      await trx.deleteFrom('chatfile_parts').where('upload_uuid', '=', uploadUuid).execute();
      await trx.deleteFrom('chatfile_uploads').where('uuid', '=', uploadUuid).execute();
      return { kind: 'done', file: inserted };
    });
  }

  /** Removes an upload and its part rows; the blob keys of its parts, or undefined when there was no such upload. */
  deleteUpload(uuid: string): Promise<string[] | undefined> {
    return writeTransaction(this.db, async (trx) => {
      if (!(await this.lockUpload(trx, uuid))) return undefined;
      const keys = (await trx.selectFrom('chatfile_parts').select('blob_key').where('upload_uuid', '=', uuid).execute()).map((p) => p.blob_key);
      await trx.deleteFrom('chatfile_parts').where('upload_uuid', '=', uuid).execute();
      await trx.deleteFrom('chatfile_uploads').where('uuid', '=', uuid).execute();
      return keys;
    });
  }

  /** Up to `limit` uploads begun before `before` (ms). */
  async uploadsCreatedBefore(before: number, limit: number): Promise<string[]> {
    const rows = await this.db.selectFrom('chatfile_uploads').select('uuid').where('created', '<', before).orderBy('created').limit(limit).execute();
    return rows.map((r) => r.uuid);
  }

  /** Holds the upload row for the rest of the transaction; false when there is none. */
  private async lockUpload(trx: Transaction<Database>, uuid: string): Promise<boolean> {
    const q = trx.selectFrom('chatfile_uploads').select('uuid').where('uuid', '=', uuid);
    // SQLite has one writer at a time already: the plain read is the check.
    return (await (this.dialect === 'postgres' ? q.forUpdate() : q).executeTakeFirst()) !== undefined;
  }
}
