// Group announcement and shared files (seed 000 "管理群公告与群文件"), with the rules:
// announcement ≤ 512 characters; uploads as multipart part `file`, ≤ 10 MB (10,485,760 bytes),
// base name only, `restrict-access` true/false/1/0; list newest first with pagesize 1..1000;
// download returns the raw bytes unless only JSON is accepted; restricted files readable only by
// the admin token, members' user tokens or the share-secret URL; delete; 10,000 files per group;
// blobs removed on dissolve and on owner deletion; bytes survive a restart; old orphan blobs are
// removed at start. CLIENTS.md: SDKs send full client paths, `restrict-access: 1`, per-part
// Content-Length, and download with `Accept: application/octet-stream` or `*/*`.
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultLimits, type AppSeed } from '../../src/config.js';
import { createQunliao, type Qunliao } from '../../src/app.js';
import { databases, MAIN, OTHER, startApp, testConfig, type Reply, type TestApp } from '../support/harness.js';
import { expectError as expectErrorReply } from '../support/expect.js';

const TEN_MB = 10 * 1024 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MISSING_GROUP = '999999999999999';

interface FilePart {
  /** Form field name; `file` unless given. */
  field?: string;
  /** The filename of the part's content-disposition; none for a plain field. */
  filename?: string;
  type?: string;
  content: Buffer | string;
  /** Extra part headers (e.g. a per-part Content-Length). */
  headers?: Record<string, string>;
}

/** A multipart/form-data body built by hand, so that the bytes on the wire are exactly known. */
function multipart(parts: FilePart[]): { payload: Buffer; contentType: string } {
  const boundary = `----qunliaoTest${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const content = typeof p.content === 'string' ? Buffer.from(p.content, 'utf8') : p.content;
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.field ?? 'file'}"`;
    if (p.filename !== undefined) head += `; filename="${p.filename}"`;
    head += '\r\n';
    if (p.type) head += `Content-Type: ${p.type}\r\n`;
    for (const [k, v] of Object.entries(p.headers ?? {})) head += `${k}: ${v}\r\n`;
    chunks.push(Buffer.from(`${head}\r\n`, 'utf8'), content, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** The file name of a content-disposition header (RFC 6266 `filename*` preferred). */
function dispositionName(header: unknown): string | undefined {
  const value = String(header ?? '');
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(value);
  if (star) return decodeURIComponent(star[1]!.trim());
  const plain = /filename\s*=\s*"([^"]*)"/i.exec(value);
  return plain?.[1];
}

/** Bytes of an inject reply (the harness keeps the body as text, which would mangle binary). */
async function rawGet(q: Qunliao, url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; bytes: Buffer }> {
  const res = await q.server.inject({ method: 'GET', url, headers });
  return { status: res.statusCode, headers: res.headers, bytes: res.rawPayload };
}

/** The shared error check; here every error must carry a string error_description, also when none is given. */
function expectError(res: Reply, status: number, error?: string, description?: string | RegExp): void {
  expectErrorReply(res, status, error, description);
  expect(res.body, res.text).toMatchObject({ error_description: expect.any(String) });
}

