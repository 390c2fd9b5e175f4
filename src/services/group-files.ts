// Group shared files (seed 000 "群文件"): upload (≤ 10 MB, streamed), list, download, delete.
// The bytes go to the blob store first and the metadata row second, so a listed file always has
// its bytes; a crash in between leaves an orphan blob that the next start removes.
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { BlobStore } from '../blobs/index.js';
import { BlobTooLargeError } from '../blobs/index.js';
import type { GroupFileRow, GroupFilesRepository } from '../store/group-files.js';
import type { GroupsRepository } from '../store/groups.js';
import type { App } from './apps.js';
import { fail } from './errors.js';
import { charLength } from './fields.js';
import type { RoomCore } from './rooms/core.js';
import type { NumberedPageQuery } from './rooms/members.js';
import { numberedPage, type SizeRule } from './paging.js';
import type { Principal } from './tokens.js';

/** GET …/share_files: pagesize 1..1000, default 1000. */
const FILES_PAGE: SizeRule = { default: 1000, max: 1000, overMax: 'cap' };

export interface FileLimits {
  /** Bytes per shared file (10 MB = 10,485,760). */
  shareFileBytes: number;
  /** Shared files per group (10,000). */
  shareFilesPerGroup: number;
}

const FILE_NAME_MAX = 255;
const CONTENT_TYPE_MAX = 255;

export interface UploadedPart {
  /** Absent for a part that is a file only by its Content-Type (application/octet-stream). */
  filename: string | undefined;
  mimetype: string;
  stream: Readable;
  /**
   * Settles once the rest of the request body has been read: rejects (with a DomainError) when the
   * body turns out malformed or cut short, so that nothing it carried is kept.
   */
  complete: Promise<void>;
}

export interface FileInfo {
  file_id: string;
  file_name: string;
  file_owner: string;
  file_size: number;
  created: number;
}

/** `restrict-access` header: true/false/1/0; absent means not restricted. */
export function parseRestrictAccess(header: string | string[] | undefined): boolean {
  if (header === undefined) return false;
  const value = (Array.isArray(header) ? header[0] : header)?.trim().toLowerCase();
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0' || value === '') return false;
  return fail('groupInvalidParameter', { message: 'restrict-access must be true, false, 1 or 0' });
}

/** Keeps only the base name of a client path ("/home/alice/docs/a.txt", "C:\\docs\\a.txt" → "a.txt"). */
export function baseName(filename: string): string {
  return path.posix.basename(filename.replace(/\\/g, '/')).trim();
}

export class GroupFilesService {
  constructor(
    private readonly groups: RoomCore,
    private readonly groupRows: GroupsRepository,
    private readonly files: GroupFilesRepository,
    private readonly blobs: BlobStore,
    private readonly limits: FileLimits,
    private readonly now: () => number = Date.now,
  ) {}

  get maxBytes(): number {
    return this.limits.shareFileBytes;
  }

  info(row: GroupFileRow): FileInfo {
    return { file_id: row.file_id, file_name: row.file_name, file_owner: row.file_owner, file_size: row.file_size, created: row.created };
  }

  /** Checks that a group can take another file, before any byte is read. */
  async prepareUpload(app: App, groupId: string): Promise<void> {
    await this.groups.getManageable(app, groupId);
    if ((await this.files.count(groupId)) >= this.limits.shareFilesPerGroup) fail('shareFilesFull', { max: this.limits.shareFilesPerGroup });
  }

