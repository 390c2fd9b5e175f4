// The web SDK's history (roaming) and conversation calls with the user's own token (issue 15;
// client-protocol REST.md): getHistoryMessages pages both ways with its cursor and filters,
// recalled messages are not in it and edited ones are as they are now; getServerConversations
// lists 1:1 and group conversations with their last message and unread count; deleteConversation
// removes one from the user's list (and with deleteRoam its history) and nothing for the peer.
// Other users' history is refused.
import { describe, expect, it } from 'vitest';
import { databases } from '../support/harness.js';
import { rejection } from '../support/sdk/client.js';
import { sleep } from '../support/util.js';
import { sdkSuite } from '../support/sdk/suite.js';

describe.each(databases)('SDK history and conversations (%s)', (kind) => {
  const s = sdkSuite(kind);

  const sendRest = async (from: string, to: string, msg: string, target = 'users'): Promise<string> =>
    ((await s.t.apiOk('POST', `/messages/${target}`, { from, to: [to], type: 'txt', body: { msg } })).data as Record<string, string>)[to]!;

  it('getHistoryMessages pages from the newest with the cursor, and searching "down" from the oldest', async () => {
    const [a, b] = await s.t.makeUsers('hi_a', 'hi_b');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await sendRest(i % 2 === 0 ? a : b, i % 2 === 0 ? b : a, `hi ${i}`));
    const user = await s.login(a);

    const first = await user.call('getHistoryMessages', { targetId: b, chatType: 'singleChat', pageSize: 2 });
    expect(first.messages.map((m: { msg: string }) => m.msg)).toEqual(['hi 4', 'hi 3']);
    expect(first.messages[0]).toMatchObject({ id: ids[4], type: 'txt', from: a, to: b });
    expect(first.isLast).toBe(false);
    const second = await user.call('getHistoryMessages', { targetId: b, chatType: 'singleChat', pageSize: 2, cursor: first.cursor });
    expect(second.messages.map((m: { msg: string }) => m.msg)).toEqual(['hi 2', 'hi 1']);
    const third = await user.call('getHistoryMessages', { targetId: b, chatType: 'singleChat', pageSize: 2, cursor: second.cursor });
    expect(third.messages.map((m: { msg: string }) => m.msg)).toEqual(['hi 0']);
    expect(third.isLast).toBe(true);

    const down = await user.call('getHistoryMessages', { targetId: b, chatType: 'singleChat', pageSize: 3, searchDirection: 'down' });
    expect(down.messages.map((m: { msg: string }) => m.msg)).toEqual(['hi 0', 'hi 1', 'hi 2']);
    const fromB = await user.call('getHistoryMessages', { targetId: b, chatType: 'singleChat', pageSize: 10, searchOptions: { msgTypes: ['txt'] } });
    expect(fromB.messages).toHaveLength(5);
    const none = await user.call('getHistoryMessages', { targetId: b, chatType: 'singleChat', pageSize: 10, searchOptions: { msgTypes: ['img'] } });
    expect(none.messages).toEqual([]);
  });

  it('group history for members; recalled messages are gone, edited ones are as they are now', async () => {
    const [owner, m, outsider] = await s.t.makeUsers('hig_o', 'hig_m', 'hig_x');
    const group = await s.t.createGroup(owner, [m]);
    await sendRest(owner, group, 'hig keep', 'chatgroups');
    const gone = await sendRest(owner, group, 'hig gone', 'chatgroups');
    const edited = await sendRest(m, group, 'hig before', 'chatgroups');
    await s.t.apiOk('POST', '/messages/msg_recall', { msg_id: gone, to: group, chat_type: 'groupchat' });
    await s.t.apiOk('PUT', `/messages/rewrite/${edited}`, { new_msg: { type: 'txt', msg: 'hig after' } });

    const member = await s.login(m);
    const page = await member.call('getHistoryMessages', { targetId: group, chatType: 'groupChat', pageSize: 20 });
    expect(page.messages.map((x: { msg: string }) => x.msg)).toEqual(['hig after', 'hig keep']);
    expect(page.messages[0]).toMatchObject({ id: edited, chatType: 'groupChat', from: m, to: group, modifiedInfo: { operationCount: 1, operatorId: 'admin' } });
    const bySender = await member.call('getHistoryMessages', { targetId: group, chatType: 'groupChat', pageSize: 20, searchOptions: { from: owner } });
    expect(bySender.messages.map((x: { msg: string }) => x.msg)).toEqual(['hig keep']);

    const stranger = await s.login(outsider);
    expect(await rejection(stranger.call('getHistoryMessages', { targetId: group, chatType: 'groupChat', pageSize: 20 }))).toMatchObject({ type: 702 });
  });

  it('another user’s history is refused (their name in the path, this user’s token)', async () => {
    const [a, b] = await s.t.makeUsers('hix_a', 'hix_b');
    await sendRest(a, b, 'hix private');
    const res = await s.t.request('POST', `/acme/chat/users/${a}/messageroaming`, { token: await s.t.userToken(b), body: { queue: `${b}@easemob.com`, start: -1, pull_number: 10 } });
    expect(res.status).toBe(401);
  });

  it('getServerConversations lists 1:1 and group conversations, newest first, with the last message and unread count', async () => {
    const [a, b, c] = await s.t.makeUsers('cv_a', 'cv_b', 'cv_c');
    const group = await s.t.createGroup(c, [a]);
    // Newest first is by the last message's millisecond (two in the same one have no order): a
    // few milliseconds between the conversations.
    await sendRest(b, a, 'cv from b 1');
    await sendRest(b, a, 'cv from b 2');
    await sleep(3);
    await sendRest(c, group, 'cv in group', 'chatgroups');
    await sleep(3);
    await sendRest(a, c, 'cv to c');
    const user = await s.login(a, undefined, { deviceId: 'cv' });
    await user.message('cv from b 2');
    await user.message('cv in group');

    const res = await user.call('getServerConversations', { pageSize: 20 });
    const list = res.data.conversations as { conversationId: string; conversationType: string; unReadCount: number; lastMessage: Record<string, unknown> }[];
    expect(list.map((x) => [x.conversationId, x.conversationType])).toEqual([
      [c, 'singleChat'],
      [group, 'groupChat'],
      [b, 'singleChat'],
    ]);
    expect(list[0]!.lastMessage).toMatchObject({ type: 'txt', msg: 'cv to c', from: a, to: c });
    expect(list[1]!.lastMessage).toMatchObject({ type: 'txt', msg: 'cv in group', from: c, to: group });
    expect(list[2]!.lastMessage).toMatchObject({ msg: 'cv from b 2', from: b });

    const paged = await user.call('getServerConversations', { pageSize: 2 });
    expect(paged.data.conversations).toHaveLength(2);
    const rest = await user.call('getServerConversations', { pageSize: 2, cursor: paged.data.cursor });
    expect(rest.data.conversations.map((x: { conversationId: string }) => x.conversationId)).toEqual([b]);

    // What no device of the user has had counts as unread.
    await user.call('close');
    await sendRest(b, a, 'cv unread 1');
    await sendRest(b, a, 'cv unread 2');
    const token = await s.t.userToken(a);
    const listWire = () => s.t.request('GET', `/acme/chat/sdk/user/${a}/user_channels/list?limit=20&cursor=&need_mark=true&needEmptySession=false`, { token });
    // The server stores the device's positions once it has seen the logout.
    let wire = await listWire();
    for (let i = 0; i < 50 && wire.body.data.channel_infos.some((x: { unread_num: number; session_to: string }) => x.session_to !== b && x.unread_num > 0); i++) {
      await sleep(50);
      wire = await listWire();
    }
    expect(wire.status, wire.text).toBe(200);
    expect(wire.body.data.channel_infos[0]).toMatchObject({ session_to: b, session_type: 'chat', unread_num: 2, is_top: false });
    // Positions are stored when the device logs out: what it had is not unread.
    expect(wire.body.data.channel_infos.map((x: { session_to: string; unread_num: number }) => [x.session_to, x.unread_num])).toEqual([
      [b, 2],
      [c, 0],
      [group, 0],
    ]);
    expect(JSON.parse(wire.body.data.channel_infos[0].meta.payload)).toMatchObject({ type: 'chat', from: b, to: a, bodies: [{ type: 'txt', msg: 'cv unread 2' }] });
  });

  it('deleteConversation removes it from this user’s list; deleteRoam also from their history; the peer keeps both', async () => {
    const [a, b, c] = await s.t.makeUsers('dc_a', 'dc_b', 'dc_c');
    await sendRest(a, b, 'dc with b');
    await sendRest(a, c, 'dc with c');
    const user = await s.login(a);
    await user.call('deleteConversation', { channel: b, chatType: 'singleChat', deleteRoam: false });
    await user.call('deleteConversation', { channel: c, chatType: 'singleChat', deleteRoam: true });
    const list = await user.call('getServerConversations', { pageSize: 20 });
    expect(list.data.conversations).toEqual([]);
    expect((await user.call('getHistoryMessages', { targetId: b, chatType: 'singleChat', pageSize: 20 })).messages).toHaveLength(1);
    expect((await user.call('getHistoryMessages', { targetId: c, chatType: 'singleChat', pageSize: 20 })).messages).toEqual([]);

    const peer = await s.login(c);
    expect((await peer.call('getHistoryMessages', { targetId: a, chatType: 'singleChat', pageSize: 20 })).messages).toHaveLength(1);
    expect((await peer.call('getServerConversations', { pageSize: 20 })).data.conversations).toHaveLength(1);

    // A new message brings the conversation back to the list.
    await sendRest(b, a, 'dc again');
    const again = await user.call('getServerConversations', { pageSize: 20 });
    expect(again.data.conversations.map((x: { conversationId: string }) => x.conversationId)).toEqual([b]);
  });

  it('removeHistoryMessages by id and by time removes them from this user’s history only; deleteAllMessagesAndConversations empties both lists', async () => {
    const [a, b, c] = await s.t.makeUsers('rm_a', 'rm_b', 'rm_c');
    const group = await s.t.createGroup(a, [c]);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(await sendRest(b, a, `rm ${i}`));
    await sendRest(c, group, 'rm group 1', 'chatgroups');
    const user = await s.login(a);
    const texts = async (targetId: string, chatType: string) =>
      (await user.call('getHistoryMessages', { targetId, chatType, pageSize: 20 })).messages.map((m: { msg: string }) => m.msg);

    await user.call('removeHistoryMessages', { targetId: b, chatType: 'singleChat', messageIds: [ids[3], ids[1]] });
    expect(await texts(b, 'singleChat')).toEqual(['rm 2', 'rm 0']);
    const row = await s.t.qunliao.store.db.selectFrom('messages').select('timestamp').where('id', '=', ids[0]!).executeTakeFirstOrThrow();
    await user.call('removeHistoryMessages', { targetId: b, chatType: 'singleChat', beforeTimeStamp: Number(row.timestamp) });
    expect(await texts(b, 'singleChat')).toEqual(['rm 2']);
    await user.call('removeHistoryMessages', { targetId: group, chatType: 'groupChat', beforeTimeStamp: Date.now() + 1000 });
    expect(await texts(group, 'groupChat')).toEqual([]);
    // The peer and the other member keep theirs.
    const peer = await s.login(b);
    expect((await peer.call('getHistoryMessages', { targetId: a, chatType: 'singleChat', pageSize: 20 })).messages).toHaveLength(4);
    const member = await s.login(c);
    expect((await member.call('getHistoryMessages', { targetId: group, chatType: 'groupChat', pageSize: 20 })).messages).toHaveLength(1);

    await user.call('deleteAllMessagesAndConversations');
    expect((await user.call('getServerConversations', { pageSize: 20 })).data.conversations).toEqual([]);
    expect(await texts(b, 'singleChat')).toEqual([]);
    expect((await peer.call('getServerConversations', { pageSize: 20 })).data.conversations).toHaveLength(1);
  });
});
