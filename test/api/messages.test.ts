// REST message sends (REFERENCE §2e: message_single.md, message_group.md, message_chatroom.md):
// POST /messages/users | /messages/chatgroups | /messages/chatrooms — the success envelope and
// message ids, the `to` limits, every documented error row, body/type validation, the 5 KB limit,
// that REST sends are admin sends (not refused by mutes or mute-all) while a disabled group refuses
// them, unknown targets, and what connected clients receive (members only, sync_device,
// routetype ROUTE_ONLINE, offline delivery). Delivery is observed through real WebSocket clients.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { databases, startApp, type Reply, type TestApp } from '../support/harness.js';
import { expectError } from '../support/expect.js';
import { sleep } from '../support/util.js';
import { Devices, QUIET_MS, type Client } from '../support/ws.js';

type Target = 'users' | 'chatgroups' | 'chatrooms';

const MISSING_ID = '999999999999999';
const LIMITS: Record<Target, number> = { users: 600, chatgroups: 3, chatrooms: 10 };

const expectSendError = (res: Reply, description: string) => expectError(res, 400, 'message_send_error', description);
const expectInvalidBody = (res: Reply) => expectError(res, 400, 'invalid_request_body', 'Request body is invalid. Please check body is correct.');

/** JSON size of body + ext, as the 5 KB limit counts it. */
const jsonBytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

