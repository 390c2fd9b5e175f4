// Property-based fuzzing over real HTTP keep-alive connections, where `inject` cannot see a stalled
// connection: multipart framing of uploads (no boundary, no closing boundary, truncated parts, huge
// part headers, parts named "/" or "..", long names and Content-Types, several files), and HTTP
// framing itself (unknown methods, oversized headers, broken Content-Length, odd targets).
// Invariants: an answer within a bound; no 5xx; the Easemob error body on every error; after the
// answer the connection either answers the next request or was announced closed (`Connection:
// close`) and is closed; a refused upload leaves no temporary file and no blob; the known entities
// read back unchanged.
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultLimits } from '../../src/config.js';
import { databases, startApp, type TestApp } from '../support/harness.js';
import { rawRequest, WireConnection, type WireResponse } from '../support/wire.js';
import { causeOf, clip, FUZZ, fuzz, runsFor, timeoutFor, violation, type Findings } from './check.js';
import { installLogTap } from './log-tap.js';
import { encodeText, refArb } from './inputs.js';
import { endpoints, isMutating, parseRoutes, type Route } from './routes.js';
import { Ref, World } from './world.js';

/** Longer than any honest answer takes here. */
const ANSWER_MS = 5000;
const REFRESH_EVERY = 25;
/** A small file limit keeps oversized uploads cheap. */
const FILE_LIMIT = 100_000;

// ------------------------------------------------------------------- multipart cases

interface PartSpec {
  disposition: 'form-data' | 'attachment' | 'none' | 'garbage';
  name?: string;
  filename?: string;
  contentType?: string;
  extra: string[];
  size: number;
  /** The content holds a near-boundary sequence. */
  tricky: boolean;
}

type Framing = 'ok' | 'no-closing' | 'unclosed-delimiter' | 'truncate' | 'lf-only' | 'preamble' | 'epilogue' | 'empty-part';

interface MultipartCase {
  /** Upload to a (sacrificial) group's share_files, or send the body to some other mutating route. */
  target: { kind: 'upload'; group: Ref } | { kind: 'other'; endpoint: number };
  contentType: 'boundary' | 'none' | 'empty' | 'quoted' | 'mismatch' | 'long' | 'mixed' | 'charset';
  parts: PartSpec[];
  framing: Framing;
  /** Where a truncated body stops, in thousandths of its length. */
  cut: number;
  chunked: boolean;
  restrict?: string;
}

const nameArb = fc.oneof(
  { arbitrary: fc.constant('file'), weight: 8 },
  { arbitrary: fc.constantFrom('/', '..', '.', '', '__proto__', 'constructor', 'n'.repeat(300), '群文件', 'a"b', 'files[]', 'FILE'), weight: 3 },
);
const filenameArb = fc.oneof(
  { arbitrary: fc.constant('a.txt'), weight: 5 },
  {
    arbitrary: fc.constantFrom(
      '/', '..', '.', '', '/home/alice/', 'n'.repeat(300), 'n'.repeat(255), `${'群'.repeat(255)}`, `${'群'.repeat(256)}`, 'a\u0000b.txt', '../../etc/passwd',
      'C:\\docs\\x.txt', '群文件.txt', 'İ'.repeat(200), '%2e%2e', 'a\tb', 'page.html', '\ud800.txt',
    ),
    weight: 4,
  },
  { arbitrary: fc.constant(undefined), weight: 1 },
);
const partTypeArb = fc.oneof(
  { arbitrary: fc.constant('text/plain'), weight: 4 },
  {
    arbitrary: fc.constantFrom(
      'application/octet-stream', 'text/html', `x/${'y'.repeat(260)}`, `x/${'y'.repeat(250)}`, 'İ'.repeat(200), '', 'multipart/mixed; boundary=inner',
      'text/plain; charset=utf-8', 'application/json', `text/plain; ${'p=1; '.repeat(200)}`,
    ),
    weight: 3,
  },
  { arbitrary: fc.constant(undefined), weight: 2 },
);
const extraArb = fc.oneof(
  { arbitrary: fc.constant<string[]>([]), weight: 8 },
  {
    arbitrary: fc.constantFrom<string[]>(
      [`X-Pad: ${'h'.repeat(100_000)}`],
      [`X-Pad: ${'h'.repeat(70_000)}`],
      Array.from({ length: 3000 }, (_, i) => `X-H${i}: v`),
      ['Content-Length: 5'],
      ['Content-Length: 999999999'],
      ['Content-Transfer-Encoding: base64'],
      ['X-Bare-LF: a\nb'],
    ),
    weight: 2,
  },
);
const sizeArb = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 100 }), weight: 5 },
  { arbitrary: fc.constantFrom(1000, 65_536, FILE_LIMIT, FILE_LIMIT + 1, 200_000), weight: 2 },
);
const partArb: fc.Arbitrary<PartSpec> = fc.record({
  disposition: fc.oneof({ arbitrary: fc.constant<PartSpec['disposition']>('form-data'), weight: 9 }, { arbitrary: fc.constantFrom<PartSpec['disposition']>('attachment', 'none', 'garbage'), weight: 1 }),
  name: nameArb,
  filename: filenameArb,
  contentType: partTypeArb,
  extra: extraArb,
  size: sizeArb,
  tricky: fc.boolean(),
});

