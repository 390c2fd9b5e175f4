// Group shared files with QUNLIAO_BLOBS=s3://… (s3rver, started here), on SQLite and PostgreSQL:
// the upload / list / download / delete flow; two qunliao instances on one database and one bucket
// (what one uploads the other lists, downloads and deletes); dissolving a group or deleting its
// owner deletes its objects; a refused, over-limit or interrupted upload leaves no object, no
// multipart upload, no part file and no row; the start-up cleanup removes only true orphans.
// What is in the bucket is read back with a plain S3 client, not through qunliao.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { AbortMultipartUploadCommand, DeleteObjectsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultLimits } from '../../src/config.js';
import { PART_SIZE } from '../../src/blobs/s3.js';
import { createQunliao } from '../../src/app.js';
import { databases, startApp, testConfig, type Reply, type TestApp } from '../support/harness.js';
import { filePart } from '../support/multipart.js';
import { startS3rver, type S3rver } from '../support/s3.js';

const TEN_MB = 10 * 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let s3: S3rver;
beforeAll(async () => {
  s3 = await startS3rver();
});
afterAll(() => s3?.stop());

describe('S3 configuration errors stop the start', () => {
  it.each([
    ['a bucket that does not exist', () => ({ ...s3.blobs(''), bucket: 'no-such-bucket' })],
    // (s3rver checks the access key id, not version 4 signatures.)
    ['an unknown access key', () => ({ ...s3.blobs(''), credentials: { accessKeyId: 'NOT-S3RVER', secretAccessKey: 'S3RVER' } })],
  ])('%s', async (_label, blobs) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qunliao-test-'));
    try {
      await expect(createQunliao(testConfig(dataDir, { blobs: blobs() }))).rejects.toThrow();
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe.each(databases)('shared files on S3 (%s)', (kind) => {
  let prefix: string;
  /** Two instances on one database and one bucket, as two processes behind a load balancer. */
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    prefix = s3.freshPrefix();
    a = await startApp(kind, { blobs: s3.blobs(prefix) });
    b = await startApp(kind, { db: a.config.db, blobs: s3.blobs(prefix) });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  function upload(on: TestApp, gid: string, filename: string, content: Buffer | string, restrict?: string): Promise<Reply> {
    const { payload, contentType } = filePart(filename, content);
    const headers: Record<string, string> = { 'content-type': contentType };
    if (restrict !== undefined) headers['restrict-access'] = restrict;
    return on.api('POST', `/chatgroups/${gid}/share_files`, { payload, headers });
  }

  async function uploadOk(on: TestApp, gid: string, filename: string, content: Buffer | string, restrict?: string) {
    const res = await upload(on, gid, filename, content, restrict);
    expect(res.status, res.text).toBe(200);
    return res.body.data as { file_id: string; file_size: number; file_url: string; 'share-secret'?: string };
  }

  async function download(on: TestApp, gid: string, fid: string, o: { token?: string | null; query?: string } = {}) {
    const token = o.token === undefined ? on.adminToken : o.token;
    const headers: Record<string, string> = { accept: 'application/octet-stream' };
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await on.qunliao.server.inject({ method: 'GET', url: `/acme/chat/chatgroups/${gid}/share_files/${fid}${o.query ?? ''}`, headers });
    return { status: res.statusCode, bytes: res.rawPayload };
  }

  async function listIds(on: TestApp, gid: string): Promise<string[]> {
    const res = await on.api('GET', `/chatgroups/${gid}/share_files`);
    expect(res.status, res.text).toBe(200);
    return (res.body.data as { file_id: string }[]).map((f) => f.file_id);
  }

  /** Keys in the bucket under this suite's prefix. */
  const objects = async () => (await s3.objectKeys(prefix)).map((k) => k.slice(prefix.length));
  /** Anything an upload in progress leaves: part files of either instance, multipart uploads (listed or on s3rver's disk). */
  const partials = async () => [
    ...[a, b].flatMap((t) => fs.readdirSync(path.join(t.config.dataDir, 's3-parts'))),
    ...new Set([...(await s3.pendingUploads(prefix)).map((u) => u.uploadId), ...s3.uploadsOnDisk(prefix)]),
  ];

  async function freshGroup(on: TestApp = a): Promise<{ gid: string; owner: string }> {
    const [owner] = await on.makeUsers('s3own');
    return { gid: await on.createGroup(owner), owner };
  }

  it('uploads, lists, downloads and deletes; the bytes are objects in the bucket under the prefix', async () => {
    const { gid } = await freshGroup();
    const small = await uploadOk(a, gid, 'small.txt', 'hello S3');
    // More than one 5 MiB part: a multipart upload.
    const bigContent = randomBytes(PART_SIZE + 2 * 1024 * 1024 + 7);
    const big = await uploadOk(a, gid, 'big.bin', bigContent);
    expect(big.file_size).toBe(bigContent.length);
    expect(await objects()).toEqual(expect.arrayContaining([small.file_id, big.file_id]));
    expect(await listIds(a, gid)).toEqual([big.file_id, small.file_id]);

    expect((await download(a, gid, small.file_id)).bytes.toString()).toBe('hello S3');
    const got = await download(a, gid, big.file_id);
    expect(got.status).toBe(200);
    expect(sha256(got.bytes)).toBe(sha256(bigContent));

    expect((await a.api('DELETE', `/chatgroups/${gid}/share_files/${big.file_id}`)).status).toBe(200);
    expect(await objects()).not.toContain(big.file_id);
    expect(await objects()).toContain(small.file_id);
    expect((await download(a, gid, big.file_id)).status).toBe(404);
    expect(await listIds(a, gid)).toEqual([small.file_id]);
    expect(await partials()).toEqual([]);
  }, 60_000);

  it('what one instance uploads the other lists, downloads (admin, member and share-secret) and deletes', async () => {
    const { gid, owner } = await freshGroup();
    const content = randomBytes(PART_SIZE + 1000);
    const d = await uploadOk(a, gid, 'shared.bin', content, 'true');
    expect(await listIds(b, gid)).toEqual([d.file_id]);
    expect(sha256((await download(b, gid, d.file_id)).bytes)).toBe(sha256(content));
    // A member's user token from the other instance, and the share-secret URL without a token.
    expect(sha256((await download(b, gid, d.file_id, { token: await b.userToken(owner) })).bytes)).toBe(sha256(content));
    const viaSecret = await download(b, gid, d.file_id, { token: null, query: `?share-secret=${d['share-secret']}` });
    expect(viaSecret.status).toBe(200);
    expect(sha256(viaSecret.bytes)).toBe(sha256(content));
    expect((await download(b, gid, d.file_id, { token: null })).status).toBe(401);

    // And the other way round; then deleted through the instance that did not upload it.
    const back = await uploadOk(b, gid, 'back.txt', 'from b');
    expect((await download(a, gid, back.file_id)).bytes.toString()).toBe('from b');
    expect((await b.api('DELETE', `/chatgroups/${gid}/share_files/${d.file_id}`)).status).toBe(200);
    expect((await download(a, gid, d.file_id)).status).toBe(404);
    expect(await objects()).not.toContain(d.file_id);
    expect(await listIds(a, gid)).toEqual([back.file_id]);
  }, 60_000);

  it('dissolving a group deletes its objects and leaves other groups\' files', async () => {
    const { gid } = await freshGroup();
    const other = await freshGroup();
    const f1 = await uploadOk(a, gid, 'a.txt', 'a');
    const f2 = await uploadOk(b, gid, 'b.bin', randomBytes(PART_SIZE + 1));
    const kept = await uploadOk(a, other.gid, 'c.txt', 'c');
    expect(await objects()).toEqual(expect.arrayContaining([f1.file_id, f2.file_id, kept.file_id]));
    expect((await b.api('DELETE', `/chatgroups/${gid}`)).status).toBe(200);
    const left = await objects();
    expect(left).not.toContain(f1.file_id);
    expect(left).not.toContain(f2.file_id);
    expect(left).toContain(kept.file_id);
    expect((await download(a, other.gid, kept.file_id)).bytes.toString()).toBe('c');
  }, 60_000);

  it('deleting the owner user deletes the objects of the groups they own', async () => {
    const { gid, owner } = await freshGroup();
    const f = await uploadOk(a, gid, 'owned.txt', 'owned');
    expect(await objects()).toContain(f.file_id);
    expect((await b.api('DELETE', `/users/${owner}`)).status).toBe(200);
    expect(await objects()).not.toContain(f.file_id);
  });

  it('10,485,760 bytes are taken; one byte more is 413 and leaves no object, no multipart upload, no part file and no row', async () => {
    const { gid } = await freshGroup();
    const bytes = randomBytes(TEN_MB + 1);
    const exact = await uploadOk(a, gid, 'exact.bin', bytes.subarray(0, TEN_MB));
    expect(exact.file_size).toBe(TEN_MB);
    const before = await objects();
    const res = await upload(a, gid, 'over.bin', bytes);
    expect(res.status, res.text).toBe(413);
    expect(await objects()).toEqual(before);
    expect(await partials()).toEqual([]);
    expect(await listIds(b, gid)).toEqual([exact.file_id]);
  }, 60_000);

  it('a group dissolved while an upload is streaming keeps neither the row nor the object', async () => {
    const { gid } = await freshGroup();
    const before = await objects();
    const { payload, contentType } = filePart('slow.bin', randomBytes(PART_SIZE + 256 * 1024));
    const split = payload.length - 100 * 1024;
    const body = new PassThrough();
    const pending = a.qunliao.server.inject({
      method: 'POST',
      url: `/acme/chat/chatgroups/${gid}/share_files`,
      headers: { authorization: `Bearer ${a.adminToken}`, 'content-type': contentType },
      payload: body,
    });
    body.write(payload.subarray(0, split));
    // Wait until the first part is on its way (a multipart upload has begun).
    const deadline = Date.now() + 10_000;
    while ((await s3.pendingUploads(prefix)).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect((await s3.pendingUploads(prefix)).length).toBeGreaterThan(0);
    expect((await b.api('DELETE', `/chatgroups/${gid}`)).status).toBe(200);
    body.end(payload.subarray(split));
    const res = await pending;
    expect(res.statusCode, res.body).toBe(404);
    expect(await objects()).toEqual(before);
    expect(await partials()).toEqual([]);
  }, 60_000);

  it('at start, removes only orphans older than 10 minutes and stale multipart uploads, on a bucket other instances use', async () => {
    const { gid } = await freshGroup();
    const listed = await uploadOk(a, gid, 'listed.txt', 'listed');
    const fromB = await uploadOk(b, gid, 'from-b.txt', 'from b');
    const [oldOrphan, recentOrphan, nineMinOrphan] = [randomUUID(), randomUUID(), randomUUID()];
    for (const key of [oldOrphan, recentOrphan, nineMinOrphan]) {
      await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `${prefix}${key}`, Body: 'orphan' }));
    }
    // Not a name qunliao writes: never qunliao's to remove.
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `${prefix}README.txt`, Body: 'notes' }));
    const now = Date.now();
    s3.setLastModified(`${prefix}${oldOrphan}`, new Date(now - 11 * 60_000));
    s3.setLastModified(`${prefix}${nineMinOrphan}`, new Date(now - 9 * 60_000));
    s3.setLastModified(`${prefix}${listed.file_id}`, new Date(now - 3600_000));
    s3.setLastModified(`${prefix}${fromB.file_id}`, new Date(now - 3600_000));
    s3.setLastModified(`${prefix}README.txt`, new Date(now - 3600_000));
    const staleUpload = await s3.leaveMultipartUpload(`${prefix}${randomUUID()}`);
    s3.setUploadTimes(staleUpload, new Date(now - 3600_000));
    const freshUpload = await s3.leaveMultipartUpload(`${prefix}${randomUUID()}`);

    // A third instance starts on the same database and bucket.
    const c = await startApp(kind, { db: a.config.db, blobs: s3.blobs(prefix) });
    await c.close();

    const left = await objects();
    expect(left).not.toContain(oldOrphan);
    expect(left).toEqual(expect.arrayContaining([recentOrphan, nineMinOrphan, listed.file_id, fromB.file_id, 'README.txt']));
    expect((await s3.pendingUploads(prefix)).map((u) => u.uploadId)).toEqual([freshUpload]);
    expect(s3.uploadsOnDisk(prefix)).toEqual([freshUpload]);
    expect((await download(b, gid, listed.file_id)).bytes.toString()).toBe('listed');
    expect((await download(a, gid, fromB.file_id)).bytes.toString()).toBe('from b');

    // Clean up what this test left for the others.
    await s3.client.send(
      new DeleteObjectsCommand({ Bucket: s3.bucket, Delete: { Objects: [recentOrphan, nineMinOrphan, 'README.txt'].map((k) => ({ Key: `${prefix}${k}` })) } }),
    );
    const [fresh] = await s3.pendingUploads(prefix);
    await s3.client.send(new AbortMultipartUploadCommand({ Bucket: s3.bucket, Key: fresh!.key, UploadId: freshUpload }));
  }, 60_000);

  describe('a lowered byte limit', () => {
    let small: TestApp;
    let smallPrefix: string;
    beforeAll(async () => {
      // Its own database, so its own prefix: at start it would remove old objects it has no row for.
      smallPrefix = s3.freshPrefix();
      small = await startApp(kind, { blobs: s3.blobs(smallPrefix), limits: { ...defaultLimits, shareFileBytes: 1000 } });
    });
    afterAll(() => small?.close());

    it('takes exactly the limit and refuses one byte more, leaving nothing', async () => {
      const [owner] = await small.makeUsers('s3small');
      const gid = await small.createGroup(owner);
      const exact = randomBytes(1000);
      const d = await uploadOk(small, gid, 'exact.bin', exact);
      expect((await download(small, gid, d.file_id)).bytes.equals(exact)).toBe(true);
      expect(await s3.objectKeys(smallPrefix)).toEqual([`${smallPrefix}${d.file_id}`]);
      expect((await upload(small, gid, 'over.bin', randomBytes(1001))).status).toBe(413);
      expect(await s3.objectKeys(smallPrefix)).toEqual([`${smallPrefix}${d.file_id}`]);
      expect(fs.readdirSync(path.join(small.config.dataDir, 's3-parts'))).toEqual([]);
      expect(await listIds(small, gid)).toEqual([d.file_id]);
    });
  });
});
