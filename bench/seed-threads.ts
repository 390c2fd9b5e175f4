// Bulk-seeds threads (子区) straight into a qunliao SQLite file, for the thread cases of
// bench/threads.ts. Creating 10,000 threads through POST /thread is possible but slow (every
// create counts the app's threads under a lock), so the driver lets qunliao migrate a fresh data
// dir, create the app, register the users and create the groups through the API, stops it, and
// calls seedThreads on the file; then it starts qunliao again on the same file.
//
// The rows are what ThreadsRepository.create and addMembers would have written (column set of
// migration 004_threads): numeric string ids, `seq` assigned in insertion order, one parent
// message id per thread (unique within the group), the owner as the first member of each thread.
// The target user joins each thread of the main group one millisecond after its creation; the
// threads of the other groups are the owner's alone.
import { appUuidOf, withSeedingDb } from './seed-db.js';

/** created of the first thread (Unix ms); each further thread is one millisecond younger. */
const T0 = 1_700_000_000_000;

export interface ThreadSeedOptions {
  org: string;
  app: string;
  /** Registered and a member of every group beforehand; owns every thread. */
  owner: string;
  /** Registered and a member of `mainGroup` beforehand; joins each of its threads. */
  target: string;
  mainGroup: string;
  /** Threads in `mainGroup`, all joined by the target. */
  threads: number;
  /** Further groups, each with `otherThreads` threads of the owner's that the target is not in. */
  otherGroups: string[];
  otherThreads: number;
}

export interface ThreadSeedResult {
  threads: number;
  memberRows: number;
  seconds: number;
  /** Thread ids of the main group by creation index (index 0 is the oldest thread). */
  idAt: (index: number) => string;
  /** thread_members.seq of the target's membership of main-group thread `index`. */
  targetSeqAt: (index: number) => number;
}

// 16 digits like numericId; the final digit keeps them apart from seeded group ids.
const threadId = (index: number): string => String((T0 + index) * 1000 + 3);
// Parent message ids: 19 digits, like message ids.
const messageId = (index: number): string => String(BigInt(T0 + index) * 1_000_000n + 1n);

export function seedThreads(file: string, opts: ThreadSeedOptions): ThreadSeedResult {
  const started = process.hrtime.bigint();
  return withSeedingDb(file, (db) => {
    const appUuid = appUuidOf(db, opts.org, opts.app);
    const isMember = db.prepare('SELECT 1 FROM group_members WHERE group_id = ? AND username = ?');
    for (const group of [opts.mainGroup, ...opts.otherGroups]) {
      if (!isMember.get(group, opts.owner)) throw new Error(`${opts.owner} is not a member of group ${group}`);
    }
    if (!isMember.get(opts.mainGroup, opts.target)) throw new Error(`${opts.target} is not a member of group ${opts.mainGroup}`);
    const existing = db.prepare('SELECT count(*) AS n FROM threads').get() as { n: number };
    if (existing.n !== 0) throw new Error(`${file} already has ${existing.n} threads`);

    const insertThread = db.prepare(
      'INSERT INTO threads (app_uuid, id, group_id, name, owner, msg_id, created, modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const insertMember = db.prepare('INSERT INTO thread_members (thread_id, app_uuid, group_id, username, joined) VALUES (?, ?, ?, ?, ?)');
    const targetSeqs = new Float64Array(opts.threads);
    let index = 0;
    let memberRows = 0;
    const addThread = (group: string, withTarget: boolean): number => {
      const i = index++;
      const id = threadId(i);
      const created = T0 + i;
      // Names of one length, so that pages of either app have the same size per item.
      insertThread.run(appUuid, id, group, `thread ${String(i).padStart(9, '0')}`, opts.owner, messageId(i), created, created);
      insertMember.run(id, appUuid, group, opts.owner, created);
      memberRows++;
      if (!withTarget) return 0;
      memberRows++;
      return Number(insertMember.run(id, appUuid, group, opts.target, created + 1).lastInsertRowid);
    };
    const ids: string[] = [];
    db.transaction(() => {
      // The other groups' threads first, so that the main group's are the newest of the app.
      for (const group of opts.otherGroups) for (let n = 0; n < opts.otherThreads; n++) addThread(group, false);
      for (let n = 0; n < opts.threads; n++) {
        ids.push(threadId(index));
        targetSeqs[n] = addThread(opts.mainGroup, true);
      }
    })();

    const threads = opts.threads + opts.otherGroups.length * opts.otherThreads;
    const counted = db
      .prepare('SELECT (SELECT count(*) FROM threads) AS t, (SELECT count(*) FROM thread_members) AS m, (SELECT count(*) FROM thread_members WHERE app_uuid = ? AND username = ?) AS u')
      .get(appUuid, opts.target) as { t: number; m: number; u: number };
    if (counted.t !== threads || counted.m !== memberRows || counted.u !== opts.threads) {
      throw new Error(
        `seeded ${counted.t} threads, ${counted.m} member rows, ${counted.u} of ${opts.target}; expected ${threads}, ${memberRows}, ${opts.threads}`,
      );
    }

    return {
      threads,
      memberRows,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
      idAt: (i) => {
        const id = ids[i];
        if (id === undefined) throw new Error(`no main-group thread at index ${i}`);
        return id;
      },
      targetSeqAt: (i) => {
        const seq = targetSeqs[i];
        if (seq === undefined) throw new Error(`no main-group thread at index ${i}`);
        return seq;
      },
    };
  });
}
