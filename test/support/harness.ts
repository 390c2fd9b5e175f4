// Test harness: builds qunliao in-process on SQLite (a temp file) or PostgreSQL (a private schema),
// and drives it with fastify's inject. PostgreSQL runs when QUNLIAO_TEST_PG_URL is set; in CI it
// must be set (a suite that skips itself in CI is a failure).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { expect } from 'vitest';
import { defaultLimits, type AppSeed, type Config } from '../../src/config.js';
import { createQunliao, type Qunliao } from '../../src/app.js';

export type DbKind = 'sqlite' | 'postgres';

const PG_URL = process.env.QUNLIAO_TEST_PG_URL;
if (process.env.CI && !PG_URL) {
  throw new Error('CI is set but QUNLIAO_TEST_PG_URL is not: the PostgreSQL suite must run in CI');
}

/** Redis for the shared rate-limit suite; required in CI as PostgreSQL is. */
export const redisUrl = process.env.QUNLIAO_TEST_REDIS_URL || undefined;
if (process.env.CI && !redisUrl) {
  throw new Error('CI is set but QUNLIAO_TEST_REDIS_URL is not: the Redis suite must run in CI');
}

/** Every database the API suites run on. */
export const databases: DbKind[] = PG_URL ? ['sqlite', 'postgres'] : ['sqlite'];

export const MAIN: AppSeed = { org: 'acme', app: 'chat', clientId: 'YXA6main-id', clientSecret: 'YXA6main-secret' };
export const OTHER: AppSeed = { org: 'acme', app: 'other', clientId: 'YXA6other-id', clientSecret: 'YXA6other-secret' };

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  text: string;
}

export interface RequestOptions {
  token?: string | null;
  body?: unknown;
  /** A raw payload sent as is (malformed JSON, form bodies…). */
  payload?: string | Buffer;
  headers?: Record<string, string>;
  app?: AppSeed;
}

export interface TestApp {
  kind: DbKind;
  qunliao: Qunliao;
  config: Config;
  /** An admin token of MAIN, fetched once. */
  adminToken: string;
  request(method: string, url: string, options?: RequestOptions): Promise<Reply>;
  /** Path under /{org}/{app} of MAIN (or options.app), with the admin token unless `token` is given. */
  api(method: string, pathUnderApp: string, options?: RequestOptions): Promise<Reply>;
  appToken(app?: AppSeed): Promise<string>;
  /** A password-grant token of a user of MAIN (or options.app). */
  userToken(username: string, password?: string, options?: { ttl?: number; app?: AppSeed }): Promise<string>;
  /** Registers users with password 'pw', in batches of at most 60 (the registration limit). */
  createUsers(...names: string[]): Promise<void>;
  /** Registers fresh users `{prefix}{n}`, one per prefix (n counts up across the test file), and answers their names. */
  makeUsers<T extends string[]>(...prefixes: T): Promise<{ [K in keyof T]: string }>;
  /** Creates a public group (groupname 'g', desc 'd'; `extra` adds to or overrides the body) and answers its id. */
  createGroup(owner: string, members?: string[], extra?: Record<string, unknown>): Promise<string>;
  /** Creates a chatroom (name 'r', description 'd'; `extra` adds to or overrides the body) and answers its id. */
  createRoom(owner: string, members?: string[], extra?: Record<string, unknown>): Promise<string>;
  /** An admin request (as `api`) that must answer 200; answers the response body. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  apiOk(method: string, pathUnderApp: string, body?: unknown): Promise<any>;
  /**
   * Stops this qunliao and starts a new one on the same database and data dir (a server restart);
   * `qunliao` is the new one afterwards. Listening on `port` when given.
   */
  restart(port?: number): Promise<void>;
  close(): Promise<void>;
}

export function testConfig(dataDir: string, overrides: Partial<Config> = {}): Config {
  return {
    port: 0,
    host: '127.0.0.1',
    dataDir,
    db: { kind: 'sqlite', file: path.join(dataDir, 'qunliao.sqlite') },
    apps: [MAIN, OTHER],
    rateLimit: 'off',
    logLevel: 'silent',
    // The default is full; these tests survive no power loss, and full makes each commit wait for the disk.
    sqliteSync: 'normal',
    sqliteLocking: 'shared',
    sqliteReadCache: 'on',
    scryptCost: 1024,
    defaultTokenTtl: 60 * 24 * 3600,
    recallSeconds: 120,
    blobs: { kind: 'local' },
    limits: { ...defaultLimits },
    ...overrides,
  };
}

