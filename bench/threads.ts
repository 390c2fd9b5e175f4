// Thread cases of the benchmark (bench/run.ts): do a user's thread listings stay as fast for a
// user in BENCH_LARGE_THREADS (default 10,000) threads as for a user in 10? Two apps, each on its
// own qunliao and data dir, prepared the same way: users and groups through the API, threads and
// thread members straight into SQLite (bench/seed-threads.ts). Measured like the group cases
// (common.ts compareSizes: small, large, large, small); the figure to watch is large/small.
import path from 'node:path';
import { encodeCursor } from '../src/services/cursor.js';
import {
  APP,
  APP_PATH,
  SECONDS,
  appToken,
  call,
  compareSizes,
  fmt,
  freePorts,
  positiveInt,
  printSizeTable,
  startQunliao,
  stopChild,
  tempDataDir,
  type AppSize,
  type Server,
  type SizedApp,
  type SizedCase,
} from './common.js';
import { seedThreads, type ThreadSeedResult } from './seed-threads.js';

const LARGE_THREADS = positiveInt('BENCH_LARGE_THREADS', 10_000);
const SMALL_THREADS = 10;
/** Groups besides the main one, each with OTHER_THREADS threads the target is not in. */
const OTHER_GROUPS = 4;
const OTHER_THREADS = 250;
/** Page size of the listings (the most the API gives). */
const PAGE = 50;
/** Page size of the control case, which both apps fill. */
const SMALL_PAGE = 10;

const TARGET = 'target';
const OWNER = 'owner';

interface ThreadApp extends SizedApp {
  /** Threads the target is in (all in the main group). */
  threads: number;
  seed: Omit<ThreadSeedResult, 'idAt' | 'targetSeqAt'>;
  prepareSeconds: number;
  mainGroup: string;
  /** The target's newest thread: the first item of a first page. */
  newestId: string;
  /** Cursor of a page deep in the target's threads, that page's first item and its size. */
  deepCursor: string;
  deepFirstId: string;
  deepItems: number;
}

const entitiesOf = (body: Record<string, unknown>): { id?: unknown }[] => (Array.isArray(body.entities) ? (body.entities as { id?: unknown }[]) : []);

/** A page of `items(app)` threads starting at `first(app)`, with a cursor for the next one. */
const pageOf =
  (items: (app: ThreadApp) => number, first: (app: ThreadApp) => string) =>
  (body: Record<string, unknown>, app: ThreadApp): string | undefined => {
    const entities = entitiesOf(body);
    const cursor = (body.properties as { cursor?: unknown } | undefined)?.cursor;
    if (entities.length !== items(app) || entities[0]?.id !== first(app) || typeof cursor !== 'string') {
      return `expected ${items(app)} threads from ${first(app)} and a cursor, got ${entities.length} from ${String(entities[0]?.id)} (cursor ${String(cursor)})`;
    }
    return undefined;
  };

const fullPage = (app: ThreadApp) => Math.min(PAGE, app.threads);

const threadCases: SizedCase<ThreadApp>[] = [
  {
    name: 'GET threads/user, first page',
    path: () => `${APP_PATH}/threads/user/${TARGET}?limit=${PAGE}&sort=desc`,
    check: pageOf(fullPage, (app) => app.newestId),
  },
  {
    name: 'GET threads/user, deep page',
    path: (app) => `${APP_PATH}/threads/user/${TARGET}?limit=${PAGE}&sort=desc&cursor=${app.deepCursor}`,
    check: pageOf(
      (app) => app.deepItems,
      (app) => app.deepFirstId,
    ),
  },
  {
    name: 'GET threads/chatgroups/{gid}/user, first page',
    path: (app) => `${APP_PATH}/threads/chatgroups/${app.mainGroup}/user/${TARGET}?limit=${PAGE}`,
    check: pageOf(fullPage, (app) => app.newestId),
  },
  {
    // Both apps answer SMALL_PAGE threads here: the same bytes, so only the user's thread count differs.
    name: `GET threads/user, first page, limit ${SMALL_PAGE}`,
    path: () => `${APP_PATH}/threads/user/${TARGET}?limit=${SMALL_PAGE}&sort=desc`,
    check: pageOf(
      () => SMALL_PAGE,
      (app) => app.newestId,
    ),
  },
];

/** Page size a case answers on an app (for the table). */
function itemsOf(caseName: string, app: ThreadApp): number {
  if (caseName.endsWith(`limit ${SMALL_PAGE}`)) return SMALL_PAGE;
  if (caseName.includes('deep')) return app.deepItems;
  return fullPage(app);
}

/**
 * qunliao on a fresh data dir: registers TARGET and OWNER, creates the main group and
 * OTHER_GROUPS more (OWNER owns them, TARGET is a member), stops, seeds the threads, starts again.
 */
