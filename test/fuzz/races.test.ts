// Property-based fuzzing of concurrent destructive operations: a group (with a chatroom and a
// thread beside it) is dissolved while members are added, kicked, blocked, muted, allowlisted and
// made admins, its owner changes, files are uploaded and messages sent, and the users themselves are
// deleted or deactivated — all at once. Invariants: no 5xx and the Easemob error body on every
// refusal; every request answered within a bound; afterwards the state is consistent (no deleted
// user is a member, admin, muted, blocked or allowlisted anywhere; a dissolved group has no members
// or threads; listed members exist and say they are joined); the known entities read back unchanged.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases, startApp, type TestApp } from '../support/harness.js';
import { causeOf, clip, FUZZ, fuzz, runsFor, timeoutFor, violation, type Findings } from './check.js';
import { installLogTap } from './log-tap.js';
import { filePayload, World } from './world.js';

const ANSWER_MS = 15_000;
const USERS = 6;

type Op =
  | { op: 'dissolve' | 'upload' | 'disable' | 'enable' | 'announce' | 'roomDissolve' | 'muteAll' | 'threadDelete' }
  | { op: 'add' | 'kick' | 'block' | 'unblock' | 'mute' | 'unmute' | 'allow' | 'disallow' | 'roomAdd' | 'roomKick' | 'roomBlock' | 'roomMute' | 'roomAllow' | 'threadJoin' | 'newGroup' | 'newRoom'; who: number[] }
  | { op: 'admin' | 'unadmin' | 'transfer' | 'deleteUser' | 'deactivate' | 'thread' | 'message' | 'roomAdmin'; who: number };

const who1 = fc.integer({ min: 0, max: USERS - 1 });
const whoMany = fc.uniqueArray(who1, { minLength: 1, maxLength: 4 });

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.constantFrom('dissolve', 'upload', 'disable', 'enable', 'announce', 'roomDissolve', 'muteAll', 'threadDelete').map((op) => ({ op }) as Op), weight: 3 },
  {
    arbitrary: fc
      .record({
        op: fc.constantFrom('add', 'kick', 'block', 'unblock', 'mute', 'unmute', 'allow', 'disallow', 'roomAdd', 'roomKick', 'roomBlock', 'roomMute', 'roomAllow', 'threadJoin', 'newGroup', 'newRoom'),
        who: whoMany,
      })
      .map((o) => o as Op),
    weight: 8,
  },
  {
    arbitrary: fc.record({ op: fc.constantFrom('admin', 'unadmin', 'transfer', 'deleteUser', 'deactivate', 'thread', 'message', 'roomAdmin'), who: who1 }).map((o) => o as Op),
    weight: 5,
  },
);

/** Operations run together; `dissolve` and `deleteUser` weigh more, since they are what races. */
const scenarioArb = fc.record({
  ops: fc.array(opArb, { minLength: 3, maxLength: 12 }),
  dissolve: fc.boolean(),
  deleteUser: fc.option(who1, { nil: undefined }),
});

type Scenario = { ops: Op[]; dissolve: boolean; deleteUser?: number };

console.log(`fuzz: FUZZ_SEED=${FUZZ.seed}${FUZZ.runsOverride ? ` FUZZ_RUNS=${FUZZ.runsOverride}` : ''}${FUZZ.path !== undefined ? ` FUZZ_PATH=${FUZZ.path}` : ''}`);

