// Message attachments with QUNLIAO_BLOBS=s3://… (s3rver, started here), on SQLite and PostgreSQL:
// an upload (with its thumbnail) and a part upload land in the bucket and download again, also
// from a second instance on the same database and bucket; a refused upload leaves no object and
// no multipart upload; and at start the orphan sweep, which now asks both owners of blobs (shared
// files and attachments), keeps old attachment, thumbnail, part and shared-file objects and removes
// only true orphans. What is in the bucket is read back with a plain S3 client.
import { randomBytes, randomUUID } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases, startApp, type TestApp } from '../support/harness.js';
import { expectError } from '../support/expect.js';
import { filePart, multipartBody } from '../support/multipart.js';
import { startS3rver, type S3rver } from '../support/s3.js';

let s3: S3rver;
beforeAll(async () => {
  s3 = await startS3rver();
});
afterAll(() => s3?.stop());

describe.each(databases)('attachments on S3 (%s)', (kind) => {
  let prefix: string;
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

  const objects = async () => (await s3.objectKeys(prefix)).map((k) => k.slice(prefix.length));

  async function upload(on: TestApp, content: Buffer, type = 'application/octet-stream') {
    const { payload, contentType } = filePart('a.bin', content, type);
    const res = await on.api('POST', '/chatfiles', { payload, headers: { 'content-type': contentType, 'restrict-access': 'true' } });
    expect(res.status, res.text).toBe(200);
    return res.body.entities[0] as { uuid: string; 'share-secret': string };
  }

  async function download(on: TestApp, uuid: string, headers: Record<string, string> = {}) {
    const res = await on.qunliao.server.inject({ method: 'GET', url: `/acme/chat/chatfiles/${uuid}`, headers: { authorization: `Bearer ${on.adminToken}`, ...headers } });
    return { status: res.statusCode, bytes: res.rawPayload, type: res.headers['content-type'] };
  }

  it('an image and its thumbnail are objects in the bucket; the other instance serves both', async () => {
    const image = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#336699', noise: { type: 'gaussian', mean: 100, sigma: 40 } } }).jpeg().toBuffer();
    const e = await upload(a, image, 'image/jpeg');
    expect(await objects()).toEqual(expect.arrayContaining([e.uuid, `${e.uuid}-thumb`]));
    expect((await download(b, e.uuid)).bytes.equals(image)).toBe(true);
    const thumb = await download(b, e.uuid, { thumbnail: 'true' });
    expect(await sharp(thumb.bytes).metadata()).toMatchObject({ format: 'jpeg', width: 170, height: 128 });
  });

  it('a part upload of more than one S3 part assembles into one object; the part objects go', async () => {
    const token = await a.userToken((await a.makeUsers('s3parts'))[0]);
    const begin = await a.api('POST', '/sdk/chatfiles/part-upload', { token });
    const uuid = begin.body.entities[0].uuid as string;
    const partSize = begin.body.entities[0].part_lower_limit as number;
    const content = randomBytes(partSize + 1234);
    const before = await objects();
    for (const [n, bytes] of [
      [2, content.subarray(partSize)],
      [1, content.subarray(0, partSize)],
    ] as const) {
      const { payload, contentType } = multipartBody([{ field: 'part_file', filename: 'blob', content: bytes }, { field: 'part_number', content: String(n) }]);
      const res = await (n === 1 ? b : a).api('PUT', `/sdk/chatfiles/part-upload/${uuid}`, { payload, token, headers: { 'content-type': contentType } });
      expect(res.status, res.text).toBe(200);
    }
    const done = await b.api('POST', `/sdk/chatfiles/part-upload/${uuid}?restrict-access=true`, { token });
    expect(done.status, done.text).toBe(200);
    const file = done.body.entities[0].uuid as string;
    expect((await objects()).sort()).toEqual([...before, file].sort());
    expect((await download(a, file)).bytes.equals(content)).toBe(true);
    expect(await s3.pendingUploads(prefix)).toEqual([]);
  }, 60_000);

  it('a refused upload leaves no object and no multipart upload', async () => {
    const before = await objects();
    const { payload, contentType } = filePart('big.bin', randomBytes(10 * 1024 * 1024 + 1));
    expectError(await a.api('POST', '/chatfiles', { payload, headers: { 'content-type': contentType } }), 413, 'file exceeding maximum limit');
    expect(await objects()).toEqual(before);
    expect(await s3.pendingUploads(prefix)).toEqual([]);
  }, 60_000);

  it('at start, the sweep keeps old attachment, thumbnail, part and shared-file objects and removes only orphans', async () => {
    const file = await upload(a, Buffer.from('an attachment'));
    const image = await upload(a, await sharp({ create: { width: 300, height: 300, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 90, sigma: 60 } } }).jpeg().toBuffer(), 'image/jpeg');
    const [owner] = await a.makeUsers('s3sweep');
    const gid = await a.createGroup(owner);
    const shared = filePart('shared.txt', 'a shared file');
    const sharedRes = await a.api('POST', `/chatgroups/${gid}/share_files`, { payload: shared.payload, headers: { 'content-type': shared.contentType } });
    expect(sharedRes.status, sharedRes.text).toBe(200);
    const sharedId = sharedRes.body.data.file_id as string;
    const token = await a.userToken(owner);
    const upl = (await a.api('POST', '/sdk/chatfiles/part-upload', { token })).body.entities[0].uuid as string;
    const part = multipartBody([{ field: 'part_file', filename: 'blob', content: Buffer.from('first part ') }, { field: 'part_number', content: '1' }]);
    expect((await a.api('PUT', `/sdk/chatfiles/part-upload/${upl}`, { payload: part.payload, token, headers: { 'content-type': part.contentType } })).status).toBe(200);
    const partKey = (await a.qunliao.store.chatfiles.parts(upl))[0]!.blob_key;
    const orphan = randomUUID();
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `${prefix}${orphan}`, Body: 'orphan' }));
    const kept = [file.uuid, image.uuid, `${image.uuid}-thumb`, partKey, sharedId];
    const hourAgo = new Date(Date.now() - 3600_000);
    for (const key of [...kept, orphan]) s3.setLastModified(`${prefix}${key}`, hourAgo);

    // A third instance starts on the same database and bucket.
    const c = await startApp(kind, { db: a.config.db, blobs: s3.blobs(prefix) });
    await c.close();

    const left = await objects();
    expect(left).not.toContain(orphan);
    expect(left).toEqual(expect.arrayContaining(kept));
    expect((await download(b, file.uuid)).bytes.toString()).toBe('an attachment');
    expect((await download(b, image.uuid, { thumbnail: 'true' })).type).toBe('image/jpeg');
    const part2 = multipartBody([{ field: 'part_file', filename: 'blob', content: Buffer.from('second part') }, { field: 'part_number', content: '2' }]);
    expect((await b.api('PUT', `/sdk/chatfiles/part-upload/${upl}`, { payload: part2.payload, token, headers: { 'content-type': part2.contentType } })).status).toBe(200);
    const done = await b.api('POST', `/sdk/chatfiles/part-upload/${upl}?restrict-access=false`, { token });
    expect((await download(a, done.body.entities[0].uuid as string)).bytes.toString()).toBe('first part second part');
  }, 60_000);
});
