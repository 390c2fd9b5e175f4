// Blobs as objects in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2…), under a key prefix, so
// that several qunliao processes share one set of bytes.
//
// Uploads stream: the bytes go to S3 in parts of PART_SIZE (S3's smallest), each part spooled to a
// temporary file and sent with its length and MD5 while the next waits, so an upload holds no more
// than stream buffers in memory and one part on disk, whatever the file size. (lib-storage's
// Upload keeps each part in memory and copies it once more when joining chunks; with S3's 5 MiB
// minimum part, ten concurrent 10 MB uploads grew RSS by ~96 MB, the size of the files, against
// ~40 MB on the local store.) A file of one part or less is one PutObject; larger ones are a
// multipart upload, completed only after the last byte was counted, so nothing becomes visible
// before the whole upload is in. A refused or failed upload aborts its multipart upload; one left
// behind by a stopped process (or whose abort failed) is aborted by removeStaleTemporaries.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  NoSuchKey,
  NoSuchUpload,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  paginateListObjectsV2,
  paginateListParts,
  type CompletedPart,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { byteLimit, type BlobStore } from './index.js';
import type { BlobsConfig } from '../config.js';

/** The same keys as the local store: ids qunliao generates. */
const KEY = /^[A-Za-z0-9-]{1,64}$/;

/** S3's smallest part (all but the last; S3 API reference, UploadPart): 5 MiB. */
export const PART_SIZE = 5 * 1024 * 1024;

/** Parts per multipart upload (S3 API reference, UploadPart): with PART_SIZE, blobs of up to ~48 GiB. */
const MAX_PARTS = 10_000;

/** Connections to S3 per process (downloads in progress each hold one). */
const MAX_CONNECTIONS = 1000;

/** DeleteObjects takes at most 1,000 keys (S3 API reference, DeleteObjects). */
const DELETE_BATCH = 1000;

/** What the store is built from: the `s3` variant of the configuration. */
export type S3BlobStoreOptions = Omit<Extract<BlobsConfig, { kind: 's3' }>, 'kind'>;

