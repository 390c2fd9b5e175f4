// Benchmark driver (`npm run bench`). Starts the built qunliao and a bare node:http baseline
// (bench/baseline-server.ts) as child processes, loads each with autocannon for every case, and
// prints req/s and latency side by side. The ratio qunliao/baseline is the figure to watch: raw
// req/s depends on the machine, the ratio much less.
//
// Then the large-app cases: is_joined and pages of GET /chatgroups against an app with
// BENCH_LARGE_GROUPS groups and against one with 10, each on its own qunliao and data dir, seeded
// straight into SQLite (bench/seed-groups.ts), each measured twice per size (small, large, large,
// small). Their figure to watch is the ratio large/small, which should stay near 1: these requests
// must not get slower as an app grows.
//
// Env: BENCH_SECONDS (per run, default 10), BENCH_CONNECTIONS (default 10),
// BENCH_LARGE_GROUPS (default 1000000). See docs/bench.md.
// Results also go to bench/results/latest.json. Exits non-zero if any run saw >1% failures.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { encodeCursor } from '../src/services/cursor.js';
import { ownerName, seedGroups, type SeedResult } from './seed-groups.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SECONDS = positiveInt('BENCH_SECONDS', 10);
const CONNECTIONS = positiveInt('BENCH_CONNECTIONS', 10);
const LARGE_GROUPS = positiveInt('BENCH_LARGE_GROUPS', 1_000_000);
const SMALL_GROUPS = 10;
/** Above this share of non-2xx answers or socket errors a run measures the error path, not the case. */
const MAX_FAILURE_RATIO = 0.01;
const APP = { org: 'bench', app: 'app', clientId: 'bench-id', clientSecret: 'bench-secret' };
const APP_PATH = `/${APP.org}/${APP.app}`;

type ServerName = 'qunliao' | 'baseline';
interface Server {
  name: ServerName;
  url: string;
}
/** State prepared once against qunliao and shared by the cases. */
interface Context {
  token: string;
}

interface BenchCase {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  /** One-off preparation against qunliao before the case runs (the baseline needs none). */
  setup?: (qunliao: Server, ctx: Context) => Promise<void>;
  /**
   * Headers, body or setupRequest for this server (method and path come from the case). Both
   * servers normally get the same bytes, so the baseline pays the same parsing cost.
   */
  requestsFor: (server: Server, ctx: Context) => autocannon.Request[];
}

let userSeq = 0;
const bearer = (ctx: Context) => ({ authorization: `Bearer ${ctx.token}` });

const cases: BenchCase[] = [
  {
    name: 'GET user',
    method: 'GET',
    path: `${APP_PATH}/users/alice`,
    setup: async (qunliao, ctx) => {
      await call(qunliao, 'POST', `${APP_PATH}/users`, { username: 'alice', password: 'pw' }, ctx.token);
    },
    requestsFor: (_server, ctx) => [{ headers: bearer(ctx) }],
  },
  {
    name: 'POST user (register)',
    method: 'POST',
    path: `${APP_PATH}/users`,
    requestsFor: (_server, ctx) => [
      {
        headers: { ...bearer(ctx), 'content-type': 'application/json' },
        // A new username on every request: repeating one would measure the "duplicate" 400 path.
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ username: `u${++userSeq}`, password: 'pw' }) }),
      },
    ],
  },
];

interface Measurement {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  sent: number;
  non2xx: number;
  errors: number;
  statusCodes: Record<string, number>;
  /** The same percentiles from each 2xx response's own (fractional) time. */
  p50MsExact: number;
  p99MsExact: number;
}

/** One autocannon run, with the time of every 2xx response (fractional milliseconds). */
interface Run {
  result: autocannon.Result;
  times: number[];
}

async function load(url: string, options: Omit<autocannon.Options, 'url'>): Promise<Run> {
  const times: number[] = [];
  const instance = autocannon({ url, connections: CONNECTIONS, duration: SECONDS, ...options });
  instance.on('response', (_client, statusCode, _bytes, ms) => {
    const code = Number(statusCode);
    if (code >= 200 && code < 300) times.push(ms);
  });
  return { result: await instance, times };
}

/**
 * The figures of one or more runs of the same case: req/s and autocannon's percentiles (whole
 * milliseconds) averaged over the runs, the …Exact percentiles over all their response times.
 */
