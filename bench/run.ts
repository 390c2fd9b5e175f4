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
// Then the same for a user's threads (bench/threads.ts): the thread listings of a user in
// BENCH_LARGE_THREADS threads against a user in 10. And messages (bench/messages.ts): REST group
// sends to a 100-member group nobody is connected to and to a BENCH_FANOUT_MEMBERS-member group
// whose members are all connected over WebSocket, and the fan-out latency to those members. And
// the history file (bench/history.ts): exporting an hour of BENCH_HISTORY_MESSAGES messages.
//
// Env: BENCH_SECONDS (per run, default 10), BENCH_CONNECTIONS (default 10),
// BENCH_LARGE_GROUPS (default 1000000), BENCH_LARGE_THREADS (default 10000),
// BENCH_FANOUT_MEMBERS (default 1000), BENCH_FANOUT_ROUNDS (default 20), BENCH_ONLY (sections to
// run, default all). See docs/bench.md. Shared machinery is in bench/common.ts; every qunliao of a
// run starts from one copy of dist/ taken at the first start.
// Results also go to bench/results/latest.json. Exits non-zero if any run saw >1% failures.
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type autocannon from 'autocannon';
import { encodeCursor } from '../src/services/cursor.js';
import {
  APP,
  APP_PATH,
  CONNECTIONS,
  ROOT,
  SECONDS,
  appToken,
  call,
  cleanup,
  compareSizes,
  cpuMicros,
  fmt,
  freePorts,
  load,
  measure,
  summarize,
  positiveInt,
  printSizeTable,
  printTable,
  startChild,
  startQunliao,
  stopChild,
  tempDataDir,
  tooManyFailures,
  type AppSize,
  type Measurement,
  type Run,
  type Server,
  type ServerName,
  type SizedApp,
  type SizedCase,
} from './common.js';
import { runHistoryCases } from './history.js';
import { runClusterCases } from './cluster.js';
import { runMessageCases } from './messages.js';
import { runMsyncCases } from './msync.js';
import { ownerName, seedGroups, type SeedResult } from './seed-groups.js';
import { runThreadCases } from './threads.js';
import { runWriteCases } from './writes.js';

const LARGE_GROUPS = positiveInt('BENCH_LARGE_GROUPS', 1_000_000);
const SMALL_GROUPS = 10;
const SECTIONS = ['baseline', 'writes', 'groups', 'threads', 'messages', 'msync', 'history', 'cluster'] as const;
type Section = (typeof SECTIONS)[number];
/** BENCH_ONLY: a comma-separated subset of SECTIONS to run (default all), for quicker iterations. */
const ONLY = new Set<Section>(
  (process.env.BENCH_ONLY ?? '').trim() === ''
    ? SECTIONS
    : (process.env.BENCH_ONLY ?? '').split(',').map((name) => {
        const section = name.trim() as Section;
        if (!SECTIONS.includes(section)) throw new Error(`BENCH_ONLY: unknown section "${name}" (known: ${SECTIONS.join(', ')})`);
        return section;
      }),
);

/** State prepared once against qunliao (prepareBaselineCases) and shared by the cases. */
interface Context {
  token: string;
  /** A group owned by OWNER with MEMBER in it. */
  groupId: string;
}

const OWNER = 'alice';
const MEMBER = 'bob';

interface BenchCase {
  name: string;
  method: 'GET' | 'POST';
  path: (ctx: Context) => string;
  /** What is wrong with qunliao's answer, if anything, checked once before measuring. */
  check?: (body: Record<string, unknown>, ctx: Context) => string | undefined;
  /**
   * Headers, body or setupRequest for this server (method and path come from the case). Both
   * servers normally get the same bytes, so the baseline pays the same parsing cost.
   */
  requestsFor: (server: Server, ctx: Context) => autocannon.Request[];
}

let userSeq = 0;
const bearer = (ctx: Context) => ({ authorization: `Bearer ${ctx.token}` });

const entityName = (body: Record<string, unknown>) => (Array.isArray(body.entities) ? (body.entities[0] as { username?: unknown } | undefined)?.username : undefined);

const cases: BenchCase[] = [
  {
    name: 'GET user',
    method: 'GET',
    path: () => `${APP_PATH}/users/${OWNER}`,
    check: (body) => (entityName(body) === OWNER ? undefined : `expected user ${OWNER}, got ${String(entityName(body))}`),
    requestsFor: (_server, ctx) => [{ headers: bearer(ctx) }],
  },
  {
    name: 'GET is_joined (member)',
    method: 'GET',
    path: (ctx) => `${APP_PATH}/chatgroups/${ctx.groupId}/user/${MEMBER}/is_joined`,
    check: (body) => (body.data === true ? undefined : `expected data: true, got ${JSON.stringify(body.data)}`),
    requestsFor: (_server, ctx) => [{ headers: bearer(ctx) }],
  },
  {
    name: 'GET chatgroup details',
    method: 'GET',
    path: (ctx) => `${APP_PATH}/chatgroups/${ctx.groupId}`,
    check: (body, ctx) => {
      const group = Array.isArray(body.data) ? (body.data[0] as { id?: unknown; affiliations_count?: unknown } | undefined) : undefined;
      return group?.id === ctx.groupId && group.affiliations_count === 2 ? undefined : `expected group ${ctx.groupId} with 2 members, got ${JSON.stringify(body.data)}`;
    },
    requestsFor: (_server, ctx) => [{ headers: bearer(ctx) }],
  },
  {
    name: 'POST user (register)',
    method: 'POST',
    path: () => `${APP_PATH}/users`,
    requestsFor: (_server, ctx) => [
      {
        headers: { ...bearer(ctx), 'content-type': 'application/json' },
        // A new username on every request: repeating one would measure the "duplicate" 400 path.
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ username: `u${++userSeq}`, password: 'pw' }) }),
      },
    ],
  },
];