export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly spoolDir: string;

  /** `spoolDir`: a local directory for the part being sent of each upload in progress. */
  constructor(options: S3BlobStoreOptions, spoolDir: string) {
    this.bucket = options.bucket;
    this.prefix = options.prefix;
    this.spoolDir = spoolDir;
    fs.mkdirSync(spoolDir, { recursive: true });
    const config: S3ClientConfig = {
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      // Checksums only where S3 requires them: S3-compatible servers do not all know the newer
      // CRC trailers that the SDK adds by default (AWS SDK supplemental docs, MD5_FALLBACK).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // A download holds its S3 connection for as long as its client takes to read it: the SDK's
      // 50 connections would let 50 slow downloads stall every other upload and download.
      requestHandler: { connectionTimeout: 10_000, httpAgent: { maxSockets: MAX_CONNECTIONS }, httpsAgent: { maxSockets: MAX_CONNECTIONS } },
      // Failures reach the caller as errors; the SDK would otherwise print some of them itself.
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    };
    if (options.endpoint !== undefined) config.endpoint = options.endpoint;
    if (options.credentials) config.credentials = options.credentials;
    this.client = new S3Client(config);
    this.client.middlewareStack.add(contentMd5ForDeleteObjects, { step: 'build', name: 'qunliaoContentMd5ForDeleteObjects' });
  }

  private objectKey(key: string): string {
    if (!KEY.test(key)) throw new Error(`invalid blob key ${key}`);
    return `${this.prefix}${key}`;
  }

  async put(key: string, source: Readable, maxBytes: number): Promise<number> {
    const objectKey = this.objectKey(key);
    if (maxBytes > MAX_PARTS * PART_SIZE) throw new Error(`blobs of more than ${MAX_PARTS * PART_SIZE} bytes need larger parts`);
    const { counter, size } = byteLimit(maxBytes);
    const spool = path.join(this.spoolDir, `${key}.${randomUUID()}`);
    let uploadId: string | undefined;
    const parts: CompletedPart[] = [];
    let part: Spool | undefined;
    // A failing source ends the pipeline at once, while the consumer below may still be sending a
    // part: it is awaited (and told to start nothing new) before the upload is aborted, since S3
    // may keep a part that arrives after the abort.
    let stopped = false;
    let consumer: Promise<void> | undefined;
    const consume = async (chunks: AsyncIterable<Buffer>) => {
      for await (let chunk of chunks) {
        while (chunk.length > 0) {
          // A full part with more bytes after it is not the last one: it can go.
          if (part?.length === PART_SIZE) {
            const full = await part.finish();
            part = undefined;
            if (stopped) return;
            uploadId ??= await this.beginMultipart(objectKey);
            if (stopped) return;
            parts.push(await this.sendPart(objectKey, uploadId, parts.length + 1, full));
          }
          part ??= new Spool(spool);
          const take = Math.min(PART_SIZE - part.length, chunk.length);
          await part.write(chunk.subarray(0, take));
          chunk = chunk.subarray(take);
        }
      }
    };
    try {
      await pipeline(source, counter, (chunks: AsyncIterable<Buffer>) => (consumer = consume(chunks)));
      // Every byte is in and counted: the last (or only) part, then the object becomes visible.
      const last = await (part ?? new Spool(spool)).finish();
      part = undefined;
      if (uploadId === undefined) {
        await withRetries(() =>
          this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: objectKey, Body: last.body(), ContentLength: last.length, ContentMD5: last.md5 })),
        );
      } else {
        parts.push(await this.sendPart(objectKey, uploadId, parts.length + 1, last));
        await this.client.send(
          new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: objectKey, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
        );
      }
      return size();
    } catch (err) {
      stopped = true;
      await consumer?.catch(() => undefined);
      if (uploadId !== undefined) {
        // Best effort: if S3 cannot be reached now, the start-up cleanup aborts it later.
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: objectKey, UploadId: uploadId })).catch(() => undefined);
      }
      throw err;
    } finally {
      await part?.close();
      await fsp.rm(spool, { force: true });
    }
  }

  private async beginMultipart(objectKey: string): Promise<string> {
    const res = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: objectKey }));
    if (!res.UploadId) throw new Error(`S3 gave no upload id for ${objectKey}`);
    return res.UploadId;
  }

  private async sendPart(objectKey: string, uploadId: string, partNumber: number, part: SpooledPart): Promise<CompletedPart> {
    const res = await withRetries(() =>
      this.client.send(
        new UploadPartCommand({
          Bucket: this.bucket,
          Key: objectKey,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: part.body(),
          ContentLength: part.length,
          ContentMD5: part.md5,
        }),
      ),
    );
    if (!res.ETag) throw new Error(`S3 gave no ETag for part ${partNumber} of ${objectKey}`);
    return { PartNumber: partNumber, ETag: res.ETag };
  }

  async get(key: string): Promise<Readable | undefined> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return res.Body as Readable;
    } catch (err) {
      if (err instanceof NoSuchKey) return undefined;
      throw err;
    }
  }

  async delete(keys: string[]): Promise<void> {
    const objectKeys = keys.map((k) => this.objectKey(k));
    for (let i = 0; i < objectKeys.length; i += DELETE_BATCH) {
      const batch = objectKeys.slice(i, i + DELETE_BATCH);
      const res = await this.client.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
      );
      // Missing keys are not errors in S3 (a delete of a missing key succeeds).
      const failed = res.Errors ?? [];
      if (failed.length > 0) {
        const first = failed[0]!;
        throw new Error(`S3 refused to delete ${failed.length} object(s), e.g. ${first.Key}: ${first.Code} ${first.Message ?? ''}`.trim());
      }
    }
  }

  async *keysOlderThan(before: number): AsyncIterable<string> {
    const pages = paginateListObjectsV2({ client: this.client }, { Bucket: this.bucket, Prefix: this.prefix });
    for await (const page of pages) {
      for (const object of page.Contents ?? []) {
        if (!object.Key || !object.LastModified) continue;
        const key = object.Key.slice(this.prefix.length);
        // Only keys qunliao writes: anything else under the prefix is not ours to judge.
        if (KEY.test(key) && object.LastModified.getTime() < before) yield key;
      }
    }
  }

  /**
   * Aborts multipart uploads under the prefix that began before `before` and had no part
   * uploaded since: a process stopped in the middle of them. An upload still receiving parts
   * (a large file on a slow connection, on this or another process) is left alone.
   */
  async removeStaleTemporaries(before: number): Promise<void> {
    // Part files of this machine's uploads that stopped (a file being written has a recent mtime).
    for (const name of await fsp.readdir(this.spoolDir)) {
      const file = path.join(this.spoolDir, name);
      const stat = await fsp.stat(file).catch(() => undefined);
      if (stat && stat.mtimeMs < before) await fsp.rm(file, { force: true });
    }
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const page = await this.client.send(
        new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: this.prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
      );
      for (const upload of page.Uploads ?? []) {
        if (!upload.Key || !upload.UploadId || !upload.Initiated) continue;
        if (!KEY.test(upload.Key.slice(this.prefix.length))) continue;
        if (upload.Initiated.getTime() >= before) continue;
        if ((await this.lastPartUploaded(upload.Key, upload.UploadId)) >= before) continue;
        try {
          await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: upload.Key, UploadId: upload.UploadId }));
        } catch (err) {
          // Completed or aborted meanwhile by its own process.
          if (!(err instanceof NoSuchUpload)) throw err;
        }
      }
      if (!page.IsTruncated) return;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
  }

  /** When the newest part of an upload arrived (ms); 0 without parts or once it is gone. */
  private async lastPartUploaded(key: string, uploadId: string): Promise<number> {
    let latest = 0;
    try {
      for await (const page of paginateListParts({ client: this.client }, { Bucket: this.bucket, Key: key, UploadId: uploadId })) {
        for (const part of page.Parts ?? []) latest = Math.max(latest, part.LastModified?.getTime() ?? 0);
      }
    } catch (err) {
      if (!(err instanceof NoSuchUpload)) throw err;
    }
    return latest;
  }

  /** Closes the client's connections. */
  async close(): Promise<void> {
    this.client.destroy();
  }
}

