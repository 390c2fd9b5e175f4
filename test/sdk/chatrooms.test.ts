// Chatrooms over the socket (PROTOCOL.md §8): joinChatRoom / leaveChatRoom are MUC JOIN / LEAVE
// metas; the join's ack carries the room's state for the member (mute-all, member count,
// allowlist, the member's mute expiry). Membership follows the REST rules.
import { describe, expect, it } from 'vitest';
import { databases } from '../support/harness.js';
import { sleep } from '../support/util.js';
import { rejection, SDK_QUIET_MS } from '../support/sdk/client.js';
import { sdkSuite } from '../support/sdk/suite.js';

describe.each(databases)('SDK chatrooms (%s)', (kind) => {
  const s = sdkSuite(kind);

  const members = async (rid: string) => {
    const res = await s.t.api('GET', `/chatrooms/${rid}/users?pagesize=100`);
    expect(res.status, res.text).toBe(200);
    return (res.body.data as Record<string, string>[]).map((r) => r.owner ?? r.member).sort();
  };

  it('join: a member of the room (REST shows it), with the room state; then its messages arrive; leave: no longer', async () => {
    const [o, u] = await s.t.makeUsers('cj_o', 'cj_u');
    const rid = await s.t.createRoom(o, []);
    const owner = await s.login(o);
    const user = await s.login(u);
    const before = Date.now();
    const joined = await user.call('joinChatRoom', { roomId: rid });
    expect(joined).toEqual({
      type: 0,
      data: {
        action: 'apply',
        id: rid,
        result: true,
        user: u,
        info: { isAllMembersMuted: false, createTimestamp: expect.any(Number), isInAllowlist: false, memberCount: 2, muteExpireTimestamp: -1 },
      },
    });
    expect(joined.data.info.createTimestamp).toBeLessThanOrEqual(before);
    expect(await members(rid)).toEqual([o, u].sort());

    await owner.send({ type: 'txt', chatType: 'chatRoom', to: rid, msg: 'cj hello' });
    await user.message('cj hello');

    expect(await user.call('leaveChatRoom', { roomId: rid })).toEqual({ type: 0, data: { result: true } });
    expect(await members(rid)).toEqual([o]);
    await owner.send({ type: 'txt', chatType: 'chatRoom', to: rid, msg: 'cj after' });
    await sleep(SDK_QUIET_MS);
    expect(user.texts('cj')).toEqual(['cj hello']);
  });

  it("the join answer shows mute-all, the allowlist and the member's own mute expiry", async () => {
    const [o, u] = await s.t.makeUsers('ci_o', 'ci_u');
    const rid = await s.t.createRoom(o, [u]);
    await s.t.apiOk('POST', `/chatrooms/${rid}/ban`);
    await s.t.apiOk('POST', `/chatrooms/${rid}/white/users/${u}`);
    await s.t.apiOk('POST', `/chatrooms/${rid}/mute`, { usernames: [u], mute_duration: 60_000 });
    const user = await s.login(u);
    // Joining a room one is already in succeeds and answers its state.
    const joined = await user.call('joinChatRoom', { roomId: rid });
    expect(joined.data.info).toMatchObject({ isAllMembersMuted: true, isInAllowlist: true, memberCount: 2 });
    expect(joined.data.info.muteExpireTimestamp).toBeGreaterThan(Date.now() + 50_000);
  });

  it('leaveOtherRooms: joining one room leaves the others', async () => {
    const [o, u] = await s.t.makeUsers('cl_o', 'cl_u');
    const r1 = await s.t.createRoom(o, [u]);
    const r2 = await s.t.createRoom(o, []);
    const user = await s.login(u);
    await user.call('joinChatRoom', { roomId: r2, leaveOtherRooms: true });
    expect(await members(r1)).toEqual([o]);
    expect(await members(r2)).toEqual([o, u].sort());
  });

  it('refusals: unknown room 705, blocked 603, the owner cannot leave', async () => {
    const [o, b] = await s.t.makeUsers('cr_o', 'cr_b');
    const rid = await s.t.createRoom(o, [b]);
    await s.t.apiOk('POST', `/chatrooms/${rid}/blocks/users/${b}`);
    const blocked = await s.login(b);
    expect(await rejection(blocked.call('joinChatRoom', { roomId: '999999999999999' }))).toMatchObject({ type: 705 });
    expect(await rejection(blocked.call('joinChatRoom', { roomId: rid }))).toMatchObject({ type: 603 });
    expect(await members(rid)).toEqual([o]);
    const owner = await s.login(o);
    const err = await rejection(owner.call('leaveChatRoom', { roomId: rid }));
    expect(err.type).toBeGreaterThan(0);
    expect(await members(rid)).toEqual([o]);
  });

  it('a device that joins gets what is said from then on, not before', async () => {
    const [o, u] = await s.t.makeUsers('cn_o', 'cn_u');
    const rid = await s.t.createRoom(o, []);
    const owner = await s.login(o);
    await owner.send({ type: 'txt', chatType: 'chatRoom', to: rid, msg: 'cn before' });
    const user = await s.login(u);
    await user.call('joinChatRoom', { roomId: rid });
    await owner.send({ type: 'txt', chatType: 'chatRoom', to: rid, msg: 'cn after' });
    await user.message('cn after');
    await sleep(SDK_QUIET_MS);
    expect(user.texts('cn')).toEqual(['cn after']);
  });
});
