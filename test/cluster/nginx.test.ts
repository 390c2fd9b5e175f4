// Through deploy/nginx.conf (issue 16): Debian's nginx in front of two servers on one PostgreSQL
// and one Redis, the upstream ports and the listen port replaced with the test's. REST calls, a
// JSON /ws device and an SDK device (msync /websocket) all go through nginx. Runs where nginx is
// installed (.ci/run installs it); without it the suite is skipped only outside CI.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../support/harness.js';
import { Client } from '../support/ws.js';
import { SdkUsers } from '../support/sdk/client.js';
import { APP_KEY } from '../support/sdk/suite.js';
import { clusterReady, freePort, ROOT, startCluster, stopCluster } from '../support/cluster.js';
import { sleep } from '../support/util.js';

const NGINX = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'].find((p) => fs.existsSync(p));
if (process.env.CI && !NGINX) throw new Error('CI is set but nginx is not installed: .ci/run installs it');

describe.runIf(clusterReady && NGINX !== undefined)('two servers behind deploy/nginx.conf', () => {
  let nodes: TestApp[];
  let nginx: ChildProcess;
  let base: string;
  let dir: string;
  const sdk = new SdkUsers(() => ({ base, appKey: APP_KEY }));

  beforeAll(async () => {
    let addrs: string[];
    ({ nodes, addrs } = await startCluster(2));
    const port = await freePort();
    const ports = addrs.map((a) => new URL(a).port);
    let conf = fs.readFileSync(path.join(ROOT, 'deploy/nginx.conf'), 'utf8');
    expect(conf).toMatch(/listen 80;/);
    conf = conf.replace('listen 80;', `listen 127.0.0.1:${port};`);
    // The example's three upstream lines become the test's two servers.
    const upstreams = [...conf.matchAll(/^\s*server 127\.0\.0\.1:300\d[^;]*;\n/gm)];
    expect(upstreams).toHaveLength(3);
    conf = conf.replace(upstreams[0]![0], ports.map((p) => `        server 127.0.0.1:${p} max_fails=1 fail_timeout=5s;\n`).join(''));
    for (const u of upstreams.slice(1)) conf = conf.replace(u[0], '');
    conf = conf.replace('worker_processes auto;', 'worker_processes 1;');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qunliao-nginx-'));
    fs.mkdirSync(path.join(dir, 'logs'));
    fs.writeFileSync(path.join(dir, 'nginx.conf'), conf);
    const global = `daemon off; pid ${dir}/nginx.pid; error_log ${dir}/logs/error.log;`;
    execFileSync(NGINX!, ['-t', '-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', global], { stdio: 'pipe' });
    nginx = spawn(NGINX!, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', global], { stdio: 'ignore' });
    base = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      try {
        await fetch(`${base}/health`);
        break;
      } catch (err) {
        if (i > 100) throw err;
        await sleep(50);
      }
    }
  });
  afterEach(() => sdk.closeAll());
  afterAll(async () => {
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((resolve) => nginx.once('exit', resolve));
      nginx.kill('SIGQUIT');
      await exited;
    }
    await stopCluster(nodes ?? []);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('REST, the JSON /ws and the SDK’s /websocket all work through nginx, across the two servers', { timeout: 60_000 }, async () => {
    const [a, b, c] = await nodes[0]!.makeUsers('ng_a', 'ng_b', 'ng_c');
    const rest = async (method: string, url: string, body?: unknown, token = nodes[0]!.adminToken) => {
      const res = await fetch(`${base}/acme/chat${url}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    expect((await rest('GET', `/users/${a}`)).status).toBe(200);
    // Several /ws devices: least_conn spreads them over both servers.
    const token = await nodes[0]!.userToken(b);
    const devices: Client[] = [];
    for (let i = 0; i < 4; i++) {
      const d = new Client(b, new WebSocket(`${base.replace('http', 'ws')}/acme/chat/ws?access_token=${encodeURIComponent(token)}&resource=ng${i}`));
      await d.opened;
      devices.push(d);
    }
    const counts = nodes.map((t) => t.qunliao.services.sessions.size);
    expect(counts.every((n) => n > 0), `sessions per server: ${counts.join(', ')}`).toBe(true);
    const user = await sdk.start(c);
    await user.open({ user: c, pwd: 'pw' });
    for (let i = 0; i < 5; i++) {
      expect((await rest('POST', '/messages/users', { from: a, to: [b, c], type: 'txt', body: { msg: `ng ${i}` } })).status).toBe(200);
    }
    const expected = [0, 1, 2, 3, 4].map((i) => `ng ${i}`);
    for (const d of devices) await d.waitUntil(() => d.texts('ng ').length >= 5, 'the messages through nginx');
    await user.waitUntil(() => user.texts('ng ').length >= 5, 'the messages through nginx');
    await sleep(300);
    for (const d of devices) expect(d.texts('ng ')).toEqual(expected);
    expect(user.texts('ng ')).toEqual(expected);
    for (const d of devices) d.ws.close();
  });
});
