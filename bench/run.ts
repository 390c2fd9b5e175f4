// Benchmark driver (`npm run bench`). Starts the built qunliao and a bare node:http baseline
// (bench/baseline-server.ts) as child processes, loads each with autocannon for every case, and
// prints req/s and latency side by side. The ratio qunliao/baseline is the figure to watch: raw
// req/s depends on the machine, the ratio much less.
//
// Env: BENCH_SECONDS (per run, default 10), BENCH_CONNECTIONS (default 10).
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

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SECONDS = positiveInt('BENCH_SECONDS', 10);
const CONNECTIONS = positiveInt('BENCH_CONNECTIONS', 10);
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
}

/** One autocannon run; latency figures are autocannon's (whole milliseconds). */
async function measure(url: string, options: Omit<autocannon.Options, 'url'>): Promise<Measurement> {
  const r = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, ...options });
  return {
    reqPerSec: r.requests.average,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    sent: r.requests.sent,
    non2xx: r.non2xx,
    errors: r.errors,
    statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats).map(([code, s]) => [code, s.count])),
  };
}

// ---- child processes -------------------------------------------------------------------------

const children: ChildProcess[] = [];
let dataDir: string | undefined;

/** Spawns `node …args` in the repo root and resolves once a stdout line contains `ready`. */
async function startChild(name: string, args: string[], env: NodeJS.ProcessEnv, ready: string): Promise<void> {
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
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
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

const fmt = (n: number, digits = 0) => n.toFixed(digits);

// ---- main ------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const [qunliaoPort, baselinePort] = await freePorts(2);
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'qunliao-bench-'));
  const qunliao: Server = { name: 'qunliao', url: `http://127.0.0.1:${qunliaoPort}` };
  const baseline: Server = { name: 'baseline', url: `http://127.0.0.1:${baselinePort}` };

  await Promise.all([
    startChild(
      'qunliao',
      ['dist/main.js'],
      {
        QUNLIAO_PORT: String(qunliaoPort),
        QUNLIAO_HOST: '127.0.0.1',
        QUNLIAO_DATA_DIR: dataDir,
        QUNLIAO_RATE_LIMIT: 'off', // we are measuring the server, not the limiter's 429s
        QUNLIAO_LOG_LEVEL: 'warn', // per-request info logs would dominate the GET case
        QUNLIAO_APPS: `${APP.org}#${APP.app}:${APP.clientId}:${APP.clientSecret}`,
      },
      'serving the REST API on',
    ),
    startChild('baseline', ['--import', 'tsx', 'bench/baseline-server.ts', String(baselinePort)], {}, 'listening'),
  ]);

  const { access_token: token } = await call(qunliao, 'POST', `${APP_PATH}/token`, {
    grant_type: 'client_credentials',
    client_id: APP.clientId,
    client_secret: APP.clientSecret,
  });
  if (typeof token !== 'string') throw new Error('the token response has no access_token');
  const ctx: Context = { token };

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
      const failures = m.non2xx + m.errors;
      if (failures > MAX_FAILURE_RATIO * Math.max(m.sent, 1)) {
        failed = true;
        console.warn(
          `WARNING: "${c.name}" on ${server.name}: ${m.non2xx} non-2xx and ${m.errors} errors out of ${m.sent} requests ` +
            `(status codes ${JSON.stringify(m.statusCodes)})`,
        );
      }
    }
    const [q, b] = results.slice(-2);
    if (q && b) ratios[c.name] = b.reqPerSec > 0 ? q.reqPerSec / b.reqPerSec : 0;
  }

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
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  for (const row of [header, ...rows]) {
    // Text columns left-aligned, numbers right-aligned.
    console.log(row.map((cell, i) => (i < 2 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  '));
  }

  const resultsDir = path.join(ROOT, 'bench', 'results');
  await mkdir(resultsDir, { recursive: true });
  await writeFile(path.join(resultsDir, 'latest.json'), JSON.stringify({ machine, results, ratios }, null, 2) + '\n');
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
