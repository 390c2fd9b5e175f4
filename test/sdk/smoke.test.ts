import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { databases, MAIN, startApp, type TestApp } from '../support/harness.js';
import { SdkUsers } from '../support/sdk/client.js';

describe.each(databases)('sdk smoke (%s)', (kind) => {
  let t: TestApp;
  let base: string;
  const users = new SdkUsers(() => ({ base, appKey: `${MAIN.org}#${MAIN.app}` }));

  beforeAll(async () => {
    t = await startApp(kind);
    base = await t.qunliao.server.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => t.close());
  afterEach(() => users.closeAll());

  it('logs in with a password and sends a message', async () => {
    await t.createUsers('sm_a', 'sm_b');
    const started = Date.now();
    const a = await users.start('sm_a');
    const b = await users.start('sm_b');
    console.log('workers', Date.now() - started);
    const opened = await a.open({ user: 'sm_a', pwd: 'pw' });
    console.log('opened', JSON.stringify(opened));
    await b.open({ user: 'sm_b', accessToken: await t.userToken('sm_b') });
    const sent = await a.send({ type: 'txt', chatType: 'singleChat', to: 'sm_b', msg: 'hello b', ext: { a: 1, b: 'x', c: true, d: 1.5, e: { f: 1 } } });
    console.log('sent', JSON.stringify(sent));
    const m = await b.message('hello b');
    console.log('got', JSON.stringify(m));
    expect(m.from).toBe('sm_a');
    console.log(JSON.stringify(a.events.map((e) => e.name)), JSON.stringify(b.events.map((e) => e.name)));
  });
});