  async upload(app: App, groupId: string, part: UploadedPart | undefined, restricted: boolean): Promise<GroupFileRow> {
    if (!part) fail('groupFieldRequired', { field: 'file' });
    const fileName = baseName(part.filename ?? '');
    if (fileName === '' || fileName === '.' || fileName === '..') fail('groupInvalidParameter', { message: 'file name must be provided' });
    if (charLength(fileName) > FILE_NAME_MAX) fail('groupInvalidParameter', { message: `file name is longer than ${FILE_NAME_MAX} characters` });
    if (part.mimetype.length > CONTENT_TYPE_MAX) fail('groupInvalidParameter', { message: `the file part's Content-Type is longer than ${CONTENT_TYPE_MAX} characters` });
    // A NUL byte cannot be stored as text (PostgreSQL refuses it) and names no real file.
    if (fileName.includes('\u0000')) fail('shareFileNulByte', { field: 'file name' });
    if (part.mimetype.includes('\u0000')) fail('shareFileNulByte', { field: "the file part's Content-Type" });
    const fileId = randomUUID();
    let size: number;
    try {
      size = await this.blobs.put(fileId, part.stream, this.limits.shareFileBytes);
    } catch (err) {
      if (err instanceof BlobTooLargeError) fail('shareFileTooLarge', { max: this.limits.shareFileBytes });
      throw err;
    }
    const row = {
      app_uuid: app.uuid,
      group_id: groupId,
      file_id: fileId,
      file_name: fileName,
      // Uploads are admin operations (app token), as REST messages are sent "from admin".
      file_owner: 'admin',
      file_size: size,
      content_type: part.mimetype || 'application/octet-stream',
      restricted: restricted ? 1 : 0,
      share_secret: randomBytes(18).toString('base64url'),
      created: this.now(),
    };
    try {
      // A part is complete once its closing boundary arrives; the file is kept only if the whole
      // body then ends well formed.
      await part.complete;
      // The group may have been dissolved while the bytes were arriving: the row then fails its
      // foreign key, and the blob is removed.
      if (!(await this.groupRows.find(app.uuid, groupId))) fail('groupNotFound', { id: groupId });
      // Counted again at insert time: uploads that were all streaming at once passed the early check.
      const inserted = await this.groups.write(groupId, () => this.files.insertIfBelow(row, this.limits.shareFilesPerGroup));
      if (!inserted) fail('shareFilesFull', { max: this.limits.shareFilesPerGroup });
      return inserted;
    } catch (err) {
      await this.blobs.delete([fileId]);
      throw err;
    }
  }

  /** Newest first. */
  async list(app: App, groupId: string, query: NumberedPageQuery): Promise<FileInfo[]> {
    const page = numberedPage(query.pagenum, query.pagesize, FILES_PAGE);
    await this.groups.get(app, groupId);
    const rows = await this.files.page(groupId, page.offset, page.limit);
    return rows.map((r) => this.info(r));
  }

  /** The file's row; 404 for an unknown id or a file of another group. */
  async find(app: App, groupId: string, fileId: string): Promise<GroupFileRow> {
    await this.groups.get(app, groupId);
    const row = await this.files.find(groupId, fileId);
    if (!row || row.app_uuid !== app.uuid) fail('shareFileNotFound', { fileId });
    return row;
  }

  /**
   * Who may read a restricted file: the app's admin token, a member's user token, or the
   * share-secret of its download URL. Unrestricted files are readable by anyone.
   */
  async checkReadAccess(row: GroupFileRow, principal: Principal | undefined, shareSecret: string | undefined): Promise<void> {
    if (row.restricted === 0 || principal?.kind === 'app') return;
    if (shareSecret !== undefined && shareSecret === row.share_secret) return;
    if (!principal) fail('tokenMissing');
    const member = await this.groupRows.member(row.group_id, principal.user.username);
    if (!member) fail('shareFileForbidden', { username: principal.user.username, id: row.group_id });
  }

  async open(row: GroupFileRow): Promise<Readable> {
    const stream = await this.blobs.get(row.file_id);
    if (!stream) fail('shareFileNotFound', { fileId: row.file_id });
    return stream;
  }

  async delete(app: App, groupId: string, fileId: string): Promise<void> {
    await this.groups.getManageable(app, groupId);
    if (!(await this.files.delete(groupId, fileId))) fail('shareFileNotFound', { fileId });
    await this.blobs.delete([fileId]);
  }

  /** Removes blobs older than `before` whose metadata row is gone (a crash between the two writes). */
  async removeOrphanBlobs(before: number): Promise<number> {
    await this.blobs.removeStaleTemporaries(before);
    let removed = 0;
    let batch: string[] = [];
    const flush = async () => {
      const keep = await this.files.existing(batch);
      const orphans = batch.filter((k) => !keep.has(k));
      await this.blobs.delete(orphans);
      removed += orphans.length;
      batch = [];
    };
    for await (const key of this.blobs.keysOlderThan(before)) {
      batch.push(key);
      if (batch.length >= 500) await flush();
    }
    if (batch.length > 0) await flush();
    return removed;
  }
}
