// Write cases of the benchmark (bench/run.ts): writes that hash no password, so that the figure is
// the server's and SQLite's rather than scrypt's.
//
// - POST /chatgroups: a new group (one transaction: the owner's group count, the group row and
//   its owner's member row), owners taken in turn from WRITE_USERS users, so that no owner nears
//   the per-user group limit and the count stays small;
// - POST /chatgroups/{id}/mute: the same member of one group muted again and again (the group and
//   member lookups, then an upsert of the mute in a transaction).
//
// Each runs against two qunliao, each on a data dir of its own prepared the same way, one with
// QUNLIAO_SQLITE_SYNC=full (the default: every commit synced to disk) and one with `normal`, in
// the order full, normal, normal, full, and once against the bare node:http baseline with the same
// bytes. The figures to watch: normal/full (what durability costs in write throughput) and
// full/baseline (the write path's cost over bare Node).
import path from 'node:path';
import type autocannon from 'autocannon';
import {
  APP,
  APP_PATH,
  SECONDS,
  appToken,
  call,
  fmt,
  freePorts,
  load,
  measure,
  printTable,
  startChild,
  startQunliao,
  stopChild,
  summarize,
  tempDataDir,
  tooManyFailures,
  type Measurement,
  type Run,
  type Server,
} from './common.js';
import { seedUsers } from './seed-users.js';
import type { ChildProcess } from 'node:child_process';

/** Users that take turns owning the new groups (seeded, one hash for all). */
const WRITE_USERS = 1000;
const userName = (i: number) => `w${String(i).padStart(6, '0')}`;
const MUTED = userName(1);
const MUTE_MS = 24 * 3600 * 1000;

export type SyncMode = 'full' | 'normal';
const MODES: readonly SyncMode[] = ['full', 'normal'];

interface WriteApp {
  sync: SyncMode;
  server: Server;
  child: ChildProcess;
  token: string;
  /** Owned by userName(0), with MUTED as a member. */
  groupId: string;
  prepareSeconds: number;
}

interface WriteCase {
  name: string;
  path: (app: WriteApp) => string;
  body: () => string;
  /** Whether body() differs per request (then autocannon asks for it before each one). */
  varying: boolean;
  /** What is wrong with a 200 answer, if anything (checked once per server before measuring). */
  check: (body: Record<string, unknown>) => string | undefined;
}

let owner = 0;
const cases: WriteCase[] = [
  {
    name: 'POST chatgroups (create)',
    path: () => `${APP_PATH}/chatgroups`,
    body: () => JSON.stringify({ groupname: 'bench', desc: 'bench', public: true, maxusers: 200, owner: userName(owner++ % WRITE_USERS) }),
    varying: true,
    check: (body) => (typeof (body.data as { groupid?: unknown } | undefined)?.groupid === 'string' ? undefined : `expected a groupid, got ${JSON.stringify(body.data)}`),
  },
  {
    name: 'POST chatgroups/{id}/mute (one member)',
    path: (app) => `${APP_PATH}/chatgroups/${app.groupId}/mute`,
    body: () => JSON.stringify({ usernames: [MUTED], mute_duration: MUTE_MS }),
    varying: false,
    check: (body) => {
      const result = Array.isArray(body.data) ? (body.data[0] as { result?: unknown; user?: unknown } | undefined) : undefined;
      return result?.result === true && result.user === MUTED ? undefined : `expected ${MUTED} muted, got ${JSON.stringify(body.data)}`;
    },
  },
];

/**
 * A fresh data dir: qunliao migrates it and registers userName(0) through the API, stops; the other
 * users are inserted with that user's password hash; qunliao starts again with `sync` and creates
 * the mute group.
 */
async function prepareWriteApp(sync: SyncMode): Promise<WriteApp> {
  const started = performance.now();
  const dir = await tempDataDir(`writes-${sync}`);
  const [setupPort, port] = await freePorts(2);
  const setupServer: Server = { name: 'qunliao', url: `http://127.0.0.1:${setupPort}` };
  const setupChild = await startQunliao(`qunliao writes ${sync} setup`, setupPort!, dir);
  await call(setupServer, 'POST', `${APP_PATH}/users`, { username: userName(0), password: 'pw' }, await appToken(setupServer));
  await stopChild(setupChild);
  seedUsers(path.join(dir, 'qunliao.sqlite'), {
    org: APP.org,
    app: APP.app,
    template: userName(0),
    usernames: Array.from({ length: WRITE_USERS - 1 }, (_, i) => userName(i + 1)),
  });

  const server: Server = { name: 'qunliao', url: `http://127.0.0.1:${port}` };
  const child = await startQunliao(`qunliao writes ${sync}`, port!, dir, { QUNLIAO_SQLITE_SYNC: sync });
  const token = await appToken(server);
  const created = await call(server, 'POST', `${APP_PATH}/chatgroups`, { groupname: 'muted', desc: 'bench', public: true, owner: userName(0), members: [MUTED] }, token);
  const groupId = (created.data as { groupid?: unknown } | undefined)?.groupid;
  if (typeof groupId !== 'string') throw new Error(`creating the mute group answered ${JSON.stringify(created)}`);
  return { sync, server, child, token, groupId, prepareSeconds: (performance.now() - started) / 1000 };
}

