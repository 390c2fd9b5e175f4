// The official web SDK (msync on /websocket) against three servers on one PostgreSQL and one
// Redis (issue 16): a user's SDK devices on different servers get REST sends made through server 1
// and SDK sends made through server 2 once and in order; a kick through server 1 logs out SDK
// devices on the others; the same device logging in on another server logs the first one out.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../support/harness.js';
import { SdkUsers, SDK_QUIET_MS, type SdkUser } from '../support/sdk/client.js';
import { APP_KEY } from '../support/sdk/suite.js';
import { clusterReady, startCluster, stopCluster, waitForPresence } from '../support/cluster.js';
import { sleep } from '../support/util.js';

const pad = (i: number) => String(i).padStart(3, '0');

describe.runIf(clusterReady)('the SDK on three servers', () => {
  let nodes: TestApp[];
  let addrs: string[];
  const users = new SdkUsers(() => ({ base: addrs[0]!, appKey: APP_KEY }));
  const login = async (node: number, name: string, options: Record<string, unknown> = {}): Promise<SdkUser> => {
    const u = await users.start(name, { base: addrs[node]!, options });
    await u.open({ user: name, pwd: 'pw' });
    return u;
  };
  beforeAll(async () => {
    ({ nodes, addrs } = await startCluster(3));
  });
  afterEach(() => users.closeAll());
  afterAll(() => stopCluster(nodes));

  it('REST sends through server 1 and SDK sends through server 2 reach the SDK devices on servers 3 and 1 once, in order', { timeout: 60_000 }, async () => {
    const [a, b] = await nodes[0]!.makeUsers('cs_a', 'cs_b');
    const b3 = await login(2, b);
    const b1 = await login(0, b);
    const a2 = await login(1, a);
    await waitForPresence(nodes[1]!, b, 2);
    const expected: string[] = [];
    for (let i = 0; i < 20; i++) {
      const msg = `cs ${pad(i)}`;
      expected.push(msg);
      if (i % 2 === 0) {
        await nodes[0]!.apiOk('POST', '/messages/users', { from: a, to: [b], type: 'txt', body: { msg } });
      } else {
        await a2.send({ type: 'txt', chatType: 'singleChat', to: b, msg });
      }
    }
    for (const d of [b3, b1]) await d.waitUntil(() => d.texts('cs ').length >= expected.length, 'every message');
    await sleep(SDK_QUIET_MS);
    for (const d of [b3, b1]) expect(d.texts('cs ')).toEqual(expected);
  });

  it('a password change through server 1 logs out SDK devices on servers 2 and 3 (216), none reconnects', { timeout: 30_000 }, async () => {
    const [u] = await nodes[0]!.makeUsers('cs_k');
    const devices = [await login(1, u), await login(2, u)];
    await waitForPresence(nodes[0]!, u, 2);
    await nodes[0]!.apiOk('PUT', `/users/${u}/password`, { newpassword: 'new' });
    for (const d of devices) {
      await d.waitFor('onError', (e: { type: number }) => e.type === 216, 'onError 216');
      await d.waitFor('onDisconnected');
      expect(await d.get('logOut')).toBe(true);
    }
    await sleep(2500);
    for (const d of devices) expect(d.all('onReconnecting')).toEqual([]);
  });

  it('the same device logging in on another server logs the first connection out (206)', { timeout: 30_000 }, async () => {
    const [u, peer] = await nodes[0]!.makeUsers('cs_r', 'cs_rp');
    const first = await login(0, u, { deviceId: 'same-device' });
    await waitForPresence(nodes[2]!, u, 1);
    const second = await login(2, u, { deviceId: 'same-device' });
    await first.waitFor('onError', (e: { type: number }) => e.type === 206, 'onError 206');
    const p = await login(1, peer);
    await p.send({ type: 'txt', chatType: 'singleChat', to: u, msg: 'cs_r still here' });
    await second.message('cs_r still here');
  });
});
