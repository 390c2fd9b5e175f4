// Message attachments (docs/rest message_upload_file.md, message_download_file.md,
// message_download_thumbnail.md; client-protocol REST.md "Attachments / upload"): upload (≤ 10 MB,
// streamed), download of the file or its thumbnail, and the removal of expired files.
// The bytes go to the blob store first (the file, then its thumbnail) and the row second, so a row
// always has its bytes; a crash in between leaves orphan blobs that the next start removes
// (blob-sweep.ts).
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { Readable, Transform, pipeline } from 'node:stream';
import type { BlobStore } from '../blobs/index.js';
import { BlobTooLargeError } from '../blobs/index.js';
import type { ChatfileRow, ChatfilesRepository } from '../store/chatfiles.js';
import type { ChatfilesTable } from '../store/schema.js';
import type { Insertable } from 'kysely';
import type { App } from './apps.js';
import { fail } from './errors.js';
import { checkPart, type UploadedPart } from './uploads.js';
import type { Principal } from './tokens.js';
import { OWN_THUMBNAIL_BYTES, SNIFF_BYTES, sniffImage, type Thumbnailer, type ThumbnailSize } from './thumbnails.js';

/** A message attachment as services answer it; src/api/chatfiles/present.ts shows it on the wire. */
export interface Chatfile {
  uuid: string;
  appUuid: string;
  /** The uploader's username, or `admin` for the app token. */
  owner: string;
  name: string;
  contentType: string;
  size: number;
  restricted: boolean;
  /** Opens a restricted file without a token (`share-secret` header or `?share-secret=`). */
  shareSecret: string;
  thumbnail: { key: string; contentType: string; size: number } | undefined;
  created: number;
}

function chatfile(row: ChatfileRow): Chatfile {
  return {
    uuid: row.uuid,
    appUuid: row.app_uuid,
    owner: row.owner,
    name: row.file_name,
    contentType: row.content_type,
    size: Number(row.file_size),
    restricted: row.restricted === 1,
    shareSecret: row.share_secret,
    thumbnail:
      row.thumbnail_key === null ? undefined : { key: row.thumbnail_key, contentType: row.thumbnail_type ?? 'image/jpeg', size: Number(row.thumbnail_size ?? 0) },
    created: Number(row.created),
  };
}

export interface ChatfileOptions {
  restricted: boolean;
  /** Read once the whole body is in: the web SDK sends the sizes as form fields after the file. */
  thumbnail: () => ThumbnailSize;
}

/** The bytes a download answers with. */
export interface ChatfileBytes {
  stream: Readable;
  contentType: string;
  size: number;
}

/** Files are looked up by the uuids qunliao makes; anything else names no file. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Rows removed per round of the expiry sweep. */
const SWEEP_BATCH = 500;

export function ownerOf(actor: Principal): string {
  return actor.kind === 'user' ? actor.user.username : 'admin';
}

