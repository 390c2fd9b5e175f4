// Redis going away under two servers (issue 16, "What happens when Redis or a process fails"): on a
// Redis server of the test's own, stopped mid-stream and started again. Messages keep being
// stored and reach the devices from the logs, REST keeps answering, the log says so once, and
// live delivery across servers comes back by itself.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startApp, type TestApp } from '../support/harness.js';
import { QUIET_MS } from '../support/ws.js';
import { clusterReady, device, OwnRedis, startCluster, stopCluster, waitForPresence } from '../support/cluster.js';
import { sleep } from '../support/util.js';

const pad = (i: number) => String(i).padStart(3, '0');
/** Longer than the degraded poll (DEGRADED_POLL_MS) with room to spare. */
const DEGRADED_WAIT_MS = 15_000;

describe.runIf(clusterReady)('Redis unreachable when a server starts', () => {
  it('the server starts and serves, degraded, and joins in once Redis is there', { timeout: 60_000 }, async () => {
    const redis = await OwnRedis.start();
    await redis.stop();
    let nodes: TestApp[] = [];
    try {
      const { nodes: started, addrs } = await startCluster(1, redis.url);
      nodes = started;
      const t = nodes[0]!;
      expect((await t.request('GET', '/health')).body).toMatchObject({ database: 'ok', redis: 'unreachable' });
      const [a, b] = await t.makeUsers('rs_a', 'rs_b');
      const receiver = await device(t, addrs[0]!, b, 'rs');
      await redis.resume();
      const deadline = Date.now() + 10_000;
      while ((await t.request('GET', '/health')).status !== 200) {
        if (Date.now() > deadline) throw new Error('still unhealthy after Redis came back');
        await sleep(50);
      }
      // A second server, started with Redis up: live delivery across the two.
      const other = await startApp('postgres', { redis: redis.url, db: t.config.db });
      nodes.push(other);
      await waitForPresence(other, b, 1, 10_000);
      const res = await other.api('POST', '/messages/users', { body: { from: a, to: [b], type: 'txt', body: { msg: 'rs across' } } });
      expect(res.status, res.text).toBe(200);
      await receiver.waitUntil(() => receiver.texts('rs across').length === 1, 'the message from the other server');
      receiver.ws.close();
    } finally {
      await stopCluster(nodes);
      await redis.stop();
    }
  });
});

describe.runIf(clusterReady)('Redis stopped in the middle', () => {
  let redis: OwnRedis;
  let nodes: TestApp[];
  let addrs: string[];
  beforeAll(async () => {
    redis = await OwnRedis.start();
    // With the documented rate limits on: their counters are in the same Redis.
    ({ nodes, addrs } = await startCluster(2, redis.url, { rateLimit: 'easemob' }));
  });
  afterAll(async () => {
    await stopCluster(nodes ?? []);
    await redis?.stop();
  });

  it('nothing is lost, REST keeps working, the outage is logged once, and live delivery recovers', { timeout: 90_000 }, async () => {
    const [a, b, late, kicked] = await nodes[0]!.makeUsers('rd_a', 'rd_b', 'rd_late', 'rd_kick');
    const receiver = await device(nodes[1]!, addrs[1]!, b, 'rx');
    const toKick = await device(nodes[1]!, addrs[1]!, kicked, 'kx');
    const kickClosed = new Promise<number>((resolve) => toKick.ws.once('close', (code) => resolve(code)));
    await waitForPresence(nodes[0]!, b, 1);
    const warn = vi.spyOn(nodes[0]!.qunliao.server.log, 'warn');
    const info = vi.spyOn(nodes[0]!.qunliao.server.log, 'info');
    const expected: string[] = [];
    const send = async (to: string, msg: string) => {
      const res = await nodes[0]!.api('POST', '/messages/users', { body: { from: a, to: [to], type: 'txt', body: { msg } } });
      expect(res.status, res.text).toBe(200);
    };
    const batch = async (from: number, n: number) => {
      for (let i = from; i < from + n; i++) {
        expected.push(`rd ${pad(i)}`);
        await send(b, expected.at(-1)!);
      }
    };

    await batch(0, 10);
    await receiver.waitUntil(() => receiver.texts('rd ').length >= 10, 'the first messages live');

    await redis.stop();
    // REST keeps answering (the rate limiter lets requests through, sends are stored).
    await batch(10, 20);
    await send(late, 'rd late one');
    const health = await nodes[0]!.request('GET', '/health');
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ database: 'ok', redis: 'unreachable' });
    await receiver.waitUntil(() => receiver.texts('rd ').length >= 30, 'the messages sent while Redis is away, from the logs', DEGRADED_WAIT_MS);
    // A kick made meanwhile on server 1 reaches the device on server 2 all the same (its session
    // reads the user's row when it reads its logs).
    expect((await nodes[0]!.api('PUT', `/users/${kicked}/password`, { body: { newpassword: 'pw2' } })).status).toBe(200);
    expect(await Promise.race([kickClosed, sleep(DEGRADED_WAIT_MS).then(() => 'not closed')])).toBe(4001);
    // A device connecting meanwhile gets its backlog.
    const lateDevice = await device(nodes[1]!, addrs[1]!, late, 'lx');
    await lateDevice.waitUntil(() => lateDevice.texts('rd late').length === 1, 'the backlog during the outage');

    await redis.resume();
    await waitForPresence(nodes[0]!, b, 1, 10_000);
    const back = await nodes[0]!.request('GET', '/health');
    expect(back.status).toBe(200);
    await batch(30, 10);
    await receiver.waitUntil(() => receiver.texts('rd ').length >= 40, 'live delivery again');
    await sleep(QUIET_MS);
    expect(receiver.texts('rd ')).toEqual(expected);

    const said = (spy: typeof warn, text: string) => spy.mock.calls.filter((c) => c.some((arg) => typeof arg === 'string' && arg.includes(text))).length;
    expect(said(warn, 'Redis is not reachable')).toBe(1);
    expect(said(info, 'Redis is reachable again')).toBe(1);
    receiver.ws.close();
    lateDevice.ws.close();
  });
});
