// Shared by the benchmark driver (bench/run.ts) and its case modules (bench/threads.ts,
// bench/messages.ts): settings from the environment, the qunliao child processes and their data
// dirs, autocannon runs and their summaries, the small-against-large comparison, and table output.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SECONDS = positiveInt('BENCH_SECONDS', 10);
export const CONNECTIONS = positiveInt('BENCH_CONNECTIONS', 10);
/** Members of the fan-out group (every one connected) and the rounds measured: bench/messages.ts, msync.ts, cluster.ts. */
export const FANOUT_MEMBERS = positiveInt('BENCH_FANOUT_MEMBERS', 1000);
export const FANOUT_ROUNDS = positiveInt('BENCH_FANOUT_ROUNDS', 20);
/** Above this share of non-2xx answers or socket errors a run measures the error path, not the case. */
export const MAX_FAILURE_RATIO = 0.01;
export const APP = { org: 'bench', app: 'app', clientId: 'bench-id', clientSecret: 'bench-secret' };
export const APP_PATH = `/${APP.org}/${APP.app}`;

export type ServerName = 'qunliao' | 'baseline';
export interface Server {
  name: ServerName;
  url: string;
}

export interface Measurement {
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
export interface Run {
  result: autocannon.Result;
  times: number[];
}

export async function load(url: string, options: Omit<autocannon.Options, 'url'>): Promise<Run> {
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
export function summarize(runs: Run[]): Measurement {
  const mean = (f: (r: autocannon.Result) => number) => runs.reduce((sum, run) => sum + f(run.result), 0) / Math.max(runs.length, 1);
  const sum = (f: (r: autocannon.Result) => number) => runs.reduce((total, run) => total + f(run.result), 0);
  const times = runs.flatMap((run) => run.times).sort((a, b) => a - b);
  const statusCodes: Record<string, number> = {};
  for (const run of runs) {
    for (const [code, s] of Object.entries(run.result.statusCodeStats)) statusCodes[code] = (statusCodes[code] ?? 0) + s.count;
  }
  return {
    reqPerSec: mean((r) => r.requests.average),
    p50Ms: mean((r) => r.latency.p50),
    p99Ms: mean((r) => r.latency.p99),
    p50MsExact: percentile(times, 0.5),
    p99MsExact: percentile(times, 0.99),
    sent: sum((r) => r.requests.sent),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    statusCodes,
  };
}

/**
 * CPU time (user + system, µs) a process has used so far, read from /proc/<pid>/stat (Linux;
 * undefined elsewhere). Around a run it gives the server's CPU per request, a figure the load
 * generator competing for the same cores does not move the way it moves req/s.
 */
export function cpuMicros(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) in parentheses: utime is the 12th, stime the 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** Clock ticks per second of /proc's times (USER_HZ: 100 on every Linux build that matters). */
const CLOCK_TICKS = 100;

/** One autocannon run; see summarize. */
export async function measure(url: string, options: Omit<autocannon.Options, 'url'>): Promise<Measurement> {
  return summarize([await load(url, options)]);
}

// ---- child processes -------------------------------------------------------------------------

const children: ChildProcess[] = [];
const tempDirs: string[] = [];

/** Spawns `node …args` in the repo root and resolves once a stdout line contains `ready`. */
export async function startChild(name: string, args: string[], env: NodeJS.ProcessEnv, ready: string): Promise<ChildProcess> {
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

let build: Promise<string> | undefined;

/**
 * A copy of dist/ made at the first server start, so that every server of the run is the build the
 * run started with even if dist/ is rebuilt meanwhile (a half-written dist/ fails to start). It
 * lives under node_modules/.cache so that the copy still resolves the dependencies; cleanup()
 * removes it. Returns the path of its main.js. BENCH_DIST names another build to copy instead
 * (e.g. of an earlier commit, for a before/after comparison).
 */
function snapshotBuild(): Promise<string> {
  build ??= (async () => {
    const dir = path.join(ROOT, 'node_modules', '.cache', 'qunliao-bench', `dist-${process.pid}`);
    tempDirs.push(dir);
    await rm(dir, { recursive: true, force: true });
    await cp(process.env.BENCH_DIST ? path.resolve(process.env.BENCH_DIST) : path.join(ROOT, 'dist'), dir, { recursive: true });
    return path.join(dir, 'main.js');
  })();
  return build;
}

/** qunliao (dist/main.js) on `port` with its data in `dir`; `env` adds or overrides settings. */
export async function startQunliao(name: string, port: number, dir: string, env: NodeJS.ProcessEnv = {}): Promise<ChildProcess> {
  return startChild(
    name,
    // BENCH_NODE_ARGS: extra node flags for the servers, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
    [...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), await snapshotBuild()],
    {
      QUNLIAO_PORT: String(port),
      QUNLIAO_HOST: '127.0.0.1',
      QUNLIAO_DATA_DIR: dir,
      QUNLIAO_RATE_LIMIT: 'off', // we are measuring the server, not the limiter's 429s
      QUNLIAO_LOG_LEVEL: 'warn', // per-request info logs would dominate the GET case
      // Nothing else opens a bench server's database: it runs as a one-process production server
      // would be set up (no file lock per statement). BENCH_SQLITE_LOCKING=shared measures the default.
      QUNLIAO_SQLITE_LOCKING: process.env.BENCH_SQLITE_LOCKING ?? 'exclusive',
      // The default (on); BENCH_SQLITE_READ_CACHE=off measures every read running its statement.
      QUNLIAO_SQLITE_READ_CACHE: process.env.BENCH_SQLITE_READ_CACHE ?? 'on',
      QUNLIAO_APPS: `${APP.org}#${APP.app}:${APP.clientId}:${APP.clientSecret}`,
      ...env,
    },
    'serving the REST API on',
  );
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  // A server stuck in shutdown must not keep the benchmark (or the temp dir) alive.
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}

/** A new temporary data dir, removed by cleanup(). */
export async function tempDataDir(label: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `qunliao-bench-${label}-`));
  tempDirs.push(dir);
  return dir;
}

