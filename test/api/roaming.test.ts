// The history and conversation routes the client SDK calls (client-protocol REST.md), through
// the HTTP API: who may call them (the user named in the path, or the app), the wire shapes the
// SDK reads (base64 protobuf Metas, `next_key`, `is_last`; `channel_infos` with a JSON-string
// payload), and bad input answered with 400 and nothing changed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases, startApp, type Reply, type TestApp } from '../support/harness.js';
import { expectError } from '../support/expect.js';
import { pb } from '../../src/msync/schema.js';
import { sleep } from '../support/util.js';

describe.each(databases)('history and conversations over REST (%s)', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(kind);
  });
  afterAll(() => t.close());

  const sendText = async (from: string, to: string, msg: string, target = 'users'): Promise<string> =>
    ((await t.apiOk('POST', `/messages/${target}`, { from, to: [to], type: 'txt', body: { msg } })).data as Record<string, string>)[to]!;
  const roam = async (user: string, body: unknown, token?: string): Promise<Reply> =>
    t.request('POST', `/acme/chat/users/${user}/messageroaming`, { token: token ?? (await t.userToken(user)), body });
  const list = async (user: string, query: string, token?: string): Promise<Reply> =>
    t.request('GET', `/acme/chat/sdk/user/${user}/user_channels/list${query}`, { token: token ?? (await t.userToken(user)) });
  const cutoffs = (user: string) => t.qunliao.store.db.selectFrom('conversation_cutoffs').selectAll().where('username', '=', user).execute();

  it('history answers base64 Metas of the socket with next_key and is_last', async () => {
    const [a, b] = await t.makeUsers('rh_a', 'rh_b');
    const first = await sendText(a, b, 'rh 1');
    const second = await sendText(b, a, 'rh 2');
    const res = await roam(a, { queue: `${b}@easemob.com`, start: -1, pull_number: 1, is_positive: false, msgType: '', end: -1, startTime: null, endTime: null, userId: null });
    expect(res.status, res.text).toBe(200);
    expect(res.body.data).toMatchObject({ next_key: second, is_last: false });
    const meta = pb.Meta.decode(Buffer.from(res.body.data.msgs[0].msg, 'base64')) as unknown as { id: { toString(): string }; ns: number; payload: Uint8Array };
    expect(meta.id.toString()).toBe(second);
    expect(meta.ns).toBe(1);
    const body = pb.MessageBody.decode(meta.payload) as unknown as { from: { name: string }; to: { name: string }; contents: { text: string }[] };
    expect(body).toMatchObject({ from: { name: b }, to: { name: a }, contents: [{ text: 'rh 2' }] });
    const next = await roam(a, { queue: `${b}@easemob.com`, start: res.body.data.next_key, pull_number: 1 });
    expect(next.body.data.msgs).toHaveLength(1);
    expect(pb.Meta.decode(Buffer.from(next.body.data.msgs[0].msg, 'base64')).toJSON()).toMatchObject({ id: first });
    // The app token reads any user's history.
    expect((await roam(a, { queue: `${b}@easemob.com` }, await t.appToken())).body.data.msgs).toHaveLength(2);
  });

  it('another user’s token → 401; an unknown group → 404; a group the user is not in → 403', async () => {
    const [a, b, c] = await t.makeUsers('rha_a', 'rha_b', 'rha_c');
    const group = await t.createGroup(a, [b]);
    await sendText(a, group, 'rha hi', 'chatgroups');
    expect((await roam(a, { queue: `${b}@easemob.com` }, await t.userToken(b))).status).toBe(401);
    expectError(await roam(a, { queue: '999999999999@conference.easemob.com' }), 404, 'service_resource_not_found', 'do not find this group: 999999999999');
    expectError(await roam(c, { queue: `${group}@conference.easemob.com` }), 403, 'forbidden_op', `users [${c}] are not members of this group: ${group}`);
    expect((await roam(b, { queue: `${group}@conference.easemob.com` })).body.data.msgs).toHaveLength(1);
  });

  it.each([
    [[1], 'the request body must be a JSON object'],
    [{}, 'queue must be a string'],
    [{ queue: 'bob' }, 'queue must be {user}@easemob.com or {group}@conference.easemob.com'],
    [{ queue: '@easemob.com' }, 'queue must name a user, group or chatroom of 1 to 64 characters'],
    [{ queue: 'b@easemob.com', start: 'abc' }, 'start must be a message id or -1'],
    [{ queue: 'b@easemob.com', pull_number: 0 }, 'pull_number must be an integer from 1 to 50'],
    [{ queue: 'b@easemob.com', pull_number: 51 }, 'pull_number must be an integer from 1 to 50'],
    [{ queue: 'b@easemob.com', is_positive: 'yes' }, 'is_positive must be a boolean'],
    [{ queue: 'b@easemob.com', msgType: 'txt,video,gif' }, 'msgType must list only txt, img, audio, video, file, loc, cmd, custom'],
    [{ queue: 'b@easemob.com', startTime: 'today' }, 'startTime must be a time in ms'],
    [{ queue: 'b@easemob.com', userId: 7 }, 'userId must be a username'],
  ])('history with %j → 400 illegal_argument', async (body, description) => {
    const [a] = await t.makeUsers('rhb_a');
    expectError(await roam(a, body), 400, 'illegal_argument', description);
  });

  it('the conversation list: wire shape, paging by cursor, bad parameters', async () => {
    const [a, b, c] = await t.makeUsers('rl_a', 'rl_b', 'rl_c');
    await sendText(b, a, 'rl from b');
    // Newest first is by the last message's millisecond: two in the same one have no order.
    await sleep(3);
    await sendText(c, a, 'rl from c');
    const res = await list(a, '?limit=1&cursor=&need_mark=true&needEmptySession=false&_v=1');
    expect(res.status, res.text).toBe(200);
    expect(res.body.data.cursor).toBe('1');
    expect(res.body.data.channel_infos).toEqual([
      {
        session_to: c,
        session_type: 'chat',
        unread_num: 1,
        is_top: false,
        update_top_status_time: 0,
        marks: [],
        meta: { id: expect.any(String), from: c, to: a, timestamp: expect.any(Number), payload: expect.any(String) },
      },
    ]);
    expect(JSON.parse(res.body.data.channel_infos[0].meta.payload)).toEqual({ type: 'chat', from: c, to: a, ext: {}, bodies: [{ type: 'txt', msg: 'rl from c' }] });
    const rest = await list(a, `?limit=1&cursor=${res.body.data.cursor}`);
    expect(rest.body.data.channel_infos.map((x: { session_to: string }) => x.session_to)).toEqual([b]);
    // The SDK writes unset values as the literal "undefined".
    expect((await list(a, '?limit=20&cursor=undefined')).body.data.channel_infos).toHaveLength(2);
    // Pinned conversations: none are pinned.
    expect((await list(a, '?limit=20&is_top=true')).body.data).toEqual({ cursor: '', channel_infos: [] });
    expectError(await list(a, '?limit=0'), 400, 'illegal_argument', 'limit must be an integer from 1 to 50');
    expectError(await list(a, '?limit=51'), 400, 'illegal_argument', 'limit must be an integer from 1 to 50');
    expectError(await list(a, '?limit=1x'), 400, 'illegal_argument', 'limit must be an integer from 1 to 50');
    expectError(await list(a, '?cursor=abc'), 400, 'illegal_argument', 'cursor is not a cursor of this list');
    expect((await list(a, '?limit=20', await t.userToken(b))).status).toBe(401);
  });

  it('deleting a conversation (SDK path and REST path): bad input changes nothing', async () => {
    const [a, b] = await t.makeUsers('rd_a', 'rd_b');
    await sendText(a, b, 'rd hi');
    const token = await t.userToken(a);
    const del = (path: string, body: unknown) => t.request('DELETE', `/acme/chat/${path}/${a}/user_channel`, { token, body });
    for (const [body, description] of [
      [[1], 'the request body must be a JSON object'],
      [{ type: 'chat' }, 'channel must be a user or group id of 1 to 64 characters'],
      [{ channel: b, type: 'chatroom' }, 'type must be chat or groupchat'],
      [{ channel: b, type: 'chat', delete_roam: 'yes' }, 'delete_roam must be a boolean'],
    ] as const) {
      expectError(await del('user', body), 400, 'illegal_argument', description);
    }
    expect(await cutoffs(a)).toEqual([]);
    const ok = await del('users', { channel: b, type: 'chat', delete_roam: true });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.data).toEqual({ result: 'ok' });
    expect((await roam(a, { queue: `${b}@easemob.com` })).body.data.msgs).toEqual([]);
    expect((await roam(b, { queue: `${a}@easemob.com` })).body.data.msgs).toHaveLength(1);
    const other = await t.request('DELETE', `/acme/chat/user/${a}/user_channel`, { token: await t.userToken(b), body: { channel: b, type: 'chat', delete_roam: true } });
    expect(other.status).toBe(401);
  });

  it('removing history: bad parameters → 400 and nothing removed; another user → 401', async () => {
    const [a, b] = await t.makeUsers('rx_a', 'rx_b');
    const id = await sendText(b, a, 'rx keep');
    const token = await t.userToken(a);
    const del = (path: string) => t.request('DELETE', `/acme/chat/sdk/message/roaming/${path}`, { token });
    expectError(await del(`chat/user/${a}?msgIdList=${id}`), 400, 'illegal_argument', 'userId must be given');
    expectError(await del(`chat/user/${a}?userId=${b}`), 400, 'illegal_argument', 'msgIdList must list 1 to 20 message ids');
    expectError(await del(`chat/user/${a}?userId=${b}&msgIdList=abc`), 400, 'illegal_argument', 'msgIdList must list 1 to 20 message ids');
    const many = Array.from({ length: 21 }, (_, i) => String(1000 + i)).join(',');
    expectError(await del(`chat/user/${a}?userId=${b}&msgIdList=${many}`), 400, 'illegal_argument', 'msgIdList must list 1 to 20 message ids');
    expectError(await del(`chat/user/${a}/time?userId=${b}&delTime=soon`), 400, 'illegal_argument', 'delTime must be a time in ms');
    expectError(await del(`group/user/${a}/time?userId=${b}&delTime=1`), 400, 'illegal_argument', 'groupId must be given');
    expect((await t.request('DELETE', `/acme/chat/sdk/message/roaming/chat/user/${a}?userId=${b}&msgIdList=${id}`, { token: await t.userToken(b) })).status).toBe(401);
    expect((await roam(a, { queue: `${b}@easemob.com` })).body.data.msgs).toHaveLength(1);
    // As the SDK writes it: `&&resource=`.
    const ok = await del(`chat/user/${a}/time?userId=${b}&delTime=${Date.now() + 1000}&&resource=webim_web_1`);
    expect(ok.status, ok.text).toBe(200);
    expect((await roam(a, { queue: `${b}@easemob.com` })).body.data.msgs).toEqual([]);
  });
});