describe.each(databases)('fuzz: races (%s)', (kind) => {
  let t: TestApp;
  let world: World;

  beforeAll(async () => {
    installLogTap();
    t = await startApp(kind, { logLevel: 'error' });
    world = new World(t, 'fr');
    await world.setup();
  }, 120_000);
  afterAll(() => t?.close());

  let scenarioNo = 0;

  async function exec(s: Scenario, run: number, findings: Findings): Promise<void> {
    const n = ++scenarioNo;
    const users = Array.from({ length: USERS }, (_, i) => `frx${n}u${i}`);
    await t.createUsers(...users);
    const [owner, ...rest] = users as [string, ...string[]];
    const group = await t.createGroup(owner, rest.slice(0, 3));
    const room = await t.createRoom(owner, rest.slice(0, 2));
    const created = await t.api('POST', '/thread', { body: { group_id: group, name: 'th', owner: rest[0], msg_id: `${n}` } });
    if (created.status !== 200) throw new Error(`fuzz setup: thread ${created.text}`);
    const thread = created.body.data.thread_id as string;

    const ops: Op[] = [...s.ops];
    if (s.dissolve) ops.push({ op: 'dissolve' });
    if (s.deleteUser !== undefined) ops.push({ op: 'deleteUser', who: s.deleteUser });
    const u = (i: number) => users[i % USERS]!;
    const list = (w: number[]) => w.map(u);
    const requests = ops.map((o): [string, string, { body?: unknown; payload?: Buffer; headers?: Record<string, string> }] => {
      switch (o.op) {
        case 'dissolve': return ['DELETE', `/chatgroups/${group}`, {}];
        case 'upload': {
          const { payload, contentType } = filePayload('race.txt', 'race');
          return ['POST', `/chatgroups/${group}/share_files`, { payload, headers: { 'content-type': contentType } }];
        }
        case 'disable': return ['POST', `/chatgroups/${group}/disable`, {}];
        case 'enable': return ['POST', `/chatgroups/${group}/enable`, {}];
        case 'announce': return ['POST', `/chatgroups/${group}/announcement`, { body: { announcement: 'race' } }];
        case 'muteAll': return ['POST', `/chatgroups/${group}/ban`, {}];
        case 'roomDissolve': return ['DELETE', `/chatrooms/${room}`, {}];
        case 'threadDelete': return ['DELETE', `/thread/${thread}`, {}];
        case 'add': return o.who.length === 1 ? ['POST', `/chatgroups/${group}/users/${u(o.who[0]!)}`, {}] : ['POST', `/chatgroups/${group}/users`, { body: { usernames: list(o.who) } }];
        case 'kick': return ['DELETE', `/chatgroups/${group}/users/${list(o.who).join(',')}`, {}];
        case 'block': return ['POST', `/chatgroups/${group}/blocks/users`, { body: { usernames: list(o.who) } }];
        case 'unblock': return ['DELETE', `/chatgroups/${group}/blocks/users/${list(o.who).join(',')}`, {}];
        case 'mute': return ['POST', `/chatgroups/${group}/mute`, { body: { usernames: list(o.who), mute_duration: 60_000 } }];
        case 'unmute': return ['DELETE', `/chatgroups/${group}/mute/${list(o.who).join(',')}`, {}];
        case 'allow': return ['POST', `/chatgroups/${group}/white/users`, { body: { usernames: list(o.who) } }];
        case 'disallow': return ['DELETE', `/chatgroups/${group}/white/users/${list(o.who).join(',')}`, {}];
        case 'roomAdd': return ['POST', `/chatrooms/${room}/users`, { body: { usernames: list(o.who) } }];
        case 'roomKick': return ['DELETE', `/chatrooms/${room}/users/${list(o.who).join(',')}`, {}];
        case 'roomBlock': return ['POST', `/chatrooms/${room}/blocks/users`, { body: { usernames: list(o.who) } }];
        case 'roomMute': return ['POST', `/chatrooms/${room}/mute`, { body: { usernames: list(o.who), mute_duration: 60_000 } }];
        case 'roomAllow': return ['POST', `/chatrooms/${room}/white/users`, { body: { usernames: list(o.who) } }];
        case 'threadJoin': return ['POST', `/thread/${thread}/users`, { body: { usernames: list(o.who) } }];
        case 'newGroup': return ['POST', '/chatgroups', { body: { groupname: 'rg', desc: 'd', public: true, owner: u(o.who[0]!), members: list(o.who.slice(1)) } }];
        case 'newRoom': return ['POST', '/chatrooms', { body: { name: 'rr', description: 'd', owner: u(o.who[0]!), members: list(o.who.slice(1)) } }];
        case 'admin': return ['POST', `/chatgroups/${group}/admin`, { body: { newadmin: u(o.who) } }];
        case 'unadmin': return ['DELETE', `/chatgroups/${group}/admin/${u(o.who)}`, {}];
        case 'transfer': return ['PUT', `/chatgroups/${group}`, { body: { newowner: u(o.who) } }];
        case 'deleteUser': return ['DELETE', `/users/${u(o.who)}`, {}];
        case 'deactivate': return ['POST', `/users/${u(o.who)}/deactivate`, {}];
        case 'thread': return ['POST', '/thread', { body: { group_id: group, name: 'rt', owner: u(o.who), msg_id: `${n}-${o.who}` } }];
        case 'message': return ['POST', '/messages/chatgroups', { body: { from: u(o.who), to: [group], type: 'txt', body: { msg: 'race' } } }];
        case 'roomAdmin': return ['POST', `/chatrooms/${room}/admin`, { body: { newadmin: u(o.who) } }];
      }
    });
    const scenario = `ops ${clip(JSON.stringify(ops), 600)}`;
    const answers = await Promise.all(
      requests.map(async ([method, path, options]) => {
        const answer = await Promise.race([t.api(method, path, options), new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ANSWER_MS))]);
        const where = `${method} ${path.replace(group, '{group}').replace(room, '{room}').replace(thread, '{thread}').replace(/frx\d+u(\d)/g, '{u$1}')}`;
        if (answer === 'timeout') {
          findings.add(run, `no answer within ${ANSWER_MS} ms`, 'hang', where, scenario);
          return;
        }
        const problem = violation(method, answer);
        if (problem) findings.add(run, problem, await causeOf(answer), where.replace(/\/\{u\d\}(,\{u\d\})*/g, '/{users}'), `${scenario} → ${where} ${answer.status} ${clip(answer.text, 200)}`);
      }),
    );
    void answers;
    await checkConsistency(findings, run, scenario, { users, group, room, thread });
  }

  /** What must hold however the operations interleaved. */
  async function checkConsistency(findings: Findings, run: number, scenario: string, e: { users: string[]; group: string; room: string; thread: string }) {
    const inconsistent = (what: string, detail: string) => findings.add(run, 'inconsistent state after concurrent operations', what, 'state', `${scenario} → ${detail}`);
    const deleted = new Set<string>();
    for (const name of e.users) {
      const res = await t.api('GET', `/users/${name}`);
      if (res.status === 404) deleted.add(name);
      else if (res.status !== 200) inconsistent('a user read back with an unexpected status', `${name}: ${res.status}`);
    }
    const names = (data: unknown): string[] =>
      Array.isArray(data) ? data.map((d) => (typeof d === 'string' ? d : ((d as Record<string, string>).member ?? (d as Record<string, string>).owner ?? (d as Record<string, string>).user ?? ''))) : [];

    for (const [kind, id] of [['chatgroups', e.group], ['chatrooms', e.room]] as const) {
      const details = await t.api('GET', `/${kind}/${id}`);
      const members = await t.api('GET', `/${kind}/${id}/users`);
      if (details.status === 404 || (details.status === 200 && Array.isArray(details.body.data) && details.body.data.length === 0)) {
        if (members.status === 200 && names(members.body.data).length > 0) inconsistent(`a dissolved ${kind} still lists members`, names(members.body.data).join(','));
        continue;
      }
      if (details.status !== 200) {
        inconsistent(`${kind} details read back with an unexpected status`, `${details.status} ${clip(details.text, 200)}`);
        continue;
      }
      const owner = details.body.data[0]?.owner as string;
      if (deleted.has(owner)) inconsistent(`a ${kind} is owned by a deleted user`, owner);
      const listed = names(members.body.data);
      for (const m of listed) if (deleted.has(m)) inconsistent(`a deleted user is still a member of a ${kind}`, m);
      const countField = details.body.data[0]?.affiliations_count as number | undefined;
      if (countField !== undefined && countField !== listed.length) inconsistent(`${kind} affiliations_count differs from its member list`, `${countField} vs ${listed.length}`);
      for (const list of ['admin', 'mute', 'white/users', 'blocks/users']) {
        const res = await t.api('GET', `/${kind}/${id}/${list}`);
        if (res.status !== 200) continue;
        for (const m of names(res.body.data)) if (deleted.has(m)) inconsistent(`a deleted user is still on a ${kind} ${list} list`, m);
        if (list === 'blocks/users') for (const m of names(res.body.data)) if (listed.includes(m)) inconsistent(`a blocked user is still a member of a ${kind}`, m);
        if (list === 'admin' && kind === 'chatgroups') for (const m of names(res.body.data)) if (!listed.includes(m)) inconsistent('a group admin is not a member', m);
      }
      if (kind === 'chatgroups') {
        for (const name of e.users) {
          if (deleted.has(name)) continue;
          const joined = await t.api('GET', `/chatgroups/${id}/user/${name}/is_joined`);
          if (joined.status === 200 && joined.body.data !== listed.includes(name)) inconsistent('is_joined disagrees with the member list', `${name}: ${String(joined.body.data)}`);
        }
      }
    }
    const groupGone = (await t.api('GET', `/chatgroups/${e.group}`)).status === 404;
    if (groupGone) {
      const threadMembers = await t.api('GET', `/thread/${e.thread}/users`);
      if (threadMembers.status === 200) inconsistent("a dissolved group's thread is still there", clip(threadMembers.text, 200));
    }
  }

  const raceRuns = runsFor(20, 0.05);
  it(
    `concurrent destructive operations, ${kind}`,
    async () => {
      const family = `concurrent destructive operations, ${kind}`;
      // The races of issue 10, kept in the corpus: dissolve against member changes; delete a user
      // while they are added.
      const all = (who: number[]): Op[] => [
        { op: 'add', who }, { op: 'kick', who }, { op: 'block', who }, { op: 'mute', who }, { op: 'allow', who }, { op: 'admin', who: who[0]! }, { op: 'upload' }, { op: 'thread', who: 1 },
      ];
      const examples: Scenario[] = [
        { ops: all([4, 5]), dissolve: true },
        { ops: [...all([1, 2]), { op: 'transfer', who: 1 }], dissolve: true },
        { ops: [{ op: 'add', who: [4] }, { op: 'roomAdd', who: [4] }, { op: 'newGroup', who: [5, 4] }, { op: 'threadJoin', who: [4] }, { op: 'mute', who: [4] }], dissolve: false, deleteUser: 4 },
        { ops: [{ op: 'transfer', who: 2 }, { op: 'admin', who: 3 }, { op: 'kick', who: [2, 3] }], dissolve: false, deleteUser: 0 },
      ];
      const findings = await fuzz(family, scenarioArb, raceRuns, exec, examples);
      for (const line of await world.changes()) findings.add(-1, 'known entities changed', line.split(':')[0]!, 'read back', line);
      expect(findings.lines(), `${findings.size} distinct failures (FUZZ_SEED=${FUZZ.seed})`).toEqual([]);
    },
    timeoutFor(raceRuns, 4000),
  );
});