describe.each(databases)('REST message sends (%s)', (kind) => {
  let t: TestApp;
  let devices: Devices;

  beforeAll(async () => {
    t = await startApp(kind);
    devices = await Devices.listen(t);
  });
  afterAll(() => t.close());
  afterEach(() => devices.closeAll());

  // ---- helpers ----

  const send = (target: Target, body: unknown): Promise<Reply> => t.api('POST', `/messages/${target}`, { body });
  const sendRaw = (target: Target, payload: string): Promise<Reply> =>
    t.api('POST', `/messages/${target}`, { payload, headers: { 'content-type': 'application/json' } });

  /** A send that must succeed; answers `data` (target → message id). */
  const sendOk = async (target: Target, body: Record<string, unknown>): Promise<Record<string, string>> => {
    const res = await send(target, body);
    expect(res.status, res.text).toBe(200);
    return res.body.data as Record<string, string>;
  };

  const txt = (to: string[], msg: string, extra: Record<string, unknown> = {}) => ({ to, type: 'txt', body: { msg }, ...extra });

  const connect = (user: string): Promise<Client> => devices.connect(user);
  /** Closes a device and waits until the server sees its user offline (the fan-out lets go of it). */
  const disconnect = (c: Client): Promise<void> => devices.disconnect(c);

  // ---- success ----

  describe('success responses', () => {
    it('POST /messages/users answers the envelope without entities and a message id per user', async () => {
      await t.createUsers('ok_u1', 'ok_u2');
      const res = await send('users', { from: 'ok_u1', to: ['ok_u2', 'ok_nobody'], type: 'txt', body: { msg: 'hi' } });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ action: 'post', path: '/messages/users', organization: 'acme', applicationName: 'chat' });
      expect(res.body.uri).toMatch(/\/acme\/chat\/messages\/users$/);
      expect(typeof res.body.application).toBe('string');
      expect(typeof res.body.timestamp).toBe('number');
      expect(typeof res.body.duration).toBe('number');
      expect(res.body).not.toHaveProperty('entities');
      // `from` and `to` are not validated: an unknown recipient gets an id too.
      expect(Object.keys(res.body.data).sort()).toEqual(['ok_nobody', 'ok_u2']);
      for (const id of Object.values(res.body.data)) expect(id).toMatch(/^\d+$/);
      expect(res.body.data.ok_u2).not.toBe(res.body.data.ok_nobody);
    });

    it.each([
      ['chatgroups', '/messages/chatgroups'],
      ['chatrooms', '/messages/chatrooms'],
    ] as const)('POST /messages/%s maps each id to a message id', async (target, path) => {
      await t.createUsers(`ok_${target}_o`);
      const id = target === 'chatgroups' ? await t.createGroup(`ok_${target}_o`, []) : await t.createRoom(`ok_${target}_o`, []);
      const res = await send(target, txt([id], 'hi'));
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ action: 'post', path });
      expect(res.body).not.toHaveProperty('entities');
      expect(Object.keys(res.body.data)).toEqual([id]);
      expect(res.body.data[id]).toMatch(/^\d+$/);
    });

    it('message ids are numeric strings, unique and increasing across sends and endpoints', async () => {
      await t.createUsers('ids_o', 'ids_a', 'ids_b');
      const gid = await t.createGroup('ids_o', ['ids_a']);
      const rid = await t.createRoom('ids_o', ['ids_a']);
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const users = await sendOk('users', txt(['ids_a', 'ids_b'], `m${i}`));
        ids.push(users.ids_a!, users.ids_b!);
        ids.push((await sendOk('chatgroups', txt([gid], `g${i}`)))[gid]!);
        ids.push((await sendOk('chatrooms', txt([rid], `r${i}`)))[rid]!);
      }
      for (const id of ids) expect(id).toMatch(/^[1-9]\d*$/);
      expect(new Set(ids).size).toBe(ids.length);
      for (let i = 1; i < ids.length; i++) expect(BigInt(ids[i]!) > BigInt(ids[i - 1]!), `${ids[i]} after ${ids[i - 1]}`).toBe(true);
    });

    it('accepts every message type with a valid body', async () => {
      const bodies: [string, Record<string, unknown>][] = [
        ['txt', { msg: 'hello' }],
        ['img', { filename: 'a.jpg', secret: 's', url: 'https://x/a.jpg', size: { width: 10, height: 20 } }],
        ['audio', { url: 'https://x/a.amr', filename: 'a.amr', length: 3, secret: 's' }],
        ['video', { url: 'https://x/v.mp4', filename: 'v.mp4', thumb: 'https://x/t.jpg', length: 5, secret: 's', file_length: 100, thumb_secret: 't' }],
        ['file', { url: 'https://x/f.pdf', filename: 'f.pdf', secret: 's' }],
        ['loc', { lat: '39.9', lng: '116.3', addr: 'Beijing' }],
        ['cmd', { action: 'action1' }],
        ['custom', { customEvent: 'gift_1-a/b.c', customExts: { name: 'flower', size: '16' } }],
        ['custom', {}],
      ];
      for (const [type, body] of bodies) {
        const res = await send('users', { to: ['types_u'], type, body });
        expect(res.status, `${type}: ${res.text}`).toBe(200);
      }
    });
  });

  // ---- `to` limits ----

  describe.each(['users', 'chatgroups', 'chatrooms'] as const)('the `to` limit of /messages/%s', (target) => {
    const limit = LIMITS[target];
    const ids = (n: number) => Array.from({ length: n }, (_, i) => (target === 'users' ? `lim_${target}_${i}` : String(MISSING_ID.slice(0, -4) + String(1000 + i))));

    it(`accepts ${limit} targets`, async () => {
      const data = await sendOk(target, txt(ids(limit), 'lim'));
      expect(Object.keys(data).sort()).toEqual(ids(limit).sort());
      expect(new Set(Object.values(data)).size).toBe(limit);
    });

    it(`refuses ${limit + 1} targets with "params to's size can't exceed limit ${limit}"`, async () => {
      expectSendError(await send(target, txt(ids(limit + 1), 'lim')), `params to's size can't exceed limit ${limit}`);
    });
  });

  // ---- error rows ----

  describe.each(['users', 'chatgroups', 'chatrooms'] as const)('error rows of /messages/%s', (target) => {
    const to = target === 'users' ? ['err_u'] : [MISSING_ID];
    const good = { to, type: 'txt', body: { msg: 'hi' } };

    it('refuses a body that is not a JSON object with invalid_request_body', async () => {
      for (const payload of ['[]', '[1,2]', '"x"', '42', 'null', 'true']) {
        const res = await sendRaw(target, payload);
        expect(res.status, `${payload}: ${res.text}`).toBe(400);
        expectInvalidBody(res);
      }
    });

    it('refuses a from or to that is over 64 characters once lower-cased (64 × "İ" is 128), with invalid_request_body', async () => {
      // "İ".toLowerCase() is two characters: the stored name would not fit the 64-character columns.
      const dotted = 'İ'.repeat(64);
      expect(dotted.toLowerCase()).toHaveLength(128);
      expectInvalidBody(await send(target, { ...good, from: dotted }));
      expectInvalidBody(await send(target, { ...good, to: [dotted] }));
      expect((await send(target, { ...good, from: 'İ'.repeat(32) })).status).toBe(200);
    });

    it('refuses from "" with "param from can\'t be empty"; a missing from defaults to admin', async () => {
      expectSendError(await send(target, { ...good, from: '' }), "param from can't be empty");
      expect((await send(target, good)).status).toBe(200);
    });

    it('refuses a missing or empty `to` with "param to can\'t be empty"', async () => {
      expectSendError(await send(target, { type: 'txt', body: { msg: 'hi' } }), "param to can't be empty");
      expectSendError(await send(target, { ...good, to: [] }), "param to can't be empty");
    });

    it('refuses a missing or empty `type` with "param type can\'t be empty"', async () => {
      expectSendError(await send(target, { to, body: { msg: 'hi' } }), "param type can't be empty");
      expectSendError(await send(target, { to, type: '', body: { msg: 'hi' } }), "param type can't be empty");
    });

    it('refuses a missing `body` with "param body can\'t be empty"', async () => {
      expectSendError(await send(target, { to, type: 'txt' }), "param body can't be empty");
      expectSendError(await send(target, { to, type: 'txt', body: null }), "param body can't be empty");
    });

    it('refuses an ext that is not an object with "param ext must be JSONObject"', async () => {
      for (const ext of [null, 'x', [], [1], 3, true]) {
        expectSendError(await send(target, { ...good, ext }), 'param ext must be JSONObject');
      }
      expect((await send(target, { ...good, ext: { em_ignore_notification: true } })).status).toBe(200);
    });

    it('refuses body + ext over 5 KB with "message is too large"; exactly 5 KB is accepted', async () => {
      const ext = { k: 'e'.repeat(1000) };
      const fill = 5 * 1024 - jsonBytes({ msg: '' }) - jsonBytes(ext);
      const atLimit = { ...good, body: { msg: 'a'.repeat(fill) }, ext };
      expect(jsonBytes(atLimit.body) + jsonBytes(ext)).toBe(5120);
      const ok = await send(target, atLimit);
      expect(ok.status, ok.text).toBe(200);
      expectSendError(await send(target, { ...good, body: { msg: 'a'.repeat(fill + 1) }, ext }), 'message is too large');
      // Without ext the body alone may use the whole 5 KB.
      expect((await send(target, { ...good, body: { msg: 'a'.repeat(5120 - jsonBytes({ msg: '' }) - 2) } })).status).toBe(200);
      // Bytes, not characters: 2000 three-byte characters are 6000 bytes.
      expectSendError(await send(target, { ...good, body: { msg: '中'.repeat(2000) } }), 'message is too large');
    });

    it('refuses an unknown type or a body that does not match its type with invalid_request_body', async () => {
      const bad: [unknown, unknown][] = [
        ['hologram', { msg: 'hi' }],
        ['TXT', { msg: 'hi' }],
        [7, { msg: 'hi' }],
        ['txt', {}],
        ['txt', { msg: 7 }],
        ['txt', 'hi'],
        ['txt', ['hi']],
        ['img', { filename: 'a.jpg' }],
        ['audio', { filename: 'a.amr' }],
        ['video', { thumb: 't' }],
        ['file', { filename: 'f' }],
        ['loc', { addr: 'x' }],
        ['cmd', {}],
        ['custom', { customEvent: 'has space' }],
        ['custom', { customEvent: 'x'.repeat(33) }],
        ['custom', { customEvent: '' }],
        ['custom', { customExts: { a: 1 } }],
        ['custom', { customExts: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) }],
      ];
      for (const [type, body] of bad) {
        const res = await send(target, { to, type, body });
        expect(res.status, `${JSON.stringify([type, body])}: ${res.text}`).toBe(400);
        expectInvalidBody(res);
      }
    });

    it('requires an app token', async () => {
      await t.createUsers(`err_tok_${target}`);
      const tok = await t.api('POST', '/token', { token: null, body: { grant_type: 'password', username: `err_tok_${target}`, password: 'pw' } });
      expect((await t.api('POST', `/messages/${target}`, { token: tok.body.access_token as string, body: good })).status).toBe(401);
      expect((await t.api('POST', `/messages/${target}`, { token: null, body: good })).status).toBe(401);
    });
  });

  // ---- delivery to connected clients ----

  describe('delivery', () => {
    it('/messages/users reaches every device of the recipient, from "admin" by default, and keeps it for offline users', async () => {
      await t.createUsers('du_a', 'du_b', 'du_off');
      const a1 = await connect('du_a');
      const a2 = await connect('du_a');
      const b = await connect('du_b');

      const data = await sendOk('users', txt(['du_a', 'du_off'], 'du hello', { ext: { k: 'v' } }));
      for (const c of [a1, a2]) {
        expect(await c.message('du hello')).toEqual({
          id: data.du_a,
          from: 'admin',
          to: 'du_a',
          chat_type: 'chat',
          type: 'txt',
          body: { msg: 'du hello' },
          ext: { k: 'v' },
          timestamp: expect.any(Number),
        });
      }
      await b.expectNothing('du');

      // The offline recipient gets it on connecting.
      const off = await connect('du_off');
      expect(await off.message('du hello')).toMatchObject({ id: data.du_off, from: 'admin', to: 'du_off', chat_type: 'chat' });
    });

    it('/messages/users with sync_device delivers to the devices of `from`; without it they get nothing', async () => {
      await t.createUsers('ds_from', 'ds_to');
      const f = await connect('ds_from');
      const to = await connect('ds_to');

      await sendOk('users', txt(['ds_to'], 'ds plain', { from: 'ds_from' }));
      expect(await to.message('ds plain')).toMatchObject({ from: 'ds_from', to: 'ds_to', chat_type: 'chat' });
      await f.expectNothing('ds plain');

      const data = await sendOk('users', txt(['ds_to'], 'ds synced', { from: 'ds_from', sync_device: true }));
      expect(await f.message('ds synced')).toMatchObject({ id: data.ds_to, from: 'ds_from', to: 'ds_to', chat_type: 'chat' });
      await to.message('ds synced');
      // Once each.
      await sleep(QUIET_MS);
      expect(f.texts('ds')).toEqual(['ds synced']);
      expect(to.texts('ds')).toEqual(['ds plain', 'ds synced']);
    });

    it('/messages/chatgroups reaches the members (sender synced), not the non-members', async () => {
      await t.createUsers('dg_o', 'dg_a', 'dg_b', 'dg_n');
      const gid = await t.createGroup('dg_o', ['dg_a', 'dg_b']);
      const [o, a, b, n] = await Promise.all(['dg_o', 'dg_a', 'dg_b', 'dg_n'].map(connect));

      const data = await sendOk('chatgroups', txt([gid], 'dg hello', { from: 'dg_a' }));
      for (const c of [o!, b!]) {
        expect(await c.message('dg hello')).toEqual({
          id: data[gid],
          from: 'dg_a',
          to: gid,
          chat_type: 'groupchat',
          type: 'txt',
          body: { msg: 'dg hello' },
          ext: {},
          timestamp: expect.any(Number),
        });
      }
      // Group messages are synced to the sender (REFERENCE §2e).
      await a!.message('dg hello');
      await n!.expectNothing('dg');
      // From admin (no `from`), everybody in the group gets it.
      await sendOk('chatgroups', txt([gid], 'dg admin'));
      for (const c of [o!, a!, b!]) expect((await c.message('dg admin')).from).toBe('admin');
      await n!.expectNothing('dg');
    });

    it('/messages/chatrooms reaches the members, not the non-members, and is not synced to the sender', async () => {
      await t.createUsers('dr_o', 'dr_a', 'dr_b', 'dr_n');
      const rid = await t.createRoom('dr_o', ['dr_a', 'dr_b']);
      const [o, a, b, n] = await Promise.all(['dr_o', 'dr_a', 'dr_b', 'dr_n'].map(connect));

      const data = await sendOk('chatrooms', txt([rid], 'dr hello', { from: 'dr_a' }));
      for (const c of [o!, b!]) {
        expect(await c.message('dr hello')).toMatchObject({ id: data[rid], from: 'dr_a', to: rid, chat_type: 'chatroom', type: 'txt', body: { msg: 'dr hello' } });
      }
      await n!.expectNothing('dr');
      // "Group messages are synced to the sender; chatroom messages are not" (REFERENCE §2e).
      expect(a!.texts('dr')).toEqual([]);
    });

    it('one send to several groups delivers once per group to each member', async () => {
      await t.createUsers('dm_o', 'dm_a');
      const g1 = await t.createGroup('dm_o', ['dm_a']);
      const g2 = await t.createGroup('dm_o', ['dm_a']);
      const a = await connect('dm_a');
      const data = await sendOk('chatgroups', txt([g1, g2, MISSING_ID], 'dm multi'));
      expect(Object.keys(data).sort()).toEqual([g1, g2, MISSING_ID].sort());
      await a.message('dm multi');
      await sleep(QUIET_MS);
      const got = a.messages().filter((m) => m.body.msg === 'dm multi');
      expect(got.map((m) => m.to).sort()).toEqual([g1, g2].sort());
      expect(got.map((m) => m.id).sort()).toEqual([data[g1], data[g2]].sort());
    });

    it('keeps 1:1 and group REST messages for offline users, oldest first, once', async () => {
      await t.createUsers('dq_o', 'dq_m');
      const gid = await t.createGroup('dq_o', ['dq_m']);
      const d1 = await sendOk('chatgroups', txt([gid], 'dq 1'));
      const d2 = await sendOk('users', txt(['dq_m'], 'dq 2'));
      const d3 = await sendOk('chatgroups', txt([gid], 'dq 3'));
      const m = await connect('dq_m');
      await m.message('dq 3');
      expect(m.texts('dq')).toEqual(['dq 1', 'dq 2', 'dq 3']);
      expect(m.messages().map((x) => x.id)).toEqual([d1[gid], d2.dq_m, d3[gid]]);
      await disconnect(m);
      const again = await connect('dq_m');
      await again.expectNothing('dq');
    });

    it('routetype ROUTE_ONLINE keeps nothing for offline users (users and groups) but reaches online ones', async () => {
      await t.createUsers('ro_o', 'ro_on', 'ro_off');
      const gid = await t.createGroup('ro_o', ['ro_on', 'ro_off']);
      const on = await connect('ro_on');
      await sendOk('users', txt(['ro_on', 'ro_off'], 'ro user', { routetype: 'ROUTE_ONLINE' }));
      await sendOk('chatgroups', txt([gid], 'ro group', { routetype: 'ROUTE_ONLINE' }));
      await on.message('ro user');
      await on.message('ro group');
      // Without routetype the offline user does get it later.
      await sendOk('users', txt(['ro_off'], 'ro kept'));

      const off = await connect('ro_off');
      await off.message('ro kept');
      await sleep(QUIET_MS);
      expect(off.texts('ro')).toEqual(['ro kept']);
    });

    it('chatroom REST messages are not kept for offline members', async () => {
      await t.createUsers('rk_o', 'rk_m');
      const rid = await t.createRoom('rk_o', ['rk_m']);
      await sendOk('chatrooms', txt([rid], 'rk away'));
      const m = await connect('rk_m');
      await sendOk('chatrooms', txt([rid], 'rk live'));
      await m.message('rk live');
      await sleep(QUIET_MS);
      expect(m.texts('rk')).toEqual(['rk live']);
    });
  });

  // ---- moderation: REST sends are admin sends ----

  describe.each(['chatgroups', 'chatrooms'] as const)('moderation and REST sends to %s', (target) => {
    const p = target === 'chatgroups' ? 'mg' : 'mr';
    const create = (owner: string, members: string[]) => (target === 'chatgroups' ? t.createGroup(owner, members) : t.createRoom(owner, members));

    it('a muted member sending via REST is not refused, and the members receive it', async () => {
      const [o, m] = [`${p}_mu_o`, `${p}_mu_m`];
      await t.createUsers(o, m);
      const id = await create(o, [m]);
      await t.apiOk('POST', `/${target}/${id}/mute`, { usernames: [m], mute_duration: -1 });
      const co = await connect(o);
      const data = await sendOk(target, txt([id], `${p} mu from muted`, { from: m }));
      expect(data[id]).toMatch(/^\d+$/);
      expect(await co.message(`${p} mu from muted`)).toMatchObject({ id: data[id], from: m, to: id });
    });

    it('mute-all does not refuse REST sends, from a plain member or from admin', async () => {
      const [o, m] = [`${p}_ma_o`, `${p}_ma_m`];
      await t.createUsers(o, m);
      const id = await create(o, [m]);
      await t.apiOk('POST', `/${target}/${id}/ban`);
      const co = await connect(o);
      const cm = await connect(m);
      await sendOk(target, txt([id], `${p} ma member`, { from: m }));
      await sendOk(target, txt([id], `${p} ma admin`));
      expect((await co.message(`${p} ma member`)).from).toBe(m);
      expect((await cm.message(`${p} ma admin`)).from).toBe('admin');
    });

    it('accepts an unknown id (an id comes back; nobody receives anything)', async () => {
      await t.createUsers(`${p}_unk_x`);
      const x = await connect(`${p}_unk_x`);
      const data = await sendOk(target, txt([MISSING_ID, 'not-a-number'], `${p} unk`));
      expect(Object.keys(data).sort()).toEqual([MISSING_ID, 'not-a-number'].sort());
      for (const v of Object.values(data)) expect(v).toMatch(/^\d+$/);
      await x.expectNothing(`${p} unk`);
    });
  });

  describe('disabled group', () => {
    it('refuses a REST send with 403 forbidden_op and delivers nothing', async () => {
      await t.createUsers('dis_o', 'dis_m');
      const gid = await t.createGroup('dis_o', ['dis_m']);
      const ok = await t.createGroup('dis_o', ['dis_m']);
      await t.apiOk('POST', `/chatgroups/${gid}/disable`);
      const m = await connect('dis_m');

      expectError(await send('chatgroups', txt([gid], 'dis one')), 403, 'forbidden_op');
      expectError(await send('chatgroups', txt([gid], 'dis member', { from: 'dis_o' })), 403, 'forbidden_op');
      // One disabled group refuses the whole request: the enabled group gets nothing either.
      expectError(await send('chatgroups', txt([ok, gid], 'dis mixed')), 403, 'forbidden_op');
      await m.expectNothing('dis');

      // Offline members get nothing later either.
      await disconnect(m);
      const again = await connect('dis_m');
      await again.expectNothing('dis');

      // Enabled again, it works.
      await t.apiOk('POST', `/chatgroups/${gid}/enable`);
      await sendOk('chatgroups', txt([gid], 'dis enabled'));
      await again.message('dis enabled');
    });
  });
});
