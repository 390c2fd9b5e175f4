// The client SDK's part upload of large attachments (client-protocol REST.md "Attachments /
// upload": the web SDK sends a file over 7.5 MB as parts): begin, upload parts (in any order,
// several at once, again to replace one), complete (the parts, in order, become one file), abort.
// Each part is a blob of its own until the upload completes; then the file is written as one blob,
// its row replaces the upload's rows in one transaction, and the part blobs are removed.
import { randomUUID } from 'node:crypto';
import { Readable, pipeline } from 'node:stream';
import type { BlobStore } from '../blobs/index.js';
import type { ChatfilesRepository, ChatfileUploadRow } from '../store/chatfiles.js';
import type { App } from './apps.js';
import { fail } from './errors.js';
import type { UploadedPart } from './uploads.js';
import type { Principal } from './tokens.js';
import { HeadRecorder, ownerOf, type Chatfile, type ChatfileOptions, type ChatfilesService } from './chatfiles.js';
import { sniffImage } from './thumbnails.js';

/** The part size the client is told to use (`part_lower_limit`): S3's smallest part, as the hosted service answers. */
export const PART_LOWER_LIMIT = 5 * 1024 * 1024;
/** Highest part number (S3's, too). */
export const MAX_PART_NUMBER = 10_000;
/** An upload not completed within a day is removed with its parts. */
export const UPLOAD_LIFETIME_MS = 24 * 3600 * 1000;

export interface PartUploadStart {
  uuid: string;
  /** The largest file the parts may add up to (`file_upper_limit`). */
  fileUpperLimit: number;
  partLowerLimit: number;
}

export class ChatfilePartsService {
  constructor(
    private readonly files: ChatfilesRepository,
    private readonly blobs: BlobStore,
    private readonly chatfiles: ChatfilesService,
    private readonly now: () => number = Date.now,
  ) {}

  /** POST /sdk/chatfiles/part-upload */
  async begin(app: App, actor: Principal): Promise<PartUploadStart> {
    const uuid = randomUUID();
    await this.files.createUpload({ uuid, app_uuid: app.uuid, owner: ownerOf(actor), created: this.now() });
    return { uuid, fileUpperLimit: this.chatfiles.maxBytes, partLowerLimit: PART_LOWER_LIMIT };
  }

  /** PUT /sdk/chatfiles/part-upload/{uuid}: the file part is the part's bytes, the `part_number` field its place. */
  async putPart(app: App, uploadUuid: string, part: UploadedPart | undefined, fields: () => Record<string, string>, actor: Principal): Promise<{ partNumber: number; size: number }> {
    await this.owned(app, uploadUuid, actor);
    if (!part) fail('chatfileRequired');
    // The part number may come after the bytes in the body: the part is stored under a key of its
    // own and numbered once the whole body is in.
    const key = randomUUID();
    const size = await this.chatfiles.storeBlob(key, part.stream);
    try {
      await part.complete;
      const partNumber = parsePartNumber(fields().part_number);
      if (size === 0) fail('chatfileEmpty');
      const outcome = await this.files.insertPart({ upload_uuid: uploadUuid, part_number: partNumber, blob_key: key, part_size: size, created: this.now() }, this.chatfiles.maxBytes);
      if (outcome.kind === 'gone') fail('chatfileUploadNotFound', { uuid: uploadUuid });
      if (outcome.kind === 'too_large') fail('chatfileTooLarge');
      // The part is recorded: a blob left by a failed removal is an orphan the next start removes.
      if (outcome.replacedKey) await this.blobs.delete([outcome.replacedKey]).catch(() => undefined);
      return { partNumber, size };
    } catch (err) {
      await this.blobs.delete([key]);
      throw err;
    }
  }

  /** POST /sdk/chatfiles/part-upload/{uuid}: parts 1..n, without gaps, become the file. */
  async complete(app: App, uploadUuid: string, options: ChatfileOptions, actor: Principal): Promise<Chatfile> {
    const upload = await this.owned(app, uploadUuid, actor);
    const parts = await this.files.parts(uploadUuid);
    if (parts.length === 0) fail('chatfileNoParts', { uuid: uploadUuid });
    parts.forEach((p, i) => {
      if (p.part_number !== i + 1) fail('chatfilePartMissing', { uuid: uploadUuid, number: i + 1 });
    });
    const keys = parts.map((p) => p.blob_key);
    const uuid = randomUUID();
    const head = new HeadRecorder();
    const size = await this.chatfiles.storeBlob(uuid, pipeline(Readable.from(this.concatenate(keys)), head, () => undefined));
    const file = await this.chatfiles.record(
      uuid,
      size,
      head.bytes(),
      options,
      async () => {
        const format = sniffImage(head.bytes());
        // The client names neither the file nor its type here (its message carries the name).
        return { app_uuid: app.uuid, owner: upload.owner, file_name: uuid, content_type: format ? `image/${format}` : 'application/octet-stream' };
      },
      async (row) => {
        const outcome = await this.files.completeUpload(uploadUuid, keys, row);
        if (outcome.kind === 'gone') fail('chatfileUploadNotFound', { uuid: uploadUuid });
        if (outcome.kind === 'changed') fail('chatfileUploadChanged', { uuid: uploadUuid });
        return outcome.file;
      },
    );
    // The file is recorded: part blobs left by a failed removal are orphans the next start removes.
    await this.blobs.delete(keys).catch(() => undefined);
    return file;
  }

  /** DELETE /sdk/chatfiles/part-upload/{uuid} */
  async abort(app: App, uploadUuid: string, actor: Principal): Promise<void> {
    await this.owned(app, uploadUuid, actor);
    const keys = await this.files.deleteUpload(uploadUuid);
    if (!keys) fail('chatfileUploadNotFound', { uuid: uploadUuid });
    await this.blobs.delete(keys);
  }

  /** Removes uploads older than their lifetime, with their parts. */
  async removeStale(): Promise<number> {
    let removed = 0;
    for (;;) {
      const uuids = await this.files.uploadsCreatedBefore(this.now() - UPLOAD_LIFETIME_MS, 100);
      if (uuids.length === 0) return removed;
      for (const uuid of uuids) {
        const keys = await this.files.deleteUpload(uuid);
        if (keys) await this.blobs.delete(keys);
        removed++;
      }
    }
  }

  /** The upload, if the actor may use it (the app token, or the user who began it); 404 otherwise. */
  private async owned(app: App, uploadUuid: string, actor: Principal): Promise<ChatfileUploadRow> {
    const upload = await this.files.findUpload(uploadUuid);
    const usable = upload && upload.app_uuid === app.uuid && Number(upload.created) >= this.now() - UPLOAD_LIFETIME_MS && (actor.kind === 'app' || upload.owner === ownerOf(actor));
    if (!usable) fail('chatfileUploadNotFound', { uuid: uploadUuid });
    return upload;
  }

  /** The parts' bytes one after the other. */
  private async *concatenate(keys: string[]): AsyncGenerator<Buffer> {
    for (const key of keys) {
      const stream = await this.blobs.get(key);
      // A part removed meanwhile (the upload was aborted): the store's put fails and keeps nothing.
      if (!stream) fail('chatfileUploadNotFound', { uuid: key });
      for await (const chunk of stream) yield chunk as Buffer;
    }
  }
}

function parsePartNumber(raw: string | undefined): number {
  const value = raw?.trim() ?? '';
  const n = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= MAX_PART_NUMBER)) fail('chatfilePartNumberInvalid', { max: MAX_PART_NUMBER });
  return n;
}