export const multipartArb: fc.Arbitrary<MultipartCase> = fc.record({
  target: fc.oneof(
    { arbitrary: fc.integer({ min: 1, max: 3 }).map((slot) => ({ kind: 'upload' as const, group: new Ref('group', slot) })), weight: 8 },
    { arbitrary: fc.nat().map((endpoint) => ({ kind: 'other' as const, endpoint })), weight: 1 },
  ),
  contentType: fc.oneof(
    { arbitrary: fc.constant<MultipartCase['contentType']>('boundary'), weight: 8 },
    { arbitrary: fc.constantFrom<MultipartCase['contentType']>('none', 'empty', 'quoted', 'mismatch', 'long', 'mixed', 'charset'), weight: 3 },
  ),
  parts: fc.oneof({ arbitrary: fc.array(partArb, { minLength: 1, maxLength: 1 }), weight: 5 }, { arbitrary: fc.array(partArb, { minLength: 0, maxLength: 4 }), weight: 2 }),
  framing: fc.oneof(
    { arbitrary: fc.constant<Framing>('ok'), weight: 6 },
    { arbitrary: fc.constantFrom<Framing>('no-closing', 'unclosed-delimiter', 'truncate', 'lf-only', 'preamble', 'epilogue', 'empty-part'), weight: 4 },
  ),
  cut: fc.integer({ min: 0, max: 1000 }),
  chunked: fc.oneof({ arbitrary: fc.constant(false), weight: 5 }, { arbitrary: fc.constant(true), weight: 1 }),
  restrict: fc.oneof({ arbitrary: fc.constant(undefined), weight: 6 }, { arbitrary: fc.constantFrom('true', '0', 'maybe', ''), weight: 1 }),
});

const BOUNDARY = 'fuzzBoundary7MA4YWxkTrZu0gW';

