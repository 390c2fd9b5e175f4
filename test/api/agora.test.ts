// Agora Chat apps (issue 13): tokens an app server builds itself from its App ID and App Certificate
// with Agora's ChatTokenBuilder2 (package agora-token), used as the REST Bearer token, exchanged with
// grant_type "agora", and used by clients to log in. On both databases.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AgoraCredentials, AppSeed } from '../../src/config.js';
import { TokensService } from '../../src/services/tokens.js';
import { chatToken, ChatTokenBuilder, rtcToken } from '../support/agora.js';
import { expectError } from '../support/expect.js';
import { databases, MAIN, OTHER, startApp, type Reply, type TestApp } from '../support/harness.js';
import { Devices } from '../support/ws.js';

const MAIN_AGORA: AgoraCredentials = { appId: '0f3c9a51e27b4d6c8a9e0b1c2d3e4f50', appCertificate: '7a1b2c3d4e5f60718293a4b5c6d7e8f9' };
const OTHER_AGORA: AgoraCredentials = { appId: 'a0b1c2d3e4f5061728394a5b6c7d8e9f', appCertificate: '1234567890abcdef1234567890abcdef' };
/** An app without Agora credentials. */
const PLAIN: AppSeed = { org: 'acme', app: 'plain', clientId: 'YXA6plain-id', clientSecret: 'YXA6plain-secret' };

