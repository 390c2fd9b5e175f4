// Group shared files (seed 000 "群文件"): upload (≤ 10 MB, streamed), list, download, delete.
// The bytes go to the blob store first and the metadata row second, so a listed file always has
// its bytes; a crash in between leaves an orphan blob that the next start removes (blob-sweep.ts,
// which asks this repository which blobs it holds).
import { randomBytes, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { BlobStore } from '../blobs/index.js';
import { BlobTooLargeError } from '../blobs/index.js';
import type { GroupFileRow, GroupFilesRepository } from '../store/group-files.js';
import type { GroupsRepository } from '../store/groups.js';
import type { App } from './apps.js';
import { fail } from './errors.js';
import { checkPart, type UploadedPart } from './uploads.js';
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

/** A shared file as services answer it; src/api/chatgroups/present.ts shows it on the wire. */
export interface SharedFile {
  groupId: string;
  fileId: string;
  name: string;
  /** The uploader's username, or `admin` for an upload with the app token. */
  owner: string;
  size: number;
  contentType: string;
  restricted: boolean;
  /** Opens a restricted file without a token (`?share-secret=` in its URL). */
  shareSecret: string;
  created: number;
}

function sharedFile(row: GroupFileRow): SharedFile {
  return {
    groupId: row.group_id,
    fileId: row.file_id,
    name: row.file_name,
    owner: row.file_owner,
    size: row.file_size,
    contentType: row.content_type,
    restricted: row.restricted === 1,
    shareSecret: row.share_secret,
    created: row.created,
  };
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

  /** Checks that a group can take another file, before any byte is read. */
  async prepareUpload(app: App, groupId: string): Promise<void> {
    await this.groups.getManageable(app, groupId);
    if ((await this.files.count(groupId)) >= this.limits.shareFilesPerGroup) fail('shareFilesFull', { max: this.limits.shareFilesPerGroup });
  }

  /** The uploader is the user, or `admin` for the app token (as REST messages are sent "from admin"). */
  async upload(app: App, groupId: string, part: UploadedPart | undefined, restricted: boolean, actor: Principal): Promise<SharedFile> {
    if (!part) fail('groupFieldRequired', { field: 'file' });
    const { fileName, contentType } = checkPart(part);
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
      file_owner: actor.kind === 'user' ? actor.user.username : 'admin',
      file_size: size,
      content_type: contentType,
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
      // Never throws (a failure to tell is reported): the file stays.
      await this.groups.announce(app, groupId, actor, { op: 'file_uploaded', text: fileId });
      return sharedFile(inserted);
    } catch (err) {
      await this.blobs.delete([fileId]);
      throw err;
    }
  }

  /** Newest first. */
  async list(app: App, groupId: string, query: NumberedPageQuery): Promise<SharedFile[]> {
    const page = numberedPage(query.pagenum, query.pagesize, FILES_PAGE);
    await this.groups.get(app, groupId);
    return (await this.files.page(groupId, page.offset, page.limit)).map(sharedFile);
  }

  /** The file; 404 for an unknown id or a file of another group. */
  async find(app: App, groupId: string, fileId: string): Promise<SharedFile> {
    await this.groups.get(app, groupId);
    const row = await this.files.find(groupId, fileId);
    if (!row || row.app_uuid !== app.uuid) fail('shareFileNotFound', { fileId });
    return sharedFile(row);
  }

  /**
   * Who may read a restricted file: the app's admin token, a member's user token, or the
   * share-secret of its download URL. Unrestricted files are readable by anyone.
   */
  async checkReadAccess(file: SharedFile, principal: Principal | undefined, shareSecret: string | undefined): Promise<void> {
    if (!file.restricted || principal?.kind === 'app') return;
    if (shareSecret !== undefined && shareSecret === file.shareSecret) return;
    if (!principal) fail('tokenMissing');
    const member = await this.groupRows.member(file.groupId, principal.user.username);
    if (!member) fail('shareFileForbidden', { username: principal.user.username, id: file.groupId });
  }

  async open(file: SharedFile): Promise<Readable> {
    const stream = await this.blobs.get(file.fileId);
    if (!stream) fail('shareFileNotFound', { fileId: file.fileId });
    return stream;
  }

  /** The owner and admins delete any file; a member only their own. */
  async delete(app: App, groupId: string, fileId: string, actor: Principal): Promise<void> {
    const group = await this.groups.getManageable(app, groupId);
    if (actor.kind === 'user' && (await this.groups.standing(group, actor)) === 'member') {
      const row = await this.files.find(groupId, fileId);
      if (row && row.file_owner !== actor.user.username) fail('shareFileNotYours', { username: actor.user.username });
    }
    if (!(await this.files.delete(groupId, fileId))) fail('shareFileNotFound', { fileId });
    await this.blobs.delete([fileId]);
    await this.groups.announce(app, groupId, actor, { op: 'file_deleted', text: fileId });
  }
}