function summarize(runs: Run[]): Measurement {
  const mean = (f: (r: autocannon.Result) => number) => runs.reduce((sum, run) => sum + f(run.result), 0) / Math.max(runs.length, 1);
  const sum = (f: (r: autocannon.Result) => number) => runs.reduce((total, run) => total + f(run.result), 0);
  const times = runs.flatMap((run) => run.times).sort((a, b) => a - b);
  const percentile = (q: number) => (times.length === 0 ? 0 : (times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)] ?? 0));
  const statusCodes: Record<string, number> = {};
  for (const run of runs) {
    for (const [code, s] of Object.entries(run.result.statusCodeStats)) statusCodes[code] = (statusCodes[code] ?? 0) + s.count;
  }
  return {
    reqPerSec: mean((r) => r.requests.average),
    p50Ms: mean((r) => r.latency.p50),
    p99Ms: mean((r) => r.latency.p99),
    p50MsExact: percentile(0.5),
    p99MsExact: percentile(0.99),
    sent: sum((r) => r.requests.sent),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    statusCodes,
  };
}

/** One autocannon run; see summarize. */
async function measure(url: string, options: Omit<autocannon.Options, 'url'>): Promise<Measurement> {
  return summarize([await load(url, options)]);
}

// ---- child processes -------------------------------------------------------------------------

const children: ChildProcess[] = [];
const dataDirs: string[] = [];

/** Spawns `node …args` in the repo root and resolves once a stdout line contains `ready`. */
async function startChild(name: string, args: string[], env: NodeJS.ProcessEnv, ready: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  // Keep both pipes drained for the whole run (a full pipe would stall the server) and show what
  // the child says, prefixed, so warnings from qunliao are not lost.
  const relay = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line) process.stderr.write(`[${name}] ${line}\n`);
  };
  child.stderr?.on('data', relay);
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    let isReady = false;
    const timer = setTimeout(() => reject(new Error(`${name} did not print "${ready}" within 20s`)), 20_000);
    const onExit = (code: number | null) => reject(new Error(`${name} exited (code ${code}) before it was ready`));
    child.once('exit', onExit);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (isReady) return relay(chunk);
      seen += chunk.toString();
      if (seen.includes(ready)) {
        isReady = true;
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve();
      }
    });
  });
  return child;
}

/** qunliao (dist/main.js) on `port` with its data in `dir`. */
function startQunliao(name: string, port: number, dir: string): Promise<ChildProcess> {
  return startChild(
    name,
    ['dist/main.js'],
    {
      QUNLIAO_PORT: String(port),
      QUNLIAO_HOST: '127.0.0.1',
      QUNLIAO_DATA_DIR: dir,
      QUNLIAO_RATE_LIMIT: 'off', // we are measuring the server, not the limiter's 429s
      QUNLIAO_LOG_LEVEL: 'warn', // per-request info logs would dominate the GET case
      QUNLIAO_APPS: `${APP.org}#${APP.app}:${APP.clientId}:${APP.clientSecret}`,
    },
    'serving the REST API on',
  );
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  // A server stuck in shutdown must not keep the benchmark (or the temp dir) alive.
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}

async function cleanup(): Promise<void> {
  await Promise.all(children.map(stopChild));
  await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
}