const appToken = (credentials: AgoraCredentials, ttl = 3600) => ChatTokenBuilder.buildAppToken(credentials.appId, credentials.appCertificate, ttl);
const userToken = (credentials: AgoraCredentials, uuid: string, ttl = 3600) => ChatTokenBuilder.buildUserToken(credentials.appId, credentials.appCertificate, uuid, ttl);
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe.each(databases)('Agora Chat tokens (%s)', (kind) => {
  let t: TestApp;
  let devices: Devices;
  let agoraAdmin: string;
  const uuids = new Map<string, string>();

  beforeAll(async () => {
    t = await startApp(kind, { apps: [{ ...MAIN, agora: MAIN_AGORA }, { ...OTHER, agora: OTHER_AGORA }, PLAIN] });
    devices = await Devices.listen(t);
    agoraAdmin = appToken(MAIN_AGORA);
  });
  afterAll(() => t.close());
  afterEach(() => devices.closeAll());

  /** Registers users with an Agora app token and remembers their uuids. */
  const register = async (...names: string[]): Promise<void> => {
    const res = await t.api('POST', '/users', { token: agoraAdmin, body: names.map((username) => ({ username, password: 'pw' })) });
    expect(res.status, res.text).toBe(200);
    for (const entity of res.body.entities as Array<{ username: string; uuid: string }>) uuids.set(entity.username, entity.uuid);
  };
  const uuidOf = (name: string) => uuids.get(name)!;
  const asAgora = (method: string, p: string, body?: unknown, token = agoraAdmin): Promise<Reply> => t.api(method, p, { token, body });

  describe('the Agora app token as the REST Bearer token', () => {
    it('runs operations of all four seeds: groups, announcement and files, threads, chatroom mutes', async () => {
      await register('ag_owner', 'ag_member');
      const group = await asAgora('POST', '/chatgroups', { groupname: 'g', desc: 'd', public: true, owner: 'ag_owner', members: ['ag_member'] });
      expect(group.status, group.text).toBe(200);
      const gid = group.body.data.groupid as string;
      expect((await asAgora('PUT', `/chatgroups/${gid}`, { groupname: 'renamed' })).status).toBe(200);
      const details = await asAgora('GET', `/chatgroups/${gid}`);
      expect(details.body.data[0].name).toBe('renamed');
      expect((await asAgora('GET', '/chatgroups/user/ag_owner?pagesize=20')).body.entities.map((g: { groupId: string }) => g.groupId)).toContain(gid);

      expect((await asAgora('POST', `/chatgroups/${gid}/announcement`, { announcement: 'hello' })).status).toBe(200);
      expect((await asAgora('GET', `/chatgroups/${gid}/announcement`)).body.data.announcement).toBe('hello');
      const boundary = 'agoraboundary';
      const upload = await t.api('POST', `/chatgroups/${gid}/share_files`, {
        token: agoraAdmin,
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        payload: `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nfile body\r\n--${boundary}--\r\n`,
      });
      expect(upload.status, upload.text).toBe(200);
      const files = await asAgora('GET', `/chatgroups/${gid}/share_files`);
      expect(files.body.data.map((f: { file_name: string }) => f.file_name)).toEqual(['a.txt']);

      const thread = await asAgora('POST', '/thread', { group_id: gid, name: 'th', msg_id: '1234567890', owner: 'ag_owner' });
      expect(thread.status, thread.text).toBe(200);
      const threads = await asAgora('GET', '/thread');
      expect(threads.body.entities.map((e: { id: string }) => e.id)).toContain(thread.body.data.thread_id);

      const room = await asAgora('POST', '/chatrooms', { name: 'r', description: 'd', owner: 'ag_owner', members: ['ag_member'] });
      expect(room.status, room.text).toBe(200);
      const rid = room.body.data.id as string;
      expect((await asAgora('POST', `/chatrooms/${rid}/mute`, { usernames: ['ag_member'], mute_duration: 60_000 })).status).toBe(200);
      expect((await asAgora('GET', `/chatrooms/${rid}/mute`)).body.data.map((m: { user: string }) => m.user)).toEqual(['ag_member']);

      expect((await asAgora('DELETE', `/chatgroups/${gid}`)).status).toBe(200);
      expect((await t.api('GET', `/chatgroups/${gid}`)).status).not.toBe(200);
    });

    it('refuses the token of another Agora project (another app of qunliao) as corrupt', async () => {
      expectError(await asAgora('GET', '/users', undefined, appToken(OTHER_AGORA)), 401, 'auth_bad_access_token', 'Unable to authenticate due to corrupt access token');
      // …and the other app takes its own.
      expect((await t.api('GET', '/users', { app: OTHER, token: appToken(OTHER_AGORA) })).status).toBe(200);
    });

    it('refuses a token signed with another certificate', async () => {
      const forged = appToken({ appId: MAIN_AGORA.appId, appCertificate: OTHER_AGORA.appCertificate });
      expectError(await asAgora('GET', '/users', undefined, forged), 401, 'auth_bad_access_token', 'Unable to authenticate');
    });

    it('refuses an expired token, and a token whose chat privilege expired', async () => {
      const expired = chatToken(MAIN_AGORA, { privilege: 'app', issuedAt: nowSeconds() - 700, expire: 600 });
      expectError(await asAgora('GET', '/users', undefined, expired), 401, 'unauthorized', 'Unable to authenticate due to expired access token');
      const privilegeExpired = chatToken(MAIN_AGORA, { privilege: 'app', issuedAt: nowSeconds() - 700, expire: 3600, privilegeExpire: 600 });
      expectError(await asAgora('GET', '/users', undefined, privilegeExpired), 401, 'unauthorized', 'Unable to authenticate due to expired access token');
    });

    it('refuses an Agora user token as an Easemob user token is refused', async () => {
      await register('ag_plainuser');
      const res = await asAgora('POST', '/users', { username: 'ag_made_by_user', password: 'pw' }, userToken(MAIN_AGORA, uuidOf('ag_plainuser')));
      expectError(res, 401, 'unauthorized', /^Subject does not have permission \[applications:post:[0-9a-f-]{36}:\/users\]$/);
      expect((await t.api('GET', '/users/ag_made_by_user')).status).toBe(404);
    });

    it("refuses Agora's RTC token (no chat privilege), and a malformed 007 token", async () => {
      expectError(await asAgora('GET', '/users', undefined, rtcToken(MAIN_AGORA)), 401, 'unauthorized', 'Unable to authenticate (OAuth)');
      expectError(await asAgora('GET', '/users', undefined, '007eJxNotAToken'), 401, 'auth_bad_access_token', 'Unable to authenticate due to corrupt access token');
    });

    it('refuses any Agora token on an app without Agora credentials, like an unknown token', async () => {
      const res = await t.api('GET', '/users', { app: PLAIN, token: appToken(MAIN_AGORA) });
      expectError(res, 401, 'auth_bad_access_token', 'Unable to authenticate');
      // The Easemob credentials of that app still work.
      expect((await t.api('GET', '/users', { app: PLAIN, token: await t.appToken(PLAIN) })).status).toBe(200);
    });
  });

  describe('POST /token with grant_type "agora"', () => {
    const exchange = (token: string | null, app: AppSeed = MAIN) => t.api('POST', '/token', { app, token, body: { grant_type: 'agora' } });

    it('exchanges an Agora app token for an app token that expires with it', async () => {
      const before = Date.now();
      const agora = chatToken(MAIN_AGORA, { privilege: 'app', issuedAt: nowSeconds() - 100, expire: 400 });
      const res = await exchange(agora);
      expect(res.status, res.text).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['access_token', 'expire_timestamp', 'expires_in']);
      expect(res.body.access_token).toMatch(/^YWMt/);
      const agoraExpiry = (nowSeconds() - 100 + 400) * 1000;
      expect(res.body.expire_timestamp).toBeGreaterThanOrEqual(agoraExpiry - 1000);
      expect(res.body.expire_timestamp).toBeLessThanOrEqual(agoraExpiry);
      expect(res.body.expires_in).toBeGreaterThanOrEqual(298);
      expect(res.body.expires_in).toBeLessThanOrEqual(Math.ceil((res.body.expire_timestamp - before) / 1000));

      // It is an app token: admin routes take it.
      expect((await t.api('GET', '/users', { token: res.body.access_token })).status).toBe(200);
      // It expires when the Agora token does (checked with the server's verifier at a later clock).
      const app = (await t.qunliao.services.apps.find(MAIN.org, MAIN.app))!;
      const at = (ms: number) => new TokensService(t.qunliao.store.users, () => ms);
      await expect(at(res.body.expire_timestamp - 1).verify(app, res.body.access_token)).resolves.toMatchObject({ kind: 'app', expiresAt: res.body.expire_timestamp });
      await expect(at(res.body.expire_timestamp).verify(app, res.body.access_token)).rejects.toMatchObject({ code: 'tokenExpired' });
    });

    it('gives at most 24 hours, whatever the Agora token says', async () => {
      const res = await exchange(appToken(MAIN_AGORA, 7 * 24 * 3600));
      expect(res.status, res.text).toBe(200);
      expect(res.body.expires_in).toBeLessThanOrEqual(24 * 3600);
      expect(res.body.expires_in).toBeGreaterThanOrEqual(24 * 3600 - 2);
      expect(res.body.expire_timestamp).toBeLessThanOrEqual(Date.now() + 24 * 3600 * 1000);
    });

    it('refuses what is not a valid Agora app token of this app', async () => {
      await register('ag_exchanger');
      expectError(await exchange(null), 401, 'unauthorized', 'Unable to authenticate due to expired access token');
      expectError(await exchange(userToken(MAIN_AGORA, uuidOf('ag_exchanger'))), 401, 'unauthorized', 'Unable to authenticate (OAuth)');
      expectError(await exchange(t.adminToken), 401, 'auth_bad_access_token', 'Unable to authenticate due to corrupt access token');
      expectError(await exchange(appToken(OTHER_AGORA)), 401, 'auth_bad_access_token', 'Unable to authenticate due to corrupt access token');
      expectError(await exchange(chatToken(MAIN_AGORA, { privilege: 'app', issuedAt: nowSeconds() - 100, expire: 50 })), 401, 'unauthorized', 'Unable to authenticate due to expired access token');
      expectError(await exchange(appToken(MAIN_AGORA), PLAIN), 401, 'auth_bad_access_token', 'Unable to authenticate');
    });
  });

  describe('client login with an Agora user token', () => {
    const refusedWith = async (url: string): Promise<{ status?: number; body?: Record<string, string> }> => {
      const ws = new WebSocket(url);
      const outcome = await new Promise<{ status?: number; body?: Record<string, string>; opened?: boolean }>((resolve) => {
        ws.once('open', () => resolve({ opened: true }));
        ws.once('error', () => resolve({}));
        ws.once('unexpected-response', (_req, res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += String(chunk)));
          res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(text) as Record<string, string> }));
        });
      });
      ws.terminate();
      expect(outcome.opened, 'the upgrade must not succeed').toBeUndefined();
      return outcome;
    };

    it('logs in over /ws as the user whose uuid it names, and receives messages', async () => {
      await register('ag_alice', 'ag_bob');
      const token = userToken(MAIN_AGORA, uuidOf('ag_alice'));
      const alice = devices.open('ag_alice', `${devices.base}?access_token=${encodeURIComponent(token)}`);
      await alice.opened;
      const sent = await asAgora('POST', '/messages/users', { from: 'ag_bob', to: ['ag_alice'], type: 'txt', body: { msg: 'hi agora' } });
      expect(sent.status, sent.text).toBe(200);
      expect((await alice.message('hi agora')).to).toBe('ag_alice');
      // Sends go out as that user.
      const bob = devices.open('ag_bob', `${devices.base}?access_token=${encodeURIComponent(userToken(MAIN_AGORA, uuidOf('ag_bob')))}`);
      await bob.opened;
      await alice.sayOk('chat', 'ag_bob', 'from alice');
      expect((await bob.message('from alice')).from).toBe('ag_alice');
    });

    it('takes the token in the Authorization header, or unencoded in the query (a "+" read as a space)', async () => {
      await register('ag_carol');
      let token = userToken(MAIN_AGORA, uuidOf('ag_carol'));
      // Salts differ per build: take one whose base64 has a "+", which an unencoded query turns into a space.
      while (!token.includes('+')) token = userToken(MAIN_AGORA, uuidOf('ag_carol'));
      const viaQuery = devices.open('ag_carol', `${devices.base}?access_token=${token}`);
      await viaQuery.opened;
      const viaHeader = new WebSocket(devices.base, { headers: { authorization: `Bearer ${token}` } });
      await new Promise<void>((resolve, reject) => {
        viaHeader.once('open', () => resolve());
        viaHeader.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      });
      viaHeader.close();
    });

    it('refuses, before the upgrade: an unknown uuid, a deactivated user, an expired token, an app token, another app', async () => {
      await register('ag_dave');
      const unknown = await refusedWith(`${devices.base}?access_token=${encodeURIComponent(userToken(MAIN_AGORA, '6f0c1c8e-0000-4000-8000-000000000000'))}`);
      expect(unknown).toMatchObject({ status: 401, body: { error: 'unauthorized', error_description: 'Unable to authenticate (OAuth)' } });
      const notUuid = await refusedWith(`${devices.base}?access_token=${encodeURIComponent(userToken(MAIN_AGORA, 'ag_dave'))}`);
      expect(notUuid).toMatchObject({ status: 401, body: { error_description: 'Unable to authenticate (OAuth)' } });

      const expired = chatToken(MAIN_AGORA, { privilege: 'user', uid: uuidOf('ag_dave'), issuedAt: nowSeconds() - 100, expire: 60 });
      expect(await refusedWith(`${devices.base}?access_token=${encodeURIComponent(expired)}`)).toMatchObject({
        status: 401,
        body: { error: 'unauthorized', error_description: 'Unable to authenticate due to expired access token' },
      });
      expect(await refusedWith(`${devices.base}?access_token=${encodeURIComponent(appToken(MAIN_AGORA))}`)).toMatchObject({ status: 401 });
      expect(await refusedWith(`${devices.base}?access_token=${encodeURIComponent(userToken(OTHER_AGORA, uuidOf('ag_dave')))}`)).toMatchObject({
        status: 401,
        body: { error: 'auth_bad_access_token', error_description: 'Unable to authenticate due to corrupt access token' },
      });

      const token = userToken(MAIN_AGORA, uuidOf('ag_dave'));
      const dave = devices.open('ag_dave', `${devices.base}?access_token=${encodeURIComponent(token)}`);
      await dave.opened;
      expect((await asAgora('POST', '/users/ag_dave/deactivate')).status).toBe(200);
      expect(await refusedWith(`${devices.base}?access_token=${encodeURIComponent(token)}`)).toMatchObject({ status: 401, body: { error_description: 'Unable to authenticate (OAuth)' } });
      expect((await asAgora('POST', '/users/ag_dave/activate')).status).toBe(200);
      // Deactivation ended the token for good; one issued after it works.
      expect(await refusedWith(`${devices.base}?access_token=${encodeURIComponent(token)}`)).toMatchObject({ status: 401, body: { error_description: 'Unable to authenticate (OAuth)' } });
      const fresh = chatToken(MAIN_AGORA, { privilege: 'user', uid: uuidOf('ag_dave'), issuedAt: nowSeconds() + 1 });
      const again = devices.open('ag_dave', `${devices.base}?access_token=${encodeURIComponent(fresh)}`);
      await again.opened;
      expect((await asAgora('DELETE', '/users/ag_dave')).status).toBe(200);
      expect(await refusedWith(`${devices.base}?access_token=${encodeURIComponent(fresh)}`)).toMatchObject({ status: 401 });
    });

    it('tells a login which user the token is for and when it expires (TokensService.verifyUser)', async () => {
      await register('ag_erin');
      const app = (await t.qunliao.services.apps.find(MAIN.org, MAIN.app))!;
      const issuedAt = nowSeconds();
      const token = chatToken(MAIN_AGORA, { privilege: 'user', uid: uuidOf('ag_erin'), issuedAt, expire: 900 });
      const principal = await t.qunliao.services.tokens.verifyUser(app, token, 'AG_Erin');
      expect(principal).toMatchObject({ kind: 'user', user: { username: 'ag_erin', uuid: uuidOf('ag_erin') }, expiresAt: (issuedAt + 900) * 1000 });
      // A login naming another user with this token is refused.
      await expect(t.qunliao.services.tokens.verifyUser(app, token, 'ag_alice')).rejects.toMatchObject({ code: 'tokenRevoked' });
    });
  });

  describe('GET /sdk/users/{user}/token/expires (the web SDK renewToken)', () => {
    const expires = (user: string, token: string | null) => t.api('GET', `/sdk/users/${user}/token/expires`, { token, headers: { 'content-type': 'application/json' } });

    it("answers the expiry of the user's new token, Agora or Easemob", async () => {
      await register('ag_renew');
      const issuedAt = nowSeconds();
      const agora = chatToken(MAIN_AGORA, { privilege: 'user', uid: uuidOf('ag_renew'), issuedAt, expire: 1200 });
      // {me} is the user id as given to open(), in any case.
      const res = await expires('AG_Renew', agora);
      expect(res.status, res.text).toBe(200);
      expect(res.body).toEqual({ expire_timestamp: (issuedAt + 1200) * 1000 });

      const before = Date.now();
      const easemob = await t.userToken('ag_renew', 'pw', { ttl: 600 });
      const answer = (await expires('ag_renew', easemob)).body.expire_timestamp as number;
      expect(answer).toBeGreaterThanOrEqual(before + 600_000);
      expect(answer).toBeLessThanOrEqual(Date.now() + 600_000);
      // A token that never expires: the latest representable moment, never a past one.
      expect((await expires('ag_renew', await t.userToken('ag_renew', 'pw', { ttl: 0 }))).body).toEqual({ expire_timestamp: Date.UTC(9999, 11, 31, 23, 59, 59, 999) });
    });

    it("refuses another user's token, an app token, an expired or missing token", async () => {
      await register('ag_renew2');
      expectError(await expires('ag_renew', userToken(MAIN_AGORA, uuidOf('ag_renew2'))), 401, 'unauthorized', 'Unable to authenticate (OAuth)');
      expectError(await expires('ag_renew2', agoraAdmin), 401, 'unauthorized', 'Unable to authenticate (OAuth)');
      const expired = chatToken(MAIN_AGORA, { privilege: 'user', uid: uuidOf('ag_renew2'), issuedAt: nowSeconds() - 100, expire: 10 });
      expectError(await expires('ag_renew2', expired), 401, 'unauthorized', 'Unable to authenticate due to expired access token');
      expectError(await expires('ag_renew2', null), 401, 'unauthorized', 'Unable to authenticate due to expired access token');
    });
  });

  describe('npm run token', () => {
    const run = promisify(execFile);
    const cli = (args: string[], env: Record<string, string>) =>
      run(process.execPath, ['--import', 'tsx', path.join('src', 'cli', 'token.ts'), ...args], { env: { ...process.env, ...env }, cwd: path.resolve('.') });
    const apps = `acme#chat:${MAIN.clientId}:${MAIN.clientSecret}:${MAIN_AGORA.appId}:${MAIN_AGORA.appCertificate}`;

    it('prints an app token and a user token (by uuid) that the server accepts', async () => {
      await register('ag_cli');
      const { stdout } = await cli(['--app', 'acme#chat', '--uuid', uuidOf('ag_cli'), '--ttl', '600'], { QUNLIAO_APPS: apps });
      const out = JSON.parse(stdout) as { app_token: string; user_token: string; uuid: string; expires_in: number };
      expect(out).toMatchObject({ uuid: uuidOf('ag_cli'), expires_in: 600 });
      expect((await t.api('GET', '/users/ag_cli', { token: out.app_token })).status).toBe(200);
      const app = (await t.qunliao.services.apps.find(MAIN.org, MAIN.app))!;
      const principal = await t.qunliao.services.tokens.verify(app, out.user_token);
      expect(principal).toMatchObject({ kind: 'user', user: { username: 'ag_cli' } });
      expect(principal.expiresAt! - Date.now()).toBeLessThanOrEqual(600_000);
    });

    it('looks the uuid up by --user in the database', async () => {
      await register('ag_cli_name');
      const db = t.config.db;
      // The test's private PostgreSQL schema reaches the CLI as the connection's search_path.
      const url = db.kind === 'sqlite' ? `sqlite:${db.file}` : `${db.url}${db.url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${db.schema}`)}`;
      const { stdout } = await cli(['--app=acme#chat', '--user', 'AG_CLI_NAME'], { QUNLIAO_APPS: apps, QUNLIAO_DB: url });
      const out = JSON.parse(stdout) as { user: string; uuid: string; user_token: string; expires_in: number };
      expect(out).toMatchObject({ user: 'ag_cli_name', uuid: uuidOf('ag_cli_name'), expires_in: 86400 });
      await devices.open('ag_cli_name', `${devices.base}?access_token=${encodeURIComponent(out.user_token)}`).opened;
    });

    it('explains what is wrong, with exit code 2', async () => {
      const failure = (args: string[], env: Record<string, string>) =>
        cli(args, env).then(
          () => ({ code: 0, stderr: '' }),
          (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
        );
      expect(await failure(['--app', 'acme#chat'], { QUNLIAO_APPS: `acme#chat:${MAIN.clientId}:${MAIN.clientSecret}` })).toMatchObject({
        code: 2,
        stderr: expect.stringContaining('acme#chat has no Agora App ID and App Certificate'),
      });
      expect(await failure(['--app', 'acme#nope'], { QUNLIAO_APPS: apps })).toMatchObject({ code: 2, stderr: expect.stringContaining('acme#nope is not configured') });
      expect(await failure([], { QUNLIAO_APPS: apps })).toMatchObject({ code: 2, stderr: expect.stringContaining('--app is required') });
      expect(await failure(['--app', 'acme#chat', '--ttl', 'soon'], { QUNLIAO_APPS: apps })).toMatchObject({ code: 2, stderr: expect.stringContaining('--ttl') });
      expect(await failure(['--app', 'acme#chat'], { QUNLIAO_APPS: 'acme#chat:id:secret:zz:zz' })).toMatchObject({
        code: 2,
        stderr: expect.stringContaining('invalid configuration QUNLIAO_APPS'),
      });
    });
  });
});
