// The hourly history file (message_historical.md): GET /chatmessages/{YYYYMMDDHH} answers a signed
// download URL on qunliao; the file is gzip-compressed, one JSON record per line, with the
// documented fields, every message of the app in that hour (1:1, group, chatroom, client sends) and
// no other app's; an hour without messages → 404, a malformed hour → 400, an hour to come → 400;
// a forged, altered, expired or other app's link → 403.
import { gunzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { databases, OTHER, startApp, type TestApp } from '../support/harness.js';
import { expectError } from '../support/expect.js';
import { sleep } from '../support/util.js';
import { Devices } from '../support/ws.js';

const HOUR_MS = 3_600_000;

/** yyyyMMddHH (UTC) of a time. */
function hourOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 13).replace(/[-T]/g, '');
}

interface HistoryRecord {
  msg_id: string;
  timestamp: number;
  direction: string;
  to: string;
  from: string;
  chat_type: string;
  payload: { bodies: Record<string, unknown>[]; ext: Record<string, unknown>; from: string; to: string };
}

describe.each(databases)('history file (%s)', (kind) => {
  let t: TestApp;
  let devices: Devices;

  beforeAll(async () => {
    t = await startApp(kind);
    devices = await Devices.listen(t);
  });
  afterAll(() => t.close());
  afterEach(() => devices.closeAll());

  /** The download URL of an hour (must answer 200). */
  const linkOf = async (hour: string, app = undefined as typeof OTHER | undefined): Promise<string> => {
    const res = await t.api('GET', `/chatmessages/${hour}`, app ? { app, token: await t.appToken(app) } : {});
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ action: 'get', organization: 'acme' });
    expect(res.body).not.toHaveProperty('entities');
    expect(res.body.data).toHaveLength(1);
    return res.body.data[0].url as string;
  };
  const download = (url: string, headers: Record<string, string> = {}) => {
    const u = new URL(url);
    return t.qunliao.server.inject({ method: 'GET', url: u.pathname + u.search, headers });
  };
  const records = async (hour: string): Promise<HistoryRecord[]> => {
    const res = await download(await linkOf(hour));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('application/gzip');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${hour}.gz"`);
    const text = gunzipSync(res.rawPayload).toString('utf8');
    expect(text.endsWith('\n')).toBe(true);
    return text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as HistoryRecord);
  };
  /** Runs `send` within one hour (retrying when it straddled the turn of an hour); answers the hour. */
  const withinOneHour = async (send: () => Promise<void>): Promise<string> => {
    for (;;) {
      const before = hourOf(Date.now());
      if (Date.now() % HOUR_MS > HOUR_MS - 3000) await sleep(3500);
      await send();
      if (hourOf(Date.now()) === before) return before;
    }
  };

  it('answers a URL whose file holds the hour’s messages, with the documented fields', async () => {
    const [a, b, owner] = await t.makeUsers('h_a', 'h_b', 'h_o');
    const group = await t.createGroup(owner, [a]);
    const room = await t.createRoom(owner, [a]);
    const ids: Record<string, string> = {};
    const hour = await withinOneHour(async () => {
      ids.txt = (await t.apiOk('POST', '/messages/users', { from: a, to: [b], type: 'txt', body: { msg: 'h-txt' }, ext: { k: 'v' } })).data[b];
      ids.img = (await t.apiOk('POST', '/messages/users', { from: a, to: [b], type: 'img', body: { url: 'http://x/i', filename: 'i.jpg', size: { width: 2, height: 3 } } })).data[b];
      ids.custom = (
        await t.apiOk('POST', '/messages/users', { from: a, to: [b], type: 'custom', body: { customEvent: 'gift_1', customExts: { name: 'flower', size: '16' } } })
      ).data[b];
      ids.group = (await t.apiOk('POST', '/messages/chatgroups', { to: [group], type: 'loc', body: { lat: '39.9', lng: '116.3', addr: 'here' } })).data[group];
      ids.room = (await t.apiOk('POST', '/messages/chatrooms', { from: owner, to: [room], type: 'cmd', body: { action: 'run' } })).data[room];
      const device = await devices.connect(a);
      ids.client = await device.sayOk('chat', b, 'h-client');
    });
    const got = await records(hour);
    const byId = new Map(got.map((r) => [r.msg_id, r]));
    for (const id of Object.values(ids)) expect(byId.has(id), id).toBe(true);
    expect(byId.get(ids.txt!)).toEqual({
      msg_id: ids.txt,
      timestamp: expect.any(Number),
      direction: 'outgoing',
      to: b,
      from: a,
      chat_type: 'chat',
      payload: { bodies: [{ msg: 'h-txt', type: 'txt' }], ext: { k: 'v' }, from: a, to: b },
    });
    expect(hourOf(byId.get(ids.txt!)!.timestamp)).toBe(hour);
    expect(byId.get(ids.img!)!.payload.bodies).toEqual([{ url: 'http://x/i', filename: 'i.jpg', size: { width: 2, height: 3 }, type: 'img' }]);
    expect(byId.get(ids.custom!)!.payload.bodies).toEqual([
      { customEvent: 'gift_1', 'v2:customExts': { name: 'flower', size: '16' }, customExts: [{ name: 'flower' }, { size: '16' }], type: 'custom' },
    ]);
    expect(byId.get(ids.group!)).toMatchObject({ chat_type: 'groupchat', from: 'admin', to: group, payload: { bodies: [{ lat: '39.9', lng: '116.3', addr: 'here', type: 'loc' }] } });
    expect(byId.get(ids.room!)).toMatchObject({ chat_type: 'chatroom', from: owner, to: room, payload: { bodies: [{ action: 'run', type: 'cmd' }] } });
    expect(byId.get(ids.client!)).toMatchObject({ chat_type: 'chat', from: a, to: b, payload: { bodies: [{ msg: 'h-client', type: 'txt' }] } });
    // Oldest first.
    const times = got.map((r) => r.timestamp);
    expect(times).toEqual([...times].sort((x, y) => x - y));
    // The other app's file of the same hour has none of them.
    const [other] = [`h_other_${Date.now()}`];
    await t.api('POST', '/users', { app: OTHER, token: await t.appToken(OTHER), body: { username: other, password: 'pw' } });
    const otherHour = await withinOneHour(async () => {
      await t.api('POST', '/messages/users', { app: OTHER, token: await t.appToken(OTHER), body: { to: [other], type: 'txt', body: { msg: 'h-other' } } });
    });
    const otherLink = await linkOf(otherHour, OTHER);
    const otherText = gunzipSync((await download(otherLink)).rawPayload).toString('utf8');
    for (const id of Object.values(ids)) expect(otherText).not.toContain(id);
    expect(otherText).toContain('h-other');
  });

  it('an hour without messages answers 404 storage_object_not_found', async () => {
    expectError(await t.api('GET', '/chatmessages/2001010100'), 404, 'storage_object_not_found', 'Failed to find chat message history download url for appkey: acme#chat, time: 2001010100');
  });

  it('an hour that has not begun answers the documented "unstored" 400', async () => {
    const next = hourOf(Date.now() + 2 * HOUR_MS);
    expectError(
      await t.api('GET', `/chatmessages/${next}`),
      400,
      'illegal_argument',
      `illegal arguments: appkey: acme#chat, time: ${next}, maybe chat message history is expired or unstored`,
    );
  });

  it.each(['2024133100', '2024023010', '2024010124', '202401011', '20240101100', 'abcdefghij', '2024-01-01', '２０２４０１０１００'])(
    'a malformed hour %s answers 400 illegal_argument',
    async (time) => {
      const res = await t.api('GET', `/chatmessages/${encodeURIComponent(time)}`);
      expectError(res, 400, 'illegal_argument', `illegal arguments: appkey: acme#chat, time: ${time}`);
    },
  );

  it('refuses forged, altered, expired and other-app links, and user tokens', async () => {
    const [a, b] = await t.makeUsers('hl_a', 'hl_b');
    const hour = await withinOneHour(async () => {
      await t.apiOk('POST', '/messages/users', { from: a, to: [b], type: 'txt', body: { msg: 'hl' } });
    });
    const url = new URL(await linkOf(hour));
    expect(url.searchParams.get('Expires')).toMatch(/^\d+$/);
    expect(Number(url.searchParams.get('Expires')) * 1000).toBeGreaterThan(Date.now());
    // The link works without any token, and twice.
    expect((await download(url.href)).statusCode).toBe(200);
    expect((await download(url.href)).statusCode).toBe(200);
    const variants: string[] = [];
    const forged = new URL(url.href);
    forged.searchParams.set('Signature', 'x' + url.searchParams.get('Signature')!.slice(1));
    variants.push(forged.href);
    const later = new URL(url.href);
    later.searchParams.set('Expires', String(Number(url.searchParams.get('Expires')) + 1));
    variants.push(later.href);
    const expired = new URL(url.href);
    expired.searchParams.set('Expires', '1');
    variants.push(expired.href);
    const noSig = new URL(url.href);
    noSig.searchParams.delete('Signature');
    variants.push(noSig.href);
    variants.push(url.href.replace('/acme/chat/', '/acme/other/'));
    variants.push(url.href.replace(`/chatmessages/${hour}/`, `/chatmessages/${hourOf(Date.now() - HOUR_MS)}/`));
    for (const v of variants) {
      const res = await download(v);
      expect(res.statusCode, v).toBe(403);
      expect(JSON.parse(res.body)).toMatchObject({ error: 'forbidden_op', error_description: 'the history download link is invalid or has expired' });
    }
    // Repeated keys: the first value wins (a second Signature does not help a forged first one).
    expect((await download(`${url.href}&Signature=forged`)).statusCode).toBe(200);
    const res = await t.api('GET', `/chatmessages/${hour}`, { token: await t.userToken(a) });
    expect(res.status).toBe(401);
  });
});
