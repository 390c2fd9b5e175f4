// The web SDK in a real browser against the real server process (issue 14): qunliao started as
// `npm start` does, a small static page (test/e2e/fixtures/) that loads the SDK's browser bundle,
// served from ANOTHER origin so that every REST call goes through CORS (preflights included), and
// headless Chromium (Debian's `chromium`, driven by playwright-core) with two pages: A logs in,
// creates a group with B and sends a group message; B's page shows it; A shares a file, B lists
// and downloads it.
//
// Skipped only where /usr/bin/chromium is missing and CI is not set; under CI a missing browser
// fails the test (.ci/run installs the Debian package).
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, ROOT, start, stop, type Running } from '../support/server-process.js';

const CHROMIUM = '/usr/bin/chromium';
const runnable = fs.existsSync(CHROMIUM) || Boolean(process.env.CI);

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: path.join(import.meta.dirname, 'fixtures/chat.html'), type: 'text/html; charset=utf-8' },
  '/chat.js': { file: path.join(import.meta.dirname, 'fixtures/chat.js'), type: 'text/javascript; charset=utf-8' },
  // The SDK's UMD bundle: as a plain <script> it defines window.websdk.
  '/sdk.js': { file: path.join(ROOT, 'node_modules/easemob-websdk/Easemob-chat.js'), type: 'text/javascript; charset=utf-8' },
};

/** A tiny static server for the page: its own port, so its origin is not qunliao's. */
function staticServer(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const entry = FILES[new URL(req.url ?? '/', 'http://x').pathname];
    if (!entry || req.method !== 'GET') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': entry.type, 'cache-control': 'no-store' });
    fs.createReadStream(entry.file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe.skipIf(!runnable)('the web SDK in a browser', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qunliao-browser-'));
  let running: Running | undefined;
  let pages: http.Server | undefined;
  let browser: Browser | undefined;
  let api = '';
  let pageOrigin = '';
  const appKey = 'web#app';

  beforeAll(async () => {
    expect(fs.existsSync(CHROMIUM), `${CHROMIUM} is needed for this test (Debian package chromium; .ci/run installs it)`).toBe(true);
    pages = await staticServer();
    pageOrigin = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    running = await start({
      QUNLIAO_PORT: String(port),
      QUNLIAO_HOST: '127.0.0.1',
      QUNLIAO_DATA_DIR: dataDir,
      QUNLIAO_APPS: 'web#app:web-id:web-secret',
      QUNLIAO_LOG_LEVEL: 'warn',
      // Only the page's origin: a page elsewhere must be refused by the browser.
      QUNLIAO_CORS_ORIGINS: pageOrigin,
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await stop(running);
    await new Promise((resolve) => (pages ? pages.close(resolve) : resolve(undefined)));
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** Registers users with the app token (from Node: no CORS involved). */
  async function register(...names: string[]): Promise<void> {
    const grant = await fetch(`${api}/web/app/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: 'web-id', client_secret: 'web-secret' }),
    });
    const { access_token } = (await grant.json()) as { access_token: string };
    const res = await fetch(`${api}/web/app/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify(names.map((username) => ({ username, password: 'pw' }))),
    });
    expect(res.status, await res.clone().text()).toBe(200);
  }

  async function open(origin: string): Promise<Page> {
    const context = await browser!.newContext();
    const page = await context.newPage();
    await page.goto(`${origin}/?appKey=${encodeURIComponent(appKey)}&server=${encodeURIComponent(api)}`);
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
    return page;
  }

  it('A logs in, creates a group with B and sends a message; B sees it arrive; a shared file goes both ways', async () => {
    await register('alice', 'bob');
    const [a, b] = await Promise.all([open(pageOrigin), open(pageOrigin)]);
    // Both log in with a password: POST /token from the page, across origins.
    expect(await b.evaluate(() => window.chat.login('bob', 'pw'))).toBe('bob');
    expect(await a.evaluate(() => window.chat.login('alice', 'pw'))).toBe('alice');
    await b.waitForFunction(() => document.getElementById('status')?.textContent === 'connected');

    const groupId = await a.evaluate(() => window.chat.createGroup('from the browser', ['bob']));
    expect(groupId).toMatch(/^\d+$/);
    // B is told it was added, over its socket.
    await b.waitForFunction((id) => window.chat.events().some((e) => e.operation === 'directJoined' && e.id === id), groupId);

    const sent = await a.evaluate((id) => window.chat.sendGroupText(id, 'hello from a browser'), groupId);
    expect(sent).toMatch(/^\d+$/);
    const shown = b.locator('#messages li', { hasText: 'hello from a browser' });
    await shown.waitFor({ timeout: 15_000 });
    expect(await shown.getAttribute('data-from')).toBe('alice');
    expect(await shown.getAttribute('data-to')).toBe(groupId);
    expect(await shown.getAttribute('data-chat-type')).toBe('groupChat');
    // A shares a file with the group; B lists it and downloads its bytes.
    const file = await a.evaluate((id) => window.chat.uploadGroupFile(id, 'notes.txt', 'shared from a page'), groupId);
    expect(file).toMatchObject({ file_name: 'notes.txt', file_owner: 'alice', file_size: 18 });
    await b.waitForFunction((id) => window.chat.events().some((e) => e.operation === 'uploadFile' && e.id === id), groupId);
    expect(await b.evaluate((id) => window.chat.groupFiles(id), groupId)).toEqual([expect.objectContaining({ file_id: file.file_id, file_name: 'notes.txt' })]);
    expect(await b.evaluate(([id, f]) => window.chat.downloadGroupFile(id!, f!), [groupId, file.file_id])).toBe('shared from a page');
    // The group exists on the server as A made it (read with the app's REST API from Node).
    const grant = await fetch(`${api}/web/app/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: 'web-id', client_secret: 'web-secret' }),
    });
    const { access_token } = (await grant.json()) as { access_token: string };
    const group = (await (await fetch(`${api}/web/app/chatgroups/${groupId}`, { headers: { authorization: `Bearer ${access_token}` } })).json()) as {
      data: { name: string; owner: string; affiliations_count: number }[];
    };
    expect(group.data[0]).toMatchObject({ name: 'from the browser', owner: 'alice', affiliations_count: 2 });
  }, 120_000);

  it('a page on an origin CORS does not allow cannot log in', async () => {
    await register('carol');
    // Same static server, another origin (localhost is not 127.0.0.1 to a browser).
    const elsewhere = await open(pageOrigin.replace('127.0.0.1', 'localhost'));
    const console: string[] = [];
    elsewhere.on('console', (m) => console.push(m.text()));
    const failure = await elsewhere.evaluate(() => window.chat.login('carol', 'pw').then(() => 'logged in', (err: Error) => err.message));
    // The browser withholds the answer: the SDK sees a failed request (its type 1 for the login).
    expect(JSON.parse(failure)).toMatchObject({ type: 1 });
    expect(console.join('\n')).toContain('blocked by CORS policy');
  }, 60_000);
});

declare global {
  interface Window {
    chat: {
      login(user: string, pwd: string): Promise<string>;
      createGroup(name: string, members: string[]): Promise<string>;
      sendGroupText(groupId: string, text: string): Promise<string>;
      uploadGroupFile(groupId: string, name: string, text: string): Promise<{ file_id: string; file_name: string; file_owner: string; file_size: number }>;
      groupFiles(groupId: string): Promise<{ file_id: string; file_name: string }[]>;
      downloadGroupFile(groupId: string, fileId: string): Promise<string>;
      events(): { operation: string; id: string; from: string }[];
    };
  }
}
