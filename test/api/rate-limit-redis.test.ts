// Rate limits shared through Redis (QUNLIAO_REDIS): two server processes on one database share one
// budget per app and operation. Runs when QUNLIAO_TEST_REDIS_URL is set; CI sets it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases, redisUrl, startApp, type TestApp } from '../support/harness.js';

const statuses = (replies: { status: number }[]) =>
  replies.reduce<Record<number, number>>((acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }), {});

// Without a Redis to talk to (a developer machine), the suite is not defined; CI requires one.
describe.runIf(redisUrl !== undefined).each(databases)('rate limits through Redis (%s)', (kind) => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await startApp(kind, { rateLimit: 'easemob', redis: redisUrl });
    // A second server on the same database: the same app uuid, so the same counters.
    b = await startApp(kind, { rateLimit: 'easemob', redis: redisUrl, db: a.config.db });
    await a.createUsers('alice');
  });
  afterAll(async () => {
    await b.qunliao.server.close();
    await a.close();
  });

  it('counts calls to both processes against one budget of 100 per second', async () => {
    // Warm both connections up so the burst is not spread over a reconnect.
    await a.api('GET', '/users');
    await b.api('GET', '/users');
    const burst = await Promise.all(Array.from({ length: 130 }, (_, i) => (i % 2 === 0 ? a : b).api('GET', '/users/alice')));
    expect(statuses(burst)).toEqual({ 200: 100, 429: 30 });
    const limited = burst.find((r) => r.status === 429)!;
    expect(limited.body).toMatchObject({ error: 'reach_limit', error_description: 'This request has reached api limit' });
  });

  it('without Redis each process counts alone (what the shared counters change)', async () => {
    const c = await startApp(kind, { rateLimit: 'easemob', db: a.config.db });
    const d = await startApp(kind, { rateLimit: 'easemob', db: a.config.db });
    try {
      const burst = await Promise.all(Array.from({ length: 130 }, (_, i) => (i % 2 === 0 ? c : d).api('GET', '/users/alice')));
      expect(statuses(burst)).toEqual({ 200: 130 });
    } finally {
      await c.qunliao.server.close();
      await d.qunliao.server.close();
    }
  });
});
