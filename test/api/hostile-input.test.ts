// Requests a user would not mean to send, found by a black-box campaign (issue 10): prototype-named
// and repeated query keys, huge page numbers, NUL bytes, deeply nested bodies, and requests the HTTP
// parser itself refuses. Each answers a documented error (or, for query quirks, the documented page)
// and changes nothing.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases, startApp, type TestApp } from '../support/harness.js';
import { expectError, expectErrorBody } from '../support/expect.js';

const PROTOTYPE_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'prototype'];

/** Sends raw bytes on one connection and collects everything the server answers until it closes or goes quiet. */
function rawExchange(port: number, chunks: string[], quietMs = 400): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(received);
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(finish, quietMs);
    };
    socket.on('connect', () => {
      for (const chunk of chunks) socket.write(chunk);
      arm();
    });
    socket.on('data', (d) => {
      received += d.toString('latin1');
      arm();
    });
    socket.on('close', finish);
    socket.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? finish() : reject(err)));
  });
}

/** Splits raw HTTP/1.1 responses (Content-Length framed) into status, headers and JSON body. */
function parseResponses(raw: string): { status: number; headers: Record<string, string>; body: Record<string, unknown> }[] {
  const out: { status: number; headers: Record<string, string>; body: Record<string, unknown> }[] = [];
  let rest = raw;
  while (rest.startsWith('HTTP/1.1 ')) {
    const end = rest.indexOf('\r\n\r\n');
    const head = rest.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of head.slice(1)) {
      const i = line.indexOf(':');
      headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    const bodyText = rest.slice(end + 4, end + 4 + length);
    out.push({ status: Number(head[0]!.split(' ')[1]), headers, body: JSON.parse(bodyText) as Record<string, unknown> });
    rest = rest.slice(end + 4 + length);
  }
  return out;
}

