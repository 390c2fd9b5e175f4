// Cluster cases of the benchmark (bench/run.ts, section `cluster`; issue 16): three qunliao
// processes on one new PostgreSQL database (BENCH_PG_URL, default the local test database's server)
// and a redis-server the benchmark starts on a free port (never the machine's own).
//
// - Fan-out: BENCH_FANOUT_MEMBERS (default 1,000) members of one group, each with a JSON /ws
//   socket, either spread over the three processes (round robin) or all on process 1; messages
//   POSTed to process 1 one at a time, timed from just before the POST until the last member
//   received it, BENCH_FANOUT_ROUNDS times per layout (same run, same processes).
// - REST throughput with 1, 2 and 3 processes: the same total of connections (3 × BENCH_CONNECTIONS)
//   split over the processes, one autocannon per process at once, req/s summed.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type autocannon from 'autocannon';
import pg from 'pg';
import WebSocket, { type RawData } from 'ws';
import {
  APP_PATH,
  CONNECTIONS,
  SECONDS,
  appToken,
  call,
  fmt,
  freePorts,
  load,
  mapLimit,
  percentile,
  printTable,
  startQunliao,
  stopChild,
  summarize,
  tempDataDir,
  tooManyFailures,
  type Server,
  FANOUT_MEMBERS,
  FANOUT_ROUNDS,
} from './common.js';

const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const PROCESSES = 3;
const SETUP_CONCURRENCY = 50;
const ROUND_TIMEOUT_MS = 60_000;

const memberName = (i: number) => `cl${String(i).padStart(6, '0')}`;
const toText = (data: RawData): string => (Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer)).toString();

interface Stats {
  min: number;
  median: number;
  p95: number;
  max: number;
}

function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0] ?? 0, median: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), max: sorted[sorted.length - 1] ?? 0 };
}

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out}`)));
  });
  return child;
}

async function withDatabase<T>(task: (url: string) => Promise<T>): Promise<T> {
  const name = `qunliao_bench_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  try {
    return await task(url.toString());
  } finally {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  }
}

/** The members' sockets, and rounds of "POST one message, wait until every member has it". */
class Sockets {
  private readonly sockets: WebSocket[] = [];
  private current: { tag: string; got: Set<number>; done: () => void; last: number } | undefined;

  async connect(servers: Server[], tokens: string[], layout: 'spread' | 'one'): Promise<void> {
    await mapLimit(tokens, SETUP_CONCURRENCY, async (token, i) => {
      const server = layout === 'spread' ? servers[i % servers.length]! : servers[0]!;
      const socket = new WebSocket(`${server.url.replace(/^http/, 'ws')}${APP_PATH}/ws?access_token=${encodeURIComponent(token)}`, { perMessageDeflate: false });
      socket.on('message', (data) => {
        const r = this.current;
        if (!r || r.got.has(i) || !toText(data).includes(r.tag)) return;
        r.got.add(i);
        r.last = performance.now();
        if (r.got.size === tokens.length) r.done();
      });
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      });
      this.sockets[i] = socket;
    });
  }

  async round(server: Server, token: string, groupId: string, timeoutMs = ROUND_TIMEOUT_MS): Promise<{ restMs: number; lastMs: number }> {
    const tag = `cluster-${randomUUID()}`;
    let done!: () => void;
    const all = new Promise<void>((resolve) => (done = resolve));
    const r = { tag, got: new Set<number>(), done, last: 0 };
    this.current = r;
    const started = performance.now();
    await call(server, 'POST', `${APP_PATH}/messages/chatgroups`, { from: 'admin', to: [groupId], type: 'txt', body: { msg: tag } }, token);
    const answered = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        all,
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`only ${r.got.size} of ${this.sockets.length} members got ${tag}`)), timeoutMs))),
      ]);
    } finally {
      clearTimeout(timer);
      this.current = undefined;
    }
    return { restMs: answered - started, lastMs: r.last - started };
  }

  async close(): Promise<void> {
    await Promise.all(
      this.sockets.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.readyState === WebSocket.CLOSED) return resolve();
            s.once('close', () => resolve());
            s.close();
          }),
      ),
    );
    this.sockets.length = 0;
  }
}

