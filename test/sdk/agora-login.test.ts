// The official web SDK logs in with an Agora Chat user token (issue 13; PROTOCOL.md §1: `open({user,
// accessToken})`, or the deprecated `agoraToken`, makes no REST call): the PROVISION frame carries
// the AccessToken2, checked like the Easemob token, for the user whose uuid it names.
import { describe, expect, it } from 'vitest';
import { databases, MAIN } from '../support/harness.js';
import { chatToken } from '../support/agora.js';
import { rejection } from '../support/sdk/client.js';
import { sdkSuite } from '../support/sdk/suite.js';
import type { AgoraCredentials } from '../../src/config.js';

const AGORA: AgoraCredentials = { appId: '3b9c7e2f1a0d4c5b8e6f7a8b9c0d1e2f', appCertificate: 'a1b2c3d4e5f60718293a4b5c6d7e8f90' };

describe.each(databases)('SDK login with an Agora user token (%s)', (kind) => {
  const s = sdkSuite(kind, { apps: [{ ...MAIN, agora: AGORA }] });
  const uuidOf = async (name: string): Promise<string> => (await s.t.apiOk('GET', `/users/${name}`)).entities[0].uuid as string;

  it('with agoraToken or accessToken: connected as the user the uuid names, sending and receiving', async () => {
    const [a, b] = await s.t.makeUsers('agl_a', 'agl_b');
    const alice = await s.users.start(a);
    await alice.open({ user: a, agoraToken: chatToken(AGORA, { privilege: 'user', uid: await uuidOf(a) }) });
    await alice.waitFor('onConnected');
    const bob = await s.users.start(b);
    await bob.open({ user: b, accessToken: chatToken(AGORA, { privilege: 'user', uid: await uuidOf(b) }) });
    await bob.waitFor('onConnected');
    const sent = await s.t.apiOk('POST', '/messages/users', { from: b, to: [a], type: 'txt', body: { msg: 'agl hi' } });
    const id = (sent.data as Record<string, string>)[a]!;
    expect(await alice.waitFor('onTextMessage', (m: { id: string }) => m.id === id, 'the message')).toMatchObject({ from: b, to: a, msg: 'agl hi' });
  });

  it('refuses a token for another uuid, an expired one and an app token', async () => {
    const [a, b] = await s.t.makeUsers('agl_c', 'agl_d');
    // The SDK's types: 28 INVALID_TOKEN, 56 token expired (PROTOCOL.md §4).
    for (const [token, refusal] of [
      [chatToken(AGORA, { privilege: 'user', uid: await uuidOf(b) }), { type: 28, message: 'INVALID_TOKEN' }],
      [chatToken(AGORA, { privilege: 'user', uid: await uuidOf(a), issuedAt: Math.floor(Date.now() / 1000) - 700, expire: 600 }), { type: 56 }],
      [chatToken(AGORA, { privilege: 'app' }), { type: 28, message: 'INVALID_TOKEN' }],
    ] as const) {
      const user = await s.users.start(a);
      const err = await rejection(user.open({ user: a, accessToken: token }));
      expect(err, token).toMatchObject(refusal);
      expect(user.all('onConnected')).toEqual([]);
    }
  });
});