// ---- large-app cases -------------------------------------------------------------------------

const TARGET = 'target';
const PAGE = 10;

/** A qunliao with a seeded app, running, and what its cases need to know about the seed. */
interface GroupApp extends SizedApp {
  groups: number;
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

const firstGroupId = (body: Record<string, unknown>) => (Array.isArray(body.data) ? (body.data[0] as { groupid?: unknown } | undefined)?.groupid : undefined);
const pageOf = (expectedFirst: (app: GroupApp) => string) => (body: Record<string, unknown>, app: GroupApp) =>
  body.count !== PAGE || firstGroupId(body) !== expectedFirst(app)
    ? `expected ${PAGE} groups from ${expectedFirst(app)}, got ${String(body.count)} from ${String(firstGroupId(body))}`
    : undefined;

const groupCases: SizedCase<GroupApp>[] = [
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
  const dir = await tempDataDir(size);

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

/** Runs the large-app cases; `print` shows their table (after the main one). */
async function runGroupCases(): Promise<{ failed: boolean; json: unknown; print: () => void }> {
  if (LARGE_GROUPS < SMALL_GROUPS) throw new Error(`BENCH_LARGE_GROUPS must be at least ${SMALL_GROUPS}`);
  const apps = [await prepareGroupApp('small', SMALL_GROUPS), await prepareGroupApp('large', LARGE_GROUPS)] as const;
  const { failed, results, ratios } = await compareSizes(
    apps,
    groupCases,
    (app) => `${app.groups} groups`,
    (app) => ({ groups: app.groups }),
  );
  await Promise.all(apps.map((app) => stopChild(app.child)));

  const [small, large] = apps;
  const print = () => {
    console.log(
      `\nLarge app: ${large.groups} groups, ${large.seed.memberRows} member rows (seeded in ${fmt(large.seed.seconds, 1)}s; ` +
        `${fmt(large.prepareSeconds, 1)}s from empty dir to serving). Small app: ${small.groups} groups.\n` +
        `Two ${SECONDS}s runs per app and case (small, large, large, small); req/s averaged, p50/p99 over every response ` +
        '(sub-millisecond). large/small near 1 = independent of the number of groups.\n',
    );
    printSizeTable(results, ratios, [['groups', (r) => String(r.groups)]]);
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

/** The baseline comparison: each case against qunliao and against the bare node:http server. */
async function runBaselineCases(): Promise<{ failed: boolean; json: unknown; print: () => void }> {
  const [qunliaoPort, baselinePort] = await freePorts(2);
  const dataDir = await tempDataDir('main');
  const qunliao: Server = { name: 'qunliao', url: `http://127.0.0.1:${qunliaoPort}` };
  const baseline: Server = { name: 'baseline', url: `http://127.0.0.1:${baselinePort}` };

  const running = await Promise.all([
    startQunliao('qunliao', qunliaoPort!, dataDir),
    startChild('baseline', ['--import', 'tsx', 'bench/baseline-server.ts', String(baselinePort)], {}, 'listening'),
  ]);

  const token = await appToken(qunliao);
  await call(qunliao, 'POST', `${APP_PATH}/users`, [OWNER, MEMBER].map((username) => ({ username, password: 'pw' })), token);
  const created = await call(qunliao, 'POST', `${APP_PATH}/chatgroups`, { groupname: 'bench', desc: 'bench', public: true, owner: OWNER, members: [MEMBER] }, token);
  const groupId = (created.data as { groupid?: unknown } | undefined)?.groupid;
  if (typeof groupId !== 'string') throw new Error(`creating the group answered ${JSON.stringify(created)}`);
  const ctx: Context = { token, groupId };
  // Both servers warmed up on the GET cases (the JIT, the kept statements), not on registration:
  // that would only hash passwords.
  const warmUp = cases.filter((c) => c.method === 'GET');
  for (const server of [qunliao, baseline]) {
    console.error(`warming up ${server.name}…`);
    const requests = warmUp.flatMap((c) => c.requestsFor(server, ctx).map((r) => ({ method: c.method, path: c.path(ctx), ...r })));
    await measure(server.url, { duration: Math.min(SECONDS, 3), requests });
  }

  const pids = new Map<ServerName, number | undefined>([
    ['qunliao', running[0].pid],
    ['baseline', running[1].pid],
  ]);
  const results: Array<{ case: string; server: ServerName; runsReqPerSec: number[]; cpuMicrosPerRequest?: number } & Measurement> = [];
  const ratios: Record<string, number> = {};
  // baseline/qunliao of the servers' CPU per request: what the ratio of req/s would be if each
  // server had a core of its own and the load generator cost nothing.
  const cpuRatios: Record<string, number> = {};
  let failed = false;
  for (const c of cases) {
    if (c.check) {
      const res = await fetch(qunliao.url + c.path(ctx), { headers: bearer(ctx) });
      const text = await res.text();
      const problem = res.ok ? c.check(JSON.parse(text) as Record<string, unknown>, ctx) : `${res.status}: ${text}`;
      if (problem) throw new Error(`"${c.name}": ${problem}`);
    }
    // qunliao, baseline, baseline, qunliao: a machine getting busier or quieter weighs on both alike.
    const runs = new Map<ServerName, Run[]>([
      ['qunliao', []],
      ['baseline', []],
    ]);
    const cpu = new Map<ServerName, { micros: number; requests: number }>();
    for (const server of [qunliao, baseline, baseline, qunliao]) {
      console.error(`running "${c.name}" against ${server.name} for ${SECONDS}s…`);
      const requests = c.requestsFor(server, ctx).map((r) => ({ method: c.method, path: c.path(ctx), ...r }));
      const before = cpuMicros(pids.get(server.name));
      const run = await load(server.url, { requests });
      const after = cpuMicros(pids.get(server.name));
      runs.get(server.name)?.push(run);
      if (before !== undefined && after !== undefined) {
        const sum = cpu.get(server.name) ?? { micros: 0, requests: 0 };
        cpu.set(server.name, { micros: sum.micros + after - before, requests: sum.requests + run.result.requests.total });
      }
    }
    for (const server of [qunliao, baseline]) {
      const serverRuns = runs.get(server.name) ?? [];
      const m = summarize(serverRuns);
      const used = cpu.get(server.name);
      const cpuMicrosPerRequest = used && used.requests > 0 ? used.micros / used.requests : undefined;
      results.push({ case: c.name, server: server.name, ...m, runsReqPerSec: serverRuns.map((r) => r.result.requests.average), cpuMicrosPerRequest });
      if (tooManyFailures(`"${c.name}" on ${server.name}`, m)) failed = true;
    }
    const [q, b] = results.slice(-2);
    if (q && b) ratios[c.name] = b.reqPerSec > 0 ? q.reqPerSec / b.reqPerSec : 0;
    if (q?.cpuMicrosPerRequest && b?.cpuMicrosPerRequest) cpuRatios[c.name] = b.cpuMicrosPerRequest / q.cpuMicrosPerRequest;
  }
  // Done with these two; the other cases start servers of their own.
  await Promise.all(running.map(stopChild));

  const print = () => {
    const header = ['case', 'server', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'qunliao/baseline', 'cpu µs/req', 'cpu ratio'];
    const rows = results.map((r) => [
      r.case,
      r.server,
      fmt(r.reqPerSec),
      fmt(r.p50Ms),
      fmt(r.p99Ms),
      String(r.non2xx + r.errors),
      r.server === 'qunliao' ? fmt(ratios[r.case] ?? 0, 3) : '',
      r.cpuMicrosPerRequest === undefined ? '' : fmt(r.cpuMicrosPerRequest, 1),
      r.server === 'qunliao' && cpuRatios[r.case] !== undefined ? fmt(cpuRatios[r.case]!, 3) : '',
    ]);
    printTable(header, rows, 2);
  };
  return { failed, json: { results, ratios, cpuRatios }, print };
}

async function main(): Promise<number> {
  const runners: Record<Section, () => Promise<{ failed: boolean; json: unknown; print: () => void }>> = {
    baseline: runBaselineCases,
    writes: runWriteCases,
    groups: runGroupCases,
    threads: runThreadCases,
    messages: runMessageCases,
    msync: runMsyncCases,
    history: runHistoryCases,
    cluster: runClusterCases,
  };
  const done: Partial<Record<Section, { failed: boolean; json: unknown; print: () => void }>> = {};
  for (const section of SECTIONS) if (ONLY.has(section)) done[section] = await runners[section]();

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
  for (const section of SECTIONS) done[section]?.print();

  // The baseline comparison's results and ratios stay at the top level, where they always were.
  const { results, ratios, cpuRatios } = (done.baseline?.json ?? {}) as { results?: unknown; ratios?: unknown; cpuRatios?: unknown };
  const report = { machine, results, ratios, cpuRatios, writes: done.writes?.json, groups: done.groups?.json, threads: done.threads?.json, messages: done.messages?.json, msync: done.msync?.json, history: done.history?.json, cluster: done.cluster?.json };
  const resultsDir = path.join(ROOT, 'bench', 'results');
  await mkdir(resultsDir, { recursive: true });
  await writeFile(path.join(resultsDir, 'latest.json'), JSON.stringify(report, null, 2) + '\n');
  console.log(`\nwritten to ${path.relative(process.cwd(), path.join(resultsDir, 'latest.json'))}`);
  return Object.values(done).some((d) => d.failed) ? 1 : 0;
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
