// Shared-file and attachment uploads are streamed to the blob store, not buffered: ten concurrent
// 10 MB uploads over a real HTTP connection must not grow the process's RSS by anything near the
// 100 MB sent. Likewise ten concurrent 10 MB attachment downloads, and ten 10 MB part uploads
// (two parts each, assembled into one blob when completed).
// On both blob stores: the local directory, and S3 (s3rver, in its own process so that its memory
// is not counted). SQLite only (the database plays no part in how bytes are held). Also over real
// HTTP: one byte over the limit is refused with 413, and a client that hangs up mid-upload leaves
// nothing behind (no blob, no temporary file or multipart upload, no row).
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../support/harness.js';
import { startS3rver, type S3rver } from '../support/s3.js';

const TEN_MB = 10 * 1024 * 1024;
const UPLOADS = 10;
const MB = 1024 * 1024;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Where the bytes went, read from the medium itself. */
interface Medium {
  /** Keys of the stored blobs. */
  blobs(): Promise<string[]>;
  /** Partial writes: temporary files, or multipart uploads in progress (listed, and on s3rver's disk). */
  partials(): Promise<string[]>;
  size(key: string): Promise<number>;
}

describe.each(['local', 's3'] as const)('shared-file and attachment uploads over real HTTP (sqlite, %s blobs)', (blobKind) => {
  let t: TestApp;
  let s3: S3rver | undefined;
  let medium: Medium;
  let base: string;
  let gid: string;
  beforeAll(async () => {
    if (blobKind === 's3') {
      const server = await startS3rver();
      s3 = server;
      const prefix = server.freshPrefix();
      t = await startApp('sqlite', { blobs: server.blobs(prefix) });
      medium = {
        blobs: async () => (await server.objectKeys(prefix)).map((k) => k.slice(prefix.length)),
        // Part files in the data dir, uploads S3 lists, uploads s3rver holds on disk.
        partials: async () => [
          ...ls(path.join(t.config.dataDir, 's3-parts')),
          ...new Set([...(await server.pendingUploads(prefix)).map((u) => u.uploadId), ...server.uploadsOnDisk(prefix)]),
        ],
        size: async (key) => (await server.client.send(new HeadObjectCommand({ Bucket: server.bucket, Key: `${prefix}${key}` }))).ContentLength ?? -1,
      };
    } else {
      t = await startApp('sqlite');
      medium = {
        blobs: async () => ls(path.join(t.config.dataDir, 'blobs')),
        partials: async () => ls(path.join(t.config.dataDir, 'blobs-tmp')),
        size: async (key) => fs.statSync(path.join(t.config.dataDir, 'blobs', key)).size,
      };
    }
    await t.qunliao.server.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.qunliao.server.server.address() as AddressInfo;
    base = `http://127.0.0.1:${port}/acme/chat`;
    await t.createUsers('memowner');
    const res = await t.api('POST', '/chatgroups', { body: { groupname: 'mem', desc: 'mem', public: true, maxusers: 10, owner: 'memowner' } });
    expect(res.status, res.text).toBe(200);
    gid = res.body.data.groupid as string;
  });
  afterAll(async () => {
    await t?.close();
    await s3?.stop();
  });

  const ls = (dir: string) => fs.readdirSync(dir).sort();

  /** Multipart framing around one file part; the file bytes themselves come from elsewhere. */
  function framing(filename: string): { head: Buffer; tail: Buffer; contentType: string } {
    const boundary = `----qunliaoMem${randomBytes(8).toString('hex')}`;
    return {
      head: Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      tail: Buffer.from(`\r\n--${boundary}--\r\n`),
      contentType: `multipart/form-data; boundary=${boundary}`,
    };
  }

  async function listAll() {
    const res = await fetch(`${base}/chatgroups/${gid}/share_files`, { headers: { authorization: `Bearer ${t.adminToken}` } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { data: { file_id: string; file_name: string; file_size: number }[] }).data;
  }

  /**
   * POSTs `head + content + tail` with node:http, writing 64 KB views of the one shared buffer and
   * honouring backpressure, so the client itself holds no copy of the file. (fetch with a Blob body
   * is not usable here: on Node 20 it grows RSS by ~230 MB for these ten uploads even against a
   * node:http server that discards everything, which would measure the client, not qunliao. The
   * same node:http client against such a discarding server grows RSS by ~30 MB: sockets and read
   * buffers not yet collected, part of what is measured below.)
   */
  function post(url: string, content: Buffer, filename: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
    const { head, tail, contentType } = framing(filename);
    return new Promise((resolve, reject) => {
      const req = http.request(
        url,
        {
          method: 'POST',
          headers: { ...headers, 'content-type': contentType, 'content-length': String(head.length + content.length + tail.length) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        },
      );
      req.on('error', reject);
      req.write(head);
      const CHUNK = 64 * 1024;
      let offset = 0;
      const pump = () => {
        while (offset < content.length) {
          const ok = req.write(content.subarray(offset, offset + CHUNK));
          offset += CHUNK;
          if (!ok) {
            req.once('drain', pump);
            return;
          }
        }
        req.end(tail);
      };
      pump();
    });
  }

  /** Peak RSS growth over the baseline taken just before, sampled every 20 ms, while `run` runs. */
  async function peakGrowth<T>(run: () => Promise<T>): Promise<{ result: T; growth: number; baseline: number; peak: number; ms: number }> {
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    const started = Date.now();
    try {
      const result = await run();
      peak = Math.max(peak, process.memoryUsage().rss);
      return { result, growth: peak - baseline, baseline, peak, ms: Date.now() - started };
    } finally {
      clearInterval(sampler);
    }
  }

  it('ten concurrent 10 MB uploads grow RSS by far less than the 100 MB uploaded', async () => {
    const content = randomBytes(TEN_MB);
    const digest = sha256(content);
    const auth = { authorization: `Bearer ${t.adminToken}`, accept: 'application/json', 'restrict-access': 'false' };

    const url = `${base}/chatgroups/${gid}/share_files`;
    const measured = await peakGrowth(() => Promise.all(Array.from({ length: UPLOADS }, (_, i) => post(url, content, `mem${i}.bin`, auth))));
    console.log(
      `upload-memory (${blobKind}): ${UPLOADS} concurrent uploads of ${TEN_MB} bytes (${(UPLOADS * TEN_MB) / MB} MB) in ${measured.ms} ms; ` +
        `baseline RSS ${(measured.baseline / MB).toFixed(1)} MB, peak ${(measured.peak / MB).toFixed(1)} MB, ` +
        `peak growth ${(measured.growth / MB).toFixed(1)} MB`,
    );

    const responses = measured.result;
    expect(responses.map((r) => r.status), responses.map((r) => r.text).join('\n')).toEqual(Array(UPLOADS).fill(200));
    for (const r of responses) expect(JSON.parse(r.text).data.file_size).toBe(TEN_MB);
    expect(measured.growth).toBeLessThan(50 * MB);

    const listed = await listAll();
    expect(listed).toHaveLength(UPLOADS);
    for (const f of listed) expect(f.file_size).toBe(TEN_MB);
    expect(listed.map((f) => f.file_name).sort()).toEqual(Array.from({ length: UPLOADS }, (_, i) => `mem${i}.bin`).sort());
    for (const f of listed) expect(await medium.size(f.file_id)).toBe(TEN_MB);

    // The bytes read back over HTTP are the bytes sent.
    for (const f of [listed[0]!, listed[UPLOADS - 1]!]) {
      const down = await fetch(`${base}/chatgroups/${gid}/share_files/${f.file_id}`, {
        headers: { authorization: `Bearer ${t.adminToken}`, accept: 'application/octet-stream' },
      });
      expect(down.status).toBe(200);
      expect(sha256(Buffer.from(await down.arrayBuffer()))).toBe(digest);
    }
    expect(await medium.partials()).toEqual([]);
  }, 120_000);

  it('refuses 10,485,761 bytes with a 413 error body over a real connection, leaving nothing behind', async () => {
    const before = await listAll();
    const blobsBefore = await medium.blobs();
    const res = await post(`${base}/chatgroups/${gid}/share_files`, randomBytes(TEN_MB + 1), 'over.bin', { authorization: `Bearer ${t.adminToken}` });
    expect(res.status, res.text).toBe(413);
    const body = JSON.parse(res.text) as { error?: string; error_description?: string };
    expect(body.error).toEqual(expect.any(String));
    expect(body.error_description).toEqual(expect.any(String));
    expect(await medium.blobs()).toEqual(blobsBefore);
    expect(await medium.partials()).toEqual([]);
    expect(await listAll()).toEqual(before);
  }, 60_000);

  it('a client that hangs up halfway leaves no blob, no temporary file and no row', async () => {
    const before = await listAll();
    const blobsBefore = await medium.blobs();
    const { head, contentType } = framing('aborted.bin');
    const url = new URL(`${base}/chatgroups/${gid}/share_files`);
    await new Promise<void>((resolve) => {
      const req = http.request(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': contentType, 'content-length': String(head.length + TEN_MB + 100) },
      });
      req.on('error', () => resolve());
      req.on('response', (r) => {
        r.resume();
        resolve();
      });
      req.write(head);
      // More than one S3 part (5 MiB), so that on S3 a multipart upload has begun and must be aborted.
      req.write(randomBytes(7 * MB), () => {
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 200);
      });
    });
    // The server notices the hang-up asynchronously.
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && (await medium.partials()).length > 0) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 200));
    expect(await medium.partials()).toEqual([]);
    expect(await medium.blobs()).toEqual(blobsBefore);
    expect(await listAll()).toEqual(before);
    // The server still takes uploads.
    const ok = await post(url.href, Buffer.from('after'), 'after.txt', { authorization: `Bearer ${t.adminToken}` });
    expect(ok.status, ok.text).toBe(200);
  }, 60_000);

  // ---------------------------------------------------------------- attachments (/chatfiles)

  /** Sends `head + content + tail` as the body of `method url`, as `post` does. */
  function send(method: string, url: string, head: Buffer, content: Buffer, tail: Buffer, contentType: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request(url, { method, headers: { ...headers, 'content-type': contentType, 'content-length': String(head.length + content.length + tail.length) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      req.write(head);
      const CHUNK = 64 * 1024;
      let offset = 0;
      const pump = () => {
        while (offset < content.length) {
          const ok = req.write(content.subarray(offset, offset + CHUNK));
          offset += CHUNK;
          if (!ok) {
            req.once('drain', pump);
            return;
          }
        }
        req.end(tail);
      };
      pump();
    });
  }

  /** GETs `url`, hashing the body as it arrives (the client keeps no copy); answers status, size and digest. */
  function fetchDigest(url: string, headers: Record<string, string>): Promise<{ status: number; size: number; digest: string }> {
    return new Promise((resolve, reject) => {
      http
        .get(url, { headers }, (res) => {
          const hash = createHash('sha256');
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            hash.update(c);
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, size, digest: hash.digest('hex') }));
        })
        .on('error', reject);
    });
  }

  const uuidsOf = (responses: { text: string }[]) => responses.map((r) => (JSON.parse(r.text) as { entities: { uuid: string }[] }).entities[0]!.uuid);
  const report = (what: string, m: { ms: number; baseline: number; peak: number; growth: number }) =>
    console.log(
      `upload-memory (${blobKind}): ${what} in ${m.ms} ms; baseline RSS ${(m.baseline / MB).toFixed(1)} MB, peak ${(m.peak / MB).toFixed(1)} MB, peak growth ${(m.growth / MB).toFixed(1)} MB`,
    );

  it('ten concurrent 10 MB attachment uploads, then ten concurrent downloads of them, each grow RSS by far less than 100 MB', async () => {
    const [user] = await t.makeUsers('memattach');
    const token = await t.userToken(user);
    const content = randomBytes(TEN_MB);
    const digest = sha256(content);
    const headers = { authorization: `Bearer ${token}`, 'restrict-access': 'true', accept: '*/*' };
    const up = await peakGrowth(() => Promise.all(Array.from({ length: UPLOADS }, (_, i) => post(`${base}/chatfiles?chat-type=CHAT&chat-target=x`, content, `att${i}.bin`, headers))));
    report(`${UPLOADS} concurrent attachment uploads of ${TEN_MB} bytes`, up);
    expect(up.result.map((r) => r.status), up.result.map((r) => r.text).join('\n')).toEqual(Array(UPLOADS).fill(200));
    expect(up.growth).toBeLessThan(50 * MB);
    const uuids = uuidsOf(up.result);
    for (const uuid of uuids) expect(await medium.size(uuid)).toBe(TEN_MB);

    const down = await peakGrowth(() => Promise.all(uuids.map((uuid) => fetchDigest(`${base}/chatfiles/${uuid}`, { authorization: `Bearer ${t.adminToken}` }))));
    report(`${UPLOADS} concurrent attachment downloads of ${TEN_MB} bytes`, down);
    for (const d of down.result) expect(d).toEqual({ status: 200, size: TEN_MB, digest });
    expect(down.growth).toBeLessThan(50 * MB);
    expect(await medium.partials()).toEqual([]);
  }, 120_000);

  it('ten concurrent 10 MB part uploads (two parts each) and their completion grow RSS by far less than 100 MB', async () => {
    const [user] = await t.makeUsers('memparts');
    const token = await t.userToken(user);
    const content = randomBytes(TEN_MB);
    const digest = sha256(content);
    const headers = { authorization: `Bearer ${token}` };
    const uploads: string[] = [];
    let partSize = 0;
    for (let i = 0; i < UPLOADS; i++) {
      const res = await fetch(`${base}/sdk/chatfiles/part-upload`, { method: 'POST', headers });
      const entity = ((await res.json()) as { entities: { uuid: string; part_lower_limit: number }[] }).entities[0]!;
      uploads.push(entity.uuid);
      partSize = entity.part_lower_limit;
    }
    const part = (n: number) => {
      const boundary = `----qunliaoPart${randomBytes(8).toString('hex')}`;
      return {
        head: Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="part_file"; filename="blob"\r\nContent-Type: application/octet-stream\r\n\r\n`),
        tail: Buffer.from(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="part_number"\r\n\r\n${n}\r\n--${boundary}--\r\n`),
        contentType: `multipart/form-data; boundary=${boundary}`,
      };
    };
    const slices = [content.subarray(0, partSize), content.subarray(partSize)];
    const measured = await peakGrowth(async () => {
      const parts = await Promise.all(
        uploads.flatMap((uuid) =>
          slices.map((bytes, i) => {
            const { head, tail, contentType } = part(i + 1);
            return send('PUT', `${base}/sdk/chatfiles/part-upload/${uuid}`, head, bytes, tail, contentType, { ...headers, 'restrict-access': 'true' });
          }),
        ),
      );
      expect(parts.map((p) => p.status), parts.map((p) => p.text).join('\n')).toEqual(Array(UPLOADS * 2).fill(200));
      return Promise.all(uploads.map((uuid) => fetch(`${base}/sdk/chatfiles/part-upload/${uuid}?restrict-access=true&chat-type=CHAT&chat-target=x`, { method: 'POST', headers })));
    });
    report(`${UPLOADS} concurrent part uploads of ${TEN_MB} bytes (parts and completion)`, measured);
    expect(measured.result.map((r) => r.status)).toEqual(Array(UPLOADS).fill(200));
    expect(measured.growth).toBeLessThan(50 * MB);
    const files = await Promise.all(measured.result.map(async (r) => ((await r.json()) as { entities: { uuid: string }[] }).entities[0]!.uuid));
    for (const uuid of files) expect(await medium.size(uuid)).toBe(TEN_MB);
    for (const uuid of [files[0]!, files[UPLOADS - 1]!]) {
      expect(await fetchDigest(`${base}/chatfiles/${uuid}`, { authorization: `Bearer ${t.adminToken}` })).toEqual({ status: 200, size: TEN_MB, digest });
    }
    // Only the assembled files are left: the parts went with their completion.
    const attachmentBlobs = (await medium.blobs()).filter((k) => !k.includes('-thumb'));
    expect(attachmentBlobs).toEqual(expect.arrayContaining(files));
    expect(await t.qunliao.store.db.selectFrom('chatfile_parts').select('blob_key').execute()).toEqual([]);
    expect(await medium.partials()).toEqual([]);
  }, 180_000);

  it('ten concurrent uploads of a 9 MB photo, each with its thumbnail made, grow RSS by far less than the 90 MB uploaded', async () => {
    const photo = await sharp({ create: { width: 2600, height: 2600, channels: 3, background: '#888', noise: { type: 'gaussian', mean: 128, sigma: 60 } } })
      .jpeg({ quality: 100 })
      .toBuffer();
    expect(photo.length).toBeGreaterThan(8 * MB);
    expect(photo.length).toBeLessThanOrEqual(TEN_MB);
    const headers = { authorization: `Bearer ${t.adminToken}`, 'restrict-access': 'true' };
    const { head, tail, contentType } = framing('photo.jpg');
    const imageHead = Buffer.from(head.toString().replace('application/octet-stream', 'image/jpeg'));
    // libvips starts its threads and pools with the first image: not what is measured here.
    const warmUp = await sharp({ create: { width: 400, height: 400, channels: 3, background: '#888', noise: { type: 'gaussian', mean: 128, sigma: 60 } } }).jpeg().toBuffer();
    expect((await send('POST', `${base}/chatfiles`, imageHead, warmUp, tail, contentType, headers)).status).toBe(200);
    const measured = await peakGrowth(() => Promise.all(Array.from({ length: UPLOADS }, () => send('POST', `${base}/chatfiles`, imageHead, photo, tail, contentType, headers))));
    report(`${UPLOADS} concurrent uploads of a ${photo.length}-byte JPEG with thumbnails`, measured);
    expect(measured.result.map((r) => r.status), measured.result.map((r) => r.text).join('\n')).toEqual(Array(UPLOADS).fill(200));
    expect(measured.growth).toBeLessThan(50 * MB);
    for (const uuid of uuidsOf(measured.result)) {
      const thumb = await fetch(`${base}/chatfiles/${uuid}?thumbnail=true`, { headers: { authorization: `Bearer ${t.adminToken}` } });
      expect(await sharp(Buffer.from(await thumb.arrayBuffer())).metadata()).toMatchObject({ width: 170, height: 170 });
    }
  }, 180_000);
});
