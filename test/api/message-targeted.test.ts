// Targeted, broadcast and legacy REST sends (message_group.md / message_chatroom.md "定向消息",
// broadcast_to_all_users.md, broadcast_to_online_users.md, broadcast_to_chatrooms.md, the legacy
// POST /messages of the Java SDK 1.x): who receives them over the JSON /ws (online and, where
// kept, after reconnecting), what waits for offline users, the answers and every error row.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { databases, startApp, type Reply, type TestApp } from '../support/harness.js';
import { expectError } from '../support/expect.js';
import { Devices, WAIT_MS, type Client } from '../support/ws.js';
import { sleep } from '../support/util.js';

const expectSendError = (res: Reply, description: string) => expectError(res, 400, 'message_send_error', description);
const expectInvalidBody = (res: Reply) => expectError(res, 400, 'invalid_request_body', 'Request body is invalid. Please check body is correct.');
const expectIllegal = (res: Reply, description: string) => expectError(res, 400, 'illegal_argument', description);

describe.each(databases)('targeted, broadcast and legacy sends (%s)', (kind) => {
  let t: TestApp;
  let devices: Devices;

  beforeAll(async () => {
    t = await startApp(kind);
    devices = await Devices.listen(t);
  });
  afterAll(() => t.close());
  afterEach(() => devices.closeAll());

  const post = (path: string, body: unknown): Promise<Reply> => t.api('POST', path, { body });
  const postOk = async (path: string, body: unknown): Promise<Record<string, unknown>> => {
    const res = await post(path, body);
    expect(res.status, res.text).toBe(200);
    expect(res.body).not.toHaveProperty('entities');
    expect(res.body.path).toBe(path);
    return res.body.data as Record<string, unknown>;
  };
  const connect = (user: string): Promise<Client> => devices.connect(user);
  const offlineCount = async (user: string): Promise<number> => (await t.apiOk('GET', `/users/${user}/offline_msg_count`)).data[user] as number;
  /** Positions are stored a few ms after a delivery. */
  const offlineBecomes = async (user: string, n: number): Promise<void> => {
    const deadline = Date.now() + WAIT_MS;
    while ((await offlineCount(user)) !== n) {
      if (Date.now() > deadline) throw new Error(`offline count of ${user} never became ${n}`);
      await sleep(20);
    }
  };
  const txt = (msg: string, extra: Record<string, unknown> = {}) => ({ type: 'txt', body: { msg }, ...extra });

  // ---- targeted group and chatroom messages ----

  describe('POST /messages/chatgroups/users', () => {
    it('reaches only the listed members, online and offline, and the sender', async () => {
      const [owner, m1, m2, m3, outsider] = await t.makeUsers('tg_o', 'tg_a', 'tg_b', 'tg_c', 'tg_x');
      const group = await t.createGroup(owner, [m1, m2, m3]);
      const [c1, c3, cx, co] = await Promise.all([m1, m3, outsider, owner].map(connect));
      const data = await postOk('/messages/chatgroups/users', { from: owner, to: [group], users: [m1, m2.toUpperCase(), outsider], ...txt('tg-1') });
      expect(Object.keys(data)).toEqual([group]);
      expect(data[group]).toMatch(/^\d+$/);
      expect(await c1!.message('tg-1')).toMatchObject({ id: data[group], from: owner, to: group, chat_type: 'groupchat' });
      // Group messages are synced to the sender's devices.
      await co!.message('tg-1');
      await c3!.expectNothing('tg-');
      await cx!.expectNothing('tg-');
      // Kept for the listed member who is offline, not for the others.
      expect(await offlineCount(m2)).toBe(1);
      expect(await offlineCount(m3)).toBe(0);
      expect(await offlineCount(outsider)).toBe(0);
      const late = await connect(m2);
      await late.message('tg-1');
      await offlineBecomes(m2, 0);
      // A member not listed who connects later does not get it either.
      await devices.disconnect(c3!);
      const again = await connect(m3);
      await again.expectNothing('tg-');
    });

    it('answers the documented errors and stores nothing', async () => {
      const [owner, m1] = await t.makeUsers('tge_o', 'tge_a');
      const group = await t.createGroup(owner, [m1]);
      const path = '/messages/chatgroups/users';
      expectSendError(await post(path, { to: [group], ...txt('x') }), "param users can't be empty");
      expectSendError(await post(path, { to: [group], users: [], ...txt('x') }), "param users can't be empty");
      const many = Array.from({ length: 21 }, (_, i) => `tge_u${i}`);
      expectSendError(await post(path, { to: [group], users: many, ...txt('x') }), "params users's size can't exceed limit 20");
      expect((await post(path, { to: [group], users: many.slice(0, 20), ...txt('tge-20') })).status).toBe(200);
      expectInvalidBody(await post(path, { to: [group], users: [1], ...txt('x') }));
      expectInvalidBody(await post(path, { to: [group], users: [''], ...txt('x') }));
      expectSendError(await post(path, { to: [group, '2', '3', '4'], users: [m1], ...txt('x') }), "params to's size can't exceed limit 3");
      expectSendError(await post(path, { to: [], users: [m1], ...txt('x') }), "param to can't be empty");
      expectSendError(await post(path, { from: '', to: [group], users: [m1], ...txt('x') }), "param from can't be empty");
      expectSendError(await post(path, { to: [group], users: [m1], body: { msg: 'x' } }), "param type can't be empty");
      expectSendError(await post(path, { to: [group], users: [m1], type: 'txt', body: { msg: 'x' }, ext: null }), 'param ext must be JSONObject');
      expectSendError(await post(path, { to: [group], users: [m1], type: 'txt', body: { msg: 'x'.repeat(6000) } }), 'message is too large');
      // Nothing of the refused requests waits for the member.
      expect(await offlineCount(m1)).toBe(0);
    });

    it('a disabled group refuses it', async () => {
      const [owner, m1] = await t.makeUsers('tgd_o', 'tgd_a');
      const group = await t.createGroup(owner, [m1]);
      await t.apiOk('POST', `/chatgroups/${group}/disable`);
      expectError(await post('/messages/chatgroups/users', { to: [group], users: [m1], ...txt('x') }), 403, 'forbidden_op');
      expect(await offlineCount(m1)).toBe(0);
    });
  });

  describe('POST /messages/chatrooms/users', () => {
    it('reaches only the listed members of the chatroom', async () => {
      const [owner, a, b, outsider] = await t.makeUsers('tr_o', 'tr_a', 'tr_b', 'tr_x');
      const room = await t.createRoom(owner, [a, b]);
      const [ca, cb, cx, co] = await Promise.all([a, b, outsider, owner].map(connect));
      const data = await postOk('/messages/chatrooms/users', { to: [room], users: [a, outsider], ...txt('tr-1') });
      expect(await ca!.message('tr-1')).toMatchObject({ id: data[room], from: 'admin', to: room, chat_type: 'chatroom' });
      await cb!.expectNothing('tr-');
      await cx!.expectNothing('tr-');
      await co!.expectNothing('tr-');
      expectSendError(await post('/messages/chatrooms/users', { to: [room], ...txt('x') }), "param users can't be empty");
      expectSendError(
        await post('/messages/chatrooms/users', { to: Array.from({ length: 11 }, (_, i) => String(i + 1)), users: [a], ...txt('x') }),
        "params to's size can't exceed limit 10",
      );
    });
  });

  // ---- the legacy send ----

  describe('POST /messages (target_type)', () => {
    it('sends to users, groups and chatrooms and answers "success" per target', async () => {
      const [a, b, owner] = await t.makeUsers('lg_a', 'lg_b', 'lg_o');
      const group = await t.createGroup(owner, [b]);
      const cb = await connect(b);
      const users = await postOk('/messages', { target_type: 'users', target: [b], msg: { type: 'txt', msg: 'lg-1' }, from: a, ext: { k: 'v' } });
      expect(users).toEqual({ [b]: 'success' });
      expect(await cb.message('lg-1')).toMatchObject({ from: a, to: b, chat_type: 'chat', type: 'txt', body: { msg: 'lg-1' }, ext: { k: 'v' } });
      const groups = await postOk('/messages', { target_type: 'chatgroups', target: [group], msg: { type: 'txt', msg: 'lg-2' } });
      expect(groups).toEqual({ [group]: 'success' });
      expect(await cb.message('lg-2')).toMatchObject({ from: 'admin', to: group, chat_type: 'groupchat' });
      const img = await postOk('/messages', { target_type: 'users', target: [b], msg: { type: 'img', url: 'http://x/y', filename: 'a.jpg' } });
      expect(img).toEqual({ [b]: 'success' });
      const got = await cb.waitFor((f) => f.message?.type === 'img', 'the img message');
      expect(got.message!.body).toEqual({ url: 'http://x/y', filename: 'a.jpg' });
    });

    it('answers the documented errors', async () => {
      const [b] = await t.makeUsers('lge_b');
      const msg = { type: 'txt', msg: 'x' };
      const wrongType = "target_type can only be 'users' or 'chatgroups' or 'chatrooms'";
      expectIllegal(await post('/messages', { target_type: 'nobody', target: [b], msg }), wrongType);
      expectIllegal(await post('/messages', { target: [b], msg }), wrongType);
      expectIllegal(await post('/messages', { target_type: 'users', target: [b], msg, from: '' }), "from can't be empty");
      expectSendError(await post('/messages', { target_type: 'users', target: [], msg }), "param to can't be empty");
      expectSendError(await post('/messages', { target_type: 'users', target: [b] }), "param body can't be empty");
      expectInvalidBody(await post('/messages', { target_type: 'users', target: [b], msg: { type: 'nope' } }));
      expectInvalidBody(await post('/messages', [1]));
      expect(await offlineCount(b)).toBe(0);
    });
  });

  // ---- broadcasts ----

  describe('POST /messages/broadcast (every user)', () => {
    it('reaches every user, kept for offline ones, and answers a numeric broadcast id', async () => {
      const [on, off] = await t.makeUsers('ba_on', 'ba_off');
      const con = await connect(on);
      const before = await offlineCount(off);
      const res = await post('/messages/broadcast', { target_type: 'users', msg: { type: 'txt', msg: 'ba-1' }, from: 'admin', ext: { extKey: 'extValue' } });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ action: 'post', path: '/messages/broadcast', organization: 'acme', applicationName: 'chat' });
      expect(Object.keys(res.body.data)).toEqual(['id']);
      expect(Number.isSafeInteger(res.body.data.id)).toBe(true);
      expect(await con.message('ba-1')).toMatchObject({ from: 'admin', to: on, chat_type: 'chat', ext: { extKey: 'extValue' } });
      // Delivered after the answer, a page of users at a time.
      await t.qunliao.services.messages.idle();
      expect(await offlineCount(off)).toBe(before + 1);
      const late = await connect(off);
      await late.message('ba-1');
      // Another broadcast has another id.
      const second = await postOk('/messages/broadcast', { target_type: 'users', msg: { type: 'cmd', action: 'refresh' } });
      expect(second.id).not.toBe(res.body.data.id);
      await t.qunliao.services.messages.idle();
    });

    it('reaches users beyond the first page of 500', async () => {
      const names = Array.from({ length: 520 }, (_, i) => `bp_${String(i).padStart(3, '0')}`);
      await t.createUsers(...names);
      await t.apiOk('POST', '/messages/broadcast', { target_type: 'users', msg: { type: 'txt', msg: 'bp-1' } });
      await t.qunliao.services.messages.idle();
      for (const name of [names[0]!, names[499]!, names[500]!, names[519]!]) {
        const res = await t.apiOk('GET', `/users/${name}/offline_msg_count`);
        expect(res.data[name], name).toBe(1);
      }
    });

    it('answers the documented errors and sends nothing', async () => {
      const [u] = await t.makeUsers('bae_u');
      const msg = { type: 'txt', msg: 'bae' };
      expectIllegal(await post('/messages/broadcast', { msg }), 'target_type must be provided');
      expectIllegal(await post('/messages/broadcast', { target_type: 'chatgroups', msg }), "target_type can only be 'users'");
      expectIllegal(await post('/messages/broadcast', { target_type: 'users', msg, from: '' }), "from can't be empty");
      expectIllegal(await post('/messages/broadcast', { target_type: 'users', msg, ext: null }), 'ext must be JSONObject');
      expectIllegal(await post('/messages/broadcast', { target_type: 'users', msg, ext: 'x' }), 'ext must be JSONObject');
      expectInvalidBody(await post('/messages/broadcast', { target_type: 'users' }));
      expectInvalidBody(await post('/messages/broadcast', { target_type: 'users', msg: { type: 'txt' } }));
      expectInvalidBody(await post('/messages/broadcast', { target_type: 'users', msg: { msg: 'no type' } }));
      expectInvalidBody(await post('/messages/broadcast', { target_type: 'users', msg, from: 5 }));
      expectSendError(await post('/messages/broadcast', { target_type: 'users', msg: { type: 'txt', msg: 'x'.repeat(6000) } }), 'message is too large');
      expect(await offlineCount(u)).toBe(0);
    });
  });

  describe('POST /messages/users/broadcast (online users)', () => {
    it('reaches connected users only and keeps nothing for the others', async () => {
      const [on, off] = await t.makeUsers('bo_on', 'bo_off');
      const con = await connect(on);
      const data = await postOk('/messages/users/broadcast', { msg: { type: 'txt', msg: 'bo-1' } });
      expect(Number.isSafeInteger(data.id)).toBe(true);
      expect(await con.message('bo-1')).toMatchObject({ from: 'admin', to: on, chat_type: 'chat' });
      expect(await offlineCount(off)).toBe(0);
      const late = await connect(off);
      await late.expectNothing('bo-');
      expectIllegal(await post('/messages/users/broadcast', { msg: { type: 'txt', msg: 'x' }, from: '' }), "from can't be empty");
      expectIllegal(await post('/messages/users/broadcast', { msg: { type: 'txt', msg: 'x' }, ext: [] }), 'ext must be JSONObject');
      expectInvalidBody(await post('/messages/users/broadcast', { msg: 'x' }));
    });
  });

  describe('POST /messages/chatrooms/broadcast', () => {
    it('reaches the members of chatrooms that have members and a message, not the others', async () => {
      const [o1, a1, o2, a2] = await t.makeUsers('bc_o1', 'bc_a1', 'bc_o2', 'bc_a2');
      const active = await t.createRoom(o1, [a1]);
      // A chatroom with members where nothing was said yet is not active.
      await t.createRoom(o2, [a2]);
      await postOk('/messages/chatrooms', { to: [active], ...txt('bc-warmup') });
      const [c1, c2] = await Promise.all([a1, a2].map(connect));
      const data = await postOk('/messages/chatrooms/broadcast', { msg: { type: 'txt', msg: 'bc-1' }, chatroom_msg_level: 'low' });
      expect(Number.isSafeInteger(data.id)).toBe(true);
      expect(await c1!.message('bc-1')).toMatchObject({ from: 'admin', to: active, chat_type: 'chatroom' });
      await c2!.expectNothing('bc-1');
      expect(c1!.texts('bc-1')).toHaveLength(1);
      expectIllegal(await post('/messages/chatrooms/broadcast', { msg: { type: 'txt', msg: 'x' }, from: '' }), "from can't be empty");
      expectIllegal(await post('/messages/chatrooms/broadcast', { msg: { type: 'txt', msg: 'x' }, ext: 1 }), 'ext must be JSONObject');
      expectInvalidBody(await post('/messages/chatrooms/broadcast', {}));
    });
  });

  it('every one of these routes takes the app token only', async () => {
    const [u] = await t.makeUsers('bt_u');
    const token = await t.userToken(u);
    for (const path of ['/messages/chatgroups/users', '/messages/chatrooms/users', '/messages', '/messages/broadcast', '/messages/users/broadcast', '/messages/chatrooms/broadcast']) {
      const res = await t.api('POST', path, { token, body: {} });
      expect(res.status, `${path}: ${res.text}`).toBe(401);
    }
  });
});

