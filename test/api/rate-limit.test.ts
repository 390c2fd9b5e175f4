// Per-app, per-operation call limits (REFERENCE §2g). Limits are per second, so each test fires its
// burst at once and only checks counts, never timings.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases, OTHER, startApp, type TestApp } from '../support/harness.js';

const statuses = (replies: { status: number }[]) =>
  replies.reduce<Record<number, number>>((acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }), {});

describe.each(databases)('rate limits (%s)', (kind) => {
  describe('easemob', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startApp(kind, { rateLimit: 'easemob' });
      await t.createUsers('alice');
    });
    afterAll(() => t.close());

    it('answers 429 reach_limit past 100 calls in a second, per app and per operation', async () => {
      const burst = await Promise.all(Array.from({ length: 110 }, () => t.api('GET', '/users/alice')));
      expect(statuses(burst)).toEqual({ 200: 100, 429: 10 });
      const limited = burst.find((r) => r.status === 429)!;
      expect(limited.body).toMatchObject({ error: 'reach_limit', error_description: 'This request has reached api limit' });
      expect(Object.keys(limited.body).sort()).toEqual(['duration', 'error', 'error_description', 'exception', 'timestamp']);

      // Another operation of the same app, and the same operation of another app, have their own budgets.
      expect((await t.api('GET', '/users')).status).toBe(200);
      const otherToken = await t.appToken(OTHER);
      expect((await t.api('GET', '/users/alice', { app: OTHER, token: otherToken })).status).toBe(404);

      await new Promise((r) => setTimeout(r, 1100));
      expect((await t.api('GET', '/users/alice')).status).toBe(200);
    });

    it('allows 300 token requests per second', async () => {
      const body = { grant_type: 'password', username: 'alice', password: 'wrong' };
      const burst = await Promise.all(Array.from({ length: 305 }, () => t.api('POST', '/token', { token: null, body })));
      expect(statuses(burst)).toEqual({ 400: 300, 429: 5 });
    });
  });

  describe('off', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startApp(kind, { rateLimit: 'off' });
      await t.createUsers('alice');
    });
    afterAll(() => t.close());

    it('never answers 429', async () => {
      const burst = await Promise.all(Array.from({ length: 150 }, () => t.api('GET', '/users/alice')));
      expect(statuses(burst)).toEqual({ 200: 150 });
    });
  });
});
