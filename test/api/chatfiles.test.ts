// Message attachments through the HTTP API, on SQLite and PostgreSQL (issue 15, "Attachments";
// docs/rest message_upload_file.md, message_download_file.md, message_download_thumbnail.md;
// client-protocol REST.md "Attachments / upload"): POST /chatfiles with the app token and with a
// user token as the web SDK sends it (restrict-access, ?chat-type=&chat-target=, thumbnail sizes
// as form fields) and as the Java SDK sends it (a `filename` field first, the URL made as
// uri + "/" + uuid); downloads by the share-secret (header or query, no token), the app token or
// the uploader, and nobody else; thumbnails of images (a real downscaled image), the original for
// anything else; the documented errors (no file, empty, too large, unknown and other-app ids,
// expired) leaving no blob and no row; the web SDK's part upload (begin, parts in any order and
// replaced, complete, abort) and its errors; an attachment message whose URL downloads; attachments
// surviving a restart's orphan sweep.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultLimits } from '../../src/config.js';
import { createQunliao } from '../../src/app.js';
import { databases, MAIN, OTHER, startApp, testConfig, type Reply, type TestApp } from '../support/harness.js';
import { expectError } from '../support/expect.js';
import { multipartBody, type FormPart } from '../support/multipart.js';
import { Devices } from '../support/ws.js';
import { sleep } from '../support/util.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TEN_MB = 10 * 1024 * 1024;