async function prepareThreadApp(size: AppSize, threads: number): Promise<ThreadApp> {
  const started = performance.now();
  const dir = await tempDataDir(`threads-${size}`);

  const [setupPort, port] = await freePorts(2);
  const setupServer: Server = { name: 'qunliao', url: `http://127.0.0.1:${setupPort}` };
  const setupChild = await startQunliao(`qunliao threads ${size} setup`, setupPort!, dir);
  const setupToken = await appToken(setupServer);
  await call(
    setupServer,
    'POST',
    `${APP_PATH}/users`,
    [TARGET, OWNER].map((username) => ({ username, password: 'pw' })),
    setupToken,
  );
  const groups: string[] = [];
  for (let i = 0; i <= OTHER_GROUPS; i++) {
    const { data } = await call(
      setupServer,
      'POST',
      `${APP_PATH}/chatgroups`,
      { groupname: i === 0 ? 'main' : `other ${i}`, public: true, owner: OWNER, members: [TARGET] },
      setupToken,
    );
    const id = (data as { groupid?: unknown } | undefined)?.groupid;
    if (typeof id !== 'string') throw new Error(`creating a group answered ${JSON.stringify(data)}`);
    groups.push(id);
  }
  await stopChild(setupChild);

  const [mainGroup, ...otherGroups] = groups as [string, ...string[]];
  console.error(`seeding ${threads} threads of ${TARGET} into the ${size} threads app…`);
  const seed = seedThreads(path.join(dir, 'qunliao.sqlite'), {
    org: APP.org,
    app: APP.app,
    owner: OWNER,
    target: TARGET,
    mainGroup,
    threads,
    otherGroups,
    otherThreads: OTHER_THREADS,
  });
  console.error(`seeded the ${size} threads app in ${fmt(seed.seconds, 2)}s: ${seed.threads} threads, ${seed.memberRows} member rows`);

  const server: Server = { name: 'qunliao', url: `http://127.0.0.1:${port}` };
  const child = await startQunliao(`qunliao threads ${size}`, port!, dir);
  const token = await appToken(server);

  // Newest first (sort=desc): a cursor at the target's membership of thread k gives threads k-1,
  // k-2, … The deep page starts in the middle, but never so near the oldest that it holds fewer
  // than PAGE threads; with 10 threads it starts past the newest one (the cursor path, all 10).
  const deepIndex = Math.max(Math.floor(threads / 2), PAGE);
  const inside = deepIndex < threads;
  const { idAt, targetSeqAt, ...counts } = seed;
  return {
    size,
    threads,
    server,
    child,
    token,
    seed: counts,
    prepareSeconds: (performance.now() - started) / 1000,
    mainGroup,
    newestId: idAt(threads - 1),
    deepCursor: encodeCursor('joined', inside ? targetSeqAt(deepIndex) : targetSeqAt(threads - 1) + 1),
    deepFirstId: idAt(inside ? deepIndex - 1 : threads - 1),
    deepItems: inside ? PAGE : Math.min(PAGE, threads),
  };
}

/** Runs the thread cases; `print` shows their table. */
export async function runThreadCases(): Promise<{ failed: boolean; json: unknown; print: () => void }> {
  if (LARGE_THREADS < SMALL_THREADS) throw new Error(`BENCH_LARGE_THREADS must be at least ${SMALL_THREADS}`);
  const apps = [await prepareThreadApp('small', SMALL_THREADS), await prepareThreadApp('large', LARGE_THREADS)] as const;
  const byName = new Map(apps.map((app) => [app.size, app]));
  const { failed, results, ratios } = await compareSizes(
    apps,
    threadCases,
    (app) => `user in ${app.threads} threads`,
    (app) => ({ threads: app.threads }),
  );
  await Promise.all(apps.map((app) => stopChild(app.child)));
  const withItems = results.map((r) => {
    const app = byName.get(r.app);
    return { ...r, items: app ? itemsOf(r.case, app) : 0 };
  });

  const [small, large] = apps;
  const print = () => {
    console.log(
      `\nThreads: ${TARGET} is in ${large.threads} threads of one group in the large app, in ${small.threads} in the small one; ` +
        `each app also has ${OTHER_GROUPS} groups with ${OTHER_THREADS} threads ${TARGET} is not in ` +
        `(large app: ${large.seed.threads} threads, ${large.seed.memberRows} member rows, seeded in ${fmt(large.seed.seconds, 2)}s).\n` +
        `Two ${SECONDS}s runs per app and case (small, large, large, small). "items" is the page size answered: ` +
        `limit=${PAGE} gives the small app's user only ${small.threads}, so the limit=${SMALL_PAGE} case compares equal pages.\n`,
    );
    printSizeTable(withItems, ratios, [
      ['threads', (r) => String(r.threads)],
      ['items', (r) => String(r.items)],
    ]);
  };

  const json = {
    sizes: { small: small.threads, large: large.threads },
    otherGroups: { groups: OTHER_GROUPS, threadsEach: OTHER_THREADS },
    seeding: Object.fromEntries(apps.map((a) => [a.size, { ...a.seed, prepareSeconds: a.prepareSeconds }])),
    results: withItems,
    ratios,
  };
  return { failed, json, print };
}
