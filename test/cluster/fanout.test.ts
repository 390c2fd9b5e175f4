// Three qunliao servers on one PostgreSQL schema and one Redis (QUNLIAO_REDIS), as behind a load
// balancer (issue 16): a user's devices on different servers get everything sent through any of
// them once and in order; presence and kicks reach across; ids stay unique; concurrent starts on an
// empty schema migrate it once. In-process servers here; separate OS processes in processes.test.ts.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { createQunliao } from '../../src/app.js';
import type { Client } from '../support/ws.js';
import { QUIET_MS } from '../support/ws.js';
import { startApp, testConfig, type TestApp } from '../support/harness.js';
import { runAlone } from '../../src/store/locks.js';
import { clusterReady, device, PG_URL, startCluster, stopCluster, waitForPresence } from '../support/cluster.js';
import { sleep } from '../support/util.js';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';

const pad = (i: number) => String(i).padStart(3, '0');

describe.runIf(clusterReady)('three servers on one PostgreSQL and one Redis', () => {
  let nodes: TestApp[];
  let addrs: string[];
  const open: Client[] = [];
  const connect = async (node: number, user: string, resource: string) => {
    const c = await device(nodes[node]!, addrs[node]!, user, resource);
    open.push(c);
    return c;
  };
  beforeAll(async () => {
    ({ nodes, addrs } = await startCluster(3));
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.ws.close();
  });
  afterAll(async () => {
    await stopCluster(nodes);
  });

  it('REST sends on server 1 and socket sends on server 2 reach every device on server 3 (and 1) once, in order', async () => {
    const [a, b] = await nodes[0]!.makeUsers('cl_a', 'cl_b');
    const b3x = await connect(2, b, 'x');
    const b3y = await connect(2, b, 'y');
    const b1 = await connect(0, b, 'z');
    const a2 = await connect(1, a, 'phone');
    await waitForPresence(nodes[0]!, b, 2);
    const expected: string[] = [];
    for (let i = 0; i < 30; i++) {
      const msg = `cl ${pad(i)}`;
      expected.push(msg);
      if (i % 2 === 0) {
        const res = await nodes[0]!.api('POST', '/messages/users', { body: { from: a, to: [b], type: 'txt', body: { msg } } });
        expect(res.status, res.text).toBe(200);
      } else {
        const [ack] = await a2.sendMany('chat', b, [msg]);
        expect(ack!.type, JSON.stringify(ack)).toBe('ack');
      }
    }
    for (const c of [b3x, b3y, b1]) await c.waitUntil(() => c.texts('cl ').length >= expected.length, 'every message');
    await sleep(QUIET_MS);
    for (const c of [b3x, b3y, b1]) expect(c.texts('cl ')).toEqual(expected);
    // The sender's own socket sends are not given back to it; its REST-sent ones are not synced to it.
    expect(a2.texts('cl ')).toEqual([]);
  });

  it('a broadcast to online users on server 1 reaches a device on server 3; a user away gets nothing later', async () => {
    const [on, away] = await nodes[0]!.makeUsers('clb_on', 'clb_away');
    const device3 = await connect(2, on, 'x');
    await waitForPresence(nodes[0]!, on, 1);
    const res = await nodes[0]!.api('POST', '/messages/users/broadcast', { body: { from: 'admin', msg: { type: 'txt', msg: 'clb live' } } });
    expect(res.status, res.text).toBe(200);
    await device3.waitUntil(() => device3.texts('clb ').length === 1, 'the broadcast');
    const later = await connect(1, away, 'y');
    await sleep(QUIET_MS);
    expect(later.texts('clb ')).toEqual([]);
    expect(device3.texts('clb ')).toEqual(['clb live']);
  });

  it('a device moving between servers 2 and 3 while server 1 sends: every message once across its connections, in order', { timeout: 60_000 }, async () => {
    const [a, b] = await nodes[0]!.makeUsers('clh_a', 'clh_b');
    const expected = Array.from({ length: 60 }, (_, i) => `clh ${pad(i)}`);
    const sending = (async () => {
      for (const msg of expected) {
        const res = await nodes[0]!.api('POST', '/messages/users', { body: { from: a, to: [b], type: 'txt', body: { msg } } });
        expect(res.status, res.text).toBe(200);
      }
    })();
    const got: string[] = [];
    for (let i = 0; ; i++) {
      const c = await connect(1 + (i % 2), b, 'hand');
      await sleep(30 + ((i * 37) % 70));
      const closed = new Promise((resolve) => c.ws.once('close', resolve));
      c.ws.close();
      await closed;
      // At once: the next server waits until this one has stored the device's positions.
      got.push(...c.texts('clh '));
      if (got.length >= expected.length) break;
      if (i > 200) throw new Error(`only ${got.length} messages after ${i} connections`);
    }
    await sending;
    expect(got).toEqual(expected);
  });

  it('group messages reach members on every server once', async () => {
    const [owner, m1, m2] = await nodes[0]!.makeUsers('clg_o', 'clg_m', 'clg_n');
    const group = await nodes[0]!.createGroup(owner, [m1, m2]);
    const d1 = await connect(1, m1, 'r1');
    const d2 = await connect(2, m2, 'r2');
    const o0 = await connect(0, owner, 'r0');
    const expected = Array.from({ length: 10 }, (_, i) => `clg ${pad(i)}`);
    for (const msg of expected) {
      const [ack] = await o0.sendMany('groupchat', group, [msg]);
      expect(ack!.type).toBe('ack');
    }
    for (const c of [d1, d2]) await c.waitUntil(() => c.texts('clg ').length >= expected.length, 'the group messages');
    await sleep(QUIET_MS);
    for (const c of [d1, d2]) expect(c.texts('clg ')).toEqual(expected);
  });

  it('presence: every server sees on which servers a user has devices; a closed device leaves it', async () => {
    const [u] = await nodes[0]!.makeUsers('clp_u');
    expect(await waitForPresence(nodes[1]!, u, 0)).toEqual([]);
    const c0 = await connect(0, u, 'p0');
    const c2 = await connect(2, u, 'p2');
    const where = await waitForPresence(nodes[1]!, u, 2);
    expect(where.sort()).toEqual([nodes[0]!.qunliao.processName, nodes[2]!.qunliao.processName].sort());
    c2.ws.close();
    expect(await waitForPresence(nodes[1]!, u, 1)).toEqual([nodes[0]!.qunliao.processName]);
    c0.ws.close();
    expect(await waitForPresence(nodes[1]!, u, 0)).toEqual([]);
  });

  it('a password change through server 1 closes the user’s devices on servers 2 and 3', async () => {
    const [u] = await nodes[0]!.makeUsers('clk_u');
    const devices = [await connect(1, u, 'k1'), await connect(2, u, 'k2')];
    await waitForPresence(nodes[0]!, u, 2);
    const closed = devices.map((c) => new Promise<number>((resolve) => c.ws.once('close', (code) => resolve(code))));
    const res = await nodes[0]!.api('PUT', `/users/${u}/password`, { body: { newpassword: 'pw2' } });
    expect(res.status, res.text).toBe(200);
    expect(await Promise.all(closed)).toEqual([4001, 4001]);
  });

  it('deactivating a user through server 3 closes a device on server 1', async () => {
    const [u] = await nodes[0]!.makeUsers('clk_d');
    const c = await connect(0, u, 'kd');
    await waitForPresence(nodes[2]!, u, 1);
    const closed = new Promise<number>((resolve) => c.ws.once('close', (code) => resolve(code)));
    const res = await nodes[2]!.api('POST', `/users/${u}/deactivate`);
    expect(res.status, res.text).toBe(200);
    expect(await closed).toBe(4001);
  });

  it('message ids made through different servers at once are all different (processes.test.ts: different worker numbers)', async () => {
    const [a, b] = await nodes[0]!.makeUsers('cli_a', 'cli_b');
    const replies = await Promise.all(
      Array.from({ length: 90 }, (_, i) => nodes[i % 3]!.api('POST', '/messages/users', { body: { from: a, to: [b], type: 'txt', body: { msg: `id ${i}` } } })),
    );
    const ids = replies.map((r) => {
      expect(r.status, r.text).toBe(200);
      return r.body.data[b] as string;
    });
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[1-9][0-9]{18}$/);
  });

  it('GET /health answers the checks as JSON', async () => {
    const res = await nodes[1]!.request('GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', database: 'ok', redis: 'ok', process: nodes[1]!.qunliao.processName });
    nodes[1]!.qunliao.health.drain();
    const draining = await nodes[1]!.request('GET', '/health');
    expect(draining.status).toBe(503);
    expect(draining.body).toMatchObject({ status: 'shutting down' });
  });
});

