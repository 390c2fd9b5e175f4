// Offline message data (message_offline.md): GET /users/{u}/offline_msg_count and
// GET /users/{u}/offline_msg_status/{msg_id}, true to what the user's devices have not been given
// yet (docs/realtime.md "Offline devices"): counted while no device has had a message, no longer
// once one device connected over /ws and received it; the user's own sends, live-only sends,
// chatroom messages and group messages from before joining never wait. Unknown user → 404.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { databases, OTHER, startApp, type TestApp } from '../support/harness.js';
import { expectError } from '../support/expect.js';
import { sleep } from '../support/util.js';
import { Devices, WAIT_MS } from '../support/ws.js';

describe.each(databases)('offline message data (%s)', (kind) => {
  let t: TestApp;
  let devices: Devices;

  beforeAll(async () => {
    t = await startApp(kind);
    devices = await Devices.listen(t);
  });
  afterAll(() => t.close());
  afterEach(() => devices.closeAll());

  const count = async (user: string): Promise<number> => {
    const res = await t.api('GET', `/users/${user}/offline_msg_count`);
    expect(res.status, res.text).toBe(200);
    expect(Object.keys(res.body.data)).toEqual([user]);
    return res.body.data[user] as number;
  };
  const status = async (user: string, id: string): Promise<string> => {
    const res = await t.api('GET', `/users/${user}/offline_msg_status/${id}`);
    expect(res.status, res.text).toBe(200);
    expect(Object.keys(res.body.data)).toEqual([id]);
    return res.body.data[id] as string;
  };
  /** Positions are stored a few ms after a delivery: poll until the count reaches `n`. */
  const countBecomes = async (user: string, n: number): Promise<void> => {
    const deadline = Date.now() + WAIT_MS;
    while ((await count(user)) !== n) {
      if (Date.now() > deadline) throw new Error(`offline count of ${user} never became ${n}`);
      await sleep(20);
    }
  };
  const sendTo = async (target: 'users' | 'chatgroups' | 'chatrooms', to: string, msg: string, extra: Record<string, unknown> = {}): Promise<string> => {
    const body = await t.apiOk('POST', `/messages/${target}`, { to: [to], type: 'txt', body: { msg }, ...extra });
    return body.data[to] as string;
  };

  it('answers the documented envelope', async () => {
    const [u] = await t.makeUsers('off_env');
    const res = await t.api('GET', `/users/${u}/offline_msg_count`);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ action: 'get', entities: [], data: { [u]: 0 }, count: 0 });
    expect(res.body.uri).toMatch(new RegExp(`/acme/chat/users/${u}/offline_msg_count$`));
    const st = await t.api('GET', `/users/${u}/offline_msg_status/123`);
    expect(st.status, st.text).toBe(200);
    expect(st.body).toMatchObject({ action: 'get', entities: [], data: { '123': 'delivered' } });
  });

  it('counts 1:1 messages until a device of the user receives them', async () => {
    const [a, b] = await t.makeUsers('off_a', 'off_b');
    const first = await sendTo('users', b, 'off-1', { from: a });
    const second = await sendTo('users', b, 'off-2', { from: a });
    expect(await count(b)).toBe(2);
    expect(await status(b, first)).toBe('undelivered');
    expect(await status(b, second)).toBe('undelivered');
    // Nothing waits for the sender.
    expect(await count(a)).toBe(0);
    expect(await status(a, first)).toBe('delivered');

    const device = await devices.connect(b);
    await device.message('off-2');
    await countBecomes(b, 0);
    expect(await status(b, first)).toBe('delivered');
    expect(await status(b, second)).toBe('delivered');
    await devices.disconnect(device);

    // Another of the user's devices has not had them, but one device did: they are not offline.
    const third = await sendTo('users', b, 'off-3', { from: a });
    expect(await count(b)).toBe(1);
    expect(await status(b, third)).toBe('undelivered');
  });

  it('counts group messages since the user joined, for members only', async () => {
    const [owner, early, late, outsider] = await t.makeUsers('off_go', 'off_ge', 'off_gl', 'off_gx');
    const group = await t.createGroup(owner, [early]);
    const before = await sendTo('chatgroups', group, 'g-1');
    await sleep(5);
    await t.apiOk('POST', `/chatgroups/${group}/users/${late}`);
    const after = await sendTo('chatgroups', group, 'g-2');
    expect(await count(early)).toBe(2);
    expect(await count(owner)).toBe(2);
    expect(await count(late)).toBe(1);
    expect(await count(outsider)).toBe(0);
    expect(await status(late, before)).toBe('delivered');
    expect(await status(late, after)).toBe('undelivered');
    expect(await status(outsider, after)).toBe('delivered');

    const device = await devices.connect(late);
    await device.message('g-2');
    await countBecomes(late, 0);
    expect(await status(late, after)).toBe('delivered');
    expect(await count(early)).toBe(2);
  });

  it('does not count live-only, chatroom or own client messages', async () => {
    const [a, b] = await t.makeUsers('off_la', 'off_lb');
    const live = await sendTo('users', b, 'live-1', { from: a, routetype: 'ROUTE_ONLINE' });
    const room = await t.createRoom(a, [b]);
    const roomMsg = await sendTo('chatrooms', room, 'room-1');
    expect(await count(b)).toBe(0);
    expect(await status(b, live)).toBe('delivered');
    expect(await status(b, roomMsg)).toBe('delivered');

    // A client send of b's: waits for a, not for b (whose other devices get a copy but it is b's own).
    const device = await devices.connect(b);
    const own = await device.sayOk('chat', a, 'own-1');
    await devices.disconnect(device);
    expect(await count(b)).toBe(0);
    expect(await status(b, own)).toBe('delivered');
    expect(await count(a)).toBe(1);
    expect(await status(a, own)).toBe('undelivered');
  });

  it('a message to a user who does not exist waits for nobody', async () => {
    const [a] = await t.makeUsers('off_na');
    const id = await sendTo('users', 'off_nobody_here', 'nobody-1', { from: a, sync_device: true });
    expect(await count(a)).toBe(0);
    expect(await status(a, id)).toBe('delivered');
  });

  it('names users case-insensitively and answers unknown message ids as delivered', async () => {
    const [a, b] = await t.makeUsers('off_ca', 'off_cb');
    const id = await sendTo('users', b, 'case-1', { from: a });
    const upper = b.toUpperCase();
    const res = await t.api('GET', `/users/${upper}/offline_msg_count`);
    expect(res.body.data).toEqual({ [upper]: 1 });
    expect(await status(upper, id)).toBe('undelivered');
    for (const other of ['999999999999999999', 'not-a-number', '1'.repeat(80)]) expect(await status(b, other)).toBe('delivered');
  });

  it('unknown and other-app users answer 404 service_resource_not_found', async () => {
    const [a] = await t.makeUsers('off_xa');
    for (const path of ['/users/off_missing/offline_msg_count', '/users/off_missing/offline_msg_status/1']) {
      expectError(await t.api('GET', path), 404, 'service_resource_not_found', 'Service resource not found');
    }
    expectError(await t.api('GET', `/users/${a}/offline_msg_count`, { app: OTHER, token: await t.appToken(OTHER) }), 404, 'service_resource_not_found');
    // A user token is not enough (app token only).
    const res = await t.api('GET', `/users/${a}/offline_msg_count`, { token: await t.userToken(a) });
    expect(res.status).toBe(401);
  });
});