describe.each(databases)('hostile input (%s)', (kind) => {
  let t: TestApp;
  let group: string;
  let room: string;
  let thread: string;
  let port: number;

  beforeAll(async () => {
    t = await startApp(kind);
    await t.createUsers('alice', 'bob', 'carol');
    group = await t.createGroup('alice', ['bob']);
    room = await t.createRoom('alice', ['bob']);
    const th = await t.api('POST', '/thread', { body: { group_id: group, name: 'th', owner: 'alice', msg_id: 'm1' } });
    thread = th.body.data.thread_id;
    await t.qunliao.server.listen({ port: 0, host: '127.0.0.1' });
    port = (t.qunliao.server.server.address() as net.AddressInfo).port;
  });
  afterAll(() => t.close());

  const listRoutes = () => [
    '/users',
    '/chatgroups',
    `/chatgroups/${group}/users`,
    `/chatgroups/${group}/share_files`,
    '/chatrooms',
    `/chatrooms/${room}/users`,
    '/users/alice/joined_chatrooms',
    '/chatgroups/user/alice',
    '/thread',
    '/threads/user/alice',
    `/threads/chatgroups/${group}/user/alice`,
    `/thread/${thread}/users`,
  ];

  it('answers list routes whose query keys are Object.prototype names, echoing them in params', async () => {
    for (const route of listRoutes()) {
      for (const name of PROTOTYPE_NAMES) {
        const res = await t.api('GET', `${route}?${name}=1`);
        expect(res.status, `${route}?${name}=1: ${res.text}`).toBe(200);
        if (res.body.params !== undefined) expect(res.body.params[name]).toEqual(['1']);
      }
    }
  });

  it('takes the first value of a repeated query key, on every route', async () => {
    const asc = await t.api('GET', '/thread?sort=asc&limit=1');
    for (const route of ['/thread', '/threads/user/alice', `/threads/chatgroups/${group}/user/alice`]) {
      const res = await t.api('GET', `${route}?sort=asc&sort=desc`);
      expect(res.status, `${route}: ${res.text}`).toBe(200);
      const bad = await t.api('GET', `${route}?sort=sideways&sort=asc`);
      expectError(bad, 400, 'param_illegal');
    }
    const repeated = await t.api('GET', '/thread?sort=asc&sort=desc&limit=1');
    expect(repeated.body.entities).toEqual(asc.body.entities);
    // The first limit decides the page size; params still echoes every value sent.
    const users = await t.api('GET', '/users?limit=1&limit=50');
    expect(users.status).toBe(200);
    expect(users.body.entities).toHaveLength(1);
    expect(users.body.params.limit).toEqual(['1', '50']);
  });

  it('answers huge page numbers with an empty page', async () => {
    for (const route of [`/chatgroups/${group}/users`, `/chatgroups/${group}/share_files`, `/chatrooms/${room}/users`, '/users/alice/joined_chatrooms', '/chatgroups/user/alice']) {
      for (const pagenum of ['99999999999999999999', '9007199254740993', `9${'9'.repeat(300)}`]) {
        const res = await t.api('GET', `${route}?pagenum=${pagenum}&pagesize=10`);
        expect(res.status, `${route}?pagenum=${pagenum}: ${res.text}`).toBe(200);
        const rows = res.body.data ?? res.body.entities;
        expect(rows, route).toEqual([]);
      }
      for (const pagenum of ['1e300', '-1', '1.5', 'abc']) expectError(await t.api('GET', `${route}?pagenum=${pagenum}`), 400, 'illegal_argument');
    }
  });

  it('refuses NUL bytes in the path with 400 on every route family', async () => {
    for (const url of ['/acme/%00/users', '/%00/chat/users', '/acme/chat/users/al%00ice', `/acme/chat/chatgroups/${group}%00`, `/acme/chat/chatgroups/${group}/users/b%00b`, '/acme/chat/users?limit=1%00']) {
      const res = await t.request('GET', url, { token: t.adminToken });
      expectError(res, 400, 'illegal_argument', /NUL/);
      expectErrorBody(res.body);
    }
  });

  it('refuses NUL bytes in stored strings with 400 and stores nothing', async () => {
    const cases: [string, string, unknown][] = [
      ['POST', '/users', { username: 'nul1', password: 'pw', nickname: 'a\u0000b' }],
      ['POST', '/chatgroups', { groupname: 'g\u0000', desc: 'd', public: true, owner: 'alice' }],
      ['PUT', `/chatgroups/${group}`, { description: 'x\u0000y' }],
      ['POST', `/chatgroups/${group}/announcement`, { announcement: 'hi\u0000' }],
      ['POST', '/thread', { group_id: group, name: 'n\u0000', owner: 'alice', msg_id: 'm2' }],
      ['PUT', `/thread/${thread}`, { name: 'n\u0000' }],
      ['POST', '/chatrooms', { name: 'r\u0000', description: 'd', owner: 'alice' }],
      ['PUT', `/chatrooms/${room}`, { name: 'r\u0000' }],
      ['POST', '/messages/users', { from: 'alice', to: ['bob'], type: 'txt', body: { msg: 'x' }, ext: { 'k\u0000': 1 } }],
      ['POST', '/thread', { group_id: group, name: 'n', owner: 'alice', msg_id: 'm\u00003' }],
    ];
    for (const [method, path, body] of cases) {
      const res = await t.api(method, path, { body });
      expectError(res, 400, 'illegal_argument', /NUL/);
    }
    expect((await t.api('GET', '/users/nul1')).status).toBe(404);
    const details = await t.api('GET', `/chatgroups/${group}`);
    expect(details.body.data[0].description).toBe('d');
    expect((await t.api('GET', `/chatgroups/${group}/announcement`)).body.data.announcement).toBe('');
    expect((await t.api('GET', '/thread')).body.entities).toHaveLength(1);
    expect((await t.api('GET', `/chatrooms/${room}`)).body.data[0].name).toBe('r');
  });

  it('refuses JSON nested deeper than 100 levels with 400 json_parse, and accepts 100', async () => {
    const nest = (n: number) => `${'{"a":'.repeat(n - 1)}{}${'}'.repeat(n - 1)}`;
    const deep = await t.api('POST', '/users', { payload: `{"username":"deep","password":"pw","x":${nest(10_000)}}`, headers: { 'content-type': 'application/json' } });
    expectError(deep, 400, 'json_parse', 'Document nesting depth (101) exceeds the maximum allowed (100)');
    const arrays = await t.api('POST', '/users', { payload: `[${'['.repeat(5000)}${']'.repeat(5000)}]`, headers: { 'content-type': 'application/json' } });
    expectError(arrays, 400, 'json_parse');
    expect((await t.api('GET', '/users/deep')).status).toBe(404);
    // 100 levels in all (the body object is level 1).
    const ok = await t.api('POST', '/messages/users', {
      payload: `{"from":"alice","to":["bob"],"type":"txt","body":{"msg":"x"},"ext":${nest(99)}}`,
      headers: { 'content-type': 'application/json' },
    });
    expect(ok.status, ok.text).toBe(200);
  });

  it('answers requests the HTTP parser refuses with an Easemob error body and Connection: close', async () => {
    const unknownMethod = parseResponses(await rawExchange(port, ['FOO /x HTTP/1.1\r\nHost: a\r\n\r\n']));
    expect(unknownMethod).toHaveLength(1);
    expect(unknownMethod[0]!.status).toBe(400);
    expect(unknownMethod[0]!.headers.connection).toBe('close');
    expectErrorBody(unknownMethod[0]!.body);

    const bigHeaders = parseResponses(await rawExchange(port, [`GET /acme/chat/users HTTP/1.1\r\nHost: a\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`]));
    expect(bigHeaders).toHaveLength(1);
    expect(bigHeaders[0]!.status).toBe(431);
    expect(bigHeaders[0]!.headers.connection).toBe('close');
    expectErrorBody(bigHeaders[0]!.body);

    const badFraming = parseResponses(await rawExchange(port, ['POST /acme/chat/users HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n']));
    expect(badFraming).toHaveLength(1);
    expect(badFraming[0]!.status).toBe(400);
    expect(badFraming[0]!.headers.connection).toBe('close');
    expectErrorBody(badFraming[0]!.body);
  });

  it('closes the connection after a badly encoded URL it cannot go on from: an upgrade, a body of unknown length', async () => {
    // Both are refused before routing; the fuzz suite found them stalling (upgrade) or reading the
    // next request as a body (Transfer-Encoding: identity).
    const get = `GET /acme/chat/users/alice HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${t.adminToken}\r\n\r\n`;
    for (const head of ['GET /acme/chat/users/%c0%ae%c0%ae HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n', 'PUT /acme/chat/users/%c0%ae%c0%ae HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n']) {
      const answers = parseResponses(await rawExchange(port, [head, get]));
      // The request after it is never served (the parser may refuse its bytes with a 400 of its own).
      expect(answers.length).toBeGreaterThan(0);
      for (const answer of answers) {
        expect(answer.status).toBe(400);
        expect(answer.headers.connection).toBe('close');
        expectErrorBody(answer.body);
      }
    }
  });

  it('keeps a keep-alive connection usable after an ordinary error answer', async () => {
    const get = `GET /acme/chat/users/alice HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${t.adminToken}\r\n\r\n`;
    const answers = parseResponses(await rawExchange(port, [`GET /acme/chat/nothing HTTP/1.1\r\nHost: a\r\n\r\n`, get]));
    expect(answers.map((a) => a.status)).toEqual([404, 200]);
  });
});