describe.each(databases)('call limits of broadcasts and the history file (%s)', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(kind, { rateLimit: 'easemob' });
  });
  afterAll(() => t.close());

  const statuses = (replies: Reply[]) => replies.reduce<Record<number, number>>((acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }), {});
  const msg = { type: 'txt', msg: 'limit' };

  it('every user: 1 per 30 minutes; online users: 1 per minute; chatrooms: 10 per minute; history: 10 per minute', async () => {
    const all = [];
    for (let i = 0; i < 2; i++) all.push(await t.api('POST', '/messages/broadcast', { body: { target_type: 'users', msg } }));
    expect(statuses(all)).toEqual({ 200: 1, 429: 1 });
    expect(all[1]!.body).toMatchObject({ error: 'reach_limit', error_description: 'This request has reached api limit' });
    const online = [];
    for (let i = 0; i < 2; i++) online.push(await t.api('POST', '/messages/users/broadcast', { body: { msg } }));
    expect(statuses(online)).toEqual({ 200: 1, 429: 1 });
    const rooms = [];
    for (let i = 0; i < 11; i++) rooms.push(await t.api('POST', '/messages/chatrooms/broadcast', { body: { msg } }));
    expect(statuses(rooms)).toEqual({ 200: 10, 429: 1 });
    const history = [];
    for (let i = 0; i < 11; i++) history.push(await t.api('GET', '/chatmessages/2001010100'));
    expect(statuses(history)).toEqual({ 404: 10, 429: 1 });
  });
});
