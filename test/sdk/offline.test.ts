// Offline sync with the official web SDK (PROTOCOL.md §6): the login UNREAD lists the
// conversations with waiting messages (onOfflineMessageSyncStart / Finish), pulls are answered in
// batches acknowledged by the next pull key, and each message reaches each device once and in
// order per conversation — also when the connection drops in the middle of a delivery, and after
// a server restart. Chatroom messages are not kept for members who were away.
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { databases } from '../support/harness.js';
import { sleep } from '../support/util.js';
import { SDK_QUIET_MS } from '../support/sdk/client.js';
import { sdkSuite } from '../support/sdk/suite.js';

const pad = (i: number) => String(i).padStart(3, '0');

describe.each(databases)('SDK offline sync (%s)', (kind) => {
  const s = sdkSuite(kind);

  const restSend = async (target: 'users' | 'chatgroups' | 'chatrooms', from: string, to: string, msg: string) => {
    const res = await s.t.api('POST', `/messages/${target}`, { body: { from, to: [to], type: 'txt', body: { msg } } });
    expect(res.status, res.text).toBe(200);
    return (res.body.data as Record<string, string>)[to]!;
  };

  /** Drops every msync connection the server has (a network failure, from the SDK's side). */
  const dropConnections = () => {
    for (const ws of s.t.qunliao.server.websocketServer.clients as Set<WebSocket>) ws.terminate();
  };

  it('lists waiting conversations at login and delivers them, in order per conversation, once', async () => {
    const [a, c, b] = await s.t.makeUsers('of_a', 'of_c', 'of_b');
    const gid = await s.t.createGroup(a, [b, c]);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(await restSend('users', a, b, `of a${i}`));
      ids.push(await restSend('users', c, b, `of c${i}`));
      ids.push(await restSend('chatgroups', a, gid, `of g${i}`));
    }
    const user = await s.users.start(b);
    await user.open({ user: b, pwd: 'pw' });
    await user.waitFor('onOfflineMessageSyncStart');
    await user.waitFor('onOfflineMessageSyncFinish');
    for (const prefix of ['of a', 'of c', 'of g']) expect(user.texts(prefix)).toEqual([0, 1, 2].map((i) => `${prefix}${i}`));
    expect(
      user
        .all('onTextMessage')
        .map((m: { id: string }) => m.id)
        .sort(),
    ).toEqual([...ids].sort());
    // Acknowledged: the next login brings none of them again.
    await user.call('close');
    await user.waitFor('onDisconnected');
    await user.open({ user: b, pwd: 'pw' });
    await user.waitFor('onConnected', () => true, 'the second login');
    await sleep(SDK_QUIET_MS);
    expect(user.all('onTextMessage')).toHaveLength(9);
    expect(user.all('onOfflineMessageSyncStart')).toHaveLength(1);
  });

  it('a backlog of 130 (three pull batches) arrives whole and in order', async () => {
    const [a, b] = await s.t.makeUsers('ob_a', 'ob_b');
    const expected: string[] = [];
    for (let i = 0; i < 130; i++) {
      expected.push(`ob ${pad(i)}`);
      await restSend('users', a, b, expected.at(-1)!);
    }
    const user = await s.login(b);
    await user.waitFor('onOfflineMessageSyncFinish');
    expect(user.texts('ob')).toEqual(expected);
  });

  it('a connection dropped in the middle of the offline sync: the SDK reconnects and gets the rest, each message once', async () => {
    const [a, b] = await s.t.makeUsers('od_a', 'od_b');
    const expected: string[] = [];
    for (let i = 0; i < 150; i++) {
      expected.push(`od ${pad(i)}`);
      await restSend('users', a, b, expected.at(-1)!);
    }
    const user = await s.users.start(b);
    await user.open({ user: b, pwd: 'pw' });
    await user.waitUntil(() => user.texts('od').length >= 60, 'part of the backlog');
    dropConnections();
    await user.waitFor('onReconnecting');
    await user.waitUntil(() => user.texts('od').length >= expected.length, 'the whole backlog after reconnecting', 20_000);
    await sleep(SDK_QUIET_MS);
    expect(user.texts('od')).toEqual(expected);
  });

  it('live messages while the connection drops and comes back: each once, in order', async () => {
    const [a, b] = await s.t.makeUsers('ol_a', 'ol_b');
    // The receiver is the only socket (the sender sends over REST), so dropping every connection drops it.
    const receiver = await s.login(b);
    const expected = Array.from({ length: 40 }, (_, i) => `ol ${pad(i)}`);
    for (const [i, msg] of expected.entries()) {
      await restSend('users', a, b, msg);
      if (i === 15) dropConnections();
    }
    await receiver.waitUntil(() => receiver.texts('ol').length >= expected.length, 'every message', 20_000);
    await sleep(SDK_QUIET_MS);
    expect(receiver.texts('ol')).toEqual(expected);
    expect(receiver.all('onReconnecting').length).toBeGreaterThanOrEqual(1);
  });

  it('messages kept for an offline user survive a server restart', async () => {
    const [a, b] = await s.t.makeUsers('or_a', 'or_b');
    const gid = await s.t.createGroup(a, [b]);
    const one = await restSend('users', a, b, 'or before restart 1:1');
    const group = await restSend('chatgroups', a, gid, 'or before restart group');
    await s.t.restart(s.port);
    const user = await s.login(b);
    await user.waitFor('onOfflineMessageSyncFinish');
    expect(user.all('onTextMessage').map((m: { id: string; msg: string }) => [m.id, m.msg])).toEqual(
      expect.arrayContaining([
        [one, 'or before restart 1:1'],
        [group, 'or before restart group'],
      ]),
    );
  });

  it('chatroom messages are not kept for members who were away; group messages are', async () => {
    const [o, m] = await s.t.makeUsers('oc_o', 'oc_m');
    const gid = await s.t.createGroup(o, [m]);
    const rid = await s.t.createRoom(o, [m]);
    await restSend('chatrooms', o, rid, 'oc room while away');
    await restSend('chatgroups', o, gid, 'oc group while away');
    const user = await s.login(m);
    await user.waitFor('onOfflineMessageSyncFinish');
    await restSend('chatrooms', o, rid, 'oc room live');
    await user.message('oc room live');
    await sleep(SDK_QUIET_MS);
    expect(user.texts('oc')).toEqual(['oc group while away', 'oc room live']);
  });

  it('a new device of a user gets what no device of theirs has had, not the history', async () => {
    const [a, b] = await s.t.makeUsers('on_a', 'on_b');
    await restSend('users', a, b, 'on first');
    const first = await s.login(b);
    await first.message('on first');
    await first.call('close');
    await first.waitFor('onDisconnected');
    await restSend('users', a, b, 'on second');
    // Another worker: another localStorage, so another device resource.
    const second = await s.login(b);
    await second.waitFor('onOfflineMessageSyncFinish');
    await sleep(SDK_QUIET_MS);
    expect(second.texts('on')).toEqual(['on second']);
  });
});
