// The seeds' moderation as the official web SDK reports it (PROTOCOL.md §5 error mapping): one
// speak decision (services/speak.ts) for both client protocols, each refusal with the SDK error
// the hosted service causes, and nothing delivered for a refused send.
import { describe, expect, it } from 'vitest';
import { databases } from '../support/harness.js';
import { sleep } from '../support/util.js';
import { rejection, SDK_QUIET_MS, type SdkUser } from '../support/sdk/client.js';
import { sdkSuite } from '../support/sdk/suite.js';

describe.each(databases)('SDK moderation (%s)', (kind) => {
  const s = sdkSuite(kind);

  const say = (user: SdkUser, chatType: string, to: string, msg: string) => user.send({ type: 'txt', chatType, to, msg });

  describe.each([
    ['chatgroups', 'groupChat'],
    ['chatrooms', 'chatRoom'],
  ] as const)('%s', (resource, chatType) => {
    const p = resource === 'chatgroups' ? 'sg' : 'sr';
    const create = (owner: string, members: string[]) => (resource === 'chatgroups' ? s.t.createGroup(owner, members) : s.t.createRoom(owner, members));

    it('a muted member → 507 "you were muted" (timed and permanent), nothing delivered; unmuted, they speak', async () => {
      const [o, m, t] = await s.t.makeUsers(`${p}mu_o`, `${p}mu_m`, `${p}mu_t`);
      const id = await create(o, [m, t]);
      await s.t.apiOk('POST', `/${resource}/${id}/mute`, { usernames: [m], mute_duration: -1 });
      await s.t.apiOk('POST', `/${resource}/${id}/mute`, { usernames: [t], mute_duration: 60_000 });
      const owner = await s.login(o);
      const muted = await s.login(m);
      const timed = await s.login(t);
      expect(await rejection(say(muted, chatType, id, 'mu permanent'))).toEqual({ type: 507, reason: 'you were muted' });
      expect(await rejection(say(timed, chatType, id, 'mu timed'))).toEqual({ type: 507, reason: 'you were muted' });
      await sleep(SDK_QUIET_MS);
      expect(owner.texts('mu')).toEqual([]);
      await s.t.apiOk('DELETE', `/${resource}/${id}/mute/${m}`);
      await say(muted, chatType, id, 'mu again');
      await owner.message('mu again');
    });

    it('a timed mute that has expired lets the member speak', async () => {
      const [o, m] = await s.t.makeUsers(`${p}te_o`, `${p}te_m`);
      const id = await create(o, [m]);
      const member = await s.login(m);
      await s.t.apiOk('POST', `/${resource}/${id}/mute`, { usernames: [m], mute_duration: 1500 });
      expect(await rejection(say(member, chatType, id, 'te early'))).toMatchObject({ type: 507 });
      await sleep(1600);
      await say(member, chatType, id, 'te late');
    });

    it('mute-all: a plain member → 506; owner, admins and allowlisted members speak; the mute list beats the allowlist', async () => {
      const [o, ad, w, m, wm] = await s.t.makeUsers(`${p}ma_o`, `${p}ma_ad`, `${p}ma_w`, `${p}ma_m`, `${p}ma_wm`);
      const id = await create(o, [ad, w, m, wm]);
      await s.t.apiOk('POST', `/${resource}/${id}/admin`, { newadmin: ad });
      await s.t.apiOk('POST', `/${resource}/${id}/white/users/${w}`);
      await s.t.apiOk('POST', `/${resource}/${id}/white/users/${wm}`);
      await s.t.apiOk('POST', `/${resource}/${id}/mute`, { usernames: [wm], mute_duration: 60_000 });
      await s.t.apiOk('POST', `/${resource}/${id}/ban`);
      const [co, cad, cw, cm, cwm] = await Promise.all([o, ad, w, m, wm].map((u) => s.login(u)));
      expect(await rejection(say(cm!, chatType, id, 'ma plain'))).toMatchObject({ type: 506, message: 'not in group or chatroom white list' });
      expect(await rejection(say(cwm!, chatType, id, 'ma allowlisted but muted'))).toEqual({ type: 507, reason: 'you were muted' });
      await say(co!, chatType, id, 'ma owner');
      await say(cad!, chatType, id, 'ma admin');
      await say(cw!, chatType, id, 'ma allowlisted');
      for (const text of ['ma owner', 'ma admin', 'ma allowlisted']) await cm!.message(text);
      await s.t.apiOk('DELETE', `/${resource}/${id}/ban`);
      await say(cm!, chatType, id, 'ma lifted');
      await co!.message('ma lifted');
    });

    it('a non-member → 602', async () => {
      const [o, n] = await s.t.makeUsers(`${p}nm_o`, `${p}nm_n`);
      const id = await create(o, []);
      const owner = await s.login(o);
      const outsider = await s.login(n);
      expect(await rejection(say(outsider, chatType, id, 'nm'))).toMatchObject({ type: 602, message: 'not in group or chatroom' });
      await sleep(SDK_QUIET_MS);
      expect(owner.texts('nm')).toEqual([]);
    });

    it('a blocked user → 603', async () => {
      const [o, b] = await s.t.makeUsers(`${p}bl_o`, `${p}bl_b`);
      const id = await create(o, [b]);
      const blocked = await s.login(b);
      await say(blocked, chatType, id, 'bl before');
      await s.t.apiOk('POST', `/${resource}/${id}/blocks/users/${b}`);
      expect(await rejection(say(blocked, chatType, id, 'bl after'))).toMatchObject({ type: 603 });
    });

    it('an unknown id → 705', async () => {
      const [u] = await s.t.makeUsers(`${p}un_u`);
      const user = await s.login(u);
      expect(await rejection(say(user, chatType, '999999999999999', 'un'))).toMatchObject({ type: 705 });
      expect(await rejection(say(user, chatType, 'not-an-id', 'un'))).toMatchObject({ type: 705 });
    });
  });

  it('a disabled group → 608 for everyone, the owner included', async () => {
    const [o, m] = await s.t.makeUsers('dg_o', 'dg_m');
    const gid = await s.t.createGroup(o, [m]);
    await s.t.apiOk('POST', `/chatgroups/${gid}/disable`);
    const owner = await s.login(o);
    const member = await s.login(m);
    for (const u of [owner, member]) expect(await rejection(say(u, 'groupChat', gid, 'dg'))).toMatchObject({ type: 608, message: 'group is disabled' });
    await s.t.apiOk('POST', `/chatgroups/${gid}/enable`);
    await say(member, 'groupChat', gid, 'dg enabled');
    await owner.message('dg enabled');
  });

  it('1:1 to a user that does not exist → 204', async () => {
    const [u] = await s.t.makeUsers('nu_u');
    const user = await s.login(u);
    expect(await rejection(say(user, 'singleChat', 'nu_nobody', 'nu'))).toMatchObject({ type: 204 });
  });

  it('a message over 5 KB → 511', async () => {
    const [a, b] = await s.t.makeUsers('big_a', 'big_b');
    const user = await s.login(a);
    expect(await rejection(say(user, 'singleChat', b, 'x'.repeat(6000)))).toMatchObject({ type: 511 });
  });

  it('a chatroom at its maxusers refuses a join with 704', async () => {
    const [o, m, late] = await s.t.makeUsers('fu_o', 'fu_m', 'fu_late');
    const rid = await s.t.createRoom(o, [m], { maxusers: 2 });
    const user = await s.login(late);
    expect(await rejection(user.call('joinChatRoom', { roomId: rid }))).toMatchObject({ type: 704, message: 'group member list is full!' });
  });
});
