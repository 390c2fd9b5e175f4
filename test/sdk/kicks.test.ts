// Kicks as the official web SDK sees them (PROTOCOL.md §9): a STATISTIC meta names the reason,
// the SDK raises its error, is disconnected and does not reconnect. Password change → 216,
// deletion → 207, deactivation → 207 (docs/client-sdk.md), forced logout → 217, the same device
// logging in elsewhere → 206.
import { describe, expect, it } from 'vitest';
import type { KickReason } from '../../src/coord/fanout.js';
import { databases, MAIN } from '../support/harness.js';
import { sleep } from '../support/util.js';
import type { SdkUser } from '../support/sdk/client.js';
import { sdkSuite } from '../support/sdk/suite.js';

/** Longer than the SDK's first reconnect delay (1–2 s). */
const NO_RECONNECT_MS = 2500;

describe.each(databases)('SDK kicks (%s)', (kind) => {
  const s = sdkSuite(kind);

  const expectKicked = async (user: SdkUser, type: number) => {
    const err = await user.waitFor('onError', (e: { type: number }) => e.type === type, `onError ${type}`);
    expect(err.type).toBe(type);
    await user.waitFor('onDisconnected');
    expect(await user.get('logOut')).toBe(true);
    await sleep(NO_RECONNECT_MS);
    expect(user.all('onReconnecting')).toEqual([]);
    expect(user.all('onConnected')).toHaveLength(1);
  };

  it.each([
    ['changing the password', 216, (u: string) => s.t.apiOk('PUT', `/users/${u}/password`, { newpassword: 'new' })],
    ['deleting the user', 207, (u: string) => s.t.apiOk('DELETE', `/users/${u}`)],
    ['deactivating the user', 207, (u: string) => s.t.apiOk('POST', `/users/${u}/deactivate`)],
  ] as const)('%s kicks every device with %i and none reconnects', async (_what, type, act) => {
    const [u] = await s.t.makeUsers(`kk${type}`);
    const d1 = await s.login(u);
    const d2 = await s.login(u);
    await act(u);
    await Promise.all([expectKicked(d1, type), expectKicked(d2, type)]);
  });

  it('a forced logout (the session core kick) → 217', async () => {
    const [u] = await s.t.makeUsers('kf');
    const user = await s.login(u);
    const app = (await s.t.qunliao.services.apps.find(MAIN.org, MAIN.app))!;
    s.t.qunliao.services.fanout.kick(app.uuid, u, 'forced_logout' satisfies KickReason);
    await expectKicked(user, 217);
  });

  it('the same device (resource) logging in on another connection logs the first one out with 206', async () => {
    const [u] = await s.t.makeUsers('kr');
    const first = await s.login(u, undefined, { deviceId: 'same-device' });
    const second = await s.login(u, undefined, { deviceId: 'same-device' });
    expect(await first.get('clientResource')).toBe(await second.get('clientResource'));
    await expectKicked(first, 206);
    // The new connection is the one that works.
    const [peer] = await s.t.makeUsers('kr_peer');
    const p = await s.login(peer);
    await p.send({ type: 'txt', chatType: 'singleChat', to: u, msg: 'kr still here' });
    await second.message('kr still here');
  });
});