export class ChatfilesService {
  constructor(
    private readonly files: ChatfilesRepository,
    private readonly blobs: BlobStore,
    private readonly thumbnailer: Thumbnailer,
    private readonly limits: { attachmentBytes: number },
    /** Seconds a file stays downloadable; undefined = until deleted. */
    private readonly ttlSeconds: number | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  get maxBytes(): number {
    return this.limits.attachmentBytes;
  }

  /** POST /chatfiles: the first file part of the body becomes the file. */
  async upload(app: App, part: UploadedPart | undefined, options: ChatfileOptions, actor: Principal): Promise<Chatfile> {
    if (!part) fail('chatfileRequired');
    const { fileName, contentType } = checkPart(part);
    const uuid = randomUUID();
    const head = new HeadRecorder();
    // pipeline() passes an error of the part (a body cut short) on to what the store reads.
    const size = await this.storeBlob(uuid, pipeline(part.stream, head, () => undefined));
    return this.record(uuid, size, head.bytes(), options, async () => {
      // A part is complete once its closing boundary arrives; the file is kept only if the whole
      // body then ends well formed.
      await part.complete;
      if (size === 0) fail('chatfileEmpty');
      return { app_uuid: app.uuid, owner: ownerOf(actor), file_name: fileName, content_type: contentType };
    });
  }

  /**
   * Streams `source` into the blob `key` within the attachment limit; the documented 413 when it is
   * larger (the store then keeps nothing).
   */
  async storeBlob(key: string, source: Readable): Promise<number> {
    try {
      return await this.blobs.put(key, source, this.limits.attachmentBytes);
    } catch (err) {
      if (err instanceof BlobTooLargeError) fail('chatfileTooLarge');
      throw err;
    }
  }

  /**
   * Makes the thumbnail of the file in blob `uuid` and inserts its row (through `insert`, which may
   * refuse); nothing of the file is left when anything fails. `describe` checks what must hold
   * before the row is written and answers its fields.
   */
  async record(
    uuid: string,
    size: number,
    head: Buffer,
    options: ChatfileOptions,
    describe: () => Promise<Pick<Insertable<ChatfilesTable>, 'app_uuid' | 'owner' | 'file_name' | 'content_type'>>,
    insert: (row: Insertable<ChatfilesTable>) => Promise<ChatfileRow> = (row) => this.files.insertFile(row),
  ): Promise<Chatfile> {
    let thumbnailKey: string | undefined;
    try {
      const fields = await describe();
      const row: Insertable<ChatfilesTable> = {
        ...fields,
        uuid,
        file_size: size,
        restricted: options.restricted ? 1 : 0,
        share_secret: randomBytes(18).toString('base64url'),
        thumbnail_key: null,
        thumbnail_type: null,
        thumbnail_size: null,
        created: this.now(),
      };
      const format = sniffImage(head);
      if (format && size > OWN_THUMBNAIL_BYTES) {
        const source = await this.blobs.get(uuid);
        const thumbnail = source && (await this.thumbnailer.make(source, format, options.thumbnail()));
        if (thumbnail) {
          thumbnailKey = `${uuid}-thumb`;
          row.thumbnail_size = await this.blobs.put(thumbnailKey, Readable.from([thumbnail.bytes]), thumbnail.bytes.length);
          row.thumbnail_key = thumbnailKey;
          row.thumbnail_type = thumbnail.contentType;
        }
      }
      return chatfile(await insert(row));
    } catch (err) {
      await this.blobs.delete(thumbnailKey ? [uuid, thumbnailKey] : [uuid]);
      throw err;
    }
  }

  /** The file; 404 for an unknown id or a file of another app, and file_expired past its lifetime. */
  async find(app: App, uuid: string): Promise<Chatfile> {
    const row = UUID.test(uuid) ? await this.files.findFile(uuid) : undefined;
    if (!row || row.app_uuid !== app.uuid) fail('chatfileNotFound');
    if (this.expired(Number(row.created))) fail('chatfileExpired', { uuid });
    return chatfile(row);
  }

  /**
   * Who may download a restricted file: the holder of its share-secret (a browser's `<img>` carries
   * no token), the app's admin token, and the uploader. Unrestricted files are anyone's.
   */
  checkReadAccess(file: Chatfile, principal: Principal | undefined, shareSecret: string | undefined): void {
    if (!file.restricted || principal?.kind === 'app') return;
    if (shareSecret !== undefined && sameSecret(shareSecret, file.shareSecret)) return;
    if (principal?.kind === 'user' && principal.user.username === file.owner) return;
    fail('chatfileForbidden');
  }

  /** The file's bytes, or its thumbnail's (the file itself when it has none). */
  async open(file: Chatfile, thumbnail: boolean): Promise<ChatfileBytes> {
    if (thumbnail && file.thumbnail) {
      const stream = await this.blobs.get(file.thumbnail.key);
      if (stream) return { stream, contentType: file.thumbnail.contentType, size: file.thumbnail.size };
    }
    const stream = await this.blobs.get(file.uuid);
    if (!stream) fail('chatfileNotFound');
    return { stream, contentType: file.contentType, size: file.size };
  }

  /** Removes files past their lifetime (none when no lifetime is configured): rows first, then bytes. */
  async removeExpired(): Promise<number> {
    if (this.ttlSeconds === undefined) return 0;
    const before = this.now() - this.ttlSeconds * 1000;
    let removed = 0;
    for (;;) {
      const rows = await this.files.filesCreatedBefore(before, SWEEP_BATCH);
      if (rows.length === 0) return removed;
      await this.files.deleteFiles(rows.map((r) => r.uuid));
      await this.blobs.delete(rows.flatMap((r) => (r.thumbnail_key === null ? [r.uuid] : [r.uuid, r.thumbnail_key])));
      removed += rows.length;
    }
  }

  private expired(created: number): boolean {
    return this.ttlSeconds !== undefined && created < this.now() - this.ttlSeconds * 1000;
  }
}

/** Compares secrets in constant time. */
function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Passes the bytes through and keeps the first SNIFF_BYTES of them. */
export class HeadRecorder extends Transform {
  private head = Buffer.alloc(0);

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null, data?: Buffer) => void): void {
    if (this.head.length < SNIFF_BYTES) this.head = Buffer.concat([this.head, chunk.subarray(0, SNIFF_BYTES - this.head.length)]);
    done(null, chunk);
  }

  bytes(): Buffer {
    return this.head;
  }
}