describe.runIf(clusterReady)('tasks one process at a time runs', () => {
  it('a second process skips the sweep while the first holds it', async () => {
    const [one, two] = [await startApp('postgres'), undefined as TestApp | undefined];
    let other: TestApp | undefined = two;
    try {
      other = await startApp('postgres', { db: one.config.db });
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => (entered = resolve));
      const first = runAlone(one.qunliao.store.db, 'postgres', 'blob-sweep', async () => {
        entered();
        await held;
        return 'first';
      });
      await inside;
      expect(await runAlone(other.qunliao.store.db, 'postgres', 'blob-sweep', async () => 'second')).toBeUndefined();
      release();
      expect(await first).toBe('first');
      expect(await runAlone(other.qunliao.store.db, 'postgres', 'blob-sweep', async () => 'second')).toBe('second');
    } finally {
      await other?.qunliao.server.close();
      await one.close();
    }
  });
});

describe.runIf(clusterReady)('two servers starting at once on an empty schema', () => {
  it('migrate it once; both serve', async () => {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const dirs = [0, 1].map(() => fs.mkdtempSync(path.join(os.tmpdir(), 'qunliao-mig-')));
    const configs = dirs.map((d) => testConfig(d, { db: { kind: 'postgres', url: PG_URL!, schema } }));
    const both = await Promise.all(configs.map((c) => createQunliao(c)));
    try {
      for (const q of both) expect((await q.server.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      try {
        const { rows } = await client.query<{ name: string; n: string }>(`select name, count(*) as n from "${schema}".kysely_migration group by name order by name`);
        expect(rows.length).toBeGreaterThan(5);
        expect(rows.every((r) => Number(r.n) === 1)).toBe(true);
        expect(rows.map((r) => r.name)).toContain('014_workers');
      } finally {
        await client.end();
      }
    } finally {
      for (const q of both) await q.server.close();
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    }
  });
});
