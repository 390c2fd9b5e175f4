// Blobs as objects in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2…), under a key prefix, so
// that several qunliao processes share one set of bytes. Uploads stream through lib-storage's
// Upload: parts of PART_SIZE bytes, one part in flight per upload, so an upload holds at most about
// one part in memory whatever the file size; files smaller than a part go up as one PutObject.
// Nothing becomes visible before the whole upload is complete: a refused or failed upload never
// completes its multipart upload (Upload aborts it), and one left behind by a stopped process is
// aborted by removeStaleTemporaries.
import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  NoSuchKey,
  NoSuchUpload,
  S3Client,
  paginateListObjectsV2,
  paginateListParts,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { BlobTooLargeError, type BlobStore } from './index.js';

/** The same keys as the local store: ids qunliao generates. */
const KEY = /^[A-Za-z0-9-]{1,64}$/;

/** S3's smallest part (except the last): the least memory an upload of unknown length can hold. */
export const PART_SIZE = 5 * 1024 * 1024;

/** DeleteObjects takes at most 1,000 keys (S3 API reference, DeleteObjects). */
const DELETE_BATCH = 1000;

export interface S3BlobStoreOptions {
  bucket: string;
  /** Empty, or ending in "/". */
  prefix: string;
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(options: S3BlobStoreOptions) {
    this.bucket = options.bucket;
    this.prefix = options.prefix;
    const config: S3ClientConfig = {
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      // Checksums only where S3 requires them: S3-compatible servers do not all know the newer
      // CRC trailers that the SDK adds by default (AWS SDK supplemental docs, MD5_FALLBACK).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
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
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > maxBytes) done(new BlobTooLargeError(maxBytes));
        else done(null, chunk);
      },
    });
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: objectKey, Body: counter },
      partSize: PART_SIZE,
      queueSize: 1,
      leavePartsOnError: false,
    });
    // The counter fails (too large, or the source failed): Upload's read of it fails, so Upload
    // never completes and aborts the multipart upload it may have begun. Upload fails (S3
    // unreachable): the counter is destroyed so that the source is not left waiting.
    let uploadError: unknown;
    const [piped, uploaded] = await Promise.allSettled([
      pipeline(source, counter),
      upload.done().catch((err: unknown) => {
        uploadError = err;
        counter.destroy(err instanceof Error ? err : new Error(String(err)));
        throw err;
      }),
    ]);
    if (piped.status === 'rejected' && piped.reason !== uploadError && uploaded.status === 'rejected') throw piped.reason;
    if (uploaded.status === 'rejected') throw uploaded.reason;
    if (piped.status === 'rejected') throw piped.reason;
    return size;
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