/** Ports the OS considers free. All are held open together so the OS cannot hand out one twice. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, async () => {
      const s = net.createServer();
      s.listen(0, '127.0.0.1');
      await once(s, 'listening');
      return s;
    }),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

// ---- helpers ---------------------------------------------------------------------------------

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

async function call(server: Server, method: string, urlPath: string, body: unknown, token?: string): Promise<Record<string, unknown>> {
  const res = await fetch(server.url + urlPath, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${urlPath} → ${res.status}: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

async function appToken(server: Server): Promise<string> {
  const { access_token: token } = await call(server, 'POST', `${APP_PATH}/token`, {
    grant_type: 'client_credentials',
    client_id: APP.clientId,
    client_secret: APP.clientSecret,
  });
  if (typeof token !== 'string') throw new Error('the token response has no access_token');
  return token;
}

const fmt = (n: number, digits = 0) => n.toFixed(digits);

/** Prints rows under a header; the first `textColumns` columns left-aligned, the rest right-aligned. */
function printTable(header: string[], rows: string[][], textColumns: number): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  for (const row of [header, ...rows]) {
    console.log(row.map((cell, i) => (i < textColumns ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  '));
  }
}

/** Whether a run saw more failures than MAX_FAILURE_RATIO (and says so). */
function tooManyFailures(label: string, m: Measurement): boolean {
  const failures = m.non2xx + m.errors;
  if (failures <= MAX_FAILURE_RATIO * Math.max(m.sent, 1)) return false;
  console.warn(
    `WARNING: ${label}: ${m.non2xx} non-2xx and ${m.errors} errors out of ${m.sent} requests (status codes ${JSON.stringify(m.statusCodes)})`,
  );
  return true;
}

// ---- large-app cases -------------------------------------------------------------------------

const TARGET = 'target';
const PAGE = 10;

type AppSize = 'small' | 'large';

/** A qunliao with a seeded app, running, and what its cases need to know about the seed. */
interface GroupApp {
  size: AppSize;
  groups: number;
  server: Server;
  child: ChildProcess;
  token: string;
  seed: Omit<SeedResult, 'idAt' | 'seqAt' | 'targetGroupIds'>;
  /** Wall time from an empty data dir to a running, seeded qunliao (seeding included). */
  prepareSeconds: number;
  /** A group in the middle of the table that TARGET is a member of. */
  joinedGroupId: string;
  /** Newest group: the first item of the first page. */
  newestId: string;
  /** Cursor of a page deep in the list that still holds PAGE groups, and that page's first item. */
  deepCursor: string;
  deepFirstId: string;
}

interface GroupCase {
  name: string;
  path: (app: GroupApp) => string;
  /** What is wrong with a 200 answer, if anything, so that a broken seed is not measured. */
  check: (body: Record<string, unknown>, app: GroupApp) => string | undefined;
}

const firstGroupId = (body: Record<string, unknown>) => (Array.isArray(body.data) ? (body.data[0] as { groupid?: unknown } | undefined)?.groupid : undefined);
const pageOf = (expectedFirst: (app: GroupApp) => string) => (body: Record<string, unknown>, app: GroupApp) =>
  body.count !== PAGE || firstGroupId(body) !== expectedFirst(app)
    ? `expected ${PAGE} groups from ${expectedFirst(app)}, got ${String(body.count)} from ${String(firstGroupId(body))}`
    : undefined;

const groupCases: GroupCase[] = [
  {
    name: 'GET is_joined (member)',
    path: (app) => `${APP_PATH}/chatgroups/${app.joinedGroupId}/user/${TARGET}/is_joined`,
    check: (body) => (body.data === true ? undefined : `expected data: true, got ${JSON.stringify(body.data)}`),
  },
  {
    name: 'GET chatgroups, first page',
    path: () => `${APP_PATH}/chatgroups?limit=${PAGE}`,
    check: pageOf((app) => app.newestId),
  },
  {
    name: 'GET chatgroups, deep page',
    path: (app) => `${APP_PATH}/chatgroups?limit=${PAGE}&cursor=${app.deepCursor}`,
    check: pageOf((app) => app.deepFirstId),
  },
];

/**
 * Starts qunliao on a fresh data dir (it migrates and creates the app), registers TARGET and the
 * first owner through the API, stops it, seeds `groups` groups into the SQLite file and starts it
 * again on that file.
 */
async function prepareGroupApp(size: AppSize, groups: number): Promise<GroupApp> {
  const started = performance.now();
  const dir = await mkdtemp(path.join(os.tmpdir(), `qunliao-bench-${size}-`));
  dataDirs.push(dir);

  const [setupPort, port] = await freePorts(2);
  const setupServer: Server = { name: 'qunliao', url: `http://127.0.0.1:${setupPort}` };
  const setupChild = await startQunliao(`qunliao ${size} setup`, setupPort!, dir);
  const users = [TARGET, ownerName(0)].map((username) => ({ username, password: 'pw' }));
  await call(setupServer, 'POST', `${APP_PATH}/users`, users, await appToken(setupServer));
  await stopChild(setupChild);

  console.error(`seeding ${groups} groups into the ${size} app…`);
  const seed = seedGroups(path.join(dir, 'qunliao.sqlite'), {
    org: APP.org,
    app: APP.app,
    groups,
    target: TARGET,
    firstOwner: ownerName(0),
    progress: (done) => {
      if (groups >= 200_000 && done % 200_000 === 0) console.error(`  ${done} groups`);
    },
  });
  console.error(
    `seeded the ${size} app in ${fmt(seed.seconds, 1)}s: ${seed.groups} groups, ${seed.memberRows} member rows, ${seed.owners} owners`,
  );

  const server: Server = { name: 'qunliao', url: `http://127.0.0.1:${port}` };
  const child = await startQunliao(`qunliao ${size}`, port!, dir);
  const token = await appToken(server);

  // The deep page starts at the middle of the table, but never so near the oldest group that it
  // holds fewer than PAGE groups: with 10 groups it starts past the newest one (the cursor path,
  // and a page as big as the large app's).
  const deepIndex = Math.max(Math.floor(groups / 2), PAGE);
  const deepSeq = deepIndex < groups ? seed.seqAt(deepIndex) : seed.seqAt(groups - 1) + 1;
  const { idAt, seqAt: _seqAt, targetGroupIds, ...counts } = seed;
  const joinedGroupId = targetGroupIds[Math.floor(targetGroupIds.length / 2)];
  if (joinedGroupId === undefined) throw new Error('the target joined no group');
  return {
    size,
    groups,
    server,
    child,
    token,
    seed: counts,
    prepareSeconds: (performance.now() - started) / 1000,
    joinedGroupId,
    newestId: idAt(groups - 1),
    deepCursor: encodeCursor('groups', deepSeq),
    deepFirstId: idAt(deepIndex - 1),
  };
}

interface GroupResult extends Measurement {
  case: string;
  app: AppSize;
  groups: number;
  /** req/s of each run, in the order they ran. */
  runsReqPerSec: number[];
}

/** Runs the large-app cases; `print` shows their table (after the main one). */
async function runGroupCases(): Promise<{ failed: boolean; json: unknown; print: () => void }> {
  if (LARGE_GROUPS < SMALL_GROUPS) throw new Error(`BENCH_LARGE_GROUPS must be at least ${SMALL_GROUPS}`);
  const apps = [await prepareGroupApp('small', SMALL_GROUPS), await prepareGroupApp('large', LARGE_GROUPS)];

  const requestFor = (c: GroupCase, app: GroupApp): autocannon.Request => ({
    method: 'GET',
    path: c.path(app),
    headers: { authorization: `Bearer ${app.token}` },
  });
  // Check every case once, then warm both servers up (JIT, SQLite page cache) on all cases.
  for (const app of apps) {
    for (const c of groupCases) {
      const res = await fetch(app.server.url + c.path(app), { headers: { authorization: `Bearer ${app.token}` } });
      const text = await res.text();
      const problem = res.ok ? c.check(JSON.parse(text) as Record<string, unknown>, app) : `${res.status}: ${text}`;
      if (problem) throw new Error(`"${c.name}" on the ${app.size} app: ${problem}`);
    }
    console.error(`warming up the ${app.size} app…`);
    await measure(app.server.url, { duration: Math.min(SECONDS, 3), requests: groupCases.map((c) => requestFor(c, app)) });
  }

  const results: GroupResult[] = [];
  const ratios: Record<string, { reqPerSec: number; p50: number; p99: number }> = {};
  let failed = false;
  for (const c of groupCases) {
    // Two runs per app in the order small, large, large, small, so that a machine getting
    // steadily busier or quieter weighs on both sizes alike.
    const runs = new Map<GroupApp, Run[]>(apps.map((app) => [app, []]));
    for (const app of [...apps, ...[...apps].reverse()]) {
      console.error(`running "${c.name}" against the ${app.size} app (${app.groups} groups) for ${SECONDS}s…`);
      runs.get(app)?.push(await load(app.server.url, { requests: [requestFor(c, app)] }));
    }
    for (const app of apps) {
      const appRuns = runs.get(app) ?? [];
      const m = summarize(appRuns);
      results.push({ case: c.name, app: app.size, groups: app.groups, ...m, runsReqPerSec: appRuns.map((r) => r.result.requests.average) });
      if (tooManyFailures(`"${c.name}" on the ${app.size} app`, m)) failed = true;
    }
    const [small, large] = results.slice(-2);
    if (small && large) {
      const ratio = (l: number, s: number) => (s > 0 ? l / s : 0);
      ratios[c.name] = {
        reqPerSec: ratio(large.reqPerSec, small.reqPerSec),
        p50: ratio(large.p50MsExact, small.p50MsExact),
        p99: ratio(large.p99MsExact, small.p99MsExact),
      };
    }
  }

  await Promise.all(apps.map((app) => stopChild(app.child)));

  const [small, large] = apps as [GroupApp, GroupApp];
  const print = () => {
    console.log(
      `\nLarge app: ${large.groups} groups, ${large.seed.memberRows} member rows (seeded in ${fmt(large.seed.seconds, 1)}s; ` +
        `${fmt(large.prepareSeconds, 1)}s from empty dir to serving). Small app: ${small.groups} groups.\n` +
        `Two ${SECONDS}s runs per app and case (small, large, large, small); req/s averaged, p50/p99 over every response ` +
        '(sub-millisecond). large/small near 1 = independent of the number of groups.\n',
    );
    printTable(
      ['case', 'app', 'groups', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'large/small req/s', 'large/small p50', 'large/small p99'],
      results.map((r) => [
        r.case,
        r.app,
        String(r.groups),
        fmt(r.reqPerSec),
        fmt(r.p50MsExact, 2),
        fmt(r.p99MsExact, 2),
        String(r.non2xx + r.errors),
        r.app === 'large' ? fmt(ratios[r.case]?.reqPerSec ?? 0, 3) : '',
        r.app === 'large' ? fmt(ratios[r.case]?.p50 ?? 0, 3) : '',
        r.app === 'large' ? fmt(ratios[r.case]?.p99 ?? 0, 3) : '',
      ]),
      2,
    );
  };

  const json = {
    sizes: { small: small.groups, large: large.groups },
    seeding: Object.fromEntries(apps.map((a) => [a.size, { ...a.seed, prepareSeconds: a.prepareSeconds }])),
    results,
    ratios,
  };
  return { failed, json, print };
}

// ---- main ------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const [qunliaoPort, baselinePort] = await freePorts(2);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'qunliao-bench-'));
  dataDirs.push(dataDir);
  const qunliao: Server = { name: 'qunliao', url: `http://127.0.0.1:${qunliaoPort}` };
  const baseline: Server = { name: 'baseline', url: `http://127.0.0.1:${baselinePort}` };

  const running = await Promise.all([
    startQunliao('qunliao', qunliaoPort!, dataDir),
    startChild('baseline', ['--import', 'tsx', 'bench/baseline-server.ts', String(baselinePort)], {}, 'listening'),
  ]);

  const ctx: Context = { token: await appToken(qunliao) };

  const results: Array<{ case: string; server: ServerName } & Measurement> = [];
  const ratios: Record<string, number> = {};
  let failed = false;
  for (const c of cases) {
    await c.setup?.(qunliao, ctx);
    for (const server of [qunliao, baseline]) {
      console.error(`running "${c.name}" against ${server.name} for ${SECONDS}s…`);
      const requests = c.requestsFor(server, ctx).map((r) => ({ method: c.method, path: c.path, ...r }));
      const m = await measure(server.url, { requests });
      results.push({ case: c.name, server: server.name, ...m });
      if (tooManyFailures(`"${c.name}" on ${server.name}`, m)) failed = true;
    }
    const [q, b] = results.slice(-2);
    if (q && b) ratios[c.name] = b.reqPerSec > 0 ? q.reqPerSec / b.reqPerSec : 0;
  }
  // Done with these two; the large-app cases start servers of their own.
  await Promise.all(running.map(stopChild));

  const groups = await runGroupCases();
  if (groups.failed) failed = true;

  const machine = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    platform: `${os.platform()} ${os.arch()}`,
    seconds: SECONDS,
    connections: CONNECTIONS,
  };
  console.log(
    `\n${machine.date}  node ${machine.node}  ${machine.cpus} × ${machine.cpuModel}  ${machine.platform}  ` +
      `${SECONDS}s per run, ${CONNECTIONS} connections\n`,
  );
  const header = ['case', 'server', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'qunliao/baseline'];
  const rows = results.map((r) => [
    r.case,
    r.server,
    fmt(r.reqPerSec),
    fmt(r.p50Ms),
    fmt(r.p99Ms),
    String(r.non2xx + r.errors),
    r.server === 'qunliao' ? fmt(ratios[r.case] ?? 0, 3) : '',
  ]);
  printTable(header, rows, 2);
  groups.print();

  const resultsDir = path.join(ROOT, 'bench', 'results');
  await mkdir(resultsDir, { recursive: true });
  await writeFile(path.join(resultsDir, 'latest.json'), JSON.stringify({ machine, results, ratios, groups: groups.json }, null, 2) + '\n');
  console.log(`\nwritten to ${path.relative(process.cwd(), path.join(resultsDir, 'latest.json'))}`);
  return failed ? 1 : 0;
}

// Ctrl-C / kill: try/finally does not run on signals, so clean up here too.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void cleanup().finally(() => process.exit(130));
  });
}

try {
  process.exitCode = await main();
} catch (err) {
  console.error('bench failed:', err);
  process.exitCode = 1;
} finally {
  await cleanup();
}
