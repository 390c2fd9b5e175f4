// The BlobStore contract (src/blobs/index.ts), run against both stores: the local directory and an
// S3 bucket on s3rver (started here). put/get/delete; the size limit exactly at and one byte over
// maxBytes, also past the first multipart part; a source that fails midway; keysOlderThan; and
// removal of partial writes left by a stopped process. "Nothing left behind" is read back from
// the store's own medium: the directory, or the bucket's object and multipart-upload listings
// and s3rver's files.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobTooLargeError, type BlobStore } from '../../src/blobs/index.js';
import { LocalBlobStore } from '../../src/blobs/local.js';
import { PART_SIZE, S3BlobStore } from '../../src/blobs/s3.js';
import { startS3rver, type S3rver } from '../support/s3.js';

const MB = 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A stream of `bytes` in 64 KB chunks (as an HTTP body arrives), failing with `failAt` bytes sent if given. */
function source(bytes: Buffer, failAt?: number): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (failAt !== undefined && offset >= failAt) {
        this.destroy(new Error('the client went away'));
        return;
      }
      if (offset >= bytes.length) {
        this.push(null);
        return;
      }
      const end = Math.min(offset + 64 * 1024, bytes.length, failAt ?? Infinity);
      this.push(bytes.subarray(offset, end));
      offset = end;
    },
  });
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function collect(keys: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const k of keys) out.push(k);
  return out.sort();
}

/** A store under test, with a view of its medium that does not go through the store. */
interface Backend {
  store: BlobStore;
  /** Blob keys present in the medium. */
  stored(): Promise<string[]>;
  /** Partial writes present in the medium (temporary files; multipart uploads in progress). */
  partials(): Promise<string[]>;
  /** Leaves a partial write of `key`, as a process stopped mid-upload would, dated `when`. */
  leavePartial(key: string, when: Date): Promise<void>;
  /** Dates a blob's last write. */
  setWritten(key: string, when: Date): void;
  close(): Promise<void>;
}

