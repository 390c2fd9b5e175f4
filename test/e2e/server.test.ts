// Starts the real server the way the README does (`npm start`, test/support/server-process.ts), on
// a temp data dir, and checks a token, a user, and that the user survives a restart.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, ROOT, start, stop, withBuildLock, type Running } from '../support/server-process.js';

describe('the server process', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qunliao-e2e-'));
  let running: Running | undefined;
  afterAll(async () => {
    await stop(running);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves tokens and users, and keeps them across a restart', async () => {
    const port = await freePort();
    const env = { QUNLIAO_PORT: String(port), QUNLIAO_DATA_DIR: dataDir, QUNLIAO_APPS: 'e2e#app:e2e-id:e2e-secret', QUNLIAO_LOG_LEVEL: 'warn' };
    const base = `http://127.0.0.1:${port}/e2e/app`;
    const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as Record<string, any> }); // eslint-disable-line @typescript-eslint/no-explicit-any

    running = await start(env);
    const token = await json(
      await fetch(`${base}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'client_credentials', client_id: 'e2e-id', client_secret: 'e2e-secret' }),
      }),
    );
    expect(token.status).toBe(200);
    const auth = { authorization: `Bearer ${token.body.access_token}`, 'content-type': 'application/json' };
    const created = await json(await fetch(`${base}/users`, { method: 'POST', headers: auth, body: JSON.stringify({ username: 'Persisted', password: 'pw' }) }));
    expect(created.status).toBe(200);
    expect(fs.existsSync(path.join(dataDir, 'qunliao.sqlite'))).toBe(true);

    await stop(running);
    running = await start(env);
    // Same token (signed with the app's stored key) and the same user after the restart.
    const got = await json(await fetch(`${base}/users/persisted`, { headers: auth }));
    expect(got.status).toBe(200);
    expect(got.body.entities[0].uuid).toBe(created.body.entities[0].uuid);
    const login = await json(
      await fetch(`${base}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'password', username: 'persisted', password: 'pw' }),
      }),
    );
    expect(login.status).toBe(200);
    expect(login.body.user.username).toBe('persisted');
  }, 240_000);

  it('refuses a bad configuration with a message naming the key', async () => {
    let stderr = '';
    const code = await withBuildLock(() => {
      const child = spawn(process.execPath, ['dist/main.js'], { cwd: ROOT, env: { ...process.env, QUNLIAO_PORT: 'eighty' }, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stderr.on('data', (d) => (stderr += d));
      return new Promise((resolve) => child.once('exit', resolve));
    });
    expect(code).toBe(2);
    expect(stderr).toContain('QUNLIAO_PORT');
  }, 60_000);
});
