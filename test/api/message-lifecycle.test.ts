// Recall and edit by the app (message_recall.md: POST /messages/msg_recall and the PHP SDK's
// /messages/recall; message_modify_text_custom.md: PUT /messages/rewrite/{msg_id}): the answers,
// every documented failure, bad input that changes nothing, and what devices see — a connected
// JSON /ws device gets the signal, a device that was away never gets a recalled message and gets
// an edited one as it is now.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { databases, OTHER, startApp, type Reply, type TestApp } from '../support/harness.js';
import { expectError } from '../support/expect.js';
import { sleep } from '../support/util.js';
import { Devices, QUIET_MS } from '../support/ws.js';

describe.each(databases)('message recall and edit (%s)', (kind) => {
  let t: TestApp;
  let devices: Devices;

  beforeAll(async () => {
    t = await startApp(kind);
    devices = await Devices.listen(t);
  });
  afterAll(() => t.close());
  afterEach(() => devices.closeAll());

  const stored = (id: string) => t.qunliao.store.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();
  const age = (id: string, ms: number) =>
    t.qunliao.store.db
      .updateTable('messages')
      .set((eb) => ({ timestamp: eb('timestamp', '-', ms) }))
      .where('id', '=', id)
      .execute();
  const sendText = async (from: string, to: string, msg: string, target = 'users', extra: Record<string, unknown> = {}): Promise<string> => {
    const data = (await t.apiOk('POST', `/messages/${target}`, { from, to: [to], type: 'txt', body: { msg }, ...extra })).data as Record<string, string>;
    return data[to]!;
  };
  const recall = (body: unknown, path = 'msg_recall'): Promise<Reply> => t.api('POST', `/messages/${path}`, { body });
  const rewrite = (id: string, body: unknown): Promise<Reply> => t.api('PUT', `/messages/rewrite/${id}`, { body });

  describe('POST /messages/msg_recall and /messages/recall', () => {
    it.each(['msg_recall', 'recall'])('/messages/%s recalls: the answer, the store, a connected device and one that was away', async (path) => {
      const [a, b] = await t.makeUsers('rr_a', 'rr_b');
      const live = await devices.connect(b);
      const id = await sendText(a, b, `rr ${path}`);
      await live.message(`rr ${path}`);

      const res = await recall({ msg_id: id, to: b, from: a, chat_type: 'chat' }, path);
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ action: 'post', path: `/messages/${path}`, data: { recalled: 'yes', msg_id: id, from: a, to: b, chattype: 'chat' } });
      expect(res.body.entities).toBeUndefined();
      expect(await stored(id)).toBeUndefined();

      const frame = (await live.waitFor((f) => f.type === 'signal', 'the recall signal')) as unknown as { signal: Record<string, unknown> };
      expect(frame.signal).toMatchObject({ kind: 'recall', msg_id: id, from: a, to: b, chat_type: 'chat' });
      // A user who was away: nothing of the recalled message, the recall itself.
      const [c] = await t.makeUsers('rr_c');
      const offline = await sendText(a, c, `rr ${path} offline`);
      expect((await recall({ msg_id: offline, to: c, from: a, chat_type: 'chat' }, path)).body.data.recalled).toBe('yes');
      const later = await devices.connect(c);
      await later.waitFor((f) => f.type === 'signal', 'the recall signal offline');
      await sleep(QUIET_MS);
      expect(later.frames.filter((f) => f.type === 'message')).toEqual([]);
    });

    it('from defaults to admin; group messages are recalled for every member', async () => {
      const [owner, m] = await t.makeUsers('rrg_o', 'rrg_m');
      const group = await t.createGroup(owner, [m]);
      const member = await devices.connect(m);
      const id = await sendText(owner, group, 'rrg hi', 'chatgroups');
      await member.message('rrg hi');
      const res = await recall({ msg_id: id, to: group, chat_type: 'groupchat' });
      expect(res.body.data).toEqual({ recalled: 'yes', msg_id: id, from: 'admin', to: group, chattype: 'groupchat' });
      const frame = (await member.waitFor((f) => f.type === 'signal', 'the recall signal')) as unknown as { signal: Record<string, unknown> };
      expect(frame.signal).toMatchObject({ kind: 'recall', msg_id: id, from: 'admin', to: group });
    });

    it('refusals of the message answer 200 with the reason in recalled, and keep it', async () => {
      const [a, b, c] = await t.makeUsers('rrf_a', 'rrf_b', 'rrf_c');
      const id = await sendText(a, b, 'rrf keep');
      const data = async (body: Record<string, unknown>) => {
        const res = await recall(body);
        expect(res.status, res.text).toBe(200);
        return res.body.data.recalled as string;
      };
      expect(await data({ msg_id: '999999999999999999', to: b, chat_type: 'chat' })).toBe('not_found msg');
      expect(await data({ msg_id: id, to: c, chat_type: 'chat' })).toBe("can't find msg to");
      expect(await data({ msg_id: id, to: b, chat_type: 'groupchat' })).toBe("can't find msg to");
      await age(id, 121_000);
      expect(await data({ msg_id: id, to: b, chat_type: 'chat', force: true })).toBe('exceed recall time limit');
      expect(await stored(id)).toBeDefined();
      // Another app's message is not found from this app.
      const otherToken = await t.appToken(OTHER);
      const res = await t.request('POST', `/${OTHER.org}/${OTHER.app}/messages/msg_recall`, { token: otherToken, body: { msg_id: id, to: b, chat_type: 'chat' } });
      expect(res.body.data.recalled).toBe('not_found msg');
      expect(await stored(id)).toBeDefined();
    });

    it('the window is QUNLIAO_RECALL_SECONDS: with a day, an hour-old message is recalled', async () => {
      const day = await startApp(kind, { recallSeconds: 24 * 3600 });
      try {
        await day.createUsers('rrw_a', 'rrw_b');
        const id = ((await day.apiOk('POST', '/messages/users', { from: 'rrw_a', to: ['rrw_b'], type: 'txt', body: { msg: 'rrw' } })).data as Record<string, string>).rrw_b!;
        await day.qunliao.store.db.updateTable('messages').set((eb) => ({ timestamp: eb('timestamp', '-', 3_600_000) })).where('id', '=', id).execute();
        expect((await day.api('POST', '/messages/msg_recall', { body: { msg_id: id, to: 'rrw_b', chat_type: 'chat' } })).body.data.recalled).toBe('yes');
      } finally {
        await day.close();
      }
    });

    it('a message to a group that does not exist is recalled too (it reached nobody)', async () => {
      const [a] = await t.makeUsers('rrn_a');
      const id = await sendText(a, '999999999999', 'rrn', 'chatgroups');
      expect((await recall({ msg_id: id, to: '999999999999', chat_type: 'groupchat' })).body.data.recalled).toBe('yes');
      expect(await stored(id)).toBeUndefined();
      const conversation = await t.qunliao.store.db.selectFrom('conversations').select('id').where('id', '=', 'group:999999999999').executeTakeFirst();
      expect(conversation).toBeUndefined();
    });

    it('a message recalled twice: the second answers not_found msg', async () => {
      const [a, b] = await t.makeUsers('rr2_a', 'rr2_b');
      const id = await sendText(a, b, 'rr2');
      expect((await recall({ msg_id: id, to: b, chat_type: 'chat' })).body.data.recalled).toBe('yes');
      expect((await recall({ msg_id: id, to: b, chat_type: 'chat' })).body.data.recalled).toBe('not_found msg');
    });

    it.each([
      [[1, 2], 'the request body must be a JSON object'],
      [{ to: 'x', chat_type: 'chat' }, 'msg_id must be provided'],
      [{ msg_id: '1', chat_type: 'chat' }, 'to must be provided'],
      [{ msg_id: '1', to: 'x' }, 'chat_type must be provided'],
      [{ msg_id: '1', to: 'x', chat_type: 'users' }, 'chat_type must be chat, groupchat or chatroom'],
      [{ msg_id: { a: 1 }, to: 'x', chat_type: 'chat' }, 'msg_id must be a string'],
      [{ msg_id: '1', to: 'x'.repeat(65), chat_type: 'chat' }, 'to must be 1 to 64 characters'],
      [{ msg_id: '1', to: 'x', chat_type: 'chat', force: 'yes' }, 'force must be a boolean'],
      [{ msg_id: '1', to: 'x', chat_type: 'chat', from: '' }, 'from must be 1 to 64 characters'],
    ])('bad input %j → 400 illegal_argument', async (body, description) => {
      expectError(await recall(body), 400, 'illegal_argument', description);
    });

    it('needs the app token', async () => {
      const [a, b] = await t.makeUsers('rrt_a', 'rrt_b');
      const id = await sendText(a, b, 'rrt');
      const res = await t.request('POST', '/acme/chat/messages/msg_recall', { token: await t.userToken(a), body: { msg_id: id, to: b, chat_type: 'chat' } });
      expect(res.status).toBe(401);
      expect(await stored(id)).toBeDefined();
    });
  });

  describe('PUT /messages/rewrite/{msg_id}', () => {
    it('edits a text message: "success", the store, a connected device, one that was away', async () => {
      const [a, b] = await t.makeUsers('rw_a', 'rw_b');
      const live = await devices.connect(b);
      const id = await sendText(a, b, 'rw before', 'users', { ext: { keep: 1, old_key: 'x' } });
      await live.message('rw before');

      const res = await rewrite(id, { user: a, new_msg: { type: 'txt', msg: 'rw after' }, new_ext: { old_key: 'y', added: true } });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ action: 'put', path: `/messages/rewrite/${id}`, data: 'success' });
      const row = (await stored(id))!;
      expect(JSON.parse(row.body)).toEqual({ msg: 'rw after' });
      // is_combine_ext defaults to true: merged.
      expect(JSON.parse(row.ext)).toEqual({ keep: 1, old_key: 'y', added: true });
      expect(row).toMatchObject({ edited_by: a });

      const frame = (await live.waitFor((f) => f.type === 'signal', 'the edit signal')) as unknown as { signal: Record<string, unknown> };
      expect(frame.signal).toMatchObject({ kind: 'edit', msg_id: id, message: { id, body: { msg: 'rw after' }, edit: { count: 1, by: a } } });
      // A user who was away gets the message as it is now.
      const [c] = await t.makeUsers('rw_c');
      const offline = await sendText(a, c, 'rw offline before');
      expect((await rewrite(offline, { new_msg: { type: 'txt', msg: 'rw offline after' } })).status).toBe(200);
      const later = await devices.connect(c);
      const got = await later.waitFor((f) => f.type === 'message' && f.message?.id === offline, 'the edited message');
      expect(got.message).toMatchObject({ body: { msg: 'rw offline after' }, edit: { count: 1, by: 'admin' } });
    });

    it('is_combine_ext false replaces the ext; a custom message is edited too', async () => {
      const [a, b] = await t.makeUsers('rwc_a', 'rwc_b');
      const data = (await t.apiOk('POST', '/messages/users', { from: a, to: [b], type: 'custom', body: { customEvent: 'e1' }, ext: { k: 'v' } })).data as Record<string, string>;
      const id = data[b]!;
      const res = await rewrite(id, { new_msg: { type: 'custom', customEvent: 'e2', customExts: { a: 'b' } }, new_ext: { n: 1 }, is_combine_ext: false });
      expect(res.status, res.text).toBe(200);
      const row = (await stored(id))!;
      expect(JSON.parse(row.body)).toEqual({ customEvent: 'e2', customExts: { a: 'b' } });
      expect(JSON.parse(row.ext)).toEqual({ n: 1 });
      expect(row.edited_by).toBe('admin');
    });

    it('documented errors: bad id 400, non-text 400, unknown 404, another app 401, the 11th edit 403', async () => {
      const [a, b] = await t.makeUsers('rwe_a', 'rwe_b');
      const body = { new_msg: { type: 'txt', msg: 'x' } };
      expectError(await rewrite('abc', body), 400, 'message_rewrite_error', 'The provided message ID is not a valid number.');
      const loc = ((await t.apiOk('POST', '/messages/users', { from: a, to: [b], type: 'loc', body: { lat: 1, lng: 2, addr: 'z' } })).data as Record<string, string>)[b]!;
      const unsupported = 'The message is of a type that is currently not supported for modification.';
      expectError(await rewrite(loc, body), 400, 'message_rewrite_error', unsupported);
      const id = await sendText(a, b, 'rwe 0');
      expectError(await rewrite(id, { new_msg: { type: 'custom', customEvent: 'e' } }), 400, 'message_rewrite_error', unsupported);
      expectError(await rewrite(id, { new_msg: { type: 'img', url: 'u' } }), 400, 'message_rewrite_error', unsupported);
      expectError(await rewrite('999999999999999999', body), 404, 'message_rewrite_error', 'The message is unavailable or has expired.');
      const other = await t.request('PUT', `/${OTHER.org}/${OTHER.app}/messages/rewrite/${id}`, { token: await t.appToken(OTHER), body });
      expectError(other, 401, 'message_rewrite_error', 'You are not authorized to edit this message.');
      for (let i = 1; i <= 10; i++) expect((await rewrite(id, { new_msg: { type: 'txt', msg: `rwe ${i}` } })).status).toBe(200);
      expectError(await rewrite(id, body), 403, 'message_rewrite_error', 'The message has reached its edit limit and cannot be modified further.');
      const row = (await stored(id))!;
      expect(JSON.parse(row.body)).toEqual({ msg: 'rwe 10' });
      expect(Number(row.edit_count)).toBe(10);
    });

    it.each([
      [[1], 'the request body must be a JSON object'],
      [{}, 'new_msg must be a JSON object'],
      [{ new_msg: 'hi' }, 'new_msg must be a JSON object'],
      [{ new_msg: { type: 'txt', msg: 'x' }, new_ext: [1] }, 'new_ext must be a JSON object'],
      [{ new_msg: { type: 'txt', msg: 'x' }, is_combine_ext: 'no' }, 'is_combine_ext must be a boolean'],
      [{ new_msg: { type: 'txt', msg: 'x' }, user: 5 }, 'user must be a string of 1 to 64 characters'],
      [{ new_msg: { type: 'txt', msg: 7 } }, 'new_msg is invalid (its body)'],
      [{ new_msg: { type: 'txt', msg: 'x'.repeat(6000) } }, 'message is too large'],
    ])('bad body %j → 400, nothing changes', async (body, description) => {
      const [a, b] = await t.makeUsers('rwb_a', 'rwb_b');
      const id = await sendText(a, b, 'rwb');
      expectError(await rewrite(id, body), 400, 'message_rewrite_error', description);
      const row = (await stored(id))!;
      expect(JSON.parse(row.body)).toEqual({ msg: 'rwb' });
      expect(Number(row.edit_count)).toBe(0);
    });
  });

  describe('GET /chatgroups/{id}/acks/{msg_id}', () => {
    it('answers the readers (none yet); unknown or other groups’ messages → 404; bad paging → 400', async () => {
      const [owner, m] = await t.makeUsers('ga_o', 'ga_m');
      const group = await t.createGroup(owner, [m]);
      const other = await t.createGroup(owner, [m]);
      const id = await sendText(owner, group, 'ga hi', 'chatgroups');
      const res = await t.api('GET', `/chatgroups/${group}/acks/${id}?limit=500&key=undefined`);
      expect(res.status, res.text).toBe(200);
      expect(res.body.data).toEqual({ ackmid: id, is_last: true, next_key: '', timestamp: expect.any(Number), total: 0, userlist: [] });
      const missing = 'message 999999999999999999 is not a message of this group';
      expectError(await t.api('GET', `/chatgroups/${group}/acks/999999999999999999`), 404, 'resource_not_found', missing);
      expectError(await t.api('GET', `/chatgroups/${other}/acks/${id}`), 404, 'resource_not_found', `message ${id} is not a message of this group`);
      expectError(await t.api('GET', `/chatgroups/${group}/acks/${id}?limit=0`), 400, 'illegal_argument', 'limit must be an integer from 1 to 500');
      expectError(await t.api('GET', `/chatgroups/${group}/acks/${id}?limit=501`), 400, 'illegal_argument', 'limit must be an integer from 1 to 500');
      expectError(await t.api('GET', `/chatgroups/${group}/acks/${id}?key=x`), 400, 'illegal_argument', 'key is not a key of this list');
      // A member may ask; the user token of someone outside the group may not.
      expect((await t.request('GET', `/acme/chat/chatgroups/${group}/acks/${id}`, { token: await t.userToken(m) })).status).toBe(200);
    });
  });
});