/**
 * The SDK does not retry a request whose body is a stream (it cannot rewind it), so requests
 * carrying a part are retried here, each attempt reading the part's file afresh: up to 3 attempts
 * on network errors, throttling and 5xx, as the SDK's standard retry mode does for other requests.
 */
async function withRetries<T>(send: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      if (attempt >= 3 || !transient(err)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt * Math.random()));
    }
  }
}

function transient(err: unknown): boolean {
  const e = err as { $metadata?: { httpStatusCode?: number }; $retryable?: unknown; name?: string };
  if (e.$retryable) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status === undefined) return e.name !== 'AbortError'; // no answer: a network error
  return status === 429 || status >= 500;
}

interface SpooledPart {
  length: number;
  /** Base64 MD5 of the bytes, for Content-MD5: S3 refuses the part if they arrive otherwise. */
  md5: string;
  /** The bytes, read from the file (once per request; the SDK may read the file again to sign it). */
  body(): Readable | Buffer;
}

/** One part being written to its temporary file, with its length and MD5. */
class Spool {
  private readonly out: fs.WriteStream;
  private readonly hash = createHash('md5');
  private failure: Error | undefined;
  private readonly closed: Promise<void>;
  length = 0;

  constructor(private readonly file: string) {
    this.out = fs.createWriteStream(file, { flags: 'w' });
    // Kept, not thrown from an event: write() and finish() report it.
    this.out.on('error', (err) => (this.failure ??= err));
    this.closed = new Promise((resolve) => this.out.once('close', () => resolve()));
  }

  async write(bytes: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    this.hash.update(bytes);
    this.length += bytes.length;
    if (!this.out.write(bytes)) await Promise.race([once(this.out, 'drain'), this.closed]);
    if (this.failure) throw this.failure;
  }

  async finish(): Promise<SpooledPart> {
    this.out.end();
    await this.closed;
    if (this.failure) throw this.failure;
    const { file, length } = this;
    return { length, md5: this.hash.digest('base64'), body: () => (length === 0 ? Buffer.alloc(0) : fs.createReadStream(file)) };
  }

  /** Closes the file if it is still open (an upload that failed while writing it). */
  async close(): Promise<void> {
    if (!this.out.closed) this.out.destroy();
    await this.closed;
  }
}

/**
 * DeleteObjects must carry a body checksum. The SDK sends a CRC32 one; some S3-compatible servers
 * accept only Content-MD5 (AWS SDK supplemental docs, MD5_FALLBACK), so it is added as well.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const contentMd5ForDeleteObjects = (next: (args: any) => Promise<any>, context: { commandName?: string }) =>
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async (args: any) => {
    const request = args.request as { headers?: Record<string, string>; body?: unknown } | undefined;
    if (context.commandName === 'DeleteObjectsCommand' && request?.headers && (typeof request.body === 'string' || request.body instanceof Uint8Array)) {
      request.headers['content-md5'] = createHash('md5').update(request.body).digest('base64');
    }
    return next(args);
  };
