// What the official web SDK (over /websocket) sees of the server-side message operations of issue
// 15: a targeted group message reaches only the listed members (onTextMessage, groupChat); a
// broadcast to every user reaches the SDK user online and, kept, at login; an online-users
// broadcast only those online; an imported message never; the offline count falls to 0 once the
// SDK's offline sync has acknowledged what waited.
import { describe, expect, it } from 'vitest';
import { databases } from '../support/harness.js';
import { sleep } from '../support/util.js';
import { SDK_QUIET_MS, SDK_WAIT_MS } from '../support/sdk/client.js';
import { sdkSuite } from '../support/sdk/suite.js';

describe.each(databases)('SDK and REST message operations (%s)', (kind) => {
  const s = sdkSuite(kind);

  const offline = async (user: string): Promise<number> => (await s.t.apiOk('GET', `/users/${user}/offline_msg_count`)).data[user] as number;

  it('a targeted group message reaches the listed member’s SDK, not the other member’s', async () => {
    const [o, listed, other] = await s.t.makeUsers('sr_o', 'sr_l', 'sr_x');
    const gid = await s.t.createGroup(o, [listed, other]);
    const [l, x] = await Promise.all([s.login(listed), s.login(other)]);
    const data = await s.t.apiOk('POST', '/messages/chatgroups/users', { from: o, to: [gid], users: [listed], type: 'txt', body: { msg: 'sr only you' } });
    expect(await l.message('sr only you')).toMatchObject({ id: data.data[gid], chatType: 'groupChat', from: o, to: gid });
    await sleep(SDK_QUIET_MS);
    expect(x.texts('sr ')).toEqual([]);
  });

  it('broadcasts: every user online and at login; online users only while online; imports never', async () => {
    const [on, away, a] = await s.t.makeUsers('sb_on', 'sb_away', 'sb_a');
    await s.t.apiOk('POST', '/messages/users/import', { from: a, target: away, type: 'txt', body: { msg: 'sb imported' }, msg_timestamp: Date.UTC(2024, 0, 1) });
    const online = await s.login(on);
    await s.t.apiOk('POST', '/messages/broadcast', { target_type: 'users', msg: { type: 'txt', msg: 'sb to all' } });
    expect(await online.message('sb to all')).toMatchObject({ chatType: 'singleChat', from: 'admin', to: on });
    await s.t.apiOk('POST', '/messages/users/broadcast', { msg: { type: 'txt', msg: 'sb to online' } });
    await online.message('sb to online');
    await s.t.qunliao.services.messages.idle();
    expect(await offline(away)).toBe(1);

    const late = await s.login(away);
    await late.message('sb to all');
    await sleep(SDK_QUIET_MS);
    expect(late.texts('sb ')).toEqual(['sb to all']);
    // Acknowledged by the SDK's pulls: nothing waits any more.
    const deadline = Date.now() + SDK_WAIT_MS;
    while ((await offline(away)) !== 0) {
      if (Date.now() > deadline) throw new Error('the offline count never fell to 0');
      await sleep(50);
    }
  });
});
