// "No request makes the server answer 500": every route, with real and junk path parameters, every
// method it has, and bodies of every wrong shape. The route list is read from the server itself,
// so routes added later are covered too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases, startApp, type TestApp } from '../support/harness.js';
import { parseRoutes, type Route } from '../fuzz/routes.js';

const LONG = 'x'.repeat(200_000);
const BODIES: { name: string; payload?: string; type?: string }[] = [
  { name: 'no body' },
  { name: 'empty JSON', payload: '', type: 'application/json' },
  { name: 'null', payload: 'null', type: 'application/json' },
  { name: 'array', payload: '[1,{"a":2}]', type: 'application/json' },
  { name: 'string', payload: '"text"', type: 'application/json' },
  { name: 'number', payload: '12345', type: 'application/json' },
  { name: 'empty object', payload: '{}', type: 'application/json' },
  { name: 'malformed', payload: '{"a":', type: 'application/json' },
  {
    name: 'wrong types everywhere',
    type: 'application/json',
    payload: JSON.stringify({
      usernames: 'x', mute_duration: 'x', name: {}, group_id: [], owner: {}, public: 'x', newowner: 5, newadmin: [], announcement: 5,
      to: {}, type: 5, body: 'x', ext: 5, grant_type: 5, username: [], password: {}, msg_id: {}, maxusers: -1, members: 'm',
      description: 7, custom: [], newpassword: {}, client_id: [], client_secret: {}, ttl: 'x', autoCreateUser: 'x', groupname: [],
    }),
  },
  { name: 'huge strings', type: 'application/json', payload: JSON.stringify({ username: LONG, name: LONG, announcement: LONG, usernames: [LONG], to: [LONG], owner: LONG, group_id: LONG, msg_id: LONG, newowner: LONG }) },
  { name: 'deep nesting', type: 'application/json', payload: `${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}` },
  { name: 'form body', payload: 'a=1&b=2', type: 'application/x-www-form-urlencoded' },
  { name: 'binary junk', payload: '\u0000\u0001\u00ff', type: 'application/octet-stream' },
  { name: 'bad multipart', payload: '--zz\r\nContent-Disposition: form-data; name="file"\r\n\r\nabc', type: 'multipart/form-data; boundary=zz' },
];

describe.each(databases)('robustness (%s)', (kind) => {
  let t: TestApp;
  let routes: Route[];
  const real: Record<string, string> = {};

  beforeAll(async () => {
    t = await startApp(kind);
    await t.createUsers('alice', 'bob');
    real.group_id = await t.createGroup('alice', ['bob']);
    real.chatroom_id = await t.createRoom('alice', ['bob']);
    const thread = await t.api('POST', '/thread', { body: { group_id: real.group_id, name: 'th', owner: 'alice', msg_id: '1' } });
    real.thread_id = thread.body.data.thread_id;
    real.username = 'bob';
    real.usernames = 'bob,nobody';
    real.file_id = '00000000-0000-4000-8000-000000000000';
    routes = parseRoutes(t.qunliao.server.printRoutes({ commonPrefix: false }));
  }, 60_000);
  afterAll(() => t.close());

  it('reads the route list from the server', () => {
    expect(routes.length).toBeGreaterThan(40);
    expect(routes.map((r) => r.path)).toContain('/:org/:app/chatgroups/:group_id/share_files/:file_id');
  });

  const fill = (path: string, junk: string | undefined) =>
    path.replace(/:(\w+)/g, (_m, name: string) => {
      if (name === 'org') return 'acme';
      if (name === 'app') return 'chat';
      return encodeURIComponent(junk ?? real[name] ?? 'x');
    });

  for (const junk of [undefined, '999999999999999', 'not-an-id', '../..', 'a,b,,c', '%00', '💥']) {
    it(`never answers 500 (path parameters: ${junk ?? 'real ids'})`, async () => {
      const failures: string[] = [];
      const statuses = new Map<number, number>();
      for (const route of routes) {
        for (const method of route.methods) {
          for (const body of BODIES) {
            if (method === 'GET' && body.payload !== undefined && body.name !== 'empty JSON') continue;
            const headers: Record<string, string> = body.type ? { 'content-type': body.type } : {};
            const res = await t.api(method, fill(route.path, junk).replace('/acme/chat', ''), { payload: body.payload, headers });
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            if (res.status >= 500) failures.push(`${method} ${route.path} [${body.name}] → ${res.status} ${res.text.slice(0, 200)}`);
            else if (res.status !== 101 && res.text && !res.headers['content-type']?.toString().includes('json') && res.status >= 400) {
              failures.push(`${method} ${route.path} [${body.name}] → ${res.status} without a JSON error body`);
            }
          }
        }
      }
      expect(failures).toEqual([]);
      // The sweep really ran: hundreds of requests, refused in the documented ways.
      const total = [...statuses.values()].reduce((a, b) => a + b, 0);
      expect(total).toBeGreaterThan(500);
      expect([...statuses.keys()].some((s) => s >= 400 && s < 500)).toBe(true);
    }, 120_000);
  }
});