export async function cleanup(): Promise<void> {
  await Promise.all(children.map(stopChild));
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
}

/** Ports the OS considers free. All are held open together so the OS cannot hand out one twice. */
export async function freePorts(count: number): Promise<number[]> {
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

export function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

export async function call(server: Server, method: string, urlPath: string, body: unknown, token?: string): Promise<Record<string, unknown>> {
  const res = await fetch(server.url + urlPath, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${urlPath} → ${res.status}: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

export async function appToken(server: Server): Promise<string> {
  const { access_token: token } = await call(server, 'POST', `${APP_PATH}/token`, {
    grant_type: 'client_credentials',
    client_id: APP.clientId,
    client_secret: APP.clientSecret,
  });
  if (typeof token !== 'string') throw new Error('the token response has no access_token');
  return token;
}

export const fmt = (n: number, digits = 0) => n.toFixed(digits);

/** Prints rows under a header; the first `textColumns` columns left-aligned, the rest right-aligned. */
export function printTable(header: string[], rows: string[][], textColumns: number): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  for (const row of [header, ...rows]) {
    console.log(row.map((cell, i) => (i < textColumns ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  '));
  }
}

/** Whether a run saw more failures than MAX_FAILURE_RATIO (and says so). */
export function tooManyFailures(label: string, m: Measurement): boolean {
  const failures = m.non2xx + m.errors;
  if (failures <= MAX_FAILURE_RATIO * Math.max(m.sent, 1)) return false;
  console.warn(
    `WARNING: ${label}: ${m.non2xx} non-2xx and ${m.errors} errors out of ${m.sent} requests (status codes ${JSON.stringify(m.statusCodes)})`,
  );
  return true;
}

/** Runs `task` on every item, at most `limit` at a time; the results in item order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Nearest-rank percentile (q in 0..1) of ascending `sorted`; 0 when empty. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}

// ---- small against large ---------------------------------------------------------------------

export type AppSize = 'small' | 'large';

/** A running qunliao with a seeded app, one of a small/large pair. */
export interface SizedApp {
  size: AppSize;
  server: Server;
  child: ChildProcess;
  /** App token. */
  token: string;
}

export interface SizedCase<A extends SizedApp> {
  name: string;
  path: (app: A) => string;
  /** What is wrong with a 200 answer, if anything, so that a broken seed is not measured. */
  check: (body: Record<string, unknown>, app: A) => string | undefined;
}

export interface SizedResult extends Measurement {
  case: string;
  app: AppSize;
  /** req/s of each run, in the order they ran. */
  runsReqPerSec: number[];
}

export type SizeRatios = Record<string, { reqPerSec: number; p50: number; p99: number }>;

/**
 * Measures every case against both apps of a small/large pair with the app token: checks each
 * case's answer once per app, warms each server up on all cases (3 s, or SECONDS if shorter),
 * then runs each case twice per app in the order small, large, large, small, so that a machine
 * getting steadily busier or quieter weighs on both sizes alike. req/s is the mean of the two
 * runs, the …Exact percentiles are over every response of both. `describe` names an app in the
 * progress lines, `extra` adds fields (its size) to its results.
 */
export async function compareSizes<A extends SizedApp, E extends object>(
  apps: readonly [A, A],
  cases: readonly SizedCase<A>[],
  describe: (app: A) => string,
  extra: (app: A) => E,
): Promise<{ failed: boolean; results: (SizedResult & E)[]; ratios: SizeRatios }> {
  const requestFor = (c: SizedCase<A>, app: A): autocannon.Request => ({
    method: 'GET',
    path: c.path(app),
    headers: { authorization: `Bearer ${app.token}` },
  });
  for (const app of apps) {
    for (const c of cases) {
      const res = await fetch(app.server.url + c.path(app), { headers: { authorization: `Bearer ${app.token}` } });
      const text = await res.text();
      const problem = res.ok ? c.check(JSON.parse(text) as Record<string, unknown>, app) : `${res.status}: ${text}`;
      if (problem) throw new Error(`"${c.name}" on the ${app.size} app: ${problem}`);
    }
    console.error(`warming up the ${app.size} app…`);
    await measure(app.server.url, { duration: Math.min(SECONDS, 3), requests: cases.map((c) => requestFor(c, app)) });
  }

  const results: (SizedResult & E)[] = [];
  const ratios: SizeRatios = {};
  let failed = false;
  for (const c of cases) {
    const runs = new Map<A, Run[]>(apps.map((app) => [app, []]));
    for (const app of [...apps, ...[...apps].reverse()]) {
      console.error(`running "${c.name}" against the ${app.size} app (${describe(app)}) for ${SECONDS}s…`);
      runs.get(app)?.push(await load(app.server.url, { requests: [requestFor(c, app)] }));
    }
    for (const app of apps) {
      const appRuns = runs.get(app) ?? [];
      const m = summarize(appRuns);
      results.push({ case: c.name, app: app.size, ...extra(app), ...m, runsReqPerSec: appRuns.map((r) => r.result.requests.average) });
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
  return { failed, results, ratios };
}

/**
 * The small/large table: the case, the app, `sizeColumns` (header and value per result), req/s,
 * p50 and p99 with two decimals, failures, and large/small of req/s, p50 and p99.
 */
export function printSizeTable<R extends SizedResult>(results: R[], ratios: SizeRatios, sizeColumns: [string, (r: R) => string][]): void {
  printTable(
    ['case', 'app', ...sizeColumns.map(([h]) => h), 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'large/small req/s', 'large/small p50', 'large/small p99'],
    results.map((r) => [
      r.case,
      r.app,
      ...sizeColumns.map(([, value]) => value(r)),
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
}
