// Set-up shared by the SDK suites: a qunliao listening on a real port and the SDK users of the
// test file, terminated after each test.
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { Config } from '../../../src/config.js';
import { MAIN, startApp, type DbKind, type TestApp } from '../harness.js';
import { SdkUsers, type SdkUser } from './client.js';

export const APP_KEY = `${MAIN.org}#${MAIN.app}`;

export interface SdkSuite {
  readonly t: TestApp;
  /** http://127.0.0.1:PORT */
  readonly base: string;
  readonly port: number;
  readonly users: SdkUsers;
  /** A user of the SDK logged in with `credentials` (default: password 'pw'). */
  login(name: string, credentials?: Record<string, unknown>, options?: Record<string, unknown>): Promise<SdkUser>;
}

/** `overrides`: settings of the test app (e.g. apps with Agora credentials). */
export function sdkSuite(kind: DbKind, overrides: Partial<Config> = {}): SdkSuite {
  const state = {} as { t: TestApp; base: string; port: number };
  const users = new SdkUsers(() => ({ base: state.base, appKey: APP_KEY }));
  beforeAll(async () => {
    state.t = await startApp(kind, overrides);
    state.base = await state.t.qunliao.server.listen({ port: 0, host: '127.0.0.1' });
    state.port = Number(new URL(state.base).port);
  });
  afterAll(() => state.t.close());
  afterEach(() => users.closeAll());
  return {
    get t() {
      return state.t;
    },
    get base() {
      return state.base;
    },
    get port() {
      return state.port;
    },
    users,
    async login(name, credentials = { user: name, pwd: 'pw' }, options = {}) {
      const user = await users.start(name, { options });
      await user.open(credentials);
      return user;
    },
  };
}