const requestFor = (c: WriteCase, app: WriteApp): autocannon.Request => ({
  method: 'POST',
  path: c.path(app),
  headers: { authorization: `Bearer ${app.token}`, 'content-type': 'application/json' },
  ...(c.varying ? { setupRequest: (req: autocannon.Request) => ({ ...req, body: c.body() }) } : { body: c.body() }),
});

export interface WriteResult extends Measurement {
  case: string;
  server: 'qunliao' | 'baseline';
  sync?: SyncMode;
  runsReqPerSec?: number[];
}

export async function runWriteCases(): Promise<{ failed: boolean; json: unknown; print: () => void }> {
  const apps: WriteApp[] = [];
  for (const sync of MODES) apps.push(await prepareWriteApp(sync));
  const [baselinePort] = await freePorts(1);
  const baseline: Server = { name: 'baseline', url: `http://127.0.0.1:${baselinePort}` };
  const baselineChild = await startChild('baseline', ['--import', 'tsx', 'bench/baseline-server.ts', String(baselinePort)], {}, 'listening');

  for (const app of apps) {
    for (const c of cases) {
      const res = await fetch(app.server.url + c.path(app), {
        method: 'POST',
        headers: { authorization: `Bearer ${app.token}`, 'content-type': 'application/json' },
        body: c.body(),
      });
      const text = await res.text();
      const problem = res.ok ? c.check(JSON.parse(text) as Record<string, unknown>) : `${res.status}: ${text}`;
      if (problem) throw new Error(`"${c.name}" on the sync=${app.sync} server: ${problem}`);
    }
    console.error(`warming up the sync=${app.sync} server…`);
    await measure(app.server.url, { duration: Math.min(SECONDS, 3), requests: cases.map((c) => requestFor(c, app)) });
  }

  const results: WriteResult[] = [];
  const ratios: Record<string, { normalOverFull: number; fullOverBaseline: number }> = {};
  let failed = false;
  for (const c of cases) {
    const runs = new Map<SyncMode, Run[]>(MODES.map((m) => [m, []]));
    for (const app of [...apps, ...[...apps].reverse()]) {
      console.error(`running "${c.name}" against the sync=${app.sync} server for ${SECONDS}s…`);
      runs.get(app.sync)?.push(await load(app.server.url, { requests: [requestFor(c, app)] }));
    }
    console.error(`running "${c.name}" against the baseline for ${SECONDS}s…`);
    const b = summarize([await load(baseline.url, { requests: [requestFor(c, apps[0]!)] })]);
    const bySync: Partial<Record<SyncMode, WriteResult>> = {};
    for (const sync of MODES) {
      const syncRuns = runs.get(sync) ?? [];
      const m = summarize(syncRuns);
      const result: WriteResult = { case: c.name, server: 'qunliao', sync, ...m, runsReqPerSec: syncRuns.map((r) => r.result.requests.average) };
      bySync[sync] = result;
      results.push(result);
      if (tooManyFailures(`"${c.name}" on the sync=${sync} server`, m)) failed = true;
    }
    results.push({ case: c.name, server: 'baseline', ...b });
    if (tooManyFailures(`"${c.name}" on the baseline`, b)) failed = true;
    const full = bySync.full?.reqPerSec ?? 0;
    ratios[c.name] = {
      normalOverFull: full > 0 ? (bySync.normal?.reqPerSec ?? 0) / full : 0,
      fullOverBaseline: b.reqPerSec > 0 ? full / b.reqPerSec : 0,
    };
  }
  await Promise.all([...apps.map((app) => stopChild(app.child)), stopChild(baselineChild)]);

  const print = () => {
    console.log(
      `\nWrites: two ${SECONDS}s runs per qunliao and case (sync full, normal, normal, full), one against the baseline; ` +
        'req/s averaged, p50/p99 over every response (sub-millisecond).\n',
    );
    printTable(
      ['case', 'server', 'sync', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'normal/full', 'full/baseline'],
      results.map((r) => [
        r.case,
        r.server,
        r.sync ?? '',
        fmt(r.reqPerSec),
        fmt(r.p50MsExact, 2),
        fmt(r.p99MsExact, 2),
        String(r.non2xx + r.errors),
        r.sync === 'normal' ? fmt(ratios[r.case]?.normalOverFull ?? 0, 3) : '',
        r.sync === 'full' ? fmt(ratios[r.case]?.fullOverBaseline ?? 0, 3) : '',
      ]),
      3,
    );
  };
  const json = {
    users: WRITE_USERS,
    setup: Object.fromEntries(apps.map((a) => [a.sync, { prepareSeconds: a.prepareSeconds }])),
    results,
    ratios,
  };
  return { failed, json, print };
}