export async function runClusterCases(): Promise<{ failed: boolean; json: unknown; print: () => void }> {
  const [redisPort, ...ports] = await freePorts(1 + PROCESSES);
  const redis = await startRedis(redisPort!);
  let failed = false;
  const fanout: Record<string, { restMs: Stats; lastMs: Stats }> = {};
  const rest: { case: string; processes: number; reqPerSec: number; p50Ms: number; p99Ms: number; failures: number }[] = [];
  try {
    await withDatabase(async (db) => {
      const env = {
        QUNLIAO_DB: db,
        QUNLIAO_REDIS: `redis://127.0.0.1:${redisPort}`,
        QUNLIAO_SCRYPT_COST: '1024',
        QUNLIAO_GROUP_MAX_USERS: String(Math.max(10_000, FANOUT_MEMBERS)),
      };
      const children: ChildProcess[] = [];
      try {
        // One after another: the first migrates the new database.
        for (const [i, port] of ports.entries()) children.push(await startQunliao(`qunliao cluster ${i + 1}`, port, await tempDataDir(`cluster-${i + 1}`), env));
        const servers: Server[] = ports.map((port) => ({ name: 'qunliao', url: `http://127.0.0.1:${port}` }));
        const token = await appToken(servers[0]!);
        const names = Array.from({ length: FANOUT_MEMBERS }, (_, i) => memberName(i));
        console.error(`registering ${FANOUT_MEMBERS} users on PostgreSQL…`);
        for (let i = 0; i < names.length; i += 60) {
          await call(servers[0]!, 'POST', `${APP_PATH}/users`, names.slice(i, i + 60).map((username) => ({ username, password: 'pw' })), token);
        }
        const { data } = await call(
          servers[0]!,
          'POST',
          `${APP_PATH}/chatgroups`,
          { groupname: 'cluster bench', public: true, owner: names[0], members: names.slice(1), maxusers: Math.max(200, FANOUT_MEMBERS) },
          token,
        );
        const groupId = (data as { groupid: string }).groupid;
        const tokens = await mapLimit(names, SETUP_CONCURRENCY, async (username) => {
          const { access_token: t } = await call(servers[0]!, 'POST', `${APP_PATH}/token`, { grant_type: 'inherit', username }, token);
          return t as string;
        });

        for (const layout of ['one', 'spread'] as const) {
          const label = layout === 'one' ? `${FANOUT_MEMBERS} devices on 1 process` : `${FANOUT_MEMBERS} devices over ${PROCESSES} processes`;
          console.error(`fan-out: ${label}, ${FANOUT_ROUNDS} rounds…`);
          const sockets = new Sockets();
          await sockets.connect(servers, tokens, layout);
          // Every member subscribed and past its backlog once each has a message sent now.
          await sockets.round(servers[0]!, token, groupId, 180_000);
          const rounds: { restMs: number; lastMs: number }[] = [];
          for (let i = 0; i < FANOUT_ROUNDS; i++) rounds.push(await sockets.round(servers[0]!, token, groupId));
          fanout[label] = { restMs: stats(rounds.map((r) => r.restMs)), lastMs: stats(rounds.map((r) => r.lastMs)) };
          await sockets.close();
        }

        const cases: { name: string; request: autocannon.Request }[] = [
          { name: 'GET /users/{username}', request: { method: 'GET', path: `${APP_PATH}/users/${names[1]}`, headers: { authorization: `Bearer ${token}` } } },
          {
            name: 'POST /messages/users',
            request: {
              method: 'POST',
              path: `${APP_PATH}/messages/users`,
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
              body: JSON.stringify({ from: names[1], to: [names[2]], type: 'txt', body: { msg: 'hi' } }),
            },
          },
        ];
        const total = PROCESSES * CONNECTIONS;
        for (const c of cases) {
          // Warm every process up once.
          await Promise.all(servers.map((s) => load(s.url, { duration: 2, connections: CONNECTIONS, requests: [c.request] })));
          for (let n = 1; n <= PROCESSES; n++) {
            console.error(`REST: "${c.name}" on ${n} process(es), ${total} connections for ${SECONDS}s…`);
            const runs = await Promise.all(servers.slice(0, n).map((s) => load(s.url, { connections: Math.round(total / n), requests: [c.request] })));
            const each = runs.map((r) => summarize([r]));
            const m = summarize(runs);
            const failures = each.reduce((sum, e) => sum + e.non2xx + e.errors, 0);
            if (tooManyFailures(`"${c.name}" on ${n} processes`, { ...m, sent: each.reduce((s, e) => s + e.sent, 0) })) failed = true;
            rest.push({ case: c.name, processes: n, reqPerSec: each.reduce((s, e) => s + e.reqPerSec, 0), p50Ms: m.p50MsExact, p99Ms: m.p99MsExact, failures });
          }
        }
      } finally {
        await Promise.all(children.map(stopChild));
      }
    });
  } finally {
    await stopChild(redis);
  }

  const one = Object.values(fanout)[0];
  const spread = Object.values(fanout)[1];
  const ratios = {
    /** Median time to the last member, spread over 3 processes ÷ all on 1. */
    fanoutSpreadOverOne: one && spread ? spread.lastMs.median / one.lastMs.median : NaN,
    rest: Object.fromEntries(
      [...new Set(rest.map((r) => r.case))].map((name) => {
        const base = rest.find((r) => r.case === name && r.processes === 1)!.reqPerSec;
        return [name, Object.fromEntries(rest.filter((r) => r.case === name).map((r) => [`${r.processes}`, r.reqPerSec / base]))];
      }),
    ),
  };
  const print = () => {
    console.log(`\nCluster: ${PROCESSES} processes on PostgreSQL + Redis. Fan-out: one group message POSTed to process 1, until the last of ${FANOUT_MEMBERS} members has it (${FANOUT_ROUNDS} rounds).\n`);
    printTable(
      ['layout', 'POST median ms', 'last median ms', 'last p95 ms', 'last max ms'],
      Object.entries(fanout).map(([k, v]) => [k, fmt(v.restMs.median, 1), fmt(v.lastMs.median, 1), fmt(v.lastMs.p95, 1), fmt(v.lastMs.max, 1)]),
      1,
    );
    console.log(`spread / one (median to the last member): ${fmt(ratios.fanoutSpreadOverOne, 2)}\n`);
    printTable(
      ['case', 'processes', 'req/s', 'p50 ms', 'p99 ms', 'failures', '× 1 process'],
      rest.map((r) => [r.case, String(r.processes), fmt(r.reqPerSec), fmt(r.p50Ms, 1), fmt(r.p99Ms, 1), String(r.failures), fmt(ratios.rest[r.case]?.[String(r.processes)] ?? NaN, 2)]),
      1,
    );
  };
  return { failed, json: { fanout, rest, ratios }, print };
}
