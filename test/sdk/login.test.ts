// The official web SDK logs in to qunliao (PROTOCOL.md §4, §7, §9; docs/client-sdk.md): password
// and token logins, every refusal it tells apart, several devices, token expiry and renewal,
// logout. The unmodified easemob-websdk 4.21.1, one worker thread per simulated user.
import { describe, expect, it } from 'vitest';
import { databases, MAIN, OTHER } from '../support/harness.js';
import { sleep } from '../support/util.js';
import { rejection, SDK_QUIET_MS } from '../support/sdk/client.js';
import { sdkSuite } from '../support/sdk/suite.js';

describe.each(databases)('SDK login (%s)', (kind) => {
  const s = sdkSuite(kind);

  describe('logging in', () => {
    it('with a password: open() resolves with the REST token and the SDK is connected', async () => {
      const [u] = await s.t.makeUsers('lg_pw');
      const user = await s.users.start(u);
      const opened = await user.open({ user: u, pwd: 'pw' });
      expect(opened).toMatchObject({ accessToken: expect.stringMatching(/^YWMt/), duration: s.t.config.defaultTokenTtl });
      await user.waitFor('onConnected');
      // The resource the SDK sent is echoed and adopted.
      expect(await user.get('clientResource')).toMatch(/^webim_web_\d+$/);
      // The token it got works on the REST API like any user token.
      const res = await s.t.api('GET', `/sdk/users/${u}/token/expires`, { token: (opened as { accessToken: string }).accessToken });
      expect(res.status, res.text).toBe(200);
    });

    it('with a token issued by the app server (no REST call)', async () => {
      const [u] = await s.t.makeUsers('lg_tok');
      const user = await s.users.start(u);
      await user.open({ user: u, accessToken: await s.t.userToken(u) });
      await user.waitFor('onConnected');
    });

    it('with the user name in another case (usernames are case-insensitive)', async () => {
      const [u] = await s.t.makeUsers('lg_case');
      const user = await s.users.start(u);
      await user.open({ user: u.toUpperCase(), accessToken: await s.t.userToken(u) });
      await user.waitFor('onConnected');
    });

    it('refuses a wrong password at the REST login (type 1, the REST error text)', async () => {
      const [u] = await s.t.makeUsers('lg_badpw');
      const user = await s.users.start(u);
      const err = await rejection(user.open({ user: u, pwd: 'wrong' }));
      expect(err).toMatchObject({ type: 1, message: 'invalid password' });
    });
  });

  describe('refusals at PROVISION (the SDK error types of PROTOCOL.md §4)', () => {
    const refusedWith = async (name: string, credentials: Record<string, unknown>, type: number, message?: string, appKey?: string) => {
      const user = await s.users.start(name, appKey ? { appKey } : {});
      const err = await rejection(user.open(credentials));
      expect(err, JSON.stringify(err)).toMatchObject(message === undefined ? { type } : { type, message });
      // No retry: the SDK neither connects nor reconnects after a refused provision.
      await sleep(SDK_QUIET_MS);
      expect(user.all('onConnected')).toEqual([]);
      expect(user.all('onReconnecting')).toEqual([]);
      return user;
    };

    it('an unknown or forged token → 28 INVALID_TOKEN', async () => {
      const [u] = await s.t.makeUsers('lg_forged');
      const good = await s.t.userToken(u);
      const i = good.length - 10;
      const forged = good.slice(0, i) + (good[i] === 'A' ? 'B' : 'A') + good.slice(i + 1);
      await refusedWith(u, { user: u, accessToken: forged }, 28, 'INVALID_TOKEN');
      await refusedWith(u, { user: u, accessToken: 'not-a-token' }, 28, 'INVALID_TOKEN');
    });

    it("another user's token → 28 (the token decides who logs in)", async () => {
      const [u, other] = await s.t.makeUsers('lg_self', 'lg_other');
      await refusedWith(u, { user: u, accessToken: await s.t.userToken(other) }, 28, 'INVALID_TOKEN');
    });

    it('an expired token → 56', async () => {
      const [u] = await s.t.makeUsers('lg_exp');
      const token = await s.t.userToken(u, 'pw', { ttl: 1 });
      await sleep(1100);
      await refusedWith(u, { user: u, accessToken: token }, 56, 'Sorry, token expired');
    });

    it('the token of a deleted user → 204', async () => {
      const [u] = await s.t.makeUsers('lg_del');
      const token = await s.t.userToken(u);
      await s.t.apiOk('DELETE', `/users/${u}`);
      await refusedWith(u, { user: u, accessToken: token }, 204, 'User not found');
    });

    it('the token of a deactivated user → 57 (IM_FORBIDDEN)', async () => {
      const [u] = await s.t.makeUsers('lg_deact');
      const token = await s.t.userToken(u);
      await s.t.apiOk('POST', `/users/${u}/deactivate`);
      await refusedWith(u, { user: u, accessToken: token }, 57);
      // Activated again: the deactivation ended that token for good (issue 10); a new one works.
      await s.t.apiOk('POST', `/users/${u}/activate`);
      await refusedWith(u, { user: u, accessToken: token }, 28, 'INVALID_TOKEN');
      const user = await s.users.start(u);
      await user.open({ user: u, accessToken: await s.t.userToken(u) });
      await user.waitFor('onConnected');
    });

    it('a token issued before a password change → 28', async () => {
      const [u] = await s.t.makeUsers('lg_pwchg');
      const token = await s.t.userToken(u);
      await s.t.apiOk('PUT', `/users/${u}/password`, { newpassword: 'new' });
      await refusedWith(u, { user: u, accessToken: token }, 28, 'INVALID_TOKEN');
    });

    it("a user token of another app with this app's key → 28; an unknown app key → 2", async () => {
      const admin = await s.t.appToken(OTHER);
      const [u] = await s.t.makeUsers('lg_app');
      const reg = await s.t.api('POST', '/users', { app: OTHER, token: admin, body: [{ username: u, password: 'pw' }] });
      expect(reg.status, reg.text).toBe(200);
      const foreign = await s.t.userToken(u, 'pw', { app: OTHER });
      await refusedWith(u, { user: u, accessToken: foreign }, 28, 'INVALID_TOKEN');
      await refusedWith(u, { user: u, accessToken: foreign }, 2, undefined, `${MAIN.org}#no-such-app`);
      // The same token with its own app's key logs in.
      const user = await s.users.start(u, { appKey: `${OTHER.org}#${OTHER.app}` });
      await user.open({ user: u, accessToken: foreign });
      await user.waitFor('onConnected');
    });
  });

  describe('sessions', () => {
    it('several devices of one user are connected at once and each gets the messages', async () => {
      const [u, peer] = await s.t.makeUsers('lg_dev', 'lg_peer');
      const d1 = await s.login(u);
      const d2 = await s.login(u);
      expect(await d1.get('clientResource')).not.toBe(await d2.get('clientResource'));
      const p = await s.login(peer);
      await p.send({ type: 'txt', chatType: 'singleChat', to: u, msg: 'lg both' });
      await d1.message('lg both');
      await d2.message('lg both');
    });

    it('close() logs out: the server lets the device go', async () => {
      const [u] = await s.t.makeUsers('lg_out');
      const user = await s.login(u);
      const app = (await s.t.qunliao.services.apps.find(MAIN.org, MAIN.app))!;
      expect(s.t.qunliao.services.fanout.isOnline(app.uuid, u)).toBe(true);
      await user.call('close');
      await user.waitFor('onDisconnected');
      const deadline = Date.now() + 5000;
      while (s.t.qunliao.services.fanout.isOnline(app.uuid, u) && Date.now() < deadline) await sleep(20);
      expect(s.t.qunliao.services.fanout.isOnline(app.uuid, u)).toBe(false);
    });

    it('a token about to expire: onTokenWillExpire, then onTokenExpired and the SDK logs out (the PROVISION answer carries the absolute expiry)', async () => {
      const [u] = await s.t.makeUsers('lg_ttl');
      const user = await s.users.start(u);
      const started = Date.now();
      await user.open({ user: u, accessToken: await s.t.userToken(u, 'pw', { ttl: 3 }) });
      await user.waitFor('onTokenWillExpire');
      // At 80 % of the 3 s: a duration in seconds instead of an absolute time would fire at once.
      expect(Date.now() - started).toBeGreaterThan(1500);
      await user.waitFor('onTokenExpired');
      await user.waitFor('onDisconnected');
    });

    it('renewToken checks the new token on GET /sdk/users/{user}/token/expires and takes its expiry', async () => {
      const [u] = await s.t.makeUsers('lg_renew');
      const user = await s.users.start(u);
      await user.open({ user: u, accessToken: await s.t.userToken(u, 'pw', { ttl: 3 }) });
      const before = Date.now();
      const renewed = await user.call('renewToken', await s.t.userToken(u, 'pw', { ttl: 3600 }));
      expect(renewed).toMatchObject({ status: true, token: expect.any(String) });
      expect(renewed.expire).toBeGreaterThanOrEqual(before + 3600_000 - 2000);
      expect(renewed.expire).toBeLessThanOrEqual(Date.now() + 3600_000 + 2000);
      // The old 3 s expiry no longer applies.
      await sleep(3500);
      expect(user.all('onTokenExpired')).toEqual([]);
    });
  });

  describe('GET /{org}/{app}/sdk/users/{user}/token/expires', () => {
    it("answers the bearer's expiry, and only for that user's token", async () => {
      const [u, other] = await s.t.makeUsers('lg_exq', 'lg_exo');
      const token = await s.t.userToken(u, 'pw', { ttl: 600 });
      const res = await s.t.api('GET', `/sdk/users/${u}/token/expires`, { token });
      expect(res.status, res.text).toBe(200);
      expect(res.body.expire_timestamp).toBeGreaterThan(Date.now() + 590_000);
      expect(res.body.expire_timestamp).toBeLessThanOrEqual(Date.now() + 600_000);
      for (const bad of [await s.t.userToken(other), s.t.adminToken]) {
        const refused = await s.t.api('GET', `/sdk/users/${u}/token/expires`, { token: bad });
        expect(refused.status, refused.text).toBe(401);
        expect(refused.body.error).toBe('unauthorized');
      }
      const none = await s.t.api('GET', `/sdk/users/${u}/token/expires`, { token: null });
      expect(none.status).toBe(401);
    });
  });
});
