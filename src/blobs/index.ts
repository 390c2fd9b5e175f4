// Where file bytes live (group shared files today, message attachments later): the local
// directory (local.ts) or an S3-compatible bucket (s3.ts), chosen by QUNLIAO_BLOBS (open.ts).
// Keys are ids qunliao generates (never client input).
import { Transform, type Readable } from 'node:stream';

export class BlobTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`blob larger than ${maxBytes} bytes`);
  }
}

export interface BlobStore {
  /**
   * Streams `source` into the blob `key`, counting bytes; more than `maxBytes` rejects with
   * BlobTooLargeError and leaves nothing behind. Resolves with the size once the bytes are durable.
   */
  put(key: string, source: Readable, maxBytes: number): Promise<number>;
  /** The bytes of `key`, or undefined when there is no such blob. */
  get(key: string): Promise<Readable | undefined>;
  /** Removes the blobs; missing ones are ignored. */
  delete(keys: string[]): Promise<void>;
  /**
   * Keys of blobs last written before `before` (ms): candidates for removal when their metadata
   * row is gone. Recent ones are skipped, since another process may be about to write their row.
   */
  keysOlderThan(before: number): AsyncIterable<string>;
  /** Removes partial writes older than `before` (ms) left by a process that stopped mid-upload. */
  removeStaleTemporaries(before: number): Promise<void>;
  /** Releases connections (optional: the local store holds none). */
  close?(): Promise<void>;
}

/**
 * A pass-through that counts the bytes of a put and fails with BlobTooLargeError past `maxBytes`,
 * so that no store holds more than it was allowed.
 */
export function byteLimit(maxBytes: number): { counter: Transform; size: () => number } {
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > maxBytes) done(new BlobTooLargeError(maxBytes));
      else done(null, chunk);
    },
  });
  return { counter, size: () => size };
}
