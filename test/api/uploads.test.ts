// Shared-file uploads over real HTTP keep-alive connections, where `inject` cannot see what goes
// wrong: broken multipart framing gets a 400 error body, leaves no temporary file, blob or row, and
// never hangs; a refused upload does not stall its connection (the next request on it is answered,
// or the refusal says `Connection: close` and the socket is closed); downloads carry
// `X-Content-Type-Options: nosniff` and `Content-Disposition: attachment`.
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultLimits } from '../../src/config.js';
import { databases, startApp, type TestApp } from '../support/harness.js';
import { expectErrorBody } from '../support/expect.js';
import { rawRequest, WireConnection, type WireOutcome, type WireResponse } from '../support/wire.js';

/** Long enough for any answer here; a server that stalls a connection is seen as a timeout. */
const ANSWER_MS = 5000;
const BOUNDARY = 'qunliaoUploadBoundary';

interface Part {
  filename?: string;
  field?: string;
  type?: string;
  content: string | Buffer;
  /** Extra header lines (e.g. a huge one). */
  extra?: string[];
}

function partHead(p: Part): string {
  let head = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${p.field ?? 'file'}"`;
  if (p.filename !== undefined) head += `; filename="${p.filename}"`;
  head += '\r\n';
  if (p.type !== undefined) head += `Content-Type: ${p.type}\r\n`;
  for (const line of p.extra ?? []) head += `${line}\r\n`;
  return `${head}\r\n`;
}

/** A well-formed multipart body. */
function body(parts: Part[]): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) chunks.push(Buffer.from(partHead(p)), Buffer.isBuffer(p.content) ? p.content : Buffer.from(p.content), Buffer.from('\r\n'));
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(chunks);
}

const MULTIPART = `multipart/form-data; boundary=${BOUNDARY}`;

