// The real-time WebSocket endpoint GET /{org}/{app}/ws (docs/realtime.md; REFERENCE §2c "Allowlist",
// §2e SDK error codes): who may connect, who receives what (members only, every device of every
// recipient, the sender's other devices but never the sending device), order per conversation,
// offline delivery on reconnect (1:1 and groups, not chatrooms), every moderation outcome of a client
// send (215, 507, 602, 210, 603, allowlist, expiring mutes) and malformed frames. Real clients over
// a real socket, on every database.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { databases, OTHER, startApp, type TestApp } from '../support/harness.js';
import { sleep } from '../support/util.js';
import { Devices, QUIET_MS, type Client, type Frame } from '../support/ws.js';
import { expectError } from '../support/expect.js';

describe.each(databases)('real-time WebSocket (%s)', (kind) => {
  let t: TestApp;
  let devices: Devices;
  let wsBase: string;

  beforeAll(async () => {
    t = await startApp(kind);
    devices = await Devices.listen(t);
    wsBase = devices.base;
  });
  afterAll(() => t.close());
  afterEach(() => devices.closeAll());

  // ---- helpers ----

  const open = (user: string, url: string): Client => devices.open(user, url);
  /** A connected device of `user`. */
  const connect = (user: string): Promise<Client> => devices.connect(user);
  /** Closes a device and waits until the server has let go of it (see Devices.disconnect). */
  const disconnect = (c: Client): Promise<void> => devices.disconnect(c);

  /** The upgrade must be refused with HTTP 401 (the 'unexpected-response' event of the ws client). */
  const expectRefused = async (url: string): Promise<void> => {
    const ws = new WebSocket(url);
    const outcome = await new Promise<{ status?: number; body?: string; opened?: boolean; error?: string }>((resolve) => {
      ws.once('open', () => resolve({ opened: true }));
      ws.once('error', (err) => resolve({ error: err.message }));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += String(chunk)));
        res.on('end', () => resolve({ status: res.statusCode, body }));
        res.on('error', () => resolve({ status: res.statusCode, body }));
      });
    });
    if (ws.readyState === WebSocket.OPEN) ws.close();
    else ws.terminate();
    expect(outcome.opened, 'the upgrade must not succeed').toBeUndefined();
    expect(outcome.status, JSON.stringify(outcome)).toBe(401);
    // The 401 carries the usual error envelope.
    const err = JSON.parse(outcome.body!) as { error: string; error_description: string };
    expect(['unauthorized', 'auth_bad_access_token']).toContain(err.error);
    expect(typeof err.error_description).toBe('string');
  };

  // ---- authentication ----

  describe('connecting', () => {
    it('accepts a valid user token in access_token', async () => {
      await t.createUsers('auth_ok');
      const c = await connect('auth_ok');
      expect(c.ws.readyState).toBe(WebSocket.OPEN);
    });

    it('answers a plain GET (no Upgrade header) with 400 and the error body, not an empty 404', async () => {
      await t.createUsers('auth_plain');
      const token = await t.userToken('auth_plain');
      const res = await t.api('GET', `/ws?access_token=${token}`, { token: null });
      expectError(res, 400, 'illegal_argument', /WebSocket/);
    });

    it('refuses a missing token before the upgrade (401)', async () => {
      await expectRefused(wsBase);
      await expectRefused(`${wsBase}?access_token=`);
    });

    it('refuses a garbage token (401)', async () => {
      await expectRefused(`${wsBase}?access_token=not-a-token`);
      await expectRefused(`${wsBase}?access_token=YWMt${'A'.repeat(150)}`);
    });

    it('refuses a token with a forged signature (401)', async () => {
      await t.createUsers('auth_forged');
      const good = await t.userToken('auth_forged');
      // Change one character in the middle of the signature (the last one has spellings that decode alike).
      const i = good.length - 10;
      const forged = good.slice(0, i) + (good[i] === 'A' ? 'B' : 'A') + good.slice(i + 1);
      await expectRefused(`${wsBase}?access_token=${forged}`);
    });

    it('refuses an expired token (401)', async () => {
      await t.createUsers('auth_expired');
      const token = await t.userToken('auth_expired', 'pw', { ttl: 1 });
      await sleep(1200);
      await expectRefused(`${wsBase}?access_token=${token}`);
    });

    it('refuses an app token (401): only users connect', async () => {
      await expectRefused(`${wsBase}?access_token=${t.adminToken}`);
    });

    it("refuses a user token of another app (401)", async () => {
      const otherAdmin = await t.appToken(OTHER);
      const reg = await t.api('POST', '/users', { app: OTHER, token: otherAdmin, body: [{ username: 'auth_other', password: 'pw' }] });
      expect(reg.status, reg.text).toBe(200);
      const foreign = await t.userToken('auth_other', 'pw', { app: OTHER });
      await expectRefused(`${wsBase}?access_token=${foreign}`);
    });
  });

  describe('sessions that end', () => {
    const closed = (c: { ws: WebSocket }) =>
      new Promise<number>((resolve) => {
        if (c.ws.readyState === WebSocket.CLOSED) return resolve(-1);
        c.ws.once('close', (code) => resolve(code));
      });

    it.each([
      ['deactivating the user', (u: string) => t.api('POST', `/users/${u}/deactivate`)],
      ['deleting the user', (u: string) => t.api('DELETE', `/users/${u}`)],
      ['changing their password', (u: string) => t.api('PUT', `/users/${u}/password`, { body: { newpassword: 'new' } })],
    ])('%s closes every connected device and refuses the old token', async (_what, end) => {
      const user = `end_${Math.random().toString(36).slice(2, 8)}`;
      await t.createUsers(user);
      const token = await t.userToken(user);
      const a = await connect(user);
      const b = await connect(user);
      const closing = Promise.all([closed(a), closed(b)]);
      expect((await end(user)).status).toBe(200);
      expect(await closing).toEqual([4001, 4001]);
      await expectRefused(`${wsBase}?access_token=${token}`);
    });
  });

  // ---- delivery ----

  describe('delivery', () => {
    it('delivers a group message to every member, with the documented shape, and to nobody else', async () => {
      await t.createUsers('dg_o', 'dg_a', 'dg_b', 'dg_n');
      const gid = await t.createGroup('dg_o', ['dg_a', 'dg_b']);
      const [o, a, b, n] = await Promise.all(['dg_o', 'dg_a', 'dg_b', 'dg_n'].map(connect));

      const before = Date.now();
      const id = await a!.sayOk('groupchat', gid, 'dg hello');
      for (const member of [o!, b!]) {
        const m = await member.message('dg hello');
        expect(m).toEqual({ id, from: 'dg_a', to: gid, chat_type: 'groupchat', type: 'txt', body: { msg: 'dg hello' }, ext: {}, timestamp: m.timestamp });
        expect(m.timestamp).toBeGreaterThanOrEqual(before - 1000);
        expect(m.timestamp).toBeLessThanOrEqual(Date.now() + 1000);
      }
      await n!.expectNothing('dg');
      // The sending device gets the ack, never its own message.
      expect(a!.texts('dg')).toEqual([]);
    });

    it('carries ext and non-txt bodies through unchanged', async () => {
      await t.createUsers('dx_a', 'dx_b');
      const a = await connect('dx_a');
      const b = await connect('dx_b');
      const ext = { em_ignore_notification: true, k: 'v', nested: { n: 1 } };
      const ack = await a.request({ type: 'send', chat_type: 'chat', to: 'dx_b', msg_type: 'custom', body: { customEvent: 'gift', customExts: { size: 'L' } }, ext });
      expect(ack).toMatchObject({ type: 'ack' });
      const f = await b.waitFor((x) => x.type === 'message' && x.message?.type === 'custom', 'the custom message');
      expect(f.message).toMatchObject({ id: ack.msg_id, from: 'dx_a', to: 'dx_b', chat_type: 'chat', type: 'custom', body: { customEvent: 'gift', customExts: { size: 'L' } }, ext });
    });

    it("copies a message to the sender's other devices but never to the sending device", async () => {
      await t.createUsers('dd_o', 'dd_a');
      const gid = await t.createGroup('dd_o', ['dd_a']);
      const a1 = await connect('dd_a');
      const a2 = await connect('dd_a');
      const o = await connect('dd_o');

      const id = await a1.sayOk('groupchat', gid, 'dd copy');
      expect((await a2.message('dd copy')).id).toBe(id);
      expect((await o.message('dd copy')).id).toBe(id);
      await a1.expectNothing('dd');
      // And the other way round.
      await a2.sayOk('groupchat', gid, 'dd back');
      await a1.message('dd back');
      await a2.expectNothing('dd back');
    });

    it("delivers a 1:1 message to every device of the peer and the sender's other device", async () => {
      await t.createUsers('dc_a', 'dc_p', 'dc_x');
      const a1 = await connect('dc_a');
      const a2 = await connect('dc_a');
      const p1 = await connect('dc_p');
      const p2 = await connect('dc_p');
      const x = await connect('dc_x');

      const id = await a1.sayOk('chat', 'dc_p', 'dc one');
      for (const c of [p1, p2, a2]) {
        expect(await c.message('dc one')).toEqual({ id, from: 'dc_a', to: 'dc_p', chat_type: 'chat', type: 'txt', body: { msg: 'dc one' }, ext: {}, timestamp: expect.any(Number) });
      }
      await a1.expectNothing('dc');
      expect(x.texts('dc')).toEqual([]);
      // Each device got it exactly once.
      for (const c of [p1, p2, a2]) expect(c.texts('dc')).toEqual(['dc one']);
    });

    it('delivers a chatroom message to the members only', async () => {
      await t.createUsers('dr_o', 'dr_a', 'dr_b', 'dr_n');
      const rid = await t.createRoom('dr_o', ['dr_a', 'dr_b']);
      const [o, a, b, n] = await Promise.all(['dr_o', 'dr_a', 'dr_b', 'dr_n'].map(connect));

      const id = await b!.sayOk('chatroom', rid, 'dr hello');
      for (const c of [o!, a!]) {
        expect(await c.message('dr hello')).toEqual({ id, from: 'dr_b', to: rid, chat_type: 'chatroom', type: 'txt', body: { msg: 'dr hello' }, ext: {}, timestamp: expect.any(Number) });
      }
      await n!.expectNothing('dr');
      expect(b!.texts('dr')).toEqual([]);
    });

    it('keeps the order of 20 messages sent quickly from one device, and ids increase', async () => {
      await t.createUsers('do_o', 'do_a', 'do_b');
      const gid = await t.createGroup('do_o', ['do_a', 'do_b']);
      const a = await connect('do_a');
      const b = await connect('do_b');
      const p = await connect('do_o');

      const expected = Array.from({ length: 20 }, (_, i) => `do ${String(i).padStart(2, '0')}`);
      // Fire them all without waiting for acks; alternate group and 1:1 conversations.
      const answers = await Promise.all(expected.map((msg) => a.say('groupchat', gid, msg)));
      const direct = await Promise.all(expected.map((msg) => a.say('chat', 'do_b', `${msg} dm`)));
      for (const ans of [...answers, ...direct]) expect(ans.type, JSON.stringify(ans)).toBe('ack');

      await b.waitFor((f) => f.message?.body.msg === 'do 19', 'last group message');
      await b.waitFor((f) => f.message?.body.msg === 'do 19 dm', 'last direct message');
      await p.waitFor((f) => f.message?.body.msg === 'do 19', 'last group message');
      const groupOnly = (c: Client) => c.messages().filter((m) => m.chat_type === 'groupchat' && String(m.body.msg).startsWith('do ')).map((m) => m.body.msg);
      expect(groupOnly(b)).toEqual(expected);
      expect(groupOnly(p)).toEqual(expected);
      expect(b.messages().filter((m) => m.chat_type === 'chat').map((m) => m.body.msg)).toEqual(expected.map((m) => `${m} dm`));

      const ids = answers.map((x) => BigInt(x.msg_id!));
      for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
      expect(b.messages().filter((m) => m.chat_type === 'groupchat').map((m) => m.id)).toEqual(answers.map((x) => x.msg_id));
    });
  });

  // ---- offline delivery ----

  describe('offline delivery', () => {
    it('delivers queued group and 1:1 messages on reconnect, oldest first and before live ones, once', async () => {
      await t.createUsers('off_o', 'off_a', 'off_b');
      const gid = await t.createGroup('off_o', ['off_a', 'off_b']);
      const a = await connect('off_a');
      const b = await connect('off_b');
      await disconnect(b);

      const ids = [
        await a.sayOk('groupchat', gid, 'off 1'),
        await a.sayOk('chat', 'off_b', 'off 2'),
        await a.sayOk('groupchat', gid, 'off 3'),
        await a.sayOk('chat', 'off_b', 'off 4'),
      ];

      const b2 = await connect('off_b');
      const live = await a.sayOk('groupchat', gid, 'off 5 live');
      await b2.message('off 5 live');
      expect(b2.texts('off')).toEqual(['off 1', 'off 2', 'off 3', 'off 4', 'off 5 live']);
      expect(b2.messages().filter((m) => m.body.msg !== undefined && String(m.body.msg).startsWith('off')).map((m) => m.id)).toEqual([...ids, live]);
      const [g1, c2] = b2.messages();
      expect(g1).toMatchObject({ from: 'off_a', to: gid, chat_type: 'groupchat', type: 'txt', body: { msg: 'off 1' }, ext: {} });
      expect(c2).toMatchObject({ from: 'off_a', to: 'off_b', chat_type: 'chat', type: 'txt', body: { msg: 'off 2' }, ext: {} });

      // Delivered once: a second reconnect brings nothing back.
      await disconnect(b2);
      const b3 = await connect('off_b');
      await b3.expectNothing('off');
    });

    it('delivers a backlog larger than one batch (510 messages), all of it, in order', async () => {
      await t.createUsers('big_a', 'big_b');
      const a = await connect('big_a');
      const expected = Array.from({ length: 510 }, (_, i) => `big ${String(i).padStart(3, '0')}`);
      const answers = await a.sendMany('chat', 'big_b', expected);
      for (const ans of answers) expect(ans.type, JSON.stringify(ans)).toBe('ack');

      const b = await connect('big_b');
      await b.waitUntil(() => b.texts('big').length >= expected.length, 'the whole backlog', 30_000);
      await sleep(QUIET_MS);
      expect(b.texts('big')).toEqual(expected);
      expect(b.messages().map((m) => m.id)).toEqual(answers.map((x) => x.msg_id));
    });

    it('a user who connects while messages are being sent gets each exactly once, in order, and not again on reconnect', async () => {
      // The connect lands at a different point of a stream of 1:1 messages in each run. A message in
      // flight while the user connects must be neither duplicated nor left queued for later.
      await t.createUsers('race_a');
      const a = await connect('race_a');
      const problems: string[] = [];
      for (let run = 0; run < 8; run++) {
        const b = `race_b${run}`;
        await t.createUsers(b);
        const token = await t.userToken(b);
        const prefix = `race${run} `;
        const expected = Array.from({ length: 30 }, (_, i) => `${prefix}${String(i).padStart(2, '0')}`);
        const sending = a.sendMany('chat', b, expected);
        await sleep(run * 2);
        const c = open(b, `${wsBase}?access_token=${token}`);
        await c.opened;
        const answers = await sending;
        expect(answers.every((x) => x.type === 'ack')).toBe(true);
        await c.waitUntil(() => c.texts(prefix).includes(expected.at(-1)!), 'the last message');
        await sleep(50);
        const live = c.texts(prefix);
        if (JSON.stringify(live) !== JSON.stringify(expected)) problems.push(`run ${run}: first connection got ${JSON.stringify(live.map((m) => Number(m.slice(prefix.length))))}`);
        await disconnect(c);
        const again = await connect(b);
        await sleep(QUIET_MS);
        const replayed = again.texts(prefix);
        if (replayed.length > 0) problems.push(`run ${run}: delivered again on reconnect: ${JSON.stringify(replayed)}`);
      }
      expect(problems).toEqual([]);
    });

    it('a user whose only device disconnects while messages are being sent loses none of them', async () => {
      // The disconnect lands at a different point of a stream of 1:1 messages in each run; what the
      // first connection did not get must come on the next one, exactly once.
      await t.createUsers('gone_a');
      const a = await connect('gone_a');
      const problems: string[] = [];
      for (let run = 0; run < 8; run++) {
        const b = `gone_b${run}`;
        await t.createUsers(b);
        const first = await connect(b);
        const prefix = `gone${run} `;
        const expected = Array.from({ length: 30 }, (_, i) => `${prefix}${String(i).padStart(2, '0')}`);
        const sending = a.sendMany('chat', b, expected);
        await sleep(run * 2 + 2);
        await disconnect(first);
        const answers = await sending;
        expect(answers.every((x) => x.type === 'ack')).toBe(true);
        const second = await connect(b);
        await sleep(QUIET_MS);
        const got = [...first.texts(prefix), ...second.texts(prefix)];
        if (JSON.stringify(got) !== JSON.stringify(expected)) {
          const missing = expected.filter((m) => !got.includes(m)).map((m) => Number(m.slice(prefix.length)));
          problems.push(`run ${run}: first connection got ${first.texts(prefix).length}, second ${second.texts(prefix).length}, missing ${JSON.stringify(missing)}`);
        }
      }
      expect(problems).toEqual([]);
    });

    it('queues for a user with no connected device only; an online user gets it live, not again later', async () => {
      await t.createUsers('oq_a', 'oq_b');
      const a = await connect('oq_a');
      const b = await connect('oq_b');
      await a.sayOk('chat', 'oq_b', 'oq live');
      await b.message('oq live');
      await disconnect(b);
      const b2 = await connect('oq_b');
      await b2.expectNothing('oq');
    });

    it('does not keep chatroom messages for offline members', async () => {
      await t.createUsers('orr_o', 'orr_a', 'orr_m');
      const rid = await t.createRoom('orr_o', ['orr_a', 'orr_m']);
      const a = await connect('orr_a');
      await a.sayOk('chatroom', rid, 'orr while away');

      const m = await connect('orr_m');
      // The connection works: a live room message arrives, the earlier one never does.
      await a.sayOk('chatroom', rid, 'orr live');
      await m.message('orr live');
      await sleep(QUIET_MS);
      expect(m.texts('orr')).toEqual(['orr live']);
    });
  });

  // ---- moderation of client sends ----

  describe.each([
    ['chatgroups', 'groupchat'],
    ['chatrooms', 'chatroom'],
  ] as const)('moderation in %s', (resource, chatType) => {
    const p = resource === 'chatgroups' ? 'mg' : 'mr';
    const create = (owner: string, members: string[]) => (resource === 'chatgroups' ? t.createGroup(owner, members) : t.createRoom(owner, members));

    const expectRefusal = (answer: Frame, code: number): void => {
      expect(answer, JSON.stringify(answer)).toMatchObject({ type: 'error', code });
      expect(typeof answer.error).toBe('string');
      expect(typeof answer.error_description).toBe('string');
      expect(answer.ref).toMatch(/^r\d+$/);
    };

    it('refuses a muted member with 215 and delivers nothing', async () => {
      const [o, m, x] = [`${p}mu_o`, `${p}mu_m`, `${p}mu_x`];
      await t.createUsers(o, m, x);
      const id = await create(o, [m, x]);
      await t.apiOk('POST', `/${resource}/${id}/mute`, { usernames: [m], mute_duration: 60_000 });
      const cm = await connect(m);
      const cx = await connect(x);

      expectRefusal(await cm.say(chatType, id, 'mu refused'), 215);
      await cx.expectNothing('mu');
      // Others still speak.
      await cx.sayOk(chatType, id, 'mu other');
      await cm.message('mu other');
      // Unmuted, the member speaks again.
      await t.apiOk('DELETE', `/${resource}/${id}/mute/${m}`);
      await cm.sayOk(chatType, id, 'mu again');
      await cx.message('mu again');
    });

    it('mute-all refuses a plain member with 507; owner, admin and allowlisted members may speak', async () => {
      const [o, ad, w, m] = [`${p}ma_o`, `${p}ma_ad`, `${p}ma_w`, `${p}ma_m`];
      await t.createUsers(o, ad, w, m);
      const id = await create(o, [ad, w, m]);
      await t.apiOk('POST', `/${resource}/${id}/admin`, { newadmin: ad });
      await t.apiOk('POST', `/${resource}/${id}/white/users/${w}`);
      await t.apiOk('POST', `/${resource}/${id}/ban`);
      const [co, cad, cw, cm] = await Promise.all([o, ad, w, m].map(connect));

      expectRefusal(await cm!.say(chatType, id, 'ma plain'), 507);
      await co!.sayOk(chatType, id, 'ma owner');
      await cad!.sayOk(chatType, id, 'ma admin');
      await cw!.sayOk(chatType, id, 'ma allowlisted');
      // The plain member still receives what the others say.
      await cm!.message('ma owner');
      await cm!.message('ma admin');
      await cm!.message('ma allowlisted');
      await sleep(QUIET_MS);
      expect(co!.texts('ma plain')).toEqual([]);

      // Mute-all lifted: the plain member speaks.
      await t.apiOk('DELETE', `/${resource}/${id}/ban`);
      await cm!.sayOk(chatType, id, 'ma lifted');
      await co!.message('ma lifted');
    });

    it('the mute list beats the allowlist: allowlisted and muted → 215 (with and without mute-all)', async () => {
      const [o, w] = [`${p}mw_o`, `${p}mw_w`];
      await t.createUsers(o, w);
      const id = await create(o, [w]);
      await t.apiOk('POST', `/${resource}/${id}/white/users/${w}`);
      await t.apiOk('POST', `/${resource}/${id}/mute`, { usernames: [w], mute_duration: -1 });
      const cw = await connect(w);
      expectRefusal(await cw.say(chatType, id, 'mw a'), 215);
      await t.apiOk('POST', `/${resource}/${id}/ban`);
      expectRefusal(await cw.say(chatType, id, 'mw b'), 215);
    });

    it('refuses a non-member with 602', async () => {
      const [o, n] = [`${p}nm_o`, `${p}nm_n`];
      await t.createUsers(o, n);
      const id = await create(o, []);
      const co = await connect(o);
      const cn = await connect(n);
      expectRefusal(await cn.say(chatType, id, 'nm refused'), 602);
      await co.expectNothing('nm');
    });

    it('refuses a blocked user with 210 (blocking removes the member)', async () => {
      const [o, b] = [`${p}bl_o`, `${p}bl_b`];
      await t.createUsers(o, b);
      const id = await create(o, [b]);
      const co = await connect(o);
      const cb = await connect(b);
      await cb.sayOk(chatType, id, 'bl before');
      await co.message('bl before');
      await t.apiOk('POST', `/${resource}/${id}/blocks/users/${b}`);
      expectRefusal(await cb.say(chatType, id, 'bl after'), 210);
      // A blocked (removed) user no longer receives the room's messages either.
      await co.sayOk(chatType, id, 'bl owner');
      await cb.expectNothing('bl owner');
      await co.expectNothing('bl after');
    });

    it('a timed mute that expires lets the user speak again', async () => {
      const [o, m] = [`${p}tm_o`, `${p}tm_m`];
      await t.createUsers(o, m);
      const id = await create(o, [m]);
      await t.apiOk('POST', `/${resource}/${id}/mute`, { usernames: [m], mute_duration: 1000 });
      const cm = await connect(m);
      const co = await connect(o);
      expectRefusal(await cm.say(chatType, id, 'tm early'), 215);
      await sleep(1200);
      await cm.sayOk(chatType, id, 'tm late');
      await co.message('tm late');
      expect(co.texts('tm')).toEqual(['tm late']);
    });
  });

  describe('disabled group', () => {
    it('refuses every sender, the owner included, with 603 and delivers nothing', async () => {
      await t.createUsers('dis_o', 'dis_m');
      const gid = await t.createGroup('dis_o', ['dis_m']);
      await t.apiOk('POST', `/chatgroups/${gid}/disable`);
      const co = await connect('dis_o');
      const cm = await connect('dis_m');
      for (const c of [cm, co]) {
        const answer = await c.say('groupchat', gid, 'dis refused');
        expect(answer, JSON.stringify(answer)).toMatchObject({ type: 'error', code: 603 });
        expect(typeof answer.error_description).toBe('string');
      }
      await sleep(QUIET_MS);
      expect([...co.texts('dis'), ...cm.texts('dis')]).toEqual([]);
      // Enabled again: speaking works.
      await t.apiOk('POST', `/chatgroups/${gid}/enable`);
      await cm.sayOk('groupchat', gid, 'dis enabled');
      await co.message('dis enabled');
    });
  });

  // ---- malformed frames ----

  describe('malformed frames', () => {
    it('answers an error frame for each malformed frame and keeps the connection open', async () => {
      await t.createUsers('mf_a', 'mf_b');
      const a = await connect('mf_a');
      const b = await connect('mf_b');

      a.raw('this is not json');
      const notJson = await a.waitFor((f) => f.type === 'error', 'error for non-JSON');
      expect(notJson).toMatchObject({ type: 'error', ref: null });
      expect(typeof notJson.code).toBe('number');
      expect(typeof notJson.error).toBe('string');
      expect(typeof notJson.error_description).toBe('string');

      a.raw('42');
      expect(await a.waitFor((f) => f.type === 'error', 'error for a JSON number')).toMatchObject({ type: 'error', ref: null });

      const unknown = await a.request({ type: 'dance', to: 'mf_b' });
      expect(unknown).toMatchObject({ type: 'error' });
      const noType = await a.request({ chat_type: 'chat', to: 'mf_b', msg_type: 'txt', body: { msg: 'x' } });
      expect(noType).toMatchObject({ type: 'error' });

      const base = { type: 'send', chat_type: 'chat', to: 'mf_b', msg_type: 'txt', body: { msg: 'mf bad' } };
      const broken: Record<string, unknown>[] = [
        { ...base, chat_type: undefined },
        { ...base, chat_type: 'broadcast' },
        { ...base, to: undefined },
        { ...base, msg_type: undefined },
        { ...base, msg_type: 'hologram' },
        { ...base, body: undefined },
        { ...base, body: { text: 'no msg field' } },
        { ...base, ext: 'not an object' },
        { ...base, body: { msg: 'x'.repeat(6000) } },
      ];
      for (const frame of broken) {
        const answer = await a.request(frame);
        expect(answer, JSON.stringify(frame)).toMatchObject({ type: 'error' });
        expect(typeof answer.code).toBe('number');
        expect(typeof answer.error_description).toBe('string');
      }
      await b.expectNothing('mf');

      // Still open, still working.
      expect(a.ws.readyState).toBe(WebSocket.OPEN);
      await a.sayOk('chat', 'mf_b', 'mf fine');
      await b.message('mf fine');
    });

    it('answers a frame nesting deeper than 64 levels (9,000 here) with message_invalid, and stays open', async () => {
      await t.createUsers('deep_a', 'deep_b');
      const a = await connect('deep_a');
      const b = await connect('deep_b');
      const deep = '['.repeat(9000) + ']'.repeat(9000);
      a.raw(`{"type":"send","ref":"deep","chat_type":"chat","to":"deep_b","msg_type":"txt","body":{"msg":"deep x"},"ext":{"d":${deep}}}`);
      const answer = await a.waitFor((f) => f.type === 'error', 'the error frame');
      expect(answer).toEqual({ type: 'error', ref: null, code: 500, error: 'message_invalid', error_description: 'frame nests deeper than 64 levels' });
      // 64 levels are accepted (ext nested 63 deep inside the frame's object).
      const ok = await a.request({ type: 'send', chat_type: 'chat', to: 'deep_b', msg_type: 'txt', body: { msg: 'deep ok' }, ext: { d: JSON.parse('['.repeat(62) + ']'.repeat(62)) } });
      expect(ok).toMatchObject({ type: 'ack' });
      await b.message('deep ok');
      await b.expectNothing('deep x');
    });

    it('refuses sends to unknown users, groups and chatrooms with an error frame (implementation codes 204/600/700)', async () => {
      await t.createUsers('mu_a');
      const a = await connect('mu_a');
      expect(await a.say('chat', 'mu_nobody', 'x')).toMatchObject({ type: 'error', code: 204 });
      expect(await a.say('groupchat', '999999999999999', 'x')).toMatchObject({ type: 'error', code: 600 });
      expect(await a.say('chatroom', '999999999999999', 'x')).toMatchObject({ type: 'error', code: 700 });
      expect(a.ws.readyState).toBe(WebSocket.OPEN);
    });
  });
});