describe.each(databases)('group announcement and shared files (%s)', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(kind);
  });
  afterAll(() => t.close());

  /** A fresh group with a fresh owner. */
  async function freshGroup(app: TestApp = t): Promise<{ gid: string; owner: string }> {
    const [owner] = await app.makeUsers('own');
    return { gid: await app.createGroup(owner), owner };
  }

  interface UploadOptions {
    restrict?: string;
    token?: string | null;
    app?: AppSeed;
    type?: string;
    on?: TestApp;
    partHeaders?: Record<string, string>;
  }

  function upload(gid: string, filename: string, content: Buffer | string, o: UploadOptions = {}): Promise<Reply> {
    const { payload, contentType } = multipart([{ filename, content, type: o.type ?? 'application/octet-stream', headers: o.partHeaders }]);
    const headers: Record<string, string> = { 'content-type': contentType, accept: 'application/json' };
    if (o.restrict !== undefined) headers['restrict-access'] = o.restrict;
    return (o.on ?? t).api('POST', `/chatgroups/${gid}/share_files`, { payload, headers, token: o.token, app: o.app });
  }

  async function uploadOk(gid: string, filename: string, content: Buffer | string, o: UploadOptions = {}) {
    const res = await upload(gid, filename, content, o);
    expect(res.status, res.text).toBe(200);
    return res.body.data as { file_id: string; file_name: string; file_url: string; file_size: number; created: number; group_id: string; file_owner: string };
  }

  async function list(gid: string, query = '', app: TestApp = t) {
    const res = await app.api('GET', `/chatgroups/${gid}/share_files${query}`);
    expect(res.status, res.text).toBe(200);
    expect(Array.isArray(res.body.data)).toBe(true);
    return res.body.data as { file_id: string; file_name: string; file_owner: string; file_size: number; created: number }[];
  }

  const fileUrl = (gid: string, fid: string, app: AppSeed = MAIN) => `/${app.org}/${app.app}/chatgroups/${gid}/share_files/${fid}`;

  function download(gid: string, fid: string, o: { accept?: string; token?: string | null; query?: string; on?: TestApp } = {}) {
    const headers: Record<string, string> = {};
    if (o.accept !== undefined) headers.accept = o.accept;
    const token = o.token === undefined ? (o.on ?? t).adminToken : o.token;
    if (token) headers.authorization = `Bearer ${token}`;
    return rawGet((o.on ?? t).qunliao, `${fileUrl(gid, fid)}${o.query ?? ''}`, headers);
  }

  const blobDir = (app: TestApp = t) => path.join(app.config.dataDir, 'blobs');
  const tmpDir = (app: TestApp = t) => path.join(app.config.dataDir, 'blobs-tmp');
  const ls = (dir: string): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []);
  const blobExists = (fid: string, app: TestApp = t) => fs.existsSync(path.join(blobDir(app), fid));

  // ---------------------------------------------------------------- announcement

  describe('announcement', () => {
    it('is empty at first, then set and read back', async () => {
      const { gid } = await freshGroup();
      const first = await t.api('GET', `/chatgroups/${gid}/announcement`);
      expect(first.status, first.text).toBe(200);
      expect(first.body.data).toEqual({ announcement: '' });
      const set = await t.api('POST', `/chatgroups/${gid}/announcement`, { body: { announcement: '群组公告 hello' } });
      expect(set.status, set.text).toBe(200);
      expect(set.body.data).toEqual({ id: gid, result: true });
      expect(set.body.action).toBe('post');
      const back = await t.api('GET', `/chatgroups/${gid}/announcement`);
      expect(back.body.data.announcement).toBe('群组公告 hello');
      expect(back.body.action).toBe('get');
    });

    it('counts characters, not bytes: 512 Chinese characters fit, 513 are refused and the old announcement is kept', async () => {
      const { gid } = await freshGroup();
      const max = '公'.repeat(512); // 1,536 bytes in UTF-8
      const ok = await t.api('POST', `/chatgroups/${gid}/announcement`, { body: { announcement: max } });
      expect(ok.status, ok.text).toBe(200);
      expect((await t.api('GET', `/chatgroups/${gid}/announcement`)).body.data.announcement).toBe(max);

      const over = await t.api('POST', `/chatgroups/${gid}/announcement`, { body: { announcement: '告'.repeat(513) } });
      expectError(over, 403, 'forbidden_op', 'announce info length exceeds limit!');
      const asciiOver = await t.api('POST', `/chatgroups/${gid}/announcement`, { body: { announcement: 'a'.repeat(513) } });
      expectError(asciiOver, 403, 'forbidden_op', 'announce info length exceeds limit!');
      expect((await t.api('GET', `/chatgroups/${gid}/announcement`)).body.data.announcement).toBe(max);

      const ascii = await t.api('POST', `/chatgroups/${gid}/announcement`, { body: { announcement: 'b'.repeat(512) } });
      expect(ascii.status, ascii.text).toBe(200);
    });

    it('refuses a body without a string announcement with 400, keeping the old one', async () => {
      const { gid } = await freshGroup();
      expect((await t.api('POST', `/chatgroups/${gid}/announcement`, { body: { announcement: 'kept' } })).status).toBe(200);
      for (const body of [{}, { announcement: 5 }, { announcement: null }, ['x']]) {
        expectError(await t.api('POST', `/chatgroups/${gid}/announcement`, { body }), 400);
      }
      expectError(await t.api('POST', `/chatgroups/${gid}/announcement`, { payload: '{"announcement":', headers: { 'content-type': 'application/json' } }), 400);
      expect((await t.api('GET', `/chatgroups/${gid}/announcement`)).body.data.announcement).toBe('kept');
      // An empty announcement clears it.
      expect((await t.api('POST', `/chatgroups/${gid}/announcement`, { body: { announcement: '' } })).status).toBe(200);
      expect((await t.api('GET', `/chatgroups/${gid}/announcement`)).body.data.announcement).toBe('');
    });

    it('a missing group is 404 resource_not_found for get and set', async () => {
      expectError(await t.api('GET', `/chatgroups/${MISSING_GROUP}/announcement`), 404, 'resource_not_found');
      expectError(await t.api('POST', `/chatgroups/${MISSING_GROUP}/announcement`, { body: { announcement: 'x' } }), 404, 'resource_not_found');
    });

    it('needs this app\'s token, or the user token of the owner or an admin', async () => {
      const { gid } = await freshGroup();
      const [outsider] = await t.makeUsers('out');
      expectError(await t.api('POST', `/chatgroups/${gid}/announcement`, { token: null, body: { announcement: 'x' } }), 401);
      expectError(await t.api('POST', `/chatgroups/${gid}/announcement`, { token: await t.appToken(OTHER), body: { announcement: 'x' } }), 401);
      expectError(await t.api('POST', `/chatgroups/${gid}/announcement`, { token: await t.userToken(outsider), body: { announcement: 'x' } }), 403, 'forbidden_op');
      expect((await t.api('GET', `/chatgroups/${gid}/announcement`)).body.data.announcement).toBe('');
    });
  });

  // ---------------------------------------------------------------- upload, download

  describe('upload and download', () => {
    it('returns every documented field and reads the same bytes back (text, no Accept)', async () => {
      const { gid } = await freshGroup();
      const before = Date.now();
      const res = await upload(gid, 'hello.txt', 'hello, shared file\n', { type: 'text/plain' });
      expect(res.status, res.text).toBe(200);
      expect(res.body.action).toBe('post');
      const d = res.body.data;
      expect(d).toMatchObject({ group_id: gid, file_name: 'hello.txt', file_size: 19 });
      expect(d.file_id).toMatch(UUID);
      expect(typeof d.file_owner).toBe('string');
      expect(d.file_owner.length).toBeGreaterThan(0);
      expect(d.created).toBeGreaterThanOrEqual(before - 1000);
      expect(d.created).toBeLessThanOrEqual(Date.now() + 1000);
      expect(d.file_url).toMatch(new RegExp(`/acme/chat/chatgroups/${gid}/share_files/${d.file_id}$`));
      expect(blobExists(d.file_id)).toBe(true);

      const got = await download(gid, d.file_id);
      expect(got.status).toBe(200);
      expect(got.bytes.equals(Buffer.from('hello, shared file\n'))).toBe(true);
      expect(String(got.headers['content-type'])).toMatch(/^text\/plain/);
      expect(dispositionName(got.headers['content-disposition'])).toBe('hello.txt');
      expect(Number(got.headers['content-length'])).toBe(19);
    });

    it('a binary file comes back byte for byte, for Accept application/octet-stream, */* and none', async () => {
      const { gid } = await freshGroup();
      const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const content = Buffer.concat([every, Buffer.from('\r\n--\r\n\0\xff', 'latin1'), randomBytes(200_000), every]);
      const d = await uploadOk(gid, 'blob.bin', content, { type: 'image/png' });
      expect(d.file_size).toBe(content.length);
      for (const accept of ['application/octet-stream', '*/*', undefined, 'application/json, */*']) {
        const got = await download(gid, d.file_id, { accept });
        expect(got.status, `Accept: ${accept}`).toBe(200);
        expect(got.bytes.equals(content), `Accept: ${accept}`).toBe(true);
        expect(String(got.headers['content-type'])).toMatch(/^image\/png/);
        expect(dispositionName(got.headers['content-disposition'])).toBe('blob.bin');
      }
      expect(fs.readFileSync(path.join(blobDir(), d.file_id)).equals(content)).toBe(true);
    });

    it('keeps a Chinese file name, in the metadata and in the content-disposition', async () => {
      const { gid } = await freshGroup();
      const name = '季度报告 2024（终稿）.txt';
      const content = Buffer.from('中文内容，二进制安全 ✓\n', 'utf8');
      const d = await uploadOk(gid, name, content, { type: 'text/plain; charset=utf-8' });
      expect(d.file_name).toBe(name);
      expect(d.file_size).toBe(content.length);
      expect((await list(gid)).map((f) => f.file_name)).toEqual([name]);
      const got = await download(gid, d.file_id, { accept: 'application/octet-stream' });
      expect(got.status).toBe(200);
      expect(got.bytes.equals(content)).toBe(true);
      expect(dispositionName(got.headers['content-disposition'])).toBe(name);
    });

    it('Accept: application/json gets only the JSON metadata', async () => {
      const { gid } = await freshGroup();
      const d = await uploadOk(gid, 'meta.txt', 'meta');
      const res = await t.api('GET', `/chatgroups/${gid}/share_files/${d.file_id}`, { headers: { accept: 'application/json' } });
      expect(res.status, res.text).toBe(200);
      expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
      expect(res.body.data).toMatchObject({
        file_url: d.file_url,
        group_id: gid,
        file_name: 'meta.txt',
        created: d.created,
        file_id: d.file_id,
        file_size: 4,
      });
    });

    it.each([
      ['/home/alice/docs/a.txt', 'a.txt'],
      ['C:\\docs\\a.txt', 'a.txt'],
      ['..\\..\\evil\\b.txt', 'b.txt'],
      ['../../etc/c.txt', 'c.txt'],
      ['/用户/文档/报告.pdf', '报告.pdf'],
    ])('keeps only the base name of %s', async (clientPath, expected) => {
      const { gid } = await freshGroup();
      const d = await uploadOk(gid, clientPath, 'x');
      expect(d.file_name).toBe(expected);
      expect((await list(gid))[0]!.file_name).toBe(expected);
      const got = await download(gid, d.file_id);
      expect(dispositionName(got.headers['content-disposition'])).toBe(expected);
      // Nothing is written outside the blob directory under the client's name.
      expect(fs.existsSync(path.join(t.config.dataDir, expected))).toBe(false);
      expect(ls(blobDir())).toContain(d.file_id);
    });

    it('accepts a part with its own Content-Length, as an SDK sends it', async () => {
      const { gid } = await freshGroup();
      const content = randomBytes(1234);
      const d = await uploadOk(gid, 'with-length.bin', content, { restrict: '1', partHeaders: { 'Content-Length': String(content.length) } });
      expect(d.file_size).toBe(1234);
      expect((await download(gid, d.file_id)).bytes.equals(content)).toBe(true);
    });

    it('accepts an empty file', async () => {
      const { gid } = await freshGroup();
      const d = await uploadOk(gid, 'empty.txt', Buffer.alloc(0));
      expect(d.file_size).toBe(0);
      const got = await download(gid, d.file_id);
      expect(got.status).toBe(200);
      expect(got.bytes.length).toBe(0);
    });

    it('takes the file part after other form fields', async () => {
      const { gid } = await freshGroup();
      const { payload, contentType } = multipart([
        { field: 'note', content: 'not the file' },
        { filename: 'second.txt', type: 'text/plain', content: 'the file' },
      ]);
      const res = await t.api('POST', `/chatgroups/${gid}/share_files`, { payload, headers: { 'content-type': contentType } });
      expect(res.status, res.text).toBe(200);
      expect(res.body.data.file_name).toBe('second.txt');
      expect((await download(gid, res.body.data.file_id)).bytes.toString()).toBe('the file');
    });

    it('refuses an upload without a file part with 400, storing nothing', async () => {
      const { gid } = await freshGroup();
      const blobsBefore = ls(blobDir());
      const { payload, contentType } = multipart([{ field: 'note', content: 'no file here' }]);
      const res = await t.api('POST', `/chatgroups/${gid}/share_files`, { payload, headers: { 'content-type': contentType } });
      expectError(res, 400);
      const empty = multipart([]);
      expectError(await t.api('POST', `/chatgroups/${gid}/share_files`, { payload: empty.payload, headers: { 'content-type': empty.contentType } }), 400);
      expect(await list(gid)).toEqual([]);
      expect(ls(blobDir())).toEqual(blobsBefore);
    });

    it('refuses a non-multipart body with 400', async () => {
      const { gid } = await freshGroup();
      const blobsBefore = ls(blobDir());
      expectError(await t.api('POST', `/chatgroups/${gid}/share_files`, { body: { file: 'aGVsbG8=' } }), 400);
      expectError(
        await t.api('POST', `/chatgroups/${gid}/share_files`, { payload: 'file=hello', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
        400,
      );
      expectError(await t.api('POST', `/chatgroups/${gid}/share_files`), 400);
      expect(await list(gid)).toEqual([]);
      expect(ls(blobDir())).toEqual(blobsBefore);
    });

    it('refuses a raw (non-multipart) file body with a client error, storing nothing', async () => {
      // The issue asks for 400 for non-multipart bodies; REFERENCE documents 415 for unsupported
      // body types, so either is accepted for a raw octet-stream body.
      const { gid } = await freshGroup();
      const blobsBefore = ls(blobDir());
      const res = await t.api('POST', `/chatgroups/${gid}/share_files`, {
        payload: randomBytes(100),
        headers: { 'content-type': 'application/octet-stream' },
      });
      expect([400, 415], res.text).toContain(res.status);
      expect(res.body.error).toEqual(expect.any(String));
      expect(await list(gid)).toEqual([]);
      expect(ls(blobDir())).toEqual(blobsBefore);
    });

    it('refuses a file name that is empty or only a directory', async () => {
      const { gid } = await freshGroup();
      expectError(await upload(gid, '', 'x'), 400);
      expectError(await upload(gid, '/home/alice/', 'x'), 400);
      expect(await list(gid)).toEqual([]);
    });
  });

  // ---------------------------------------------------------------- restrict-access

  describe('restrict-access', () => {
    it.each([
      ['true', true],
      ['TRUE', true],
      ['1', true],
      ['false', false],
      ['0', false],
      [undefined, false],
    ])('restrict-access: %s → restricted %s', async (header, restricted) => {
      const { gid } = await freshGroup();
      const content = randomBytes(64);
      const d = await uploadOk(gid, 'r.bin', content, { restrict: header });
      const anonymous = await download(gid, d.file_id, { token: null });
      if (restricted) {
        expect(anonymous.status).toBe(401);
        expect(d.file_url).toMatch(new RegExp(`/share_files/${d.file_id}\\?share-secret=[^&]+$`));
      } else {
        expect(anonymous.status).toBe(200);
        expect(anonymous.bytes.equals(content)).toBe(true);
        expect(d.file_url).not.toContain('share-secret');
      }
      // The admin always reads it.
      expect((await download(gid, d.file_id)).bytes.equals(content)).toBe(true);
    });

    it.each(['maybe', 'yes', '2', 'true,false'])('refuses restrict-access: %s with 400, storing nothing', async (value) => {
      const { gid } = await freshGroup();
      const blobsBefore = ls(blobDir());
      expectError(await upload(gid, 'm.txt', 'x', { restrict: value }), 400);
      expect(await list(gid)).toEqual([]);
      expect(ls(blobDir())).toEqual(blobsBefore);
    });

    it('restricted file: admin, owner and members read it; a non-member 403; no token 401; another app 401; the share-secret URL opens it', async () => {
      const [owner, member, outsider] = await t.makeUsers('rowner', 'rmember', 'routsider');
      const gid = await t.createGroup(owner, [member]);
      const content = Buffer.concat([Buffer.from('restricted '), randomBytes(4096)]);
      const d = await uploadOk(gid, '机密.bin', content, { restrict: 'true' });
      const [ownerTok, memberTok, outsiderTok, otherAppTok] = [await t.userToken(owner), await t.userToken(member), await t.userToken(outsider), await t.appToken(OTHER)];
      const secret = new URL(d.file_url).searchParams.get('share-secret');
      expect(secret).toBeTruthy();

      for (const [who, token] of [['admin', t.adminToken], ['owner', ownerTok], ['member', memberTok]] as const) {
        const got = await download(gid, d.file_id, { token, accept: 'application/octet-stream' });
        expect(got.status, who).toBe(200);
        expect(got.bytes.equals(content), who).toBe(true);
        const meta = await download(gid, d.file_id, { token, accept: 'application/json' });
        expect(meta.status, who).toBe(200);
        expect(JSON.parse(meta.bytes.toString()).data.file_id).toBe(d.file_id);
      }

      const outsiderRes = await download(gid, d.file_id, { token: outsiderTok });
      expect(outsiderRes.status).toBe(403);
      expect(JSON.parse(outsiderRes.bytes.toString()).error).toBe('forbidden_op');
      expect(outsiderRes.bytes.includes(content)).toBe(false);
      expect((await download(gid, d.file_id, { token: outsiderTok, accept: 'application/json' })).status).toBe(403);

      const anon = await download(gid, d.file_id, { token: null });
      expect(anon.status).toBe(401);
      expect(JSON.parse(anon.bytes.toString()).error).toEqual(expect.any(String));
      expect((await download(gid, d.file_id, { token: null, accept: 'application/json' })).status).toBe(401);
      expect((await download(gid, d.file_id, { token: otherAppTok })).status).toBe(401);
      expect((await download(gid, d.file_id, { token: 'not-a-token' })).status).toBe(401);

      // The file_url as returned, with no token at all.
      const url = new URL(d.file_url);
      const viaUrl = await rawGet(t.qunliao, `${url.pathname}${url.search}`);
      expect(viaUrl.status).toBe(200);
      expect(viaUrl.bytes.equals(content)).toBe(true);
      expect(dispositionName(viaUrl.headers['content-disposition'])).toBe('机密.bin');
      // …and with a non-member's token: the secret still opens it.
      expect((await download(gid, d.file_id, { token: outsiderTok, query: url.search })).status).toBe(200);
      // A wrong secret opens nothing.
      expect((await download(gid, d.file_id, { token: null, query: '?share-secret=wrong' })).status).toBe(401);
      expect((await download(gid, d.file_id, { token: null, query: '?share-secret=' })).status).toBe(401);
      expect((await download(gid, d.file_id, { token: outsiderTok, query: '?share-secret=wrong' })).status).toBe(403);
      // The secret of one file does not open another.
      const d2 = await uploadOk(gid, 'other.bin', 'other', { restrict: '1' });
      expect((await download(gid, d2.file_id, { token: null, query: url.search })).status).toBe(401);

      // A member who leaves loses access.
      const removed = await t.api('DELETE', `/chatgroups/${gid}/users/${member}`);
      expect(removed.status, removed.text).toBe(200);
      expect((await download(gid, d.file_id, { token: memberTok })).status).toBe(403);
    });

    it('an unrestricted file is readable without a token, and by a non-member', async () => {
      const [owner, outsider] = await t.makeUsers('uowner', 'uoutsider');
      const gid = await t.createGroup(owner);
      const content = randomBytes(3000);
      const d = await uploadOk(gid, 'open.bin', content, { restrict: 'false' });
      const anon = await download(gid, d.file_id, { token: null });
      expect(anon.status).toBe(200);
      expect(anon.bytes.equals(content)).toBe(true);
      const outsiderRes = await download(gid, d.file_id, { token: await t.userToken(outsider) });
      expect(outsiderRes.status).toBe(200);
      expect(outsiderRes.bytes.equals(content)).toBe(true);
      const url = new URL(d.file_url);
      expect((await rawGet(t.qunliao, url.pathname)).bytes.equals(content)).toBe(true);
    });
  });

  // ---------------------------------------------------------------- authentication and 404s

  describe('authentication and not found', () => {
    it('upload, list and delete need this app\'s token, or a member\'s user token', async () => {
      const { gid } = await freshGroup();
      const d = await uploadOk(gid, 'a.txt', 'a');
      const otherAppTok = await t.appToken(OTHER);
      const [outsider] = await t.makeUsers('out');
      for (const token of [null, otherAppTok, 'garbage']) {
        expectError(await upload(gid, 'b.txt', 'b', { token }), 401);
        expectError(await t.api('GET', `/chatgroups/${gid}/share_files`, { token }), 401);
        expectError(await t.api('DELETE', `/chatgroups/${gid}/share_files/${d.file_id}`, { token }), 401);
      }
      const outsiderTok = await t.userToken(outsider);
      expectError(await upload(gid, 'b.txt', 'b', { token: outsiderTok }), 403, 'forbidden_op');
      expectError(await t.api('GET', `/chatgroups/${gid}/share_files`, { token: outsiderTok }), 403, 'forbidden_op');
      expectError(await t.api('DELETE', `/chatgroups/${gid}/share_files/${d.file_id}`, { token: outsiderTok }), 403, 'forbidden_op');
      expect((await list(gid)).map((f) => f.file_id)).toEqual([d.file_id]);
      expect(blobExists(d.file_id)).toBe(true);
    });

    it('a missing group is 404 resource_not_found everywhere', async () => {
      const base = `/chatgroups/${MISSING_GROUP}/share_files`;
      const blobsBefore = ls(blobDir());
      expectError(await upload(MISSING_GROUP, 'a.txt', 'a'), 404, 'resource_not_found');
      expectError(await t.api('GET', base), 404, 'resource_not_found');
      expectError(await t.api('GET', `${base}/${randomUUID()}`, { headers: { accept: 'application/json' } }), 404, 'resource_not_found');
      expectError(await t.api('GET', `${base}/${randomUUID()}`), 404, 'resource_not_found');
      expectError(await t.api('DELETE', `${base}/${randomUUID()}`), 404, 'resource_not_found');
      expect(ls(blobDir())).toEqual(blobsBefore);
    });

    it('a group of this app is not found through another app', async () => {
      const { gid } = await freshGroup();
      const d = await uploadOk(gid, 'a.txt', 'a');
      const other = await t.appToken(OTHER);
      expectError(await t.api('GET', `/chatgroups/${gid}/share_files`, { app: OTHER, token: other }), 404);
      expectError(await t.api('GET', `/chatgroups/${gid}/share_files/${d.file_id}`, { app: OTHER, token: other }), 404);
      expectError(await t.api('DELETE', `/chatgroups/${gid}/share_files/${d.file_id}`, { app: OTHER, token: other }), 404);
      expectError(await upload(gid, 'x.txt', 'x', { app: OTHER, token: other }), 404);
      expect((await list(gid)).map((f) => f.file_id)).toEqual([d.file_id]);
    });

    it('an unknown file id, or a file of another group, is 404 for download, metadata and delete', async () => {
      const a = await freshGroup();
      const b = await freshGroup();
      const inB = await uploadOk(b.gid, 'b.txt', 'of group b');
      for (const fid of [randomUUID(), inB.file_id, 'not-a-uuid']) {
        expectError(await t.api('GET', `/chatgroups/${a.gid}/share_files/${fid}`), 404);
        expectError(await t.api('GET', `/chatgroups/${a.gid}/share_files/${fid}`, { headers: { accept: 'application/json' } }), 404);
        expectError(await t.api('GET', `/chatgroups/${a.gid}/share_files/${fid}`, { token: null }), 404);
        expectError(await t.api('DELETE', `/chatgroups/${a.gid}/share_files/${fid}`), 404);
      }
      // The file of group b is untouched.
      expect(blobExists(inB.file_id)).toBe(true);
      expect((await download(b.gid, inB.file_id)).bytes.toString()).toBe('of group b');
      expect((await list(b.gid)).map((f) => f.file_id)).toEqual([inB.file_id]);
    });
  });

  // ---------------------------------------------------------------- list

  describe('list', () => {
    it('pages newest first with pagesize 2, in either parameter order, with every documented field', async () => {
      const { gid } = await freshGroup();
      const ids: string[] = [];
      for (let i = 1; i <= 5; i++) ids.push((await uploadOk(gid, `f${i}.txt`, 'x'.repeat(i))).file_id);
      const newest = [...ids].reverse();

      const all = await list(gid);
      expect(all.map((f) => f.file_id)).toEqual(newest);
      expect(all[0]).toEqual({
        file_id: ids[4],
        file_name: 'f5.txt',
        file_owner: expect.any(String),
        file_size: 5,
        created: expect.any(Number),
      });
      for (let i = 1; i < all.length; i++) expect(all[i - 1]!.created).toBeGreaterThanOrEqual(all[i]!.created);

      const pages: string[][] = [];
      for (let n = 1; n <= 3; n++) pages.push((await list(gid, `?pagenum=${n}&pagesize=2`)).map((f) => f.file_id));
      expect(pages).toEqual([newest.slice(0, 2), newest.slice(2, 4), newest.slice(4)]);
      expect(await list(gid, '?pagenum=4&pagesize=2')).toEqual([]);
      expect((await list(gid, '?pagesize=2&pagenum=2')).map((f) => f.file_id)).toEqual(newest.slice(2, 4));
      expect((await list(gid, '?pagesize=2')).map((f) => f.file_id)).toEqual(newest.slice(0, 2));
      expect((await list(gid, '?pagesize=1000&pagenum=1')).map((f) => f.file_id)).toEqual(newest);
      expect((await list(gid, '?pagesize=1&pagenum=5')).map((f) => f.file_id)).toEqual([ids[0]]);

      const res = await t.api('GET', `/chatgroups/${gid}/share_files?pagenum=1&pagesize=2`);
      expect(res.body.action).toBe('get');
    });

    it('refuses pagesize 0 and non-numeric paging parameters with 400', async () => {
      const { gid } = await freshGroup();
      expectError(await t.api('GET', `/chatgroups/${gid}/share_files?pagesize=0`), 400);
      expectError(await t.api('GET', `/chatgroups/${gid}/share_files?pagesize=abc`), 400);
      expectError(await t.api('GET', `/chatgroups/${gid}/share_files?pagenum=abc`), 400);
    });

    it('pagesize defaults to 1000', async () => {
      const { gid } = await freshGroup();
      for (let i = 0; i < 1001; i++) await uploadOk(gid, `n${i}.txt`, String(i));
      const first = await list(gid);
      expect(first).toHaveLength(1000);
      expect(first[0]!.file_name).toBe('n1000.txt');
      expect(first[999]!.file_name).toBe('n1.txt');
      const second = await list(gid, '?pagenum=2');
      expect(second.map((f) => f.file_name)).toEqual(['n0.txt']);
    }, 120_000);
  });

  // ---------------------------------------------------------------- delete

  describe('delete', () => {
    it('removes the metadata and the bytes, and answers {group_id, file_id, result: true}', async () => {
      const { gid } = await freshGroup();
      const keep = await uploadOk(gid, 'keep.txt', 'keep');
      const d = await uploadOk(gid, 'gone.txt', 'gone', { restrict: '1' });
      expect(blobExists(d.file_id)).toBe(true);
      const res = await t.api('DELETE', `/chatgroups/${gid}/share_files/${d.file_id}`);
      expect(res.status, res.text).toBe(200);
      expect(res.body.action).toBe('delete');
      expect(res.body.data).toEqual({ group_id: gid, file_id: d.file_id, result: true });
      expect(blobExists(d.file_id)).toBe(false);
      expect((await list(gid)).map((f) => f.file_id)).toEqual([keep.file_id]);
      expectError(await t.api('GET', `/chatgroups/${gid}/share_files/${d.file_id}`), 404);
      const url = new URL(d.file_url);
      expect((await rawGet(t.qunliao, `${url.pathname}${url.search}`)).status).toBe(404);
      expectError(await t.api('DELETE', `/chatgroups/${gid}/share_files/${d.file_id}`), 404);
      expect((await download(gid, keep.file_id)).bytes.toString()).toBe('keep');
    });
  });

  // ---------------------------------------------------------------- disabled group

  describe('disabled group', () => {
    it('refuses upload, delete and announcement set with 403, and accepts them again once enabled', async () => {
      const { gid } = await freshGroup();
      const d = await uploadOk(gid, 'before.txt', 'before');
      expect((await t.api('POST', `/chatgroups/${gid}/announcement`, { body: { announcement: 'old' } })).status).toBe(200);
      const disable = await t.api('POST', `/chatgroups/${gid}/disable`);
      expect(disable.status, disable.text).toBe(200);

      const blobsBefore = ls(blobDir());
      expectError(await upload(gid, 'during.txt', 'during'), 403, 'forbidden_op');
      expectError(await t.api('DELETE', `/chatgroups/${gid}/share_files/${d.file_id}`), 403, 'forbidden_op');
      expectError(await t.api('POST', `/chatgroups/${gid}/announcement`, { body: { announcement: 'new' } }), 403, 'forbidden_op');
      expect(ls(blobDir())).toEqual(blobsBefore);
      expect(blobExists(d.file_id)).toBe(true);
      expect((await t.api('GET', `/chatgroups/${gid}/announcement`)).body.data.announcement).toBe('old');
      expect((await list(gid)).map((f) => f.file_id)).toEqual([d.file_id]);

      expect((await t.api('POST', `/chatgroups/${gid}/enable`)).status).toBe(200);
      await uploadOk(gid, 'after.txt', 'after');
      expect((await t.api('DELETE', `/chatgroups/${gid}/share_files/${d.file_id}`)).status).toBe(200);
      expect((await t.api('POST', `/chatgroups/${gid}/announcement`, { body: { announcement: 'new' } })).status).toBe(200);
    });
  });

  // ---------------------------------------------------------------- 10 MB boundary

  describe('10 MB limit', () => {
    it('accepts exactly 10,485,760 bytes and refuses 10,485,761 with 413, leaving nothing behind', async () => {
      const { gid } = await freshGroup();
      const exact = randomBytes(TEN_MB);
      const d = await uploadOk(gid, 'exact.bin', exact);
      expect(d.file_size).toBe(10_485_760);
      expect(fs.statSync(path.join(blobDir(), d.file_id)).size).toBe(10_485_760);
      const got = await download(gid, d.file_id, { accept: 'application/octet-stream' });
      expect(got.status).toBe(200);
      expect(got.bytes.equals(exact)).toBe(true);

      const listBefore = await list(gid);
      const blobsBefore = ls(blobDir());
      const over = Buffer.concat([exact, Buffer.from([0x42])]);
      expect(over.length).toBe(10_485_761);
      const res = await upload(gid, 'over.bin', over);
      expectError(res, 413);
      expect(ls(blobDir())).toEqual(blobsBefore);
      expect(ls(tmpDir())).toEqual([]);
      expect(await list(gid)).toEqual(listBefore);

      // Far over the limit as well (the request is not read to the end before the refusal matters).
      const far = await upload(gid, 'far.bin', Buffer.concat([exact, exact]));
      expectError(far, 413);
      expect(ls(blobDir())).toEqual(blobsBefore);
      expect(ls(tmpDir())).toEqual([]);
      expect(await list(gid)).toEqual(listBefore);

      // The server is still fine afterwards.
      expect((await uploadOk(gid, 'small.txt', 'small')).file_size).toBe(5);
    }, 120_000);
  });

  // ---------------------------------------------------------------- cascades

  describe('cascades', () => {
    it('dissolving a group deletes its blobs and leaves other groups\' files', async () => {
      const { gid } = await freshGroup();
      const other = await freshGroup();
      const f1 = await uploadOk(gid, 'a.txt', 'a');
      const f2 = await uploadOk(gid, 'b.bin', randomBytes(5000), { restrict: '1' });
      const kept = await uploadOk(other.gid, 'c.txt', 'c');
      expect(blobExists(f1.file_id) && blobExists(f2.file_id)).toBe(true);
      const res = await t.api('DELETE', `/chatgroups/${gid}`);
      expect(res.status, res.text).toBe(200);
      expect(blobExists(f1.file_id)).toBe(false);
      expect(blobExists(f2.file_id)).toBe(false);
      expectError(await t.api('GET', `/chatgroups/${gid}/share_files`), 404, 'resource_not_found');
      expectError(await t.api('GET', `/chatgroups/${gid}/share_files/${f1.file_id}`), 404);
      expect(blobExists(kept.file_id)).toBe(true);
      expect((await download(other.gid, kept.file_id)).bytes.toString()).toBe('c');
    });

    it('a group dissolved while an upload is streaming keeps neither the row nor the bytes', async () => {
      const { gid } = await freshGroup();
      const blobsBefore = ls(blobDir());
      const { payload, contentType } = multipart([{ filename: 'slow.bin', content: randomBytes(256 * 1024) }]);
      const split = payload.length - 100 * 1024;
      const body = new PassThrough();
      const pending = t.qunliao.server.inject({
        method: 'POST',
        url: `/acme/chat/chatgroups/${gid}/share_files`,
        headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': contentType },
        payload: body,
      });
      body.write(payload.subarray(0, split));
      // Wait until the bytes are on their way to the blob store.
      const deadline = Date.now() + 5000;
      while (ls(tmpDir()).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(ls(tmpDir()).length).toBeGreaterThan(0);
      expect((await t.api('DELETE', `/chatgroups/${gid}`)).status).toBe(200);
      body.end(payload.subarray(split));
      const res = await pending;
      expect(res.statusCode, res.body).toBe(404);
      expect(JSON.parse(res.body).error).toBe('resource_not_found');
      expect(ls(blobDir())).toEqual(blobsBefore);
      expect(ls(tmpDir())).toEqual([]);
    });

    it('deleting the owner user deletes the blobs of the groups they own, not of groups they only belong to', async () => {
      const [owner, otherOwner] = await t.makeUsers('delowner', 'keepowner');
      const owned1 = await t.createGroup(owner);
      const owned2 = await t.createGroup(owner);
      const joined = await t.createGroup(otherOwner, [owner]);
      const a = await uploadOk(owned1, 'a.txt', 'a');
      const b = await uploadOk(owned2, 'b.txt', 'b');
      const c = await uploadOk(joined, 'c.txt', 'c');
      const res = await t.api('DELETE', `/users/${owner}`);
      expect(res.status, res.text).toBe(200);
      expect(blobExists(a.file_id)).toBe(false);
      expect(blobExists(b.file_id)).toBe(false);
      expectError(await t.api('GET', `/chatgroups/${owned1}/share_files`), 404);
      expect(blobExists(c.file_id)).toBe(true);
      expect((await list(joined)).map((f) => f.file_id)).toEqual([c.file_id]);
    });
  });

  // ---------------------------------------------------------------- restart and orphans

  describe('restart', () => {
    /** A second server on the same database and data directory. */
    async function restart(): Promise<Qunliao> {
      return createQunliao(testConfig(t.config.dataDir, { db: t.config.db }));
    }

    it('bytes and metadata survive a restart', async () => {
      const { gid } = await freshGroup();
      const content = Buffer.concat([randomBytes(70_000), Buffer.from('尾巴')]);
      const d = await uploadOk(gid, '重启.bin', content, { restrict: '1', type: 'application/x-test' });
      const second = await restart();
      try {
        await second.server.ready();
        const tok = await second.server.inject({
          method: 'POST',
          url: '/acme/chat/token',
          payload: { grant_type: 'client_credentials', client_id: MAIN.clientId, client_secret: MAIN.clientSecret },
        });
        const adminToken = tok.json().access_token as string;
        const got = await rawGet(second, fileUrl(gid, d.file_id), { authorization: `Bearer ${adminToken}` });
        expect(got.status).toBe(200);
        expect(got.bytes.equals(content)).toBe(true);
        expect(String(got.headers['content-type'])).toMatch(/^application\/x-test/);
        expect(dispositionName(got.headers['content-disposition'])).toBe('重启.bin');
        const viaSecret = new URL(d.file_url);
        expect((await rawGet(second, `${viaSecret.pathname}${viaSecret.search}`)).bytes.equals(content)).toBe(true);
        const listed = await second.server.inject({ method: 'GET', url: `/acme/chat/chatgroups/${gid}/share_files`, headers: { authorization: `Bearer ${adminToken}` } });
        expect(listed.json().data.map((f: { file_id: string }) => f.file_id)).toEqual([d.file_id]);
      } finally {
        await second.server.close();
      }
      // The blob is still there for the first server too.
      expect((await download(gid, d.file_id)).bytes.equals(content)).toBe(true);
    });

    it('removes orphan blobs older than 10 minutes at start, keeps recent orphans and old blobs that have a row', async () => {
      const { gid } = await freshGroup();
      const listed = await uploadOk(gid, 'listed.txt', 'listed');
      const oldOrphan = randomUUID();
      const recentOrphan = randomUUID();
      const nineMinOrphan = randomUUID();
      fs.writeFileSync(path.join(blobDir(), oldOrphan), 'old orphan');
      fs.writeFileSync(path.join(blobDir(), recentOrphan), 'recent orphan');
      fs.writeFileSync(path.join(blobDir(), nineMinOrphan), 'nine minutes');
      const now = Date.now() / 1000;
      fs.utimesSync(path.join(blobDir(), oldOrphan), now - 11 * 60, now - 11 * 60);
      fs.utimesSync(path.join(blobDir(), nineMinOrphan), now - 9 * 60, now - 9 * 60);
      fs.utimesSync(path.join(blobDir(), listed.file_id), now - 3600, now - 3600);

      const second = await restart();
      await second.server.close();

      expect(blobExists(oldOrphan)).toBe(false);
      expect(blobExists(recentOrphan)).toBe(true);
      expect(blobExists(nineMinOrphan)).toBe(true);
      expect(blobExists(listed.file_id)).toBe(true);
      expect((await download(gid, listed.file_id)).bytes.toString()).toBe('listed');
      fs.rmSync(path.join(blobDir(), recentOrphan));
      fs.rmSync(path.join(blobDir(), nineMinOrphan));
    });
  });

  // ---------------------------------------------------------------- configurable limits

  describe('limits', () => {
    let small: TestApp;
    beforeAll(async () => {
      small = await startApp(kind, { limits: { ...defaultLimits, shareFilesPerGroup: 2, shareFileBytes: 1000 } });
    });
    afterAll(() => small.close());

    it('refuses a third file in a group limited to 2, until one is deleted; other groups are not affected', async () => {
      const { gid } = await freshGroup(small);
      const { gid: otherGid } = await freshGroup(small);
      const f1 = await uploadOk(gid, '1.txt', '1', { on: small });
      await uploadOk(gid, '2.txt', '2', { on: small });
      const blobsBefore = ls(blobDir(small));
      expectError(await upload(gid, '3.txt', '3', { on: small }), 403, 'exceed_limit');
      expect(ls(blobDir(small))).toEqual(blobsBefore);
      expect(await list(gid, '', small)).toHaveLength(2);
      await uploadOk(otherGid, 'x.txt', 'x', { on: small });
      expect((await small.api('DELETE', `/chatgroups/${gid}/share_files/${f1.file_id}`)).status).toBe(200);
      await uploadOk(gid, '3.txt', '3', { on: small });
      expect((await list(gid, '', small)).map((f) => f.file_name)).toEqual(['3.txt', '2.txt']);
    });

    it('concurrent uploads cannot push a group past its file limit, and leave no blob for refused ones', async () => {
      const { gid } = await freshGroup(small);
      const blobsBefore = ls(blobDir(small)).length;
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => upload(gid, `c${i}.txt`, `concurrent ${i}`, { on: small })));
      const statuses = results.map((r) => r.status).sort();
      const listed = await list(gid, '', small);
      expect(listed.length, `statuses ${statuses.join(',')}`).toBeLessThanOrEqual(2);
      expect(statuses.filter((s) => s === 200)).toHaveLength(2);
      expect(statuses.filter((s) => s === 403)).toHaveLength(4);
      expect(ls(blobDir(small)).length).toBe(blobsBefore + listed.length);
    });

    it('a lowered byte limit: exactly the limit is accepted, one byte more is 413 and leaves nothing', async () => {
      const { gid } = await freshGroup(small);
      const exact = randomBytes(1000);
      const d = await uploadOk(gid, 'exact.bin', exact, { on: small });
      expect(d.file_size).toBe(1000);
      expect((await download(gid, d.file_id, { on: small })).bytes.equals(exact)).toBe(true);
      const blobsBefore = ls(blobDir(small));
      expectError(await upload(gid, 'over.bin', randomBytes(1001), { on: small }), 413);
      expect(ls(blobDir(small))).toEqual(blobsBefore);
      expect(ls(tmpDir(small))).toEqual([]);
      expect((await list(gid, '', small)).map((f) => f.file_id)).toEqual([d.file_id]);
    });
  });
});