function multipartBody(c: MultipartCase): { body: Buffer; contentType: string | undefined } {
  const boundary = c.contentType === 'long' ? 'b'.repeat(200) : BOUNDARY;
  const chunks: Buffer[] = [];
  const nl = '\r\n';
  if (c.framing === 'preamble') chunks.push(Buffer.from(`this is a preamble${nl}`));
  for (const p of c.parts) {
    let head = `--${boundary}${nl}`;
    if (p.disposition !== 'none') {
      head += `Content-Disposition: ${p.disposition === 'garbage' ? 'x;;;=' : p.disposition}`;
      if (p.name !== undefined) head += `; name="${p.name}"`;
      if (p.filename !== undefined) head += `; filename="${p.filename}"`;
      head += nl;
    }
    if (p.contentType !== undefined) head += `Content-Type: ${p.contentType}${nl}`;
    for (const line of p.extra) head += `${line}${nl}`;
    chunks.push(Buffer.from(`${head}${nl}`, 'utf8'));
    const content = Buffer.alloc(p.size, 0x61);
    if (p.tricky && p.size > 20) Buffer.from(`${nl}--${boundary.slice(0, 5)}`).copy(content, Math.floor(p.size / 2));
    chunks.push(content, Buffer.from(nl));
  }
  if (c.framing === 'empty-part') chunks.push(Buffer.from(`--${boundary}${nl}${nl}${nl}`));
  if (c.framing === 'unclosed-delimiter') chunks.push(Buffer.from(`--${boundary}${nl}`));
  else if (c.framing !== 'no-closing') chunks.push(Buffer.from(`--${boundary}--${nl}`));
  if (c.framing === 'epilogue') chunks.push(Buffer.from('an epilogue after the end'));
  let body = Buffer.concat(chunks);
  if (c.framing === 'lf-only') body = Buffer.from(body.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
  if (c.framing === 'truncate') body = body.subarray(0, Math.floor((body.length * c.cut) / 1000));
  const contentType = {
    boundary: `multipart/form-data; boundary=${boundary}`,
    none: 'multipart/form-data',
    empty: 'multipart/form-data; boundary=',
    quoted: `multipart/form-data; boundary="${boundary}"`,
    mismatch: 'multipart/form-data; boundary=somethingElse',
    long: `multipart/form-data; boundary=${boundary}`,
    mixed: `multipart/mixed; boundary=${boundary}`,
    charset: `multipart/form-data; charset=utf-8; boundary=${boundary}`,
  }[c.contentType];
  return { body, contentType };
}

// ------------------------------------------------------------------- HTTP framing cases

interface FramingCase {
  method: string;
  target: { kind: 'route'; endpoint: number; ref: Ref } | { kind: 'raw'; value: string };
  version: string;
  headers: string[];
  body: 'none' | 'json';
}

const framingArb: fc.Arbitrary<FramingCase> = fc.record({
  method: fc.oneof(
    { arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD'), weight: 4 },
    { arbitrary: fc.constantFrom('OPTIONS', 'PATCH', 'TRACE', 'CONNECT', 'PROPFIND', 'FOO', 'get', 'M-SEARCH', 'GET\u0000', 'G E T', 'PURGE'), weight: 3 },
  ),
  target: fc.oneof(
    { arbitrary: fc.record({ kind: fc.constant('route' as const), endpoint: fc.nat(), ref: refArb }), weight: 5 },
    {
      arbitrary: fc
        .constantFrom(
          '*', 'http://127.0.0.1/acme/chat/users', '/acme/chat/users\u0001', '/acme/chat/us ers', '/acme/chat/用户', '/acme/chat/users#frag', '/../acme/chat/users',
          '/acme/chat/users?a=\u007f', `/acme/chat/users/${'x'.repeat(20_000)}`, '/acme/chat/ws', '/acme/chat/ws?access_token=x', '//', '/acme/chat/../chat/users', '',
          'acme/chat/users', '/%', '/acme/chat/users/%c0%ae%c0%ae', '/acme%00/chat/users',
        )
        .map((value) => ({ kind: 'raw' as const, value })),
      weight: 3,
    },
  ),
  version: fc.oneof({ arbitrary: fc.constant('HTTP/1.1'), weight: 8 }, { arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 x', 'HTTX/1.1', 'HTTP/0.9', ''), weight: 2 }),
  headers: fc.array(
    fc.constantFrom(
      `X-Big: ${'a'.repeat(17 * 1024)}`,
      `X-Big: ${'a'.repeat(15 * 1024)}`,
      'Content-Length: abc',
      'Content-Length: -1',
      'Content-Length: 5\r\nContent-Length: 6',
      'Transfer-Encoding: chunked',
      'Transfer-Encoding: gzip, chunked',
      'Transfer-Encoding: identity',
      'X-Fold: a\r\n b',
      'X-Nul: a\u0000b',
      'X-Latin: \u00e9',
      'Expect: 100-continue',
      'Expect: something-else',
      'Upgrade: websocket\r\nConnection: Upgrade',
      'Content-Type: application/json',
      'Content-Type: multipart/form-data',
      'Host: \u0000',
      'Connection: close',
      'Connection: keep-alive, Upgrade',
      'Accept: application/json',
      'Authorization: Bearer',
      'X-Forwarded-For: 1.1.1.1, <script>',
      'Content-Encoding: gzip',
    ),
    { maxLength: 3 },
  ),
  body: fc.constantFrom<FramingCase['body']>('none', 'none', 'json'),
});

function framingRequest(c: FramingCase, target: string, token: string): Buffer {
  const lines = [`${c.method} ${target} ${c.version}`.trimEnd(), 'Host: 127.0.0.1', `Authorization: Bearer ${token}`, ...c.headers];
  const declared = c.headers.some((h) => /^content-length:/im.test(h));
  let body = c.body === 'json' ? '{"usernames":["x"]}' : '';
  if (body && !declared) lines.push(`Content-Length: ${body.length}`);
  // A chunked declaration gets a chunked body (maybe empty), so that the request is complete either way.
  if (c.headers.some((h) => /chunked/i.test(h))) body = `${body ? `${body.length.toString(16)}\r\n${body}\r\n` : ''}0\r\n\r\n`;
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), Buffer.from(body)]);
}

// ------------------------------------------------------------------- the suites

console.log(`fuzz: FUZZ_SEED=${FUZZ.seed}${FUZZ.runsOverride ? ` FUZZ_RUNS=${FUZZ.runsOverride}` : ''}${FUZZ.path !== undefined ? ` FUZZ_PATH=${FUZZ.path}` : ''}`);

describe.each(databases)('fuzz: connections (%s)', (kind) => {
  let t: TestApp;
  let world: World;
  let port: number;
  let table: { method: string; route: Route }[];

  beforeAll(async () => {
    installLogTap();
    t = await startApp(kind, { logLevel: 'error', limits: { ...defaultLimits, shareFileBytes: FILE_LIMIT } });
    await t.qunliao.server.listen({ port: 0, host: '127.0.0.1' });
    port = (t.qunliao.server.server.address() as AddressInfo).port;
    world = new World(t, 'fw');
    await world.setup();
    table = endpoints(parseRoutes(t.qunliao.server.printRoutes({ commonPrefix: false }))).filter((e) => e.method !== 'HEAD');
  }, 120_000);
  afterAll(() => t?.close());

  const tmpDir = () => path.join(t.config.dataDir, 'blobs-tmp');
  const blobDir = () => path.join(t.config.dataDir, 'blobs');
  const count = (dir: string) => fs.readdirSync(dir).length;

  /** The request that must still be answered on a connection after a case. */
  const followUp = () => rawRequest('GET', `/acme/chat/users/${world.known.users[0]}`, { authorization: `Bearer ${t.adminToken}` });

  /**
   * Sends `request` on a fresh connection; checks the answer and what the connection does next.
   * Returns the answer (or undefined when there was none, already recorded).
   */
  async function exchange(findings: Findings, run: number, where: string, method: string, request: Buffer, example: string): Promise<WireResponse | undefined> {
    const conn = await WireConnection.open(port);
    try {
      // Not awaited: a server that stops reading must show as a missing answer, not stall the fuzzer.
      void conn.write(request);
      const outcome = await conn.next(ANSWER_MS, { head: method === 'HEAD' });
      if (outcome.kind === 'timeout') {
        findings.add(run, `no answer within ${ANSWER_MS} ms`, 'hang', where, example);
        return undefined;
      }
      if (outcome.kind === 'closed') {
        // Closing without a word is how a server drops a request it cannot parse at all; it is
        // still an answer-less request, so it counts.
        findings.add(run, 'connection closed without an answer', outcome.partial ? `partial: ${clip(outcome.partial, 80)}` : 'nothing sent', where, example);
        return undefined;
      }
      const res = outcome.response;
      const answer = { status: res.status, headers: res.headers, text: res.text };
      const problem = violation(method, answer);
      if (problem) findings.add(run, problem, await causeOf(answer), where, `${example} → ${res.status} ${clip(res.text, 200)}`);
      if (/close/i.test(res.headers.connection ?? '')) {
        if (!(await conn.waitClosed(ANSWER_MS))) findings.add(run, 'said Connection: close but kept the connection open', String(res.status), where, example);
      } else if (res.status !== 101) {
        void conn.write(followUp());
        const next = await conn.next(ANSWER_MS);
        if (next.kind !== 'response') findings.add(run, `the connection ${next.kind === 'timeout' ? 'stalled' : 'closed'} after a keep-alive answer`, `after ${res.status}`, where, example);
        else if (next.response.status !== 200) findings.add(run, 'the next request on the connection was not answered 200', `${next.response.status} after ${res.status}`, where, example);
      }
      return res;
    } finally {
      conn.close();
    }
  }

  async function expectNoFindings(findings: Findings): Promise<void> {
    for (const line of await world.changes()) findings.add(-1, 'known entities changed', line.split(':')[0]!, 'read back', line);
    expect(findings.lines(), `${findings.size} distinct failures (FUZZ_SEED=${FUZZ.seed})`).toEqual([]);
  }

  const multipartRuns = runsFor(120, 0.2);
  it(
    `multipart framing, ${kind}`,
    async () => {
      const family = `multipart framing, ${kind}`;
      const exec = async (c: MultipartCase, run: number, findings: Findings) => {
        if (run > 0 && run % REFRESH_EVERY === 0) await world.refresh();
        const { body, contentType } = multipartBody(c);
        let method = 'POST';
        let target: string;
        let where: string;
        if (c.target.kind === 'upload') {
          target = `/acme/chat/chatgroups/${encodeText(world.resolve(c.target.group, true))}/share_files`;
          where = 'POST /:org/:app/chatgroups/:group_id/share_files';
        } else {
          const mutating = table.filter((e) => isMutating(e.method));
          const e = mutating[c.target.endpoint % mutating.length]!;
          method = e.method;
          target = e.route.path.replace(/:(\w+)/g, (_m, name: string) => (name === 'org' ? 'acme' : name === 'app' ? 'chat' : 'x'));
          where = `${e.method} ${e.route.path}`;
        }
        const headers: Record<string, string> = { authorization: `Bearer ${t.adminToken}` };
        if (contentType) headers['content-type'] = contentType;
        if (c.restrict !== undefined) headers['restrict-access'] = c.restrict;
        let payload = body;
        if (c.chunked) {
          headers['transfer-encoding'] = 'chunked';
          const pieces: Buffer[] = [];
          for (let i = 0; i < body.length; i += 8192) {
            const piece = body.subarray(i, i + 8192);
            pieces.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
          }
          pieces.push(Buffer.from('0\r\n\r\n'));
          payload = Buffer.concat(pieces);
        }
        const blobsBefore = count(blobDir());
        const example = `${method} ${target} [${c.contentType}, ${c.framing}${c.framing === 'truncate' ? ` at ${c.cut}‰` : ''}${c.chunked ? ', chunked' : ''}] parts ${clip(
          JSON.stringify(c.parts.map((p) => ({ ...p, name: p.name && clip(p.name, 40), filename: p.filename && clip(p.filename, 40), contentType: p.contentType && clip(p.contentType, 40), extra: p.extra.map((x) => clip(x, 30)) }))),
          500,
        )}`;
        const res = await exchange(findings, run, where, method, rawRequest(method, target, headers, payload), example);
        // Nothing of a refused upload stays: no temporary file, no new blob.
        const deadline = Date.now() + 2000;
        while (count(tmpDir()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        if (count(tmpDir()) > 0) {
          findings.add(run, 'left a temporary file in blobs-tmp', res ? `after ${res.status}` : 'no answer', where, example);
          for (const f of fs.readdirSync(tmpDir())) fs.rmSync(path.join(tmpDir(), f), { force: true });
        }
        if (c.target.kind === 'upload' && res && res.status >= 400 && count(blobDir()) > blobsBefore) {
          findings.add(run, 'a refused upload left a blob', String(res.status), where, example);
        }
      };
      const upload1 = { kind: 'upload' as const, group: new Ref('group', 1) };
      const part = (over: Partial<PartSpec> = {}): PartSpec => ({ disposition: 'form-data', name: 'file', filename: 'a.txt', contentType: 'text/plain', extra: [], size: 10, tricky: false, ...over });
      const base: MultipartCase = { target: upload1, contentType: 'boundary', parts: [part()], framing: 'ok', cut: 500, chunked: false };
      // The upload defects of issue 10, kept in the corpus.
      const examples: MultipartCase[] = [
        { ...base, contentType: 'none' },
        { ...base, framing: 'no-closing' },
        { ...base, parts: [part({ size: 200_000 })], framing: 'truncate', cut: 700 },
        { ...base, parts: [part({ filename: '/', size: 200_000 })] },
        { ...base, parts: [part({ filename: '..', size: 200_000 })] },
        { ...base, parts: [part({ filename: 'n'.repeat(300), size: 200_000 })] },
        { ...base, parts: [part({ contentType: `x/${'y'.repeat(260)}`, size: 200_000 })] },
        { ...base, parts: [part({ extra: [`X-Pad: ${'h'.repeat(100_000)}`] })] },
        { ...base, parts: [part({ filename: 'one.txt' }), part({ filename: 'two.txt', size: 200_000 }), part({ filename: 'three.txt' })] },
        { ...base, parts: [part({ size: FILE_LIMIT + 1 })] },
      ];
      await expectNoFindings(await fuzz(family, multipartArb, multipartRuns, exec, examples));
    },
    timeoutFor(multipartRuns, 2 * ANSWER_MS),
  );

  const framingRuns = runsFor(150, 0.1);
  it(
    `HTTP framing, ${kind}`,
    async () => {
      const family = `HTTP framing, ${kind}`;
      const exec = async (c: FramingCase, run: number, findings: Findings) => {
        let target: string;
        let where: string;
        if (c.target.kind === 'route') {
          const e = table[c.target.endpoint % table.length]!;
          const ref = c.target.ref;
          target = e.route.path.replace(/:(\w+)/g, (_m, name: string) => (name === 'org' ? 'acme' : name === 'app' ? 'chat' : encodeText(world.resolve(ref, true))));
          where = `${c.method.slice(0, 12)} ${e.route.path}`;
        } else {
          target = c.target.value;
          where = `${c.method.slice(0, 12)} ${clip(c.target.value, 60)}`;
        }
        // Known entities stay out of reach: every request here counts as mutating.
        const example = `${clip(`${c.method} ${target} ${c.version}`, 200)} headers ${clip(c.headers.join(' | '), 200)} body ${c.body}`;
        await exchange(findings, run, where, c.method, framingRequest(c, target, t.adminToken), example);
      };
      const route = (method: string, p: string) => ({ kind: 'route' as const, endpoint: table.findIndex((e) => e.method === method && e.route.path === `/:org/:app${p}`), ref: new Ref('user', 1) });
      const examples: FramingCase[] = [
        { method: 'FOO', target: route('GET', '/users'), version: 'HTTP/1.1', headers: [], body: 'none' },
        { method: 'GET', target: route('GET', '/users'), version: 'HTTP/1.1', headers: [`X-Big: ${'a'.repeat(17 * 1024)}`], body: 'none' },
        { method: 'GET', target: { kind: 'raw', value: '/acme/chat/ws' }, version: 'HTTP/1.1', headers: [], body: 'none' },
        { method: 'POST', target: route('POST', '/users'), version: 'HTTP/1.1', headers: ['Content-Length: abc'], body: 'json' },
      ];
      await expectNoFindings(await fuzz(family, framingArb, framingRuns, exec, examples));
    },
    timeoutFor(framingRuns, 3 * ANSWER_MS),
  );
});