function localBackend(): Backend {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'qunliao-blobs-'));
  const store = new LocalBlobStore(root);
  const ls = (dir: string) => fs.readdirSync(path.join(root, dir)).sort();
  return {
    store,
    stored: async () => ls('blobs'),
    partials: async () => ls('blobs-tmp'),
    async leavePartial(key, when) {
      const file = path.join(root, 'blobs-tmp', `${key}.${randomUUID()}`);
      fs.writeFileSync(file, randomBytes(1024));
      fs.utimesSync(file, when, when);
    },
    setWritten(key, when) {
      fs.utimesSync(path.join(root, 'blobs', key), when, when);
    },
    async close() {
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A fresh directory for an S3 store's part files, removed after the file. */
const spoolDirs: string[] = [];
function spoolDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qunliao-s3-parts-'));
  spoolDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of spoolDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function s3Backend(server: S3rver): Backend {
  const prefix = server.freshPrefix();
  const parts = spoolDir();
  const store = new S3BlobStore(server.blobs(prefix), parts);
  return {
    store,
    stored: async () => (await server.objectKeys(prefix)).map((k) => k.slice(prefix.length)),
    async partials() {
      // The part files are gone too.
      expect(fs.readdirSync(parts)).toEqual([]);
      const listed = await server.pendingUploads(prefix);
      // s3rver's files agree with its listing: an aborted upload's parts are gone from its disk.
      expect(server.uploadsOnDisk(prefix)).toEqual(listed.map((u) => u.uploadId).sort());
      return listed.map((u) => u.key.slice(prefix.length)).sort();
    },
    async leavePartial(key, when) {
      server.setUploadTimes(await server.leaveMultipartUpload(`${prefix}${key}`), when);
    },
    setWritten(key, when) {
      server.setLastModified(`${prefix}${key}`, when);
    },
    async close() {
      await store.close();
    },
  };
}

let server: S3rver;
beforeAll(async () => {
  server = await startS3rver();
});
afterAll(() => server?.stop());

describe.each(['local', 's3'] as const)('blob store (%s)', (kind) => {
  let b: Backend;
  beforeAll(() => {
    b = kind === 'local' ? localBackend() : s3Backend(server);
  });
  afterAll(() => b.close());

  it('stores, reads back and deletes blobs of every size, one part or several', async () => {
    const sizes = [0, 1, 1000, PART_SIZE, PART_SIZE + 1, 2 * PART_SIZE + 12345];
    const written = new Map<string, Buffer>();
    for (const size of sizes) {
      const key = randomUUID();
      const bytes = randomBytes(size);
      expect(await b.store.put(key, source(bytes), 3 * PART_SIZE)).toBe(size);
      written.set(key, bytes);
    }
    expect(await b.stored()).toEqual([...written.keys()].sort());
    for (const [key, bytes] of written) {
      const stream = await b.store.get(key);
      expect(stream).toBeDefined();
      expect(sha256(await readAll(stream!))).toBe(sha256(bytes));
    }
    expect(await b.partials()).toEqual([]);

    const [first, ...rest] = [...written.keys()];
    await b.store.delete([first!]);
    expect(await b.store.get(first!)).toBeUndefined();
    expect(await b.stored()).toEqual([...rest].sort());
    // Missing keys are ignored, with or without present ones.
    await b.store.delete([first!, randomUUID()]);
    await b.store.delete(rest);
    expect(await b.stored()).toEqual([]);
    await b.store.delete([]);
  }, 60_000);

  it('answers undefined for a blob that was never written', async () => {
    expect(await b.store.get(randomUUID())).toBeUndefined();
  });

  it.each([
    ['a single part', 1000],
    ['several parts', 2 * PART_SIZE + 1],
  ])('takes exactly maxBytes and refuses one byte more, leaving nothing (%s)', async (_label, maxBytes) => {
    const before = await b.stored();
    const exact = randomUUID();
    const bytes = randomBytes(maxBytes + 1);
    expect(await b.store.put(exact, source(bytes.subarray(0, maxBytes)), maxBytes)).toBe(maxBytes);
    expect(sha256(await readAll((await b.store.get(exact))!))).toBe(sha256(bytes.subarray(0, maxBytes)));

    const over = randomUUID();
    await expect(b.store.put(over, source(bytes), maxBytes)).rejects.toBeInstanceOf(BlobTooLargeError);
    expect(await b.store.get(over)).toBeUndefined();
    expect(await b.stored()).toEqual([...before, exact].sort());
    expect(await b.partials()).toEqual([]);
    await b.store.delete([exact]);
  }, 60_000);

  it.each([
    ['before the first part is full', 100 * 1024],
    ['after a part was uploaded', PART_SIZE + 2 * MB],
    // Read ahead while the first part is sent: the source fails before that request ends.
    ['while a part is being sent', PART_SIZE + 256 * 1024],
  ])('a source that fails midway leaves nothing (%s)', async (_label, failAt) => {
    const before = await b.stored();
    const key = randomUUID();
    await expect(b.store.put(key, source(randomBytes(3 * PART_SIZE), failAt), 4 * PART_SIZE)).rejects.toThrow('the client went away');
    expect(await b.store.get(key)).toBeUndefined();
    expect(await b.stored()).toEqual(before);
    expect(await b.partials()).toEqual([]);
  }, 60_000);

  it('lists the keys last written before a time', async () => {
    const [old, recent] = [randomUUID(), randomUUID()];
    await b.store.put(old, source(randomBytes(10)), 100);
    await b.store.put(recent, source(randomBytes(10)), 100);
    b.setWritten(old, new Date(Date.now() - 3600_000));
    expect(await collect(b.store.keysOlderThan(Date.now() - 600_000))).toEqual([old]);
    expect(await collect(b.store.keysOlderThan(Date.now() + 60_000))).toEqual([old, recent].sort());
    expect(await collect(b.store.keysOlderThan(Date.now() - 7200_000))).toEqual([]);
    await b.store.delete([old, recent]);
  });

  it('removes partial writes older than the cutoff and keeps recent ones', async () => {
    const [stale, fresh] = [randomUUID(), randomUUID()];
    await b.leavePartial(stale, new Date(Date.now() - 3600_000));
    await b.leavePartial(fresh, new Date());
    expect((await b.partials()).map((p) => p.split('.')[0])).toEqual([stale, fresh].sort());
    await b.store.removeStaleTemporaries(Date.now() - 600_000);
    expect((await b.partials()).map((p) => p.split('.')[0])).toEqual([fresh]);
    await b.store.removeStaleTemporaries(Date.now() + 60_000);
    expect(await b.partials()).toEqual([]);
  });
});

describe('S3 blob store specifics', () => {
  it('keeps keys under its prefix: another prefix and objects it did not write are left alone', async () => {
    const prefix = server.freshPrefix();
    const store = new S3BlobStore(server.blobs(prefix), spoolDir());
    const other = new S3BlobStore(server.blobs(server.freshPrefix()), spoolDir());
    try {
      const key = randomUUID();
      await store.put(key, source(Buffer.from('mine')), 100);
      expect(await server.objectKeys(prefix)).toEqual([`${prefix}${key}`]);
      expect(await other.get(key)).toBeUndefined();
      // Someone else's object under the prefix, with a name qunliao never generates.
      await server.client.send(new PutObjectCommand({ Bucket: server.bucket, Key: `${prefix}notes/readme.txt`, Body: 'not a blob' }));
      server.setLastModified(`${prefix}${key}`, new Date(Date.now() - 3600_000));
      expect(await collect(store.keysOlderThan(Date.now() + 60_000))).toEqual([key]);
      expect(await collect(other.keysOlderThan(Date.now() + 60_000))).toEqual([]);
    } finally {
      await store.close();
      await other.close();
    }
  });

  it('keeps a multipart upload that began long ago but is still receiving parts', async () => {
    const prefix = server.freshPrefix();
    const store = new S3BlobStore(server.blobs(prefix), spoolDir());
    try {
      const id = await server.leaveMultipartUpload(`${prefix}${randomUUID()}`);
      server.setUploadTimes(id, new Date(Date.now() - 3600_000));
      // A second part arrives now.
      const [upload] = await server.pendingUploads(prefix);
      await server.client.send(new UploadPartCommand({ Bucket: server.bucket, Key: upload!.key, UploadId: id, PartNumber: 2, Body: randomBytes(10) }));
      await store.removeStaleTemporaries(Date.now() - 600_000);
      expect((await server.pendingUploads(prefix)).map((u) => u.uploadId)).toEqual([id]);
      await store.removeStaleTemporaries(Date.now() + 60_000);
      expect(await server.pendingUploads(prefix)).toEqual([]);
      expect(server.uploadsOnDisk(prefix)).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('removes part files of uploads that stopped, and keeps those being written', async () => {
    const parts = spoolDir();
    const store = new S3BlobStore(server.blobs(server.freshPrefix()), parts);
    try {
      const [stale, fresh] = [`${randomUUID()}.${randomUUID()}`, `${randomUUID()}.${randomUUID()}`];
      fs.writeFileSync(path.join(parts, stale), randomBytes(100));
      fs.writeFileSync(path.join(parts, fresh), randomBytes(100));
      const hourAgo = new Date(Date.now() - 3600_000);
      fs.utimesSync(path.join(parts, stale), hourAgo, hourAgo);
      await store.removeStaleTemporaries(Date.now() - 600_000);
      expect(fs.readdirSync(parts)).toEqual([fresh]);
    } finally {
      await store.close();
    }
  });

  it('downloads held open by slow readers do not stall other requests', async () => {
    const store = new S3BlobStore(server.blobs(server.freshPrefix()), spoolDir());
    const held: Readable[] = [];
    try {
      const big = randomUUID();
      await store.put(big, source(randomBytes(8 * MB)), 10 * MB);
      // More open downloads than the AWS SDK's default 50 connections, none of them read.
      for (let i = 0; i < 60; i++) held.push((await store.get(big))!);
      const small = randomUUID();
      await store.put(small, source(Buffer.from('still served')), 100);
      expect((await readAll((await store.get(small))!)).toString()).toBe('still served');
      // The held downloads are intact.
      expect((await readAll(held.pop()!)).length).toBe(8 * MB);
    } finally {
      for (const stream of held) stream.destroy();
      await store.close();
    }
  }, 30_000);

  it('a source that fails while a part is on its way leaves nothing (the abort waits for the part)', async () => {
    const prefix = server.freshPrefix();
    const parts = spoolDir();
    const store = new S3BlobStore(server.blobs(prefix), parts);
    try {
      // A client that sent a part and a bit, then stalls and goes away while the part is sent.
      const body = new PassThrough();
      const putting = store.put(randomUUID(), body, 4 * PART_SIZE);
      body.write(randomBytes(PART_SIZE + 64 * 1024));
      const deadline = Date.now() + 10_000;
      while ((await server.pendingUploads(prefix)).length === 0 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
      body.destroy(new Error('the client went away'));
      await expect(putting).rejects.toThrow('the client went away');
      // Whatever the part request does after the failure, nothing stays.
      await new Promise((r) => setTimeout(r, 300));
      expect(await server.pendingUploads(prefix)).toEqual([]);
      expect(server.uploadsOnDisk(prefix)).toEqual([]);
      expect(await server.objectKeys(prefix)).toEqual([]);
      expect(fs.readdirSync(parts)).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('an unreachable bucket fails the upload without leaving the source waiting', async () => {
    const store = new S3BlobStore({ ...server.blobs(''), bucket: 'no-such-bucket' }, spoolDir());
    try {
      const body = source(randomBytes(2 * PART_SIZE + 1));
      await expect(store.put(randomUUID(), body, 3 * PART_SIZE)).rejects.toThrow();
      expect(body.destroyed).toBe(true);
      await expect(store.put(randomUUID(), source(Buffer.from('small')), 100)).rejects.toThrow();
      await expect(store.get(randomUUID())).rejects.toThrow();
    } finally {
      await store.close();
    }
  });
});