describe.each(databases)('shared-file uploads over real HTTP (%s)', (kind) => {
  let t: TestApp;
  let port: number;
  let gid: string;
  let keptFile: { file_id: string; file_name: string; file_size: number };

  beforeAll(async () => {
    t = await startApp(kind);
    await t.qunliao.server.listen({ port: 0, host: '127.0.0.1' });
    port = (t.qunliao.server.server.address() as AddressInfo).port;
    const [owner] = await t.makeUsers('upown');
    gid = await t.createGroup(owner);
    const conn = await WireConnection.open(port);
    const res = await exchange(conn, upload(body([{ filename: 'kept.txt', type: 'text/plain', content: 'kept bytes' }])));
    expect(res.status, res.text).toBe(200);
    keptFile = res.json.data;
    conn.close();
  });
  afterAll(() => t.close());

  const auth = () => ({ authorization: `Bearer ${t.adminToken}` });
  const upload = (payload: Buffer, contentType = MULTIPART, headers: Record<string, string> = {}) =>
    rawRequest('POST', `/acme/chat/chatgroups/${gid}/share_files`, { ...auth(), 'content-type': contentType, ...headers }, payload);
  const listRequest = () => rawRequest('GET', `/acme/chat/chatgroups/${gid}/share_files`, auth());

  const blobDir = () => path.join(t.config.dataDir, 'blobs');
  const tmpDir = () => path.join(t.config.dataDir, 'blobs-tmp');
  const ls = (dir: string) => fs.readdirSync(dir).sort();

  async function exchange(conn: WireConnection, request: Buffer): Promise<WireResponse> {
    await conn.write(request);
    const outcome = await conn.next(ANSWER_MS);
    expect(outcome.kind, describeOutcome(outcome)).toBe('response');
    return (outcome as { response: WireResponse }).response;
  }

  const describeOutcome = (o: WireOutcome) => (o.kind === 'response' ? `${o.response.status} ${o.response.text}` : `${o.kind}: ${o.partial}`);

  async function listed(): Promise<string[]> {
    const res = await t.api('GET', `/chatgroups/${gid}/share_files`);
    expect(res.status, res.text).toBe(200);
    return (res.body.data as { file_id: string }[]).map((f) => f.file_id).sort();
  }

  async function snapshot() {
    return { rows: await listed(), blobs: ls(blobDir()) };
  }

  /** No temporary file, and the same rows and blobs as before. */
  async function expectNothingLeft(before: { rows: string[]; blobs: string[] }) {
    // A temporary file is removed once its write stream has closed, just after the answer.
    const deadline = Date.now() + 2000;
    while (ls(tmpDir()).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(ls(tmpDir())).toEqual([]);
    expect(await snapshot()).toEqual(before);
  }

  function expect400(res: WireResponse) {
    expect(res.status, res.text).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expectErrorBody(res.json);
    expect(res.json.error).toBe('invalid_parameter');
  }

  /** The connection still answers: a list request on it gets its 200. */
  async function expectConnectionAnswers(conn: WireConnection) {
    const next = await exchange(conn, listRequest());
    expect(next.status, next.text).toBe(200);
    expect(next.json.data.map((f: { file_id: string }) => f.file_id)).toContain(keptFile.file_id);
  }

  describe('broken multipart framing', () => {
    const cases: { name: string; contentType?: string; payload: () => Buffer }[] = [
      { name: 'multipart/form-data without a boundary', contentType: 'multipart/form-data', payload: () => body([{ filename: 'a.txt', content: 'abc' }]) },
      { name: 'an empty boundary parameter', contentType: 'multipart/form-data; boundary=', payload: () => body([{ filename: 'a.txt', content: 'abc' }]) },
      { name: 'a body cut inside the file part (no closing boundary)', payload: () => Buffer.from(`${partHead({ filename: 'cut.txt', content: '' })}abc`) },
      { name: 'a 200 KB file part cut short', payload: () => Buffer.from(`${partHead({ filename: 'cut.bin', content: '' })}${'x'.repeat(200_000)}`) },
      { name: 'a file part ended by a boundary that is never closed', payload: () => Buffer.from(`${partHead({ filename: 'open.txt', content: '' })}abc\r\n--${BOUNDARY}\r\n`) },
      { name: 'a body cut inside the part headers', payload: () => Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filena`) },
      { name: 'an empty body', payload: () => Buffer.alloc(0) },
      { name: 'bytes without any boundary', payload: () => Buffer.from('just some bytes, no multipart at all') },
    ];
    for (const c of cases) {
      it(`${c.name}: 400 with an error body, nothing left behind, and the connection answers the next request`, async () => {
        const before = await snapshot();
        const conn = await WireConnection.open(port);
        try {
          const res = await exchange(conn, upload(c.payload(), c.contentType));
          expect400(res);
          expect(res.json.error_description).toBe('the multipart/form-data body is malformed');
          await expectConnectionAnswers(conn);
        } finally {
          conn.close();
        }
        await expectNothingLeft(before);
      });
    }

    it('a cut-short upload pipelined with the next request: both are answered in order', async () => {
      const before = await snapshot();
      const conn = await WireConnection.open(port);
      try {
        await conn.write(Buffer.concat([upload(Buffer.from(`${partHead({ filename: 'cut.txt', content: '' })}abc`)), listRequest()]));
        const first = await conn.next(ANSWER_MS);
        expect(first.kind, describeOutcome(first)).toBe('response');
        expect400((first as { response: WireResponse }).response);
        const second = await conn.next(ANSWER_MS);
        expect(second.kind, describeOutcome(second)).toBe('response');
        expect((second as { response: WireResponse }).response.status).toBe(200);
      } finally {
        conn.close();
      }
      await expectNothingLeft(before);
    });
  });

  describe('a refused upload does not stall its connection', () => {
    const big = 'x'.repeat(200 * 1024);
    const cases: { name: string; part: Part; description: string }[] = [
      { name: 'a 200 KB part named "/"', part: { filename: '/', type: 'text/plain', content: big }, description: 'file name must be provided' },
      { name: 'a 200 KB part named ".."', part: { filename: '..', type: 'text/plain', content: big }, description: 'file name must be provided' },
      { name: 'a 300-character file name', part: { filename: 'n'.repeat(300), type: 'text/plain', content: big }, description: 'file name is longer than 255 characters' },
      { name: 'a file name with a NUL byte', part: { filename: 'a\u0000b.txt', type: 'text/plain', content: big }, description: 'file name must not contain a NUL byte' },
      {
        name: 'a part Content-Type with a NUL byte',
        part: { filename: 'a.txt', type: 'text/pl\u0000ain', content: big },
        description: "the file part's Content-Type must not contain a NUL byte",
      },
      {
        name: 'a part Content-Type over 255 characters',
        part: { filename: 'a.txt', type: `text/${'p'.repeat(260)}`, content: big },
        description: "the file part's Content-Type is longer than 255 characters",
      },
    ];
    for (const c of cases) {
      it(`${c.name}: 400, then the next request on the connection is answered`, async () => {
        const before = await snapshot();
        const conn = await WireConnection.open(port);
        try {
          const res = await exchange(conn, upload(body([c.part])));
          expect400(res);
          expect(res.json.error_description).toBe(c.description);
          await expectConnectionAnswers(conn);
        } finally {
          conn.close();
        }
        await expectNothingLeft(before);
      });
    }

    it('the same refusal pipelined with the next request: both are answered in order', async () => {
      const conn = await WireConnection.open(port);
      try {
        await conn.write(Buffer.concat([upload(body([{ filename: '/', type: 'text/plain', content: big }])), listRequest()]));
        const first = await conn.next(ANSWER_MS);
        expect(first.kind, describeOutcome(first)).toBe('response');
        expect400((first as { response: WireResponse }).response);
        const second = await conn.next(ANSWER_MS);
        expect(second.kind, describeOutcome(second)).toBe('response');
        expect((second as { response: WireResponse }).response.status).toBe(200);
      } finally {
        conn.close();
      }
    });

    it('a refused upload declaring more than the drain bound answers with Connection: close and closes the socket', async () => {
      const before = await snapshot();
      const conn = await WireConnection.open(port);
      try {
        // 30 MB announced; only the start of the part is sent, and it is refused from its name alone.
        const start = Buffer.from(`${partHead({ filename: '..', type: 'text/plain', content: '' })}${'x'.repeat(1000)}`);
        await conn.write(upload(start, MULTIPART, { 'content-length': String(30 * 1024 * 1024) }));
        const outcome = await conn.next(ANSWER_MS);
        expect(outcome.kind, describeOutcome(outcome)).toBe('response');
        const res = (outcome as { response: WireResponse }).response;
        expect400(res);
        expect(res.headers.connection).toBe('close');
        expect(await conn.waitClosed(ANSWER_MS)).toBe(true);
      } finally {
        conn.close();
      }
      await expectNothingLeft(before);
    });

    it('a refused upload in chunked transfer encoding answers with Connection: close and closes the socket', async () => {
      const conn = await WireConnection.open(port);
      try {
        const head = Buffer.from(`${partHead({ filename: '/', type: 'text/plain', content: '' })}${'x'.repeat(1000)}`);
        const request = rawRequest('POST', `/acme/chat/chatgroups/${gid}/share_files`, { ...auth(), 'content-type': MULTIPART, 'transfer-encoding': 'chunked' });
        await conn.write(Buffer.concat([request, Buffer.from(`${head.length.toString(16)}\r\n`), head, Buffer.from('\r\n')]));
        const outcome = await conn.next(ANSWER_MS);
        expect(outcome.kind, describeOutcome(outcome)).toBe('response');
        const res = (outcome as { response: WireResponse }).response;
        expect400(res);
        expect(res.headers.connection).toBe('close');
        expect(await conn.waitClosed(ANSWER_MS)).toBe(true);
      } finally {
        conn.close();
      }
    });

    it('several file parts: the first is stored, the others are read and dropped, and the connection goes on', async () => {
      const before = await snapshot();
      const conn = await WireConnection.open(port);
      try {
        const res = await exchange(
          conn,
          upload(
            body([
              { field: 'note', content: 'a field first' },
              { filename: 'first.txt', type: 'text/plain', content: 'first' },
              { filename: 'second.txt', type: 'text/plain', content: 'y'.repeat(200_000) },
              { filename: 'third.txt', type: 'text/plain', content: 'third' },
            ]),
          ),
        );
        expect(res.status, res.text).toBe(200);
        expect(res.json.data.file_name).toBe('first.txt');
        expect(res.json.data.file_size).toBe(5);
        await expectConnectionAnswers(conn);
        expect(await listed()).toEqual([...before.rows, res.json.data.file_id].sort());
        const down = await t.request('GET', `/acme/chat/chatgroups/${gid}/share_files/${res.json.data.file_id}`, { token: t.adminToken });
        expect(down.text).toBe('first');
      } finally {
        conn.close();
      }
    });

    it('a 100,000-byte part without Content-Disposition is skipped: 400 file must be provided, never stalled', async () => {
      const before = await snapshot();
      const conn = await WireConnection.open(port);
      try {
        const payload = Buffer.concat([Buffer.from(`--${BOUNDARY}\r\nContent-Type: text/plain\r\n\r\n`), Buffer.alloc(100_000, 0x61), Buffer.from(`\r\n--${BOUNDARY}--\r\n`)]);
        const res = await exchange(conn, upload(payload));
        expect400(res);
        expect(res.json.error_description).toBe('file must be provided');
        await expectConnectionAnswers(conn);
      } finally {
        conn.close();
      }
      await expectNothingLeft(before);
    });

    it('a file part without a file name (application/octet-stream) is 400 file name must be provided', async () => {
      const before = await snapshot();
      const conn = await WireConnection.open(port);
      try {
        const res = await exchange(conn, upload(body([{ type: 'application/octet-stream', content: 'bytes' }])));
        expect400(res);
        expect(res.json.error_description).toBe('file name must be provided');
        await expectConnectionAnswers(conn);
      } finally {
        conn.close();
      }
      await expectNothingLeft(before);
    });

    it('parts named after Object.prototype are plain parts: a field "__proto__" is dropped, a file part "constructor" is stored', async () => {
      const conn = await WireConnection.open(port);
      try {
        const res = await exchange(
          conn,
          upload(body([{ field: '__proto__', content: 'x' }, { field: 'constructor', filename: 'proto.txt', type: 'text/plain', content: 'proto' }])),
        );
        expect(res.status, res.text).toBe(200);
        expect(res.json.data.file_name).toBe('proto.txt');
        await expectConnectionAnswers(conn);
      } finally {
        conn.close();
      }
    });

    it('huge part headers are refused or accepted, never stalled', async () => {
      const before = await snapshot();
      const conn = await WireConnection.open(port);
      try {
        const res = await exchange(conn, upload(body([{ filename: '..', type: 'text/plain', content: 'x', extra: [`X-Padding: ${'h'.repeat(100_000)}`] }])));
        expect400(res);
        await expectConnectionAnswers(conn);
      } finally {
        conn.close();
      }
      await expectNothingLeft(before);
    });
  });

  describe('downloads', () => {
    it('an uploaded HTML file is served with nosniff and as an attachment', async () => {
      const conn = await WireConnection.open(port);
      try {
        const html = '<html><script>alert(document.domain)</script></html>';
        const up = await exchange(conn, upload(body([{ filename: 'page.html', type: 'text/html', content: html }])));
        expect(up.status, up.text).toBe(200);
        for (const accept of [undefined, '*/*', 'text/html', 'application/octet-stream']) {
          const down = await exchange(conn, rawRequest('GET', `/acme/chat/chatgroups/${gid}/share_files/${up.json.data.file_id}`, accept ? { ...auth(), accept } : auth()));
          expect(down.status).toBe(200);
          expect(down.text).toBe(html);
          expect(down.headers['x-content-type-options']).toBe('nosniff');
          expect(down.headers['content-disposition']).toMatch(/^attachment;/);
          expect(down.headers['content-type']).toMatch(/^text\/html/);
        }
      } finally {
        conn.close();
      }
    });
  });
});

describe.each(databases)('refused oversized uploads over real HTTP (%s)', (kind) => {
  let t: TestApp;
  let port: number;
  let gid: string;
  beforeAll(async () => {
    // A 1,000-byte limit keeps the oversized body small.
    t = await startApp(kind, { limits: { ...defaultLimits, shareFileBytes: 1000 } });
    await t.qunliao.server.listen({ port: 0, host: '127.0.0.1' });
    port = (t.qunliao.server.server.address() as AddressInfo).port;
    const [owner] = await t.makeUsers('bigown');
    gid = await t.createGroup(owner);
  });
  afterAll(() => t.close());

  it('a file over the limit is 413 with an error body, leaves nothing, and the connection answers the next request', async () => {
    const conn = await WireConnection.open(port);
    try {
      const auth = { authorization: `Bearer ${t.adminToken}` };
      const payload = body([{ filename: 'big.bin', type: 'application/octet-stream', content: Buffer.alloc(300_000, 7) }]);
      await conn.write(rawRequest('POST', `/acme/chat/chatgroups/${gid}/share_files`, { ...auth, 'content-type': MULTIPART }, payload));
      const first = await conn.next(ANSWER_MS);
      expect(first.kind).toBe('response');
      const res = (first as { response: WireResponse }).response;
      expect(res.status, res.text).toBe(413);
      expectErrorBody(res.json);
      await conn.write(rawRequest('GET', `/acme/chat/chatgroups/${gid}/share_files`, auth));
      const second = await conn.next(ANSWER_MS);
      expect(second.kind).toBe('response');
      expect((second as { response: WireResponse }).response.json.data).toEqual([]);
      expect(fs.readdirSync(path.join(t.config.dataDir, 'blobs-tmp'))).toEqual([]);
      expect(fs.readdirSync(path.join(t.config.dataDir, 'blobs'))).toEqual([]);
    } finally {
      conn.close();
    }
  });
});