/** The n of makeUsers' names: one count for every app of a test file, so names never repeat in it. */
let userSeq = 0;

export async function startApp(kind: DbKind, overrides: Partial<Config> = {}): Promise<TestApp> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qunliao-test-'));
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const config = testConfig(dataDir, overrides);
  if (kind === 'postgres' && !overrides.db) {
    config.db = { kind: 'postgres', url: PG_URL!, schema };
    if (process.env.QUNLIAO_TEST_PG_MARKER) fs.appendFileSync(process.env.QUNLIAO_TEST_PG_MARKER, `${schema}\n`);
  }
  let qunliao = await createQunliao(config);
  await qunliao.server.ready();

  const request = async (method: string, url: string, options: RequestOptions = {}): Promise<Reply> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let payload = options.payload;
    if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await qunliao.server.inject({ method: method as 'GET', url, headers, payload });
    let body: unknown;
    try {
      body = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      body = undefined;
    }
    return { status: res.statusCode, headers: res.headers, body, text: res.body };
  };

  const appToken = async (app: AppSeed = MAIN): Promise<string> => {
    const res = await request('POST', `/${app.org}/${app.app}/token`, {
      body: { grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret },
    });
    if (res.status !== 200) throw new Error(`token request failed: ${res.text}`);
    return res.body.access_token as string;
  };

  const adminToken = await appToken();
  const testApp: TestApp = {
    kind,
    qunliao,
    config,
    adminToken,
    request,
    appToken,
    api: (method, pathUnderApp, options = {}) => {
      const app = options.app ?? MAIN;
      const token = options.token === undefined ? adminToken : options.token;
      return request(method, `/${app.org}/${app.app}${pathUnderApp}`, { ...options, token });
    },
    async userToken(username, password = 'pw', { ttl, app } = {}) {
      const body: Record<string, unknown> = { grant_type: 'password', username, password };
      if (ttl !== undefined) body.ttl = ttl;
      const res = await testApp.api('POST', '/token', { body, token: null, app });
      if (res.status !== 200) throw new Error(`token for ${username} failed: ${res.text}`);
      return res.body.access_token as string;
    },
    async createUsers(...names) {
      for (let i = 0; i < names.length; i += 60) {
        const batch = names.slice(i, i + 60);
        const res = await testApp.api('POST', '/users', { body: batch.map((username) => ({ username, password: 'pw' })) });
        if (res.status !== 200) throw new Error(`creating users failed: ${res.text}`);
      }
    },
    async makeUsers<T extends string[]>(...prefixes: T) {
      const made = prefixes.map((p) => `${p}${++userSeq}`);
      await testApp.createUsers(...made);
      return made as { [K in keyof T]: string };
    },
    async createGroup(owner, members = [], extra = {}) {
      const res = await testApp.api('POST', '/chatgroups', { body: { groupname: 'g', desc: 'd', public: true, owner, members, ...extra } });
      if (res.status !== 200) throw new Error(`creating a group failed: ${res.text}`);
      return res.body.data.groupid as string;
    },
    async createRoom(owner, members = [], extra = {}) {
      const res = await testApp.api('POST', '/chatrooms', { body: { name: 'r', description: 'd', owner, members, ...extra } });
      if (res.status !== 200) throw new Error(`creating a chatroom failed: ${res.text}`);
      return res.body.data.id as string;
    },
    async apiOk(method, pathUnderApp, body) {
      const res = await testApp.api(method, pathUnderApp, body === undefined ? {} : { body });
      expect(res.status, `${method} ${pathUnderApp}: ${res.text}`).toBe(200);
      return res.body;
    },
    async restart(port) {
      await qunliao.server.close();
      qunliao = await createQunliao(config);
      await qunliao.server.ready();
      testApp.qunliao = qunliao;
      if (port !== undefined) await qunliao.server.listen({ port, host: '127.0.0.1' });
    },
    async close() {
      await qunliao.server.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
      if (kind === 'postgres') {
        const client = new pg.Client({ connectionString: PG_URL });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await client.end();
      }
    },
  };
  return testApp;
}
