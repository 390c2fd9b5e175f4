// Message imports (message_import.md): POST /messages/users/import and /messages/chatgroups/import
// store one message with its given timestamp (and id, when given), deliver it to nobody (not live,
// not when devices connect, not counted offline), and the history file of its hour shows it; the
// documented error rows, bad timestamps and ids, and nothing stored for a refused request. Also the
// history file of an hour of more than one page (1,000) of imported messages.
import { gunzipSync } from 'node:zlib';
import { pb } from '../../src/msync/schema.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { databases, startApp, type Reply, type TestApp } from '../support/harness.js';
import { expectError } from '../support/expect.js';
import { Devices } from '../support/ws.js';

const expectInvalidBody = (res: Reply) => expectError(res, 400, 'invalid_request_body', 'Request body is invalid. Please check body is correct.');
const expectIllegal = (res: Reply, description: string) => expectError(res, 400, 'illegal_argument', description);

const hourOf = (ms: number): string => new Date(ms).toISOString().slice(0, 13).replace(/[-T]/g, '');

interface HistoryRecord {
  msg_id: string;
  timestamp: number;
  chat_type: string;
  from: string;
  to: string;
  payload: { bodies: Record<string, unknown>[]; ext: Record<string, unknown> };
}

describe.each(databases)('message imports (%s)', (kind) => {
  let t: TestApp;
  let devices: Devices;

  beforeAll(async () => {
    t = await startApp(kind);
    devices = await Devices.listen(t);
  });
  afterAll(() => t.close());
  afterEach(() => devices.closeAll());

  const importOne = (target: 'users' | 'chatgroups', body: unknown): Promise<Reply> => t.api('POST', `/messages/${target}/import`, { body });
  const importOk = async (target: 'users' | 'chatgroups', body: unknown): Promise<string> => {
    const res = await importOne(target, body);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ action: 'post', path: `/messages/${target}/import`, entities: [] });
    expect(res.body.data.msg_id).toMatch(/^\d+$/);
    return res.body.data.msg_id as string;
  };
  /** The records of an hour's history file; [] when the hour has none (404). */
  const historyOf = async (hour: string): Promise<HistoryRecord[]> => {
    const res = await t.api('GET', `/chatmessages/${hour}`);
    if (res.status === 404) return [];
    expect(res.status, res.text).toBe(200);
    const url = new URL(res.body.data[0].url as string);
    const file = await t.qunliao.server.inject({ method: 'GET', url: url.pathname + url.search });
    expect(file.statusCode).toBe(200);
    const text = gunzipSync(file.rawPayload).toString('utf8').trimEnd();
    return text === '' ? [] : text.split('\n').map((l) => JSON.parse(l) as HistoryRecord);
  };
  const offline = async (user: string): Promise<number> => (await t.apiOk('GET', `/users/${user}/offline_msg_count`)).data[user] as number;

  it('a 1:1 import is stored with its timestamp, shown in the history file and delivered to nobody', async () => {
    const [a, b] = await t.makeUsers('im_a', 'im_b');
    const online = await devices.connect(b);
    const ts = Date.UTC(2025, 5, 1, 10, 20, 30, 123);
    const id = await importOk('users', { from: a, target: b, type: 'txt', body: { msg: 'im-1' }, ext: { key1: 'value1' }, is_ack_read: true, msg_timestamp: ts });
    const withId = await importOk('users', { from: a, target: b, type: 'img', body: { url: 'http://x/i.jpg', filename: 'i.jpg' }, msg_timestamp: ts + 1, msg_id: '1234567890123456789', need_download: false });
    expect(withId).toBe('1234567890123456789');
    await online.expectNothing('im-');
    expect(online.messages()).toEqual([]);
    expect(await offline(b)).toBe(0);
    expect((await t.apiOk('GET', `/users/${b}/offline_msg_status/${id}`)).data[id]).toBe('delivered');
    // A device that connects later is not handed it either.
    const later = await devices.connect(b);
    await later.expectNothing('im-');
    expect(later.messages()).toEqual([]);

    const records = await historyOf(hourOf(ts));
    expect(records.find((r) => r.msg_id === id)).toMatchObject({
      msg_id: id,
      timestamp: ts,
      chat_type: 'chat',
      from: a,
      to: b,
      payload: { bodies: [{ msg: 'im-1', type: 'txt' }], ext: { key1: 'value1' } },
    });
    // Made from the message's own time: older than any id made now.
    expect(BigInt(id) / 1_000_000n).toBe(BigInt(ts));
    expect(records.find((r) => r.msg_id === withId)).toMatchObject({ timestamp: ts + 1, payload: { bodies: [{ url: 'http://x/i.jpg', filename: 'i.jpg', type: 'img' }] } });
    // In both users' history (the SDK's getHistoryMessages; ordered by id, and one id was given).
    for (const [user, peer] of [[b, a], [a, b]] as const) {
      const roam = await t.request('POST', `/acme/chat/users/${user}/messageroaming`, { token: await t.userToken(user), body: { queue: `${peer}@easemob.com`, pull_number: 50 } });
      expect(roam.status, roam.text).toBe(200);
      const ids = (roam.body.data.msgs as { msg: string }[]).map((m) => String((pb.Meta.decode(Buffer.from(m.msg, 'base64')).toJSON() as { id: string }).id));
      expect(ids.sort()).toEqual([id, withId].sort());
    }
    // The same id again → refused, nothing more stored.
    expectIllegal(await importOne('users', { from: a, target: b, type: 'txt', body: { msg: 'again' }, msg_id: '1234567890123456789', msg_timestamp: ts }), 'msg_id 1234567890123456789 already exists');
    expect((await historyOf(hourOf(ts))).filter((r) => r.msg_id === withId)).toHaveLength(1);
  });

  it('a group import reaches no member and is in the history file as a group message', async () => {
    const [owner, m] = await t.makeUsers('img_o', 'img_m');
    const group = await t.createGroup(owner, [m]);
    const device = await devices.connect(m);
    const ts = Date.UTC(2025, 5, 1, 11, 0, 0, 0);
    const id = await importOk('chatgroups', { from: owner, target: group, type: 'txt', body: { msg: 'img-1' }, msg_timestamp: ts });
    await device.expectNothing('img-');
    expect(await offline(m)).toBe(0);
    expect((await historyOf(hourOf(ts))).find((r) => r.msg_id === id)).toMatchObject({ chat_type: 'groupchat', from: owner, to: group, timestamp: ts });
  });

  it('without msg_timestamp the message is stamped now', async () => {
    const [a, b] = await t.makeUsers('imn_a', 'imn_b');
    const before = Date.now();
    const id = await importOk('users', { from: a, target: b, type: 'txt', body: { msg: 'imn' } });
    const records = [...(await historyOf(hourOf(before))), ...(await historyOf(hourOf(Date.now())))];
    const got = records.find((r) => r.msg_id === id)!;
    expect(got.timestamp).toBeGreaterThanOrEqual(before);
    expect(got.timestamp).toBeLessThanOrEqual(Date.now());
  });

  it('an import into a conversation does not hold back what waits in it', async () => {
    const [a, b] = await t.makeUsers('imw_a', 'imw_b');
    await t.apiOk('POST', '/messages/users', { from: a, to: [b], type: 'txt', body: { msg: 'imw-real' } });
    await importOk('users', { from: a, target: b, type: 'txt', body: { msg: 'imw-old' }, msg_timestamp: Date.UTC(2020, 0, 1) });
    expect(await offline(b)).toBe(1);
    const device = await devices.connect(b);
    await device.message('imw-real');
    await device.expectNothing('imw-old');
  });

  it('answers the documented errors, refuses bad timestamps and ids, and stores nothing for them', async () => {
    const [a, b] = await t.makeUsers('ime_a', 'ime_b');
    const ts = Date.UTC(2025, 5, 1, 13, 0, 0, 0);
    const ok = { from: a, target: b, type: 'txt', body: { msg: 'ime' }, msg_timestamp: ts };
    for (const target of ['users', 'chatgroups'] as const) {
      expectIllegal(await importOne(target, { ...ok, type: undefined }), 'type not allow empty');
      expectIllegal(await importOne(target, { ...ok, type: '' }), 'type not allow empty');
      expectIllegal(await importOne(target, { ...ok, body: undefined }), 'message body not allow empty');
      expectIllegal(await importOne(target, { ...ok, body: {} }), 'message body not allow empty');
    }
    const bad: Record<string, unknown>[] = [
      { msg_timestamp: String(ts) },
      { msg_timestamp: -1 },
      { msg_timestamp: ts + 0.5 },
      { msg_timestamp: Date.now() + 3_600_000 },
      { msg_timestamp: 1e20 },
      { msg_timestamp: true },
      { msg_id: 'abc' },
      { msg_id: 123 },
      { msg_id: '0123' },
      { msg_id: '99999999999999999999' },
      { from: undefined },
      { from: '' },
      { target: undefined },
      { target: ['x'] },
      { type: 'nope' },
      { body: { nomsg: 1 } },
      { ext: null },
      { ext: [] },
      { is_ack_read: 'yes' },
      { body: { msg: 'x'.repeat(6000) } },
    ];
    for (const change of bad) expectInvalidBody(await importOne('users', { ...ok, ...change }));
    expectInvalidBody(await importOne('users', [ok]));
    // None of them was stored: the hour they name is empty.
    expect(await historyOf(hourOf(ts))).toEqual([]);
    expectError(await t.api('GET', `/chatmessages/${hourOf(ts)}`), 404, 'storage_object_not_found');
    expect(await offline(b)).toBe(0);
  });

  it('the history file of an hour beyond one page holds every message once, oldest first', async () => {
    const [a, b] = await t.makeUsers('imp_a', 'imp_b');
    const base = Date.UTC(2025, 5, 2, 12, 0, 0, 0);
    const n = 1100;
    const ids: string[] = [];
    // Timestamps repeat (five distinct ones, imported out of order): pages must continue within a millisecond.
    for (let i = 0; i < n; i++) ids.push(await importOk('users', { from: a, target: b, type: 'txt', body: { msg: `imp-${i}` }, msg_timestamp: base + ((i * 3) % 5) }));
    const records = await historyOf(hourOf(base));
    expect(records).toHaveLength(n);
    expect(new Set(records.map((r) => r.msg_id))).toEqual(new Set(ids));
    const times = records.map((r) => r.timestamp);
    expect(times).toEqual([...times].sort((x, y) => x - y));
    // Within one millisecond, in the order they were imported.
    const at = (ms: number) => records.filter((r) => r.timestamp === ms).map((r) => r.payload.bodies[0]!.msg);
    const expected = (ms: number) => ids.map((_, i) => i).filter((i) => base + ((i * 3) % 5) === ms).map((i) => `imp-${i}`);
    for (let k = 0; k < 5; k++) expect(at(base + k)).toEqual(expected(base + k));
  });

  it('takes the app token only', async () => {
    const [a, b] = await t.makeUsers('imt_a', 'imt_b');
    const res = await t.api('POST', '/messages/users/import', { token: await t.userToken(a), body: { from: a, target: b, type: 'txt', body: { msg: 'x' } } });
    expect(res.status).toBe(401);
  });
});
