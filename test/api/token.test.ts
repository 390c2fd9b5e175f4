import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases, MAIN, OTHER, startApp, type TestApp } from '../support/harness.js';

describe.each(databases)('POST /token (%s)', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(kind);
    await t.createUsers('alice', 'bob');
  });
  afterAll(() => t.close());

  const token = (body: unknown, options: { token?: string; app?: typeof MAIN; headers?: Record<string, string> } = {}) =>
    t.api('POST', '/token', { body, token: options.token ?? null, app: options.app, headers: options.headers });

  describe('client_credentials', () => {
    it('issues an app token that works on admin endpoints', async () => {
      const res = await token({ grant_type: 'client_credentials', client_id: MAIN.clientId, client_secret: MAIN.clientSecret, ttl: 2592000 });
      expect(res.status).toBe(200);
      expect(res.body.access_token).toMatch(/^YWMt/);
      expect(res.body.expires_in).toBe(2592000);
      expect(res.body.application).toMatch(/^[0-9a-f-]{36}$/);
      const users = await t.api('GET', '/users/alice', { token: res.body.access_token });
      expect(users.status).toBe(200);
      expect(users.body.application).toBe(res.body.application);
    });

    it('defaults expires_in when no ttl is sent, and accepts ttl as a numeric string', async () => {
      const res = await token({ grant_type: 'client_credentials', client_id: MAIN.clientId, client_secret: MAIN.clientSecret });
      expect(res.body.expires_in).toBe(60 * 24 * 3600);
      const str = await token({ grant_type: 'client_credentials', client_id: MAIN.clientId, client_secret: MAIN.clientSecret, ttl: '600' });
      expect(str.body.expires_in).toBe(600);
    });

    it('accepts JSON labelled application/x-www-form-urlencoded (PHP SDK)', async () => {
      const res = await t.request('POST', `/${MAIN.org}/${MAIN.app}/token`, {
        payload: JSON.stringify({ grant_type: 'client_credentials', client_id: MAIN.clientId, client_secret: MAIN.clientSecret }),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(res.status).toBe(200);
      expect(res.body.access_token).toMatch(/^YWMt/);
    });

    it('accepts a real form body too', async () => {
      const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: MAIN.clientId, client_secret: MAIN.clientSecret });
      const res = await t.request('POST', `/${MAIN.org}/${MAIN.app}/token`, {
        payload: form.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(res.status).toBe(200);
    });

    it.each([
      [{ grant_type: 'client_credentials', client_secret: 'x' }, 400, 'illegal_argument', 'client_id must be provided.'],
      [{ grant_type: 'client_credentials', client_id: MAIN.clientId }, 400, 'illegal_argument', 'client_secret must be provided'],
      [{ grant_type: 'client_credentials', client_id: 'nope', client_secret: MAIN.clientSecret }, 400, 'invalid_grant', 'client_id does not match'],
      [{ grant_type: 'client_credentials', client_id: MAIN.clientId, client_secret: 'nope' }, 400, 'invalid_grant', 'client_secret does not match'],
      [{ grant_type: 'client_credentials', client_id: 5, client_secret: MAIN.clientSecret }, 400, 'illegal_argument', 'client_id must be provided.'],
      [{ grant_type: 'client_credentials', client_id: MAIN.clientId, client_secret: MAIN.clientSecret, ttl: -1 }, 400, 'illegal_argument', 'ttl must be a non-negative integer number of seconds'],
      [{ grant_type: 'client_credentials', client_id: MAIN.clientId, client_secret: MAIN.clientSecret, ttl: 'soon' }, 400, 'illegal_argument', 'ttl must be a non-negative integer number of seconds'],
      [{ client_id: MAIN.clientId }, 400, 'illegal_argument', 'grant_type must be provided'],
      [{ grant_type: 'magic' }, 400, 'unsupported_grant_type', 'unsupported grant_type magic'],
    ])('refuses %j with %i %s', async (body, status, error, description) => {
      const res = await token(body);
      expect(res.status).toBe(status);
      expect(res.body).toMatchObject({ error, error_description: description });
      expect(typeof res.body.exception).toBe('string');
      expect(typeof res.body.timestamp).toBe('number');
      expect(typeof res.body.duration).toBe('number');
    });

    it("refuses another app's credentials", async () => {
      const res = await token({ grant_type: 'client_credentials', client_id: OTHER.clientId, client_secret: OTHER.clientSecret });
      expect(res.status).toBe(400);
      expect(res.body.error_description).toBe('client_id does not match');
    });

    it('answers 404 organization_application_not_found for an unknown app', async () => {
      const res = await t.request('POST', '/acme/missing/token', { body: { grant_type: 'client_credentials' } });
      expect(res.status).toBe(404);
      expect(res.body.error).toBe('organization_application_not_found');
      expect(res.body.error_description).toBe('Could not find application for acme/missing from URI: acme/missing/token');
    });

    it('a ttl of 0 issues a token that does not expire', async () => {
      const res = await token({ grant_type: 'client_credentials', client_id: MAIN.clientId, client_secret: MAIN.clientSecret, ttl: 0 });
      expect(res.status).toBe(200);
      expect(res.body.expires_in).toBe(0);
      expect((await t.api('GET', '/users/alice', { token: res.body.access_token })).status).toBe(200);
    });

    it('a token stops working when it expires', async () => {
      const res = await token({ grant_type: 'client_credentials', client_id: MAIN.clientId, client_secret: MAIN.clientSecret, ttl: 1 });
      expect((await t.api('GET', '/users/alice', { token: res.body.access_token })).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1100));
      const after = await t.api('GET', '/users/alice', { token: res.body.access_token });
      expect(after.status).toBe(401);
      expect(after.body).toMatchObject({ error: 'unauthorized', error_description: 'Unable to authenticate due to expired access token' });
    });
  });

  describe('password', () => {
    it('issues a user token with the user object', async () => {
      const res = await token({ grant_type: 'password', username: 'Alice', password: 'pw', ttl: 3600 });
      expect(res.status).toBe(200);
      expect(res.body.expires_in).toBe(3600);
      expect(res.body.user).toMatchObject({ type: 'user', username: 'alice', activated: true });
      expect(res.body.user.uuid).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('is not refused when an app Bearer token comes along', async () => {
      const res = await token({ grant_type: 'password', username: 'alice', password: 'pw' }, { token: t.adminToken });
      expect(res.status).toBe(200);
      expect(res.body.user.username).toBe('alice');
    });

    it.each([
      [{ grant_type: 'password', username: 'alice', password: 'wrong' }, 400, 'invalid_grant', 'invalid password'],
      [{ grant_type: 'password', username: 'nobody', password: 'pw' }, 404, 'invalid_grant', 'user not found'],
      [{ grant_type: 'password', password: 'pw' }, 400, 'illegal_argument', 'username must be provided'],
      [{ grant_type: 'password', username: 'alice' }, 400, 'illegal_argument', 'password must be provided'],
    ])('refuses %j with %i %s', async (body, status, error, description) => {
      const res = await token(body);
      expect(res.status).toBe(status);
      expect(res.body).toMatchObject({ error, error_description: description });
    });

    it('a user token is refused on admin endpoints with the documented 401', async () => {
      const userToken = (await token({ grant_type: 'password', username: 'alice', password: 'pw' })).body.access_token;
      const res = await t.api('GET', '/users/bob', { token: userToken });
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('unauthorized');
      expect(res.body.error_description).toMatch(/^Subject does not have permission \[applications:get:[0-9a-f-]{36}:\/users\/bob\]$/);
    });
  });

  describe('inherit', () => {
    it('issues a user token with an app token', async () => {
      const res = await token({ grant_type: 'inherit', username: 'bob', autoCreateUser: false }, { token: t.adminToken });
      expect(res.status).toBe(200);
      expect(res.body.user.username).toBe('bob');
    });

    it('creates the user with autoCreateUser', async () => {
      const res = await token({ grant_type: 'inherit', username: 'Carol', autoCreateUser: true, ttl: 0 }, { token: t.adminToken });
      expect(res.status).toBe(200);
      expect(res.body.user.username).toBe('carol');
      const got = await t.api('GET', '/users/carol');
      expect(got.status).toBe(200);
      expect(got.body.entities[0].uuid).toBe(res.body.user.uuid);
    });

    it('concurrent autoCreateUser calls create one user', async () => {
      const results = await Promise.all(
        Array.from({ length: 8 }, () => token({ grant_type: 'inherit', username: 'dave', autoCreateUser: true }, { token: t.adminToken })),
      );
      expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
      expect(new Set(results.map((r) => r.body.user.uuid)).size).toBe(1);
    });

    it('refuses an unknown user without autoCreateUser', async () => {
      const res = await token({ grant_type: 'inherit', username: 'erin' }, { token: t.adminToken });
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ error: 'invalid_grant', error_description: 'user not found' });
      expect((await t.api('GET', '/users/erin')).status).toBe(404);
    });

    it('refuses an illegal or too long username with autoCreateUser', async () => {
      const bad = await token({ grant_type: 'inherit', username: 'no spaces', autoCreateUser: true }, { token: t.adminToken });
      expect(bad.status).toBe(400);
      expect(bad.body.error_description).toBe('username [no spaces] is not legal');
      const long = await token({ grant_type: 'inherit', username: 'a'.repeat(65), autoCreateUser: true }, { token: t.adminToken });
      expect(long.status).toBe(400);
      expect(long.body.error_description).toBe('USERNAME_TOO_LONG');
    });

    it('requires an app token', async () => {
      const none = await token({ grant_type: 'inherit', username: 'bob' });
      expect(none.status).toBe(401);
      const userToken = (await token({ grant_type: 'password', username: 'alice', password: 'pw' })).body.access_token;
      const asUser = await token({ grant_type: 'inherit', username: 'bob' }, { token: userToken });
      expect(asUser.status).toBe(401);
      expect(asUser.body.error_description).toBe('Unable to authenticate (OAuth)');
    });
  });

  describe('token checks', () => {
    it("refuses app A's token on app B", async () => {
      const res = await t.api('GET', '/users', { app: OTHER, token: t.adminToken });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: 'auth_bad_access_token', error_description: 'Unable to authenticate due to corrupt access token' });
    });

    it('refuses a missing, malformed or forged token', async () => {
      const missing = await t.api('GET', '/users', { token: null });
      expect(missing.status).toBe(401);
      expect(missing.body.error_description).toBe('Unable to authenticate due to expired access token');
      const malformed = await t.api('GET', '/users', { token: 'garbage' });
      expect(malformed.body).toMatchObject({ error: 'auth_bad_access_token', error_description: 'Unable to authenticate due to corrupt access token' });
      const last = t.adminToken.at(-1) === 'A' ? 'B' : 'A';
      const forged = await t.api('GET', '/users', { token: t.adminToken.slice(0, -1) + last });
      expect(forged.status).toBe(401);
      expect(forged.body).toMatchObject({ error: 'auth_bad_access_token', error_description: 'Unable to authenticate' });
    });

    // Until user-facing endpoints exist, a user token's state shows on admin endpoints: a live one is
    // refused for lack of permission, a revoked one as not authenticated.
    const describeToken = async (tok: string) => (await t.api('GET', '/users', { token: tok })).body.error_description as string;
    const LIVE = /^Subject does not have permission/;
    const REVOKED = 'Unable to authenticate (OAuth)';

    it("a deleted user's token stops working", async () => {
      await t.createUsers('frank');
      const tok = await t.userToken('frank');
      expect(await describeToken(tok)).toMatch(LIVE);
      expect((await t.api('DELETE', '/users/frank')).status).toBe(200);
      expect(await describeToken(tok)).toBe(REVOKED);
      // A new account under the same name does not revive the old token.
      await t.createUsers('frank');
      expect(await describeToken(tok)).toBe(REVOKED);
    });

    it("a deactivated user's token stops working, and cannot be renewed until activated", async () => {
      await t.createUsers('gina');
      const tok = await t.userToken('gina');
      expect((await t.api('POST', '/users/gina/deactivate')).status).toBe(200);
      expect(await describeToken(tok)).toBe(REVOKED);
      const again = await token({ grant_type: 'password', username: 'gina', password: 'pw' });
      expect(again.status).toBe(400);
      expect(again.body).toMatchObject({ error: 'invalid_grant', error_description: 'user not activated' });
      expect((await t.api('POST', '/users/gina/activate')).status).toBe(200);
      expect(await describeToken(await t.userToken('gina'))).toMatch(LIVE);
    });

    it('re-activating a user does not revive the tokens issued before the deactivation', async () => {
      await t.createUsers('ivy');
      const before = await t.userToken('ivy');
      expect((await t.api('POST', '/users/ivy/deactivate')).status).toBe(200);
      expect((await t.api('POST', '/users/ivy/activate')).status).toBe(200);
      expect(await describeToken(before)).toBe(REVOKED);
      expect(await describeToken(await t.userToken('ivy'))).toMatch(LIVE);
    });

    it('a password change ends the old password and the tokens issued before it', async () => {
      await t.createUsers('hank');
      const tok = await t.userToken('hank');
      expect((await t.api('PUT', '/users/hank/password', { body: { newpassword: 'fresh' } })).status).toBe(200);
      expect(await describeToken(tok)).toBe(REVOKED);
      expect((await token({ grant_type: 'password', username: 'hank', password: 'pw' })).status).toBe(400);
      expect(await describeToken(await t.userToken('hank', 'fresh'))).toMatch(LIVE);
    });

    it('tokens survive a restart of the server', async () => {
      // Verification needs only the app row (its signing key) from the store.
      const fresh = await startApp(kind, { db: t.config.db });
      try {
        expect((await fresh.api('GET', '/users/alice', { token: t.adminToken })).status).toBe(200);
      } finally {
        await fresh.qunliao.server.close();
      }
    });
  });
});