/** A noisy JPEG (well over 10 KB) of the given size. */
function jpeg(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

interface Entity {
  uuid: string;
  type: string;
  'share-secret': string;
  'file-metadata': { 'content-type': string; 'content-length': number };
}

describe.each(databases)('message attachments (%s)', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(kind);
  });
  afterAll(() => t?.close());

  const blobDir = (app: TestApp = t) => path.join(app.config.dataDir, 'blobs');
  const blobs = (app: TestApp = t) => fs.readdirSync(blobDir(app)).sort();
  const rows = async (app: TestApp = t) => (await app.qunliao.store.db.selectFrom('chatfiles').select('uuid').execute()).map((r) => r.uuid).sort();
  const partRows = async (app: TestApp = t) => (await app.qunliao.store.db.selectFrom('chatfile_parts').select('blob_key').execute()).length;

  interface UploadOptions {
    token?: string | null;
    headers?: Record<string, string>;
    query?: string;
    on?: TestApp;
    app?: typeof MAIN;
  }

  function post(parts: FormPart[], o: UploadOptions = {}): Promise<Reply> {
    const { payload, contentType } = multipartBody(parts);
    return (o.on ?? t).api('POST', `/chatfiles${o.query ?? ''}`, { payload, headers: { 'content-type': contentType, ...o.headers }, token: o.token, app: o.app });
  }

  const filePart = (content: Buffer | string, filename = 'a.bin', type = 'application/octet-stream'): FormPart => ({ field: 'file', filename, type, content });

  async function uploadOk(content: Buffer | string, o: UploadOptions & { filename?: string; type?: string; restrict?: boolean } = {}): Promise<Entity> {
    const headers = { ...(o.restrict === false ? {} : { 'restrict-access': 'true' }), ...o.headers };
    const res = await post([filePart(content, o.filename, o.type)], { ...o, headers });
    expect(res.status, res.text).toBe(200);
    return res.body.entities[0] as Entity;
  }

  async function get(url: string, headers: Record<string, string> = {}, on: TestApp = t) {
    const res = await on.qunliao.server.inject({ method: 'GET', url, headers });
    let body: Record<string, unknown> | undefined;
    try {
      body = JSON.parse(res.body) as Record<string, unknown>;
    } catch {
      body = undefined;
    }
    return { status: res.statusCode, headers: res.headers, bytes: res.rawPayload, body, text: res.body };
  }

  const fileUrl = (uuid: string, app = MAIN) => `/${app.org}/${app.app}/chatfiles/${uuid}`;
  const admin = () => ({ authorization: `Bearer ${t.adminToken}` });

  // ---------------------------------------------------------------- upload and download

  describe('upload', () => {
    it('answers the documented envelope: entities[0] uuid, type chatfile, share-secret, file-metadata; uri is the /chatfiles URL', async () => {
      const content = Buffer.concat([randomBytes(5000), Buffer.from('末尾')]);
      const res = await post([filePart(content, 'report.pdf', 'application/pdf')], { headers: { 'restrict-access': 'true' } });
      expect(res.status, res.text).toBe(200);
      expect(Object.keys(res.body)).toEqual(['action', 'application', 'path', 'uri', 'entities', 'timestamp', 'duration', 'organization', 'applicationName']);
      expect(res.body).toMatchObject({ action: 'post', path: '/chatfiles', organization: 'acme', applicationName: 'chat' });
      expect(res.body.uri).toMatch(/^http:\/\/[^/]+\/acme\/chat\/chatfiles$/);
      const [entity] = res.body.entities as Entity[];
      expect(entity!.uuid).toMatch(UUID);
      expect(entity!.type).toBe('chatfile');
      expect(entity!['share-secret']).toEqual(expect.any(String));
      expect(entity!['file-metadata']).toEqual({ 'content-type': 'application/pdf', 'content-length': content.length });

      const down = await get(fileUrl(entity!.uuid), admin());
      expect(down.status).toBe(200);
      expect(down.bytes.equals(content)).toBe(true);
      expect(down.headers['content-type']).toBe('application/pdf');
      expect(Number(down.headers['content-length'])).toBe(content.length);
      expect(String(down.headers['content-disposition'])).toContain('report.pdf');
      expect(down.headers['x-content-type-options']).toBe('nosniff');
    });

    it('takes the web SDK upload: user token, ?chat-type=&chat-target=, restrict-access: true, Accept */*, thumbnail sizes as form fields', async () => {
      const [alice] = await t.makeUsers('websdk');
      const token = await t.userToken(alice);
      const content = randomBytes(20_000);
      const res = await post(
        [filePart(content, 'voice.amr', 'audio/amr'), { field: 'thumbnail-width', content: '100' }, { field: 'thumbnail-height', content: '100' }],
        { token, query: `?chat-type=CHAT&chat-target=${alice}`, headers: { 'restrict-access': 'true', accept: '*/*' } },
      );
      expect(res.status, res.text).toBe(200);
      const entity = res.body.entities[0] as Entity;
      // The message URL the SDK builds: {apiUrl}/{org}/{app}/chatfiles/{uuid}?em-redirect=true&share-secret=…
      const url = `${fileUrl(entity.uuid)}?em-redirect=true&share-secret=${encodeURIComponent(entity['share-secret'])}`;
      const down = await get(url);
      expect(down.status, down.text).toBe(200);
      expect(down.bytes.equals(content)).toBe(true);
      expect(down.headers['content-type']).toBe('audio/amr');
    });

    it('takes the Java SDK upload (a `filename` field before the file) and serves the URL it builds as uri + "/" + uuid', async () => {
      const content = randomBytes(3000);
      const res = await post([{ field: 'filename', content: 'java.bin' }, filePart(content, 'java.bin')], { headers: { 'restrict-access': 'false' } });
      expect(res.status, res.text).toBe(200);
      const url = new URL(`${res.body.uri}/${res.body.entities[0].uuid}`);
      const down = await get(url.pathname, admin());
      expect(down.status).toBe(200);
      expect(down.bytes.equals(content)).toBe(true);
    });

    it('keeps only the base name of a client path, and records the uploader', async () => {
      const [bob] = await t.makeUsers('owner');
      const e = await uploadOk('x', { token: await t.userToken(bob), filename: 'C:\\Users\\bob\\photos\\cat.txt' });
      const row = await t.qunliao.store.chatfiles.findFile(e.uuid);
      expect(row).toMatchObject({ file_name: 'cat.txt', owner: bob });
      const byAdmin = await uploadOk('y');
      expect((await t.qunliao.store.chatfiles.findFile(byAdmin.uuid))?.owner).toBe('admin');
    });
  });

  describe('who may download', () => {
    let restricted: Entity;
    let open: Entity;
    let uploader: string;
    let other: string;
    const content = randomBytes(4096);
    beforeAll(async () => {
      [uploader, other] = await t.makeUsers('upl', 'oth');
      restricted = await uploadOk(content, { token: await t.userToken(uploader), restrict: true });
      open = await uploadOk(content, { token: await t.userToken(uploader), restrict: false });
    });

    it('a restricted file: the share-secret as header or query (no token), the app token, the uploader', async () => {
      const secret = restricted['share-secret'];
      for (const [url, headers] of [
        [fileUrl(restricted.uuid), { 'share-secret': secret }],
        [`${fileUrl(restricted.uuid)}?share-secret=${encodeURIComponent(secret)}`, {}],
        [fileUrl(restricted.uuid), admin()],
        [fileUrl(restricted.uuid), { authorization: `Bearer ${await t.userToken(uploader)}` }],
        [`${fileUrl(restricted.uuid)}?share-secret=${encodeURIComponent(secret)}`, { authorization: `Bearer ${await t.userToken(other)}`, accept: 'application/json' }],
      ] as const) {
        const down = await get(url, headers);
        expect(down.status, `${url} ${JSON.stringify(headers)}: ${down.text}`).toBe(200);
        expect(down.bytes.equals(content)).toBe(true);
      }
    });

    it('a restricted file refuses no token, a wrong secret and another user with 403 "chatfile no permission"', async () => {
      const refused: Record<string, string>[] = [{}, { 'share-secret': 'wrong' }, { authorization: `Bearer ${await t.userToken(other)}` }];
      for (const headers of refused) {
        const down = await get(fileUrl(restricted.uuid), headers);
        expect(down.status, down.text).toBe(403);
        expect(down.body).toMatchObject({ error: 'forbidden_op', error_description: 'chatfile no permission' });
      }
      const wrongQuery = await get(`${fileUrl(restricted.uuid)}?share-secret=nope`);
      expect(wrongQuery.status).toBe(403);
    });

    it('an unrestricted file is anyone’s, a browser <img> fetch included', async () => {
      const down = await get(fileUrl(open.uuid));
      expect(down.status).toBe(200);
      expect(down.bytes.equals(content)).toBe(true);
    });

    it('an invalid token is refused with 401', async () => {
      const down = await get(fileUrl(open.uuid), { authorization: 'Bearer not-a-token' });
      expect(down.status).toBe(401);
    });
  });

  // ---------------------------------------------------------------- errors

  describe('refused uploads leave no blob and no row', () => {
    let before: { blobs: string[]; rows: string[] };
    beforeAll(async () => {
      before = { blobs: blobs(), rows: await rows() };
    });
    afterEach(async () => {
      expect(blobs()).toEqual(before.blobs);
      expect(await rows()).toEqual(before.rows);
      expect(fs.readdirSync(path.join(t.config.dataDir, 'blobs-tmp'))).toEqual([]);
    });

    it('no token: 401', async () => {
      expectError(await post([filePart('x')], { token: null }), 401);
    });

    it('no file part: 400 illegal_argument "file must be provided."', async () => {
      expectError(await post([{ field: 'note', content: 'no file here' }]), 400, 'illegal_argument', 'file must be provided.');
    });

    it('an empty file: 400 illegal_argument', async () => {
      expectError(await post([filePart(Buffer.alloc(0))]), 400, 'illegal_argument', 'file must not be empty.');
    });

    it('not multipart: 400', async () => {
      expectError(await t.api('POST', '/chatfiles', { body: { file: 'x' } }), 400, 'invalid_parameter', 'the file must be sent as multipart/form-data');
    });

    it('a body cut short (no closing boundary): 400', async () => {
      const { payload, contentType } = multipartBody([filePart(randomBytes(50_000))]);
      const cut = payload.subarray(0, payload.length - 30);
      expectError(await t.api('POST', '/chatfiles', { payload: cut, headers: { 'content-type': contentType } }), 400, 'invalid_parameter', 'the multipart/form-data body is malformed');
    });

    it('a multipart Content-Type without boundary: 400', async () => {
      expectError(await t.api('POST', '/chatfiles', { payload: 'abc', headers: { 'content-type': 'multipart/form-data' } }), 400);
    });

    it('restrict-access that is no boolean: 400', async () => {
      expectError(await post([filePart('x')], { headers: { 'restrict-access': 'maybe' } }), 400, 'invalid_parameter', 'restrict-access must be true, false, 1 or 0');
    });

    it('a NUL byte in the file name: 400', async () => {
      expectError(await post([filePart('x', 'a\u0000b.txt')]), 400, 'invalid_parameter');
    });

    it('10,485,761 bytes: 413 "file exceeding maximum limit"', async () => {
      expectError(await post([filePart(randomBytes(TEN_MB + 1))]), 413, 'file exceeding maximum limit', 'the file size exceeds the maximum limit.');
    }, 30_000);

    it('exactly 10,485,760 bytes are taken (then removed again by this test)', async () => {
      const content = randomBytes(TEN_MB);
      const e = await uploadOk(content);
      const down = await get(fileUrl(e.uuid), admin());
      expect(down.bytes.equals(content)).toBe(true);
      // Put back what afterEach compares with.
      await t.qunliao.store.chatfiles.deleteFiles([e.uuid]);
      fs.rmSync(path.join(blobDir(), e.uuid));
    }, 30_000);
  });

  describe('unknown files', () => {
    it('an unknown or malformed uuid: 404 entity_not_found "file may not exists"', async () => {
      for (const id of [randomUUID(), 'not-a-uuid', 'A'.repeat(36)]) {
        const down = await get(fileUrl(id), admin());
        expect(down.status, id).toBe(404);
        expect(down.body).toMatchObject({ error: 'entity_not_found', error_description: 'file may not exists' });
      }
    });

    it("another app's file is not found in this app, with any token or secret", async () => {
      const otherToken = await t.appToken(OTHER);
      const res = await post([filePart('other app')], { token: otherToken, app: OTHER, headers: { 'restrict-access': 'true' } });
      expect(res.status, res.text).toBe(200);
      const e = res.body.entities[0] as Entity;
      const down = await get(fileUrl(e.uuid, MAIN), { ...admin(), 'share-secret': e['share-secret'] });
      expect(down.status).toBe(404);
      expect(down.body).toMatchObject({ error: 'entity_not_found' });
      const own = await get(fileUrl(e.uuid, OTHER), { authorization: `Bearer ${otherToken}` });
      expect(own.bytes.toString()).toBe('other app');
    });
  });

  // ---------------------------------------------------------------- thumbnails

  describe('thumbnails', () => {
    it('an image over 10 KB gets a real thumbnail fitting thumbnail-width × thumbnail-height (headers), upright and in its format', async () => {
      const image = await jpeg(800, 600);
      expect(image.length).toBeGreaterThan(10 * 1024);
      const e = await uploadOk(image, { filename: 'photo.jpg', type: 'image/jpeg', headers: { 'thumbnail-width': '100', 'thumbnail-height': '100' } });
      for (const [url, headers] of [
        [fileUrl(e.uuid), { ...admin(), thumbnail: 'true' }],
        [`${fileUrl(e.uuid)}?em-redirect=true&thumbnail=true&share-secret=${encodeURIComponent(e['share-secret'])}`, {}],
      ] as const) {
        const down = await get(url, headers);
        expect(down.status, down.text).toBe(200);
        expect(down.headers['content-type']).toBe('image/jpeg');
        expect(down.bytes.length).toBeLessThan(image.length);
        const meta = await sharp(down.bytes).metadata();
        expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 100, 75]);
      }
      const original = await get(fileUrl(e.uuid), admin());
      expect(original.bytes.equals(image)).toBe(true);
    });

    it('the web SDK sends the sizes as form fields; without any, 170 × 170; a PNG stays a PNG; never enlarged', async () => {
      const png = await sharp({ create: { width: 1000, height: 500, channels: 4, background: '#00000000', noise: { type: 'gaussian', mean: 100, sigma: 50 } } }).png().toBuffer();
      const sized = await uploadOk(png, { type: 'image/png', filename: 'a.png' });
      const res = await post([filePart(png, 'b.png', 'image/png'), { field: 'thumbnail-width', content: '50' }, { field: 'thumbnail-height', content: '300' }], {
        headers: { 'restrict-access': 'true' },
      });
      const fielded = res.body.entities[0] as Entity;
      const small = await uploadOk(await jpeg(120, 90), { type: 'image/jpeg', headers: { 'thumbnail-width': '500', 'thumbnail-height': '500' } });
      const thumb = async (e: Entity) => sharp((await get(fileUrl(e.uuid), { ...admin(), thumbnail: '1' })).bytes).metadata();
      expect(await thumb(sized)).toMatchObject({ format: 'png', width: 170, height: 85 });
      expect(await thumb(fielded)).toMatchObject({ format: 'png', width: 50, height: 25 });
      expect(await thumb(small)).toMatchObject({ width: 120, height: 90 });
    });

    it('sizes that are no positive integer up to 4096 get the default', async () => {
      const e = await uploadOk(await jpeg(400, 400), { type: 'image/jpeg', headers: { 'thumbnail-width': 'undefined', 'thumbnail-height': '99999' } });
      expect(await sharp((await get(fileUrl(e.uuid), { ...admin(), thumbnail: 'true' })).bytes).metadata()).toMatchObject({ width: 170, height: 170 });
    });

    it('an image of 10 KB or less is its own thumbnail; a non-image, a corrupt image and ?vframe=true answer the file itself', async () => {
      const tiny = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#ff0000' } }).png().toBuffer();
      const corrupt = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(30_000)]);
      const video = Buffer.concat([Buffer.from('\0\0\0\x18ftypmp42'), randomBytes(40_000)]);
      for (const [content, type] of [
        [tiny, 'image/png'],
        [randomBytes(30_000), 'application/octet-stream'],
        [corrupt, 'image/jpeg'],
        [video, 'video/mp4'],
      ] as const) {
        const e = await uploadOk(content, { type });
        for (const url of [`${fileUrl(e.uuid)}?thumbnail=true`, `${fileUrl(e.uuid)}?vframe=true`]) {
          const down = await get(url, admin());
          expect(down.status).toBe(200);
          expect(down.bytes.equals(content), `${type} ${url}`).toBe(true);
          expect(down.headers['content-type']).toBe(type);
        }
        expect((await t.qunliao.store.chatfiles.findFile(e.uuid))?.thumbnail_key).toBeNull();
      }
    });

    it('the thumbnail is a blob of its own', async () => {
      const e = await uploadOk(await jpeg(300, 300), { type: 'image/jpeg' });
      expect(blobs()).toEqual(expect.arrayContaining([e.uuid, `${e.uuid}-thumb`]));
    });
  });

  // ---------------------------------------------------------------- lifetime

  describe('a configured lifetime (QUNLIAO_ATTACHMENT_TTL)', () => {
    let short: TestApp;
    beforeAll(async () => {
      short = await startApp(kind, { attachmentTtl: 1 });
    });
    afterAll(() => short?.close());

    it('a file past it answers 404 file_expired; the sweep then removes row and bytes (thumbnail too)', async () => {
      const image = await jpeg(300, 300);
      const res = await post([filePart(image, 'e.jpg', 'image/jpeg')], { on: short, headers: { 'restrict-access': 'false' } });
      const e = res.body.entities[0] as Entity;
      expect((await get(fileUrl(e.uuid), {}, short)).status).toBe(200);
      expect(blobs(short)).toEqual([e.uuid, `${e.uuid}-thumb`].sort());
      await sleep(1100);
      const expired = await get(fileUrl(e.uuid), {}, short);
      expect(expired.status).toBe(404);
      expect(expired.body).toMatchObject({ error: 'file_expired', error_description: `file ${e.uuid} is expired` });
      await short.qunliao.services.blobSweep.removeExpired();
      expect(blobs(short)).toEqual([]);
      expect(await rows(short)).toEqual([]);
      expect((await get(fileUrl(e.uuid), {}, short)).body).toMatchObject({ error: 'entity_not_found' });
    });

    it('without one, files stay (the default)', async () => {
      const e = await uploadOk('stays');
      await t.qunliao.services.blobSweep.removeExpired();
      expect((await get(fileUrl(e.uuid), admin())).bytes.toString()).toBe('stays');
    });
  });

  describe('a lowered limit (QUNLIAO_ATTACHMENT_BYTES)', () => {
    let small: TestApp;
    beforeAll(async () => {
      small = await startApp(kind, { limits: { ...defaultLimits, attachmentBytes: 1000 } });
    });
    afterAll(() => small?.close());

    it('takes exactly the limit and refuses one byte more with 413, leaving nothing', async () => {
      const ok = await post([filePart(randomBytes(1000))], { on: small });
      expect(ok.status, ok.text).toBe(200);
      const kept = blobs(small);
      expectError(await post([filePart(randomBytes(1001))], { on: small }), 413, 'file exceeding maximum limit');
      expect(blobs(small)).toEqual(kept);
      expect(await rows(small)).toEqual([ok.body.entities[0].uuid]);
    });

    it('part uploads answer the limit as file_upper_limit and refuse parts adding up to more', async () => {
      const begin = await small.api('POST', '/sdk/chatfiles/part-upload');
      expect(begin.body.entities[0].file_upper_limit).toBe(1000);
      const uuid = begin.body.entities[0].uuid as string;
      const put = (n: number, bytes: number) => {
        const { payload, contentType } = multipartBody([{ field: 'part_file', filename: 'blob', content: randomBytes(bytes) }, { field: 'part_number', content: String(n) }]);
        return small.api('PUT', `/sdk/chatfiles/part-upload/${uuid}`, { payload, headers: { 'content-type': contentType } });
      };
      expect((await put(1, 600)).status).toBe(200);
      const kept = blobs(small);
      expectError(await put(2, 401), 413, 'file exceeding maximum limit');
      expect(blobs(small)).toEqual(kept);
      // Replacing part 1 by a smaller one makes room.
      expect((await put(1, 500)).status).toBe(200);
      expect((await put(2, 500)).status).toBe(200);
      const done = await small.api('POST', `/sdk/chatfiles/part-upload/${uuid}`);
      expect(done.status, done.text).toBe(200);
      expect(done.body.entities[0]['file-metadata']['content-length']).toBe(1000);
    });
  });

  // ---------------------------------------------------------------- part upload

  describe('part upload (/sdk/chatfiles/part-upload)', () => {
    let user: string;
    let token: string;
    beforeAll(async () => {
      [user] = await t.makeUsers('parts');
      token = await t.userToken(user);
    });

    const begin = async (tok: string | null = token) => {
      const res = await t.api('POST', '/sdk/chatfiles/part-upload', { token: tok });
      expect(res.status, res.text).toBe(200);
      return res.body.entities[0] as { uuid: string; file_upper_limit: number; part_lower_limit: number };
    };
    /** As the SDK sends a part: `part_file` first, then `part_number`. */
    const putPart = (uuid: string, n: string | undefined, content: Buffer, tok: string | null = token) => {
      const parts: FormPart[] = [{ field: 'part_file', filename: 'blob', type: 'application/octet-stream', content }];
      if (n !== undefined) parts.push({ field: 'part_number', content: n });
      const { payload, contentType } = multipartBody(parts);
      return t.api('PUT', `/sdk/chatfiles/part-upload/${uuid}`, { payload, token: tok, headers: { 'content-type': contentType, 'restrict-access': 'true', accept: '*/*' } });
    };
    const complete = (uuid: string, query = '?restrict-access=true&chat-type=GROUP&chat-target=123', tok: string | null = token) =>
      t.api('POST', `/sdk/chatfiles/part-upload/${uuid}${query}`, { token: tok });

    it('begin answers entities[0] uuid, file_upper_limit (10 MB) and part_lower_limit (5 MiB)', async () => {
      const b = await begin();
      expect(b).toEqual({ uuid: expect.stringMatching(UUID), file_upper_limit: TEN_MB, part_lower_limit: 5 * 1024 * 1024 });
    });

    it('parts sent in any order, one sent twice, become one file that downloads as their concatenation; the parts are removed', async () => {
      const b = await begin();
      const p1 = await jpeg(900, 700);
      const p2 = randomBytes(30_000);
      const p3 = randomBytes(777);
      const blobsBefore = blobs();
      expect((await putPart(b.uuid, '3', p3)).status).toBe(200);
      expect((await putPart(b.uuid, '2', randomBytes(100))).status).toBe(200);
      const two = await putPart(b.uuid, '2', p2);
      expect(two.status, two.text).toBe(200);
      expect(two.body.entities[0]).toEqual({ part_number: 2, part_size: p2.length });
      expect((await putPart(b.uuid, '1', p1)).status).toBe(200);
      // Three part blobs (the replaced one is gone).
      expect(blobs().length).toBe(blobsBefore.length + 3);

      const done = await complete(b.uuid, '?restrict-access=true&chat-type=GROUP&chat-target=123&thumbnail-width=60&thumbnail-height=60');
      expect(done.status, done.text).toBe(200);
      expect(done.body.uri).toMatch(/\/acme\/chat\/chatfiles$/);
      const e = done.body.entities[0] as Entity;
      expect(e.uuid).toMatch(UUID);
      expect(e['file-metadata']).toEqual({ 'content-type': 'image/jpeg', 'content-length': p1.length + p2.length + p3.length });
      const down = await get(`${fileUrl(e.uuid)}?share-secret=${encodeURIComponent(e['share-secret'])}`);
      expect(down.status).toBe(200);
      expect(down.bytes.equals(Buffer.concat([p1, p2, p3]))).toBe(true);
      // The file and its thumbnail replace the parts.
      expect(blobs()).toEqual([...blobsBefore, e.uuid, `${e.uuid}-thumb`].sort());
      expect(await partRows()).toBe(0);
      // The upload is gone: a second complete, a part or an abort find nothing.
      expectError(await complete(b.uuid), 404, 'entity_not_found', `part upload ${b.uuid} does not exist`);
      expectError(await putPart(b.uuid, '4', p3), 404, 'entity_not_found');
      expect(blobs()).toEqual([...blobsBefore, e.uuid, `${e.uuid}-thumb`].sort());
    });

    it('complete answers the restriction it is asked for', async () => {
      const b = await begin();
      await putPart(b.uuid, '1', Buffer.from('open'));
      const done = await complete(b.uuid, '?restrict-access=false');
      const down = await get(fileUrl(done.body.entities[0].uuid));
      expect(down.bytes.toString()).toBe('open');
    });

    it('abort removes the parts; the upload is gone', async () => {
      const blobsBefore = blobs();
      const b = await begin();
      await putPart(b.uuid, '1', randomBytes(1000));
      await putPart(b.uuid, '2', randomBytes(1000));
      const res = await t.api('DELETE', `/sdk/chatfiles/part-upload/${b.uuid}`, { token });
      expect(res.status, res.text).toBe(200);
      expect(blobs()).toEqual(blobsBefore);
      expectError(await t.api('DELETE', `/sdk/chatfiles/part-upload/${b.uuid}`, { token }), 404, 'entity_not_found');
      expectError(await complete(b.uuid), 404);
    });

    it('refused parts leave no blob: no part_number, a bad one, an empty part, no part file', async () => {
      const b = await begin();
      const blobsBefore = blobs();
      expectError(await putPart(b.uuid, undefined, randomBytes(100)), 400, 'illegal_argument', 'part_number must be an integer from 1 to 10000');
      for (const n of ['0', '10001', 'abc', '1.5', '-1', '']) {
        expectError(await putPart(b.uuid, n, randomBytes(100)), 400, 'illegal_argument', 'part_number must be an integer from 1 to 10000');
      }
      expectError(await putPart(b.uuid, '1', Buffer.alloc(0)), 400, 'illegal_argument', 'file must not be empty.');
      const { payload, contentType } = multipartBody([{ field: 'part_number', content: '1' }]);
      expectError(await t.api('PUT', `/sdk/chatfiles/part-upload/${b.uuid}`, { payload, token, headers: { 'content-type': contentType } }), 400, 'illegal_argument', 'file must be provided.');
      expectError(await t.api('PUT', `/sdk/chatfiles/part-upload/${b.uuid}`, { body: {}, token }), 400);
      expect(blobs()).toEqual(blobsBefore);
      expect(await partRows()).toBe(0);
    });

    it('complete refuses an upload without parts or with a gap, and keeps it for the missing part', async () => {
      const b = await begin();
      expectError(await complete(b.uuid), 400, 'illegal_argument', `part upload ${b.uuid} has no parts`);
      await putPart(b.uuid, '1', Buffer.from('one '));
      await putPart(b.uuid, '3', Buffer.from('three'));
      const blobsBefore = blobs();
      expectError(await complete(b.uuid), 400, 'illegal_argument', `part 2 of part upload ${b.uuid} is missing: parts are numbered from 1 without gaps`);
      expect(blobs()).toEqual(blobsBefore);
      await putPart(b.uuid, '2', Buffer.from('two '));
      const done = await complete(b.uuid, '?restrict-access=false');
      expect((await get(fileUrl(done.body.entities[0].uuid))).bytes.toString()).toBe('one two three');
    });

    it('an upload is its starter’s: another user finds nothing; the app token may use any; unknown ids are 404', async () => {
      const b = await begin();
      const [stranger] = await t.makeUsers('stranger');
      const strangerToken = await t.userToken(stranger);
      expectError(await putPart(b.uuid, '1', Buffer.from('x'), strangerToken), 404, 'entity_not_found');
      expectError(await complete(b.uuid, '', strangerToken), 404);
      expectError(await t.api('DELETE', `/sdk/chatfiles/part-upload/${b.uuid}`, { token: strangerToken }), 404);
      expect((await putPart(b.uuid, '1', Buffer.from('by admin'), t.adminToken)).status).toBe(200);
      const done = await complete(b.uuid, '?restrict-access=false', t.adminToken);
      expect(done.status).toBe(200);
      // The file is the starter's.
      expect((await t.qunliao.store.chatfiles.findFile(done.body.entities[0].uuid))?.owner).toBe(user);
      expectError(await putPart(randomUUID(), '1', Buffer.from('x')), 404, 'entity_not_found');
      expectError(await t.api('POST', '/sdk/chatfiles/part-upload', { token: null }), 401);
      // An upload begun in another app is not found in this one.
      const inOther = await t.api('POST', '/sdk/chatfiles/part-upload', { app: OTHER, token: await t.appToken(OTHER) });
      expectError(await putPart(inOther.body.entities[0].uuid as string, '1', Buffer.from('x'), t.adminToken), 404);
    });
  });

  // ---------------------------------------------------------------- attachment messages

  describe('attachment messages', () => {
    let devices: Devices;
    beforeAll(async () => {
      devices = await Devices.listen(t);
    });
    afterAll(() => devices.closeAll());

    it.each(['img', 'file', 'audio', 'video'] as const)('a %s message carries a URL that downloads from qunliao', async (type) => {
      const [from, to] = await t.makeUsers('msgfrom', 'msgto');
      const content = type === 'img' ? await jpeg(200, 150) : randomBytes(12_345);
      const e = await uploadOk(content, { token: await t.userToken(from), filename: `a.${type}`, type: type === 'img' ? 'image/jpeg' : 'application/octet-stream' });
      const uploadedUri = `http://localhost/acme/chat/chatfiles/${e.uuid}`;
      const body: Record<string, unknown> = { url: uploadedUri, filename: `a.${type}`, secret: e['share-secret'] };
      if (type === 'video') Object.assign(body, { thumb: `${uploadedUri}?vframe=true`, thumb_secret: e['share-secret'], length: 3, file_length: content.length });
      if (type === 'audio') body.length = 3;
      const device = await devices.connect(to);
      const sent = await t.api('POST', '/messages/users', { body: { from, to: [to], type, body } });
      expect(sent.status, sent.text).toBe(200);
      const frame = await device.waitFor((f) => f.message?.type === type, `the ${type} message`);
      const got = frame.message!.body as { url: string; secret: string };
      const down = await get(new URL(got.url).pathname, { 'share-secret': got.secret });
      expect(down.status, down.text).toBe(200);
      expect(down.bytes.equals(content)).toBe(true);
    });
  });

  // ---------------------------------------------------------------- restart

  describe('restart', () => {
    it('attachments, thumbnails and parts of an upload in progress survive the orphan sweep at start; true orphans go', async () => {
      const file = await uploadOk(Buffer.from('kept over a restart'));
      const image = await uploadOk(await jpeg(400, 300), { type: 'image/jpeg' });
      const [user] = await t.makeUsers('restart');
      const token = await t.userToken(user);
      const b = (await t.api('POST', '/sdk/chatfiles/part-upload', { token })).body.entities[0].uuid as string;
      const { payload, contentType } = multipartBody([{ field: 'part_file', filename: 'blob', content: Buffer.from('part one ') }, { field: 'part_number', content: '1' }]);
      expect((await t.api('PUT', `/sdk/chatfiles/part-upload/${b}`, { payload, token, headers: { 'content-type': contentType } })).status).toBe(200);
      const partKey = (await t.qunliao.store.chatfiles.parts(b))[0]!.blob_key;
      const orphan = randomUUID();
      fs.writeFileSync(path.join(blobDir(), orphan), 'orphan');
      const old = Date.now() / 1000 - 3600;
      for (const key of [file.uuid, image.uuid, `${image.uuid}-thumb`, partKey, orphan]) fs.utimesSync(path.join(blobDir(), key), old, old);

      const second = await createQunliao(testConfig(t.config.dataDir, { db: t.config.db }));
      await second.server.close();

      expect(fs.existsSync(path.join(blobDir(), orphan))).toBe(false);
      for (const key of [file.uuid, image.uuid, `${image.uuid}-thumb`, partKey]) expect(fs.existsSync(path.join(blobDir(), key)), key).toBe(true);
      expect((await get(fileUrl(file.uuid), admin())).bytes.toString()).toBe('kept over a restart');
      expect((await get(fileUrl(image.uuid), { ...admin(), thumbnail: 'true' })).headers['content-type']).toBe('image/jpeg');
      const { payload: p2, contentType: c2 } = multipartBody([{ field: 'part_file', filename: 'blob', content: Buffer.from('part two') }, { field: 'part_number', content: '2' }]);
      expect((await t.api('PUT', `/sdk/chatfiles/part-upload/${b}`, { payload: p2, token, headers: { 'content-type': c2 } })).status).toBe(200);
      const done = await t.api('POST', `/sdk/chatfiles/part-upload/${b}?restrict-access=false`, { token });
      expect((await get(fileUrl(done.body.entities[0].uuid))).bytes.toString()).toBe('part one part two');
    });
  });
});
