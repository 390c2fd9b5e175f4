// Bulk-seeds groups straight into a qunliao SQLite file, for the large-app cases of bench/run.ts.
// Creating a million groups through the API would take hours (and the per-user group limit would
// refuse most of them), so the driver lets qunliao migrate a fresh data dir, create the app and
// register a couple of users, stops it, and calls seedGroups on the file; then it starts qunliao
// again on the same file.
//
// The rows are what GroupsRepository.create would have written (column set of migration
// 002_groups): numeric string ids, `seq` assigned in insertion order, one `group_members` row per
// group for its owner (role 'owner'), and `member_count` equal to the number of member rows.
// Owners are spread over ceil(groups / 500) users, below the default limit of 600 groups per user.
// The target user is an ordinary member of min(100, groups) groups spread evenly over the table.
import { randomUUID } from 'node:crypto';
import { appUuidOf, passwordHashOf, withSeedingDb } from './seed-db.js';

/** Groups per owner; qunliao's default QUNLIAO_GROUPS_PER_USER is 600. */
const GROUPS_PER_OWNER = 500;
/** Groups the target user is a member of (when the app has that many). */
const TARGET_GROUPS = 100;
/** Rows per transaction: large enough that commits cost nothing, small enough to show progress. */
const BATCH = 100_000;
/** created of the first group (Unix ms); each further group is one millisecond younger. */
const T0 = 1_700_000_000_000;

export interface SeedOptions {
  org: string;
  app: string;
  groups: number;
  /** Registered through the API beforehand; a member of some groups. */
  target: string;
  /**
   * The first owner, registered through the API beforehand. The other owners are inserted into
   * `users` with its password hash, which saves one scrypt hash (~25 ms) per owner.
   */
  firstOwner: string;
  /** Called after each batch with the number of groups written so far. */
  progress?: (done: number) => void;
}

export interface SeedResult {
  groups: number;
  memberRows: number;
  owners: number;
  seconds: number;
  /** Ids of the groups the target belongs to, in table order. */
  targetGroupIds: string[];
  /** Group ids and seqs by insertion index (index 0 is the oldest group). */
  idAt: (index: number) => string;
  seqAt: (index: number) => number;
}

/** `owner00000`, `owner00001`, …: the same length for every owner, so responses have equal sizes. */
export const ownerName = (i: number): string => `owner${String(i).padStart(5, '0')}`;

const groupId = (index: number): string => String((T0 + index) * 1000 + 7); // 16 digits, like numericId

export function seedGroups(file: string, opts: SeedOptions): SeedResult {
  const started = process.hrtime.bigint();
  return withSeedingDb(file, (db) => {
    const appUuid = appUuidOf(db, opts.org, opts.app);
    const passwordHash = passwordHashOf(db, appUuid, opts.firstOwner);
    if (!db.prepare('SELECT 1 FROM users WHERE app_uuid = ? AND username = ?').get(appUuid, opts.target)) {
      throw new Error(`user ${opts.target} was not registered before seeding`);
    }
    const existing = db.prepare('SELECT count(*) AS n FROM groups').get() as { n: number };
    if (existing.n !== 0) throw new Error(`${file} already has ${existing.n} groups`);

    // ---- owners ----
    const owners = Math.max(1, Math.ceil(opts.groups / GROUPS_PER_OWNER));
    if (ownerName(0) !== opts.firstOwner) throw new Error(`the first owner must be called ${ownerName(0)}`);
    const insertUser = db.prepare(
      `INSERT INTO users (app_uuid, uuid, username, password_hash, nickname, activated, token_version, created, modified)
       VALUES (?, ?, ?, ?, NULL, 1, 0, ?, ?)`,
    );
    db.transaction(() => {
      for (let i = 1; i < owners; i++) insertUser.run(appUuid, randomUUID(), ownerName(i), passwordHash, T0, T0);
    })();

    // ---- groups and members ----
    const insertGroup = db.prepare(
      `INSERT INTO groups (app_uuid, id, name, description, avatar, public, membersonly, allowinvites, invite_need_confirm,
                           maxusers, owner, custom, disabled, mute_all, member_count, created, modified)
       VALUES (?, ?, ?, '', '', 1, 0, 0, 1, 200, ?, '', 0, 0, ?, ?, ?)`,
    );
    const insertMember = db.prepare('INSERT INTO group_members (group_id, app_uuid, username, role, joined) VALUES (?, ?, ?, ?, ?)');

    const targetCount = Math.min(TARGET_GROUPS, opts.groups);
    const step = Math.floor(opts.groups / targetCount);
    const offset = Math.floor(step / 2);
    const isTargetGroup = (i: number) => (i - offset) % step === 0 && i >= offset && (i - offset) / step < targetCount;
    const seqs = new Float64Array(opts.groups);
    const targetGroupIds: string[] = [];
    let memberRows = 0;

    const writeBatch = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const id = groupId(i);
        const created = T0 + i;
        const owner = ownerName(i % owners);
        const withTarget = isTargetGroup(i);
        const name = `group ${String(i).padStart(9, '0')}`;
        seqs[i] = Number(insertGroup.run(appUuid, id, name, owner, withTarget ? 2 : 1, created, created).lastInsertRowid);
        insertMember.run(id, appUuid, owner, 'owner', created);
        memberRows++;
        if (withTarget) {
          insertMember.run(id, appUuid, opts.target, 'member', created + 1);
          memberRows++;
          targetGroupIds.push(id);
        }
      }
    });
    for (let from = 0; from < opts.groups; from += BATCH) {
      const to = Math.min(from + BATCH, opts.groups);
      writeBatch(from, to);
      opts.progress?.(to);
    }

    // Cheap consistency checks (index-only counts), so a seeding bug cannot pass for a fast server.
    const counted = db.prepare('SELECT (SELECT count(*) FROM groups) AS g, (SELECT count(*) FROM group_members) AS m').get() as { g: number; m: number };
    if (counted.g !== opts.groups || counted.m !== memberRows) {
      throw new Error(`seeded ${counted.g} groups and ${counted.m} member rows, expected ${opts.groups} and ${memberRows}`);
    }
    if (targetGroupIds.length !== targetCount) throw new Error(`target joined ${targetGroupIds.length} groups, expected ${targetCount}`);

    return {
      groups: opts.groups,
      memberRows,
      owners,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
      targetGroupIds,
      idAt: groupId,
      seqAt: (index) => {
        const seq = seqs[index];
        if (seq === undefined) throw new Error(`no group at index ${index}`);
        return seq;
      },
    };
  });
}
