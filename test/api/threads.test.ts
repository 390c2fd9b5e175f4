// Threads (子区; seed 002 "子区管理", REFERENCE §4 and §2g, CLIENTS.md thread rows): create, rename,
// delete; the app-wide list, a user's threads and a user's threads in one group, with keyset cursors
// in both orders; thread members (add, list, remove); the per-app and per-user thread limits (also
// under concurrency); what dissolving or disabling a group, leaving a group and deleting a user do
// to threads; app isolation. Errors are the group_thread.md bodies (error type `group_error`).
// Every change is read back, not only answered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultLimits } from '../../src/config.js';
import { databases, OTHER, startApp, type Reply, type TestApp } from '../support/harness.js';
import { expectError } from '../support/expect.js';

type Sort = 'asc' | 'desc';

const MISSING_ID = '999999999999999';
const PARAM_ILLEGAL = 'Failed to read HTTP message';

let userSeq = 0;
/** `n` fresh usernames (every app in this file may hold users from earlier tests). */
const freshNames = (prefix: string, n: number): string[] => {
  const p = `${prefix}${++userSeq}`;
  return Array.from({ length: n }, (_, i) => `${p}u${i}`);
};

let msgSeq = 1_000_000;
/** A parent message id never used before. */
const nextMsgId = (): string => String(++msgSeq);

const expectGroupError = (res: Reply, status: number, description: string): void => expectError(res, status, 'group_error', description);
const expectParamIllegal = (res: Reply): void => expectError(res, 400, 'param_illegal', PARAM_ILLEGAL);

async function registerUsers(t: TestApp, prefix: string, n: number): Promise<string[]> {
  const names = freshNames(prefix, n);
  await t.createUsers(...names);
  return names;
}

/** Creates a thread and answers data.thread_id (a numeric string). */
async function createThread(t: TestApp, groupId: string, owner: string, name = 'thread', msgId: string | number = nextMsgId()): Promise<string> {
  const res = await t.api('POST', '/thread', { body: { group_id: groupId, name, msg_id: msgId, owner } });
  expect(res.status, res.text).toBe(200);
  expect(res.body.data.thread_id).toMatch(/^[0-9]+$/);
  return res.body.data.thread_id as string;
}

async function addThreadMembers(t: TestApp, threadId: string, usernames: string[]): Promise<void> {
  const res = await t.api('POST', `/thread/${threadId}/users`, { body: { usernames } });
  expect(res.status, res.text).toBe(200);
  expect(res.body.data).toEqual({ status: 'ok' });
}

async function removeThreadMembers(t: TestApp, threadId: string, usernames: string[]): Promise<{ result: boolean; user: string }[]> {
  const res = await t.api('DELETE', `/thread/${threadId}/users`, { body: { usernames } });
  expect(res.status, res.text).toBe(200);
  return res.body.entities as { result: boolean; user: string }[];
}

async function deleteThread(t: TestApp, threadId: string): Promise<void> {
  const res = await t.api('DELETE', `/thread/${threadId}`);
  expect(res.status, res.text).toBe(200);
  expect(res.body.data).toEqual({ status: 'ok' });
}

/** Ids of a thread list page (`entities[].id`). */
const entityIds = (res: Reply): string[] => (res.body.entities as { id: string }[]).map((e) => e.id);
/** Usernames of a member list page. */
const affiliations = (res: Reply): string[] => res.body.data.affiliations as string[];

const userPath = (user: string): string => `/threads/user/${user}`;
const groupUserPath = (groupId: string, user: string): string => `/threads/chatgroups/${groupId}/user/${user}`;
const membersPath = (threadId: string): string => `/thread/${threadId}/users`;

interface WalkOptions {
  limit: number;
  sort?: Sort;
  /** Runs after each page with items, before the next request. */
  between?: (items: string[], page: number) => Promise<void>;
}

/**
 * Follows properties.cursor until an empty page and answers the pages with items. Every page with
 * items must carry a cursor (also the last one); the empty page must not.
 */
async function walk(t: TestApp, path: string, pick: (res: Reply) => string[], { limit, sort, between }: WalkOptions): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | undefined;
  for (let request = 0; request < 500; request++) {
    const query = new URLSearchParams({ limit: String(limit) });
    if (sort) query.set('sort', sort);
    if (cursor !== undefined) query.set('cursor', cursor);
    const res = await t.api('GET', `${path}?${query}`);
    expect(res.status, res.text).toBe(200);
    const items = pick(res);
    if (items.length === 0) {
      expect(res.body.properties ?? {}, 'an empty page has no cursor').not.toHaveProperty('cursor');
      return pages;
    }
    expect(items.length).toBeLessThanOrEqual(limit);
    expect(typeof res.body.properties?.cursor, `a page with items carries a cursor (${path})`).toBe('string');
    cursor = res.body.properties.cursor as string;
    pages.push(items);
    if (between) await between(items, pages.length);
  }
  throw new Error(`walking ${path} did not end`);
}

/** The whole list, read with the largest page. */
const readAll = async (t: TestApp, path: string, pick: (res: Reply) => string[], sort?: Sort): Promise<string[]> =>
  (await walk(t, path, pick, { limit: 50, sort })).flat();

/** A walk without changes: exactly `expected`, every page but the last full. */
function expectExactWalk(pages: string[][], expected: string[], limit: number): void {
  expect(pages.flat()).toEqual(expected);
  expect(pages).toHaveLength(Math.ceil(expected.length / limit));
  pages.slice(0, -1).forEach((page) => expect(page).toHaveLength(limit));
}

/**
 * A walk with changes between pages: nothing repeated, everything in `mustSee` seen, nothing in
 * `mustNotSee` seen, and what was seen follows `order` (every id that could appear, in walk order).
 */
function expectConsistentWalk(visited: string[], order: string[], mustSee: string[], mustNotSee: string[]): void {
  expect(new Set(visited).size, `repeated items in ${JSON.stringify(visited)}`).toBe(visited.length);
  for (const id of mustSee) expect(visited, `${id} was skipped`).toContain(id);
  for (const id of mustNotSee) expect(visited, `${id} was deleted before the walk reached it`).not.toContain(id);
  const positions = visited.map((id) => order.indexOf(id));
  expect(positions.every((p) => p >= 0), 'only known items').toBe(true);
  expect(positions, 'walk order').toEqual([...positions].sort((x, y) => x - y));
}

const inWalkOrder = (ids: string[], sort: Sort): string[] => (sort === 'asc' ? [...ids] : [...ids].reverse());

/** Deletes every thread of the app. */
async function clearThreads(t: TestApp): Promise<void> {
  for (const id of await readAll(t, '/thread', entityIds)) await deleteThread(t, id);
  expect(await readAll(t, '/thread', entityIds)).toEqual([]);
}

describe.each(databases)('threads (%s)', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(kind);
  });
  afterAll(() => t.close());

  /** The user's joined threads, in join order (asc). */
  const joined = (user: string, groupId?: string, sort: Sort = 'asc'): Promise<string[]> =>
    readAll(t, groupId === undefined ? userPath(user) : groupUserPath(groupId, user), entityIds, sort);
  const members = (threadId: string): Promise<string[]> => readAll(t, membersPath(threadId), affiliations);
  const appThreads = (): Promise<string[]> => readAll(t, '/thread', entityIds, 'asc');

  describe('POST /thread', () => {
    it("creates a thread from the seed's example: numeric group_id and msg_id, curl's form Content-Type", async () => {
      const [owner] = await registerUsers(t, 'seed', 1);
      const gid = await t.createGroup(owner!);
      const msg = Number(nextMsgId());
      const before = Date.now();
      const res = await t.api('POST', '/thread', {
        payload: `{\n"group_id": ${gid},\n"name": "1",\n"owner": "${owner}",\n"msg_id": ${msg}\n}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ action: 'post', organization: 'acme', applicationName: 'chat' });
      expect(res.body.uri).toMatch(/\/acme\/chat\/thread$/);
      expect(Object.keys(res.body.data)).toEqual(['thread_id']);
      const id = res.body.data.thread_id;
      expect(typeof id).toBe('string');
      expect(id).toMatch(/^[0-9]+$/);

      // Read back: the owner is the first (only) member, and the thread is in the owner's lists.
      expect(await members(id)).toEqual([owner]);
      const list = await t.api('GET', userPath(owner!));
      expect(list.status).toBe(200);
      expect(list.body.entities).toHaveLength(1);
      const entity = list.body.entities[0];
      expect(entity).toEqual({ name: '1', owner, id, msgId: String(msg), groupId: gid, created: expect.any(Number) });
      expect(entity.created).toBeGreaterThanOrEqual(before - 1000);
      expect(entity.created).toBeLessThanOrEqual(Date.now() + 1000);
      expect(await joined(owner!, gid)).toEqual([id]);
      expect(await appThreads()).toContain(id);
    });

    it('accepts group_id and msg_id as strings with a JSON Content-Type', async () => {
      const [owner, member] = await registerUsers(t, 'strid', 2);
      const gid = await t.createGroup(owner!, [member!]);
      const msg = nextMsgId();
      const res = await t.api('POST', '/thread', { body: { group_id: gid, name: 'by a member', msg_id: msg, owner: member } });
      expect(res.status, res.text).toBe(200);
      const id = res.body.data.thread_id as string;
      expect(id).toMatch(/^[0-9]+$/);
      expect(await members(id)).toEqual([member]);
      const list = await t.api('GET', userPath(member!));
      expect(list.body.entities).toEqual([{ name: 'by a member', owner: member, id, msgId: msg, groupId: gid, created: expect.any(Number) }]);
      // Only the creator joins; the group owner is not made a member.
      expect(await joined(owner!)).toEqual([]);
    });

    it('takes the owner case-insensitively, as usernames are', async () => {
      const [owner] = await registerUsers(t, 'case', 1);
      const gid = await t.createGroup(owner!);
      const id = await createThread(t, gid, owner!.toUpperCase());
      expect(await members(id)).toEqual([owner]);
      expect(await joined(owner!)).toEqual([id]);
    });

    it('accepts a 64-character Chinese name and refuses 65 characters, creating nothing', async () => {
      const [owner] = await registerUsers(t, 'name', 1);
      const gid = await t.createGroup(owner!);
      const name64 = '子'.repeat(64);
      const id = await createThread(t, gid, owner!, name64);
      const list = await t.api('GET', userPath(owner!));
      expect(list.body.entities[0]).toMatchObject({ id, name: name64 });

      const tooLong = await t.api('POST', '/thread', { body: { group_id: gid, name: '子'.repeat(65), msg_id: nextMsgId(), owner } });
      expectGroupError(tooLong, 400, 'thread name limit reached.');
      const tooLongAscii = await t.api('POST', '/thread', { body: { group_id: gid, name: 'a'.repeat(65), msg_id: nextMsgId(), owner } });
      expectGroupError(tooLongAscii, 400, 'thread name limit reached.');
      expect(await joined(owner!)).toEqual([id]);
    });

    it('refuses a missing field or a wrong type with 400 param_illegal, creating nothing', async () => {
      const [owner] = await registerUsers(t, 'bad', 1);
      const gid = await t.createGroup(owner!);
      const before = await appThreads();
      const good = { group_id: gid, name: 'n', msg_id: nextMsgId(), owner };
      const without = (key: string): Record<string, unknown> => Object.fromEntries(Object.entries(good).filter(([k]) => k !== key));
      const bodies: unknown[] = [
        without('group_id'),
        without('name'),
        without('msg_id'),
        without('owner'),
        {},
        { ...good, group_id: true },
        { ...good, group_id: [gid] },
        { ...good, group_id: null },
        { ...good, msg_id: { id: 1 } },
        { ...good, msg_id: false },
        { ...good, name: 42 },
        { ...good, name: ['n'] },
        { ...good, owner: 7 },
        { ...good, owner: null },
        [good],
        'a string',
      ];
      for (const body of bodies) {
        const res = await t.api('POST', '/thread', { body });
        expect(res.status, `${JSON.stringify(body)} → ${res.text}`).toBe(400);
        expectParamIllegal(res);
      }
      expectParamIllegal(await t.api('POST', '/thread'));
      expectParamIllegal(await t.api('POST', '/thread', { payload: 'null', headers: { 'content-type': 'application/json' } }));
      expect(await joined(owner!)).toEqual([]);
      expect(await appThreads()).toEqual(before);
    });

    it('refuses an owner who is not a member of the group with 404 "user not in group."', async () => {
      const [owner, outsider] = await registerUsers(t, 'notin', 2);
      const gid = await t.createGroup(owner!);
      expectGroupError(await t.api('POST', '/thread', { body: { group_id: gid, name: 'n', msg_id: nextMsgId(), owner: outsider } }), 404, 'user not in group.');
      expectGroupError(await t.api('POST', '/thread', { body: { group_id: gid, name: 'n', msg_id: nextMsgId(), owner: 'nosuchuser' } }), 404, 'user not in group.');
      expect(await joined(outsider!)).toEqual([]);
      expect(await joined(owner!)).toEqual([]);
    });

    it('refuses a group that does not exist with 404 "group not found."', async () => {
      const [owner] = await registerUsers(t, 'nogrp', 1);
      for (const group of [MISSING_ID, Number(MISSING_ID), 'not-a-group']) {
        expectGroupError(await t.api('POST', '/thread', { body: { group_id: group, name: 'n', msg_id: nextMsgId(), owner } }), 404, 'group not found.');
      }
      expect(await joined(owner!)).toEqual([]);
    });

    it('refuses a disabled group with 403 forbidden_op, and creates once it is enabled', async () => {
      const [owner] = await registerUsers(t, 'dis', 1);
      const gid = await t.createGroup(owner!);
      expect((await t.api('POST', `/chatgroups/${gid}/disable`)).status).toBe(200);
      expectError(await t.api('POST', '/thread', { body: { group_id: gid, name: 'n', msg_id: nextMsgId(), owner } }), 403, 'forbidden_op');
      expect(await joined(owner!)).toEqual([]);
      expect((await t.api('POST', `/chatgroups/${gid}/enable`)).status).toBe(200);
      const id = await createThread(t, gid, owner!);
      expect(await joined(owner!)).toEqual([id]);
    });

    it('allows one thread per parent message, whether msg_id is sent as a number or a string', async () => {
      const [owner, member] = await registerUsers(t, 'once', 2);
      const gid = await t.createGroup(owner!, [member!]);
      const msg = nextMsgId();
      const id = await createThread(t, gid, owner!, 'first', Number(msg));
      for (const [m, who] of [
        [msg, owner],
        [Number(msg), member],
      ] as const) {
        const res = await t.api('POST', '/thread', { body: { group_id: gid, name: 'second', msg_id: m, owner: who } });
        expectGroupError(res, 403, 'msg already create thread.not allow to create.');
      }
      expect(await joined(owner!)).toEqual([id]);
      expect(await joined(member!)).toEqual([]);
      // Another message of the same group is fine.
      await createThread(t, gid, member!);
    });

    it('creates exactly one thread when the same message is used concurrently', async () => {
      const owners = await registerUsers(t, 'race', 6);
      const gid = await t.createGroup(owners[0]!, owners.slice(1));
      const msg = nextMsgId();
      const results = await Promise.all(owners.map((owner) => t.api('POST', '/thread', { body: { group_id: gid, name: 'r', msg_id: msg, owner } })));
      const ok = results.filter((r) => r.status === 200);
      expect(ok.length, `statuses ${results.map((r) => r.status).join(',')}`).toBe(1);
      for (const r of results.filter((x) => x.status !== 200)) expectGroupError(r, 403, 'msg already create thread.not allow to create.');
      const id = ok[0]!.body.data.thread_id as string;
      const allJoined = (await Promise.all(owners.map((o) => joined(o)))).flat();
      expect(allJoined).toEqual([id]);
    });
    it('answers a long string msg_id without a server error, the same on every database', async () => {
      const [owner] = await registerUsers(t, 'longmsg', 1);
      const gid = await t.createGroup(owner!);
      const msg = '9'.repeat(100);
      const res = await t.api('POST', '/thread', { body: { group_id: gid, name: 'n', msg_id: msg, owner } });
      expect(res.status, res.text).toBeLessThan(500);
      if (res.status === 200) {
        expect((await t.api('GET', userPath(owner!))).body.entities).toEqual([expect.objectContaining({ id: res.body.data.thread_id, msgId: msg })]);
      } else {
        expectParamIllegal(res);
        expect(await joined(owner!)).toEqual([]);
      }
    });
  });

  describe('PUT /thread/{id}', () => {
    it('renames the thread and answers data.name (also with the form Content-Type of the seed curl)', async () => {
      const [owner] = await registerUsers(t, 'ren', 1);
      const gid = await t.createGroup(owner!);
      const id = await createThread(t, gid, owner!, 'old');
      const res = await t.api('PUT', `/thread/${id}`, { body: { name: 'test4' } });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ action: 'put', data: { name: 'test4' } });
      expect((await t.api('GET', userPath(owner!))).body.entities[0]).toMatchObject({ id, name: 'test4' });

      const form = await t.api('PUT', `/thread/${id}`, { payload: '{"name": "表单"}', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(form.status, form.text).toBe(200);
      expect(form.body.data).toEqual({ name: '表单' });
      expect((await t.api('GET', groupUserPath(gid, owner!))).body.entities[0]).toMatchObject({ id, name: '表单' });
    });

    it('accepts 64 Chinese characters and refuses 65 with "thread name limit reached.", keeping the name', async () => {
      const [owner] = await registerUsers(t, 'renlen', 1);
      const gid = await t.createGroup(owner!);
      const id = await createThread(t, gid, owner!, 'keep');
      const res64 = await t.api('PUT', `/thread/${id}`, { body: { name: '区'.repeat(64) } });
      expect(res64.status, res64.text).toBe(200);
      expect(res64.body.data.name).toBe('区'.repeat(64));
      expectGroupError(await t.api('PUT', `/thread/${id}`, { body: { name: '区'.repeat(65) } }), 400, 'thread name limit reached.');
      expect((await t.api('GET', userPath(owner!))).body.entities[0].name).toBe('区'.repeat(64));
    });

    it('refuses a missing or non-string name with 400 param_illegal', async () => {
      const [owner] = await registerUsers(t, 'renbad', 1);
      const gid = await t.createGroup(owner!);
      const id = await createThread(t, gid, owner!, 'same');
      for (const body of [{}, { name: 5 }, { name: null }, { title: 'x' }, ['x']]) expectParamIllegal(await t.api('PUT', `/thread/${id}`, { body }));
      expectParamIllegal(await t.api('PUT', `/thread/${id}`));
      expect((await t.api('GET', userPath(owner!))).body.entities[0].name).toBe('same');
    });

    it('answers 404 "thread not found." for an unknown thread', async () => {
      for (const id of [MISSING_ID, 'abc', '0']) expectGroupError(await t.api('PUT', `/thread/${id}`, { body: { name: 'x' } }), 404, 'thread not found.');
    });
  });

  describe('DELETE /thread/{id}', () => {
    it('deletes the thread: data.status "ok", gone from every list, then 404 "thread not found."', async () => {
      const [owner, member] = await registerUsers(t, 'del', 2);
      const gid = await t.createGroup(owner!, [member!]);
      const id = await createThread(t, gid, owner!);
      const keep = await createThread(t, gid, owner!);
      await addThreadMembers(t, id, [member!]);
      const res = await t.api('DELETE', `/thread/${id}`);
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ action: 'delete', data: { status: 'ok' } });

      expect(await appThreads()).not.toContain(id);
      expect(await appThreads()).toContain(keep);
      expect(await joined(owner!)).toEqual([keep]);
      expect(await joined(member!)).toEqual([]);
      expect(await joined(owner!, gid)).toEqual([keep]);
      expectGroupError(await t.api('DELETE', `/thread/${id}`), 404, 'thread not found.');
      expectGroupError(await t.api('PUT', `/thread/${id}`, { body: { name: 'x' } }), 404, 'thread not found.');
      expectGroupError(await t.api('GET', membersPath(id)), 404, 'thread not found.');
      expectGroupError(await t.api('POST', membersPath(id), { body: { usernames: [member] } }), 404, 'thread not found.');
      expectGroupError(await t.api('DELETE', membersPath(id), { body: { usernames: [member] } }), 404, 'thread not found.');
      expect(await joined(member!)).toEqual([]);
    });

    it('answers 404 "thread not found." for an unknown thread', async () => {
      for (const id of [MISSING_ID, 'abc']) expectGroupError(await t.api('DELETE', `/thread/${id}`), 404, 'thread not found.');
    });
  });

  describe('thread members', () => {
    it('adds members (data.status "ok"), lists them in join order, ignores a repeat', async () => {
      const [owner, a, b, c] = await registerUsers(t, 'mem', 4);
      const gid = await t.createGroup(owner!, [a!, b!, c!]);
      const id = await createThread(t, gid, owner!);
      const res = await t.api('POST', membersPath(id), { body: { usernames: [b, a] } });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ action: 'post', data: { status: 'ok' } });
      expect(await members(id)).toEqual([owner, b, a]);
      await addThreadMembers(t, id, [c!]);
      expect(await members(id)).toEqual([owner, b, a, c]);
      // Adding someone who is already a member changes nothing.
      await addThreadMembers(t, id, [a!]);
      expect(await members(id)).toEqual([owner, b, a, c]);
      expect(await joined(a!)).toEqual([id]);
      const page = await t.api('GET', membersPath(id));
      expect(page.body).toMatchObject({ action: 'get', data: { affiliations: [owner, b, a, c] } });
      expect(typeof page.body.properties.cursor).toBe('string');
    });

    it('accepts 10 usernames and refuses 11 with "request body reaches limit.", adding nobody', async () => {
      const users = await registerUsers(t, 'ten', 12);
      const [owner, ...rest] = users;
      const gid = await t.createGroup(owner!, rest);
      const id = await createThread(t, gid, owner!);
      expectGroupError(await t.api('POST', membersPath(id), { body: { usernames: rest.slice(0, 11) } }), 400, 'request body reaches limit.');
      expect(await members(id)).toEqual([owner]);
      await addThreadMembers(t, id, rest.slice(0, 10));
      expect(await members(id)).toEqual([owner, ...rest.slice(0, 10)]);
      expectGroupError(await t.api('DELETE', membersPath(id), { body: { usernames: rest.slice(0, 11) } }), 400, 'request body reaches limit.');
      expect(await members(id)).toEqual([owner, ...rest.slice(0, 10)]);
    });

    it('refuses users who are not members of the group with 404 "user not in group."', async () => {
      const [owner, member, outsider] = await registerUsers(t, 'memout', 3);
      const gid = await t.createGroup(owner!, [member!]);
      const id = await createThread(t, gid, owner!);
      expectGroupError(await t.api('POST', membersPath(id), { body: { usernames: [outsider] } }), 404, 'user not in group.');
      expectGroupError(await t.api('POST', membersPath(id), { body: { usernames: [member, outsider] } }), 404, 'user not in group.');
      expectGroupError(await t.api('POST', membersPath(id), { body: { usernames: ['nosuchuser'] } }), 404, 'user not in group.');
      const after = await members(id);
      expect(after).not.toContain(outsider);
      expect(after).not.toContain('nosuchuser');
      expect(await joined(outsider!)).toEqual([]);
    });

    it('refuses a missing or malformed usernames list with 400 param_illegal', async () => {
      const [owner, member] = await registerUsers(t, 'membad', 2);
      const gid = await t.createGroup(owner!, [member!]);
      const id = await createThread(t, gid, owner!);
      for (const body of [{}, { usernames: member }, { usernames: [1] }, { users: [member] }, [member]]) {
        expectParamIllegal(await t.api('POST', membersPath(id), { body }));
        expectParamIllegal(await t.api('DELETE', membersPath(id), { body }));
      }
      expectParamIllegal(await t.api('POST', membersPath(id)));
      expect(await members(id)).toEqual([owner]);
    });

    it('removes members with a JSON body on DELETE: one {result, user} per user', async () => {
      const [owner, a, b, c] = await registerUsers(t, 'memdel', 4);
      const gid = await t.createGroup(owner!, [a!, b!, c!]);
      const id = await createThread(t, gid, owner!);
      await addThreadMembers(t, id, [a!, b!]);
      const res = await t.api('DELETE', membersPath(id), { body: { usernames: [a, c] } });
      expect(res.status, res.text).toBe(200);
      expect(res.body.action).toBe('delete');
      expect(res.body.entities).toEqual([
        { result: true, user: a },
        { result: false, user: c },
      ]);
      expect(await members(id)).toEqual([owner, b]);
      expect(await joined(a!)).toEqual([]);
      expect(await joined(b!)).toEqual([id]);
      // Removing again: nothing to remove.
      expect(await removeThreadMembers(t, id, [a!])).toEqual([{ result: false, user: a }]);
      // A removed member can join again, at the end of the join order.
      await addThreadMembers(t, id, [a!]);
      expect(await members(id)).toEqual([owner, b, a]);
    });

    it('answers 404 "thread not found." for the members of an unknown thread', async () => {
      const [user] = await registerUsers(t, 'memmiss', 1);
      expectGroupError(await t.api('GET', membersPath(MISSING_ID)), 404, 'thread not found.');
      expectGroupError(await t.api('POST', membersPath(MISSING_ID), { body: { usernames: [user] } }), 404, 'thread not found.');
      expectGroupError(await t.api('DELETE', membersPath(MISSING_ID), { body: { usernames: [user] } }), 404, 'thread not found.');
    });

    it('takes limit 1..50 on the member list', async () => {
      const [owner] = await registerUsers(t, 'memlim', 1);
      const gid = await t.createGroup(owner!);
      const id = await createThread(t, gid, owner!);
      for (const limit of ['51', '0', '1000']) expectGroupError(await t.api('GET', `${membersPath(id)}?limit=${limit}`), 400, 'query param reaches limit.');
      for (const limit of ['1', '50']) expect(affiliations(await t.api('GET', `${membersPath(id)}?limit=${limit}`))).toEqual([owner]);
    });

    it('walks the member list with limit 3 to the end, each member once, in join order', async () => {
      const users = await registerUsers(t, 'mwalk', 12);
      const [owner, ...rest] = users;
      const gid = await t.createGroup(owner!, rest);
      const id = await createThread(t, gid, owner!);
      for (const u of rest) await addThreadMembers(t, id, [u]);
      const expected = [owner!, ...rest];
      expectExactWalk(await walk(t, membersPath(id), affiliations, { limit: 3 }), expected, 3);
      expectExactWalk(await walk(t, membersPath(id), affiliations, { limit: 4 }), expected, 4);
      expectExactWalk(await walk(t, membersPath(id), affiliations, { limit: 1 }), expected, 1);
      expectExactWalk(await walk(t, membersPath(id), affiliations, { limit: 50 }), expected, 50);
    });

    it('walks the member list while members join and leave between pages', async () => {
      const users = await registerUsers(t, 'mmut', 16);
      const [owner, ...rest] = users;
      const initial = rest.slice(0, 11);
      const extras = rest.slice(11);
      const gid = await t.createGroup(owner!, rest);
      const id = await createThread(t, gid, owner!);
      for (const u of initial) await addThreadMembers(t, id, [u]);
      const order = [owner!, ...initial];
      const live = new Set(order);
      const visited: string[] = [];
      const removedAhead: string[] = [];
      await walk(t, membersPath(id), affiliations, {
        limit: 3,
        between: async (items, page) => {
          visited.push(...items);
          if (page > 2) return;
          const remaining = order.filter((u) => live.has(u) && !visited.includes(u));
          const cursorRow = items[items.length - 1]!;
          const ahead = remaining[1]!;
          expect(await removeThreadMembers(t, id, [cursorRow, ahead])).toEqual([
            { result: true, user: cursorRow },
            { result: true, user: ahead },
          ]);
          live.delete(cursorRow);
          live.delete(ahead);
          removedAhead.push(ahead);
          const extra = extras[page - 1]!;
          await addThreadMembers(t, id, [extra]);
          order.push(extra);
          live.add(extra);
          expect(await members(id)).toEqual(order.filter((u) => live.has(u)));
        },
      });
      expectConsistentWalk(
        visited,
        order,
        [owner!, ...initial].filter((u) => !removedAhead.includes(u)),
        removedAhead,
      );
      expect(await members(id)).toEqual(order.filter((u) => live.has(u)));
    });
  });

  describe('GET /threads/user/{username} and /threads/chatgroups/{group_id}/user/{username}', () => {
    /**
     * An owner's 10 threads in group g1 and 4 in g2; `walker` joins them in a shuffled order, the
     * g2 threads interleaved. Answers the join order and the g1 threads.
     */
    async function joinedFixture(prefix: string) {
      const [owner, walker] = await registerUsers(t, prefix, 2);
      const g1 = await t.createGroup(owner!, [walker!]);
      const g2 = await t.createGroup(owner!, [walker!]);
      const inG1: string[] = [];
      for (let i = 0; i < 10; i++) inG1.push(await createThread(t, g1, owner!, `g1-${i}`));
      const inG2: string[] = [];
      for (let i = 0; i < 4; i++) inG2.push(await createThread(t, g2, owner!, `g2-${i}`));
      const shuffled = [7, 2, 9, 0, 4, 1, 8, 3, 6, 5].map((i) => inG1[i]!);
      const joinOrder = [...shuffled.slice(0, 2), inG2[2]!, ...shuffled.slice(2, 5), inG2[0]!, inG2[3]!, ...shuffled.slice(5), inG2[1]!];
      for (const id of joinOrder) await addThreadMembers(t, id, [walker!]);
      return { owner: owner!, walker: walker!, g1, g2, inG1, inG2, joinOrder };
    }

    it('lists entities {name, owner, id, msgId, groupId, created}, newest join first by default', async () => {
      const [owner, walker] = await registerUsers(t, 'shape', 2);
      const gid = await t.createGroup(owner!, [walker!]);
      const msg = nextMsgId();
      const first = await createThread(t, gid, owner!, 'first', msg);
      const second = await createThread(t, gid, walker!, 'second');
      await addThreadMembers(t, first, [walker!]);
      for (const path of [userPath(walker!), groupUserPath(gid, walker!)]) {
        const res = await t.api('GET', path);
        expect(res.status, res.text).toBe(200);
        expect(res.body.action).toBe('get');
        // walker created `second`, then joined `first`: newest join first.
        expect(entityIds(res)).toEqual([first, second]);
        expect(res.body.entities[0]).toEqual({ name: 'first', owner, id: first, msgId: msg, groupId: gid, created: expect.any(Number) });
        expect(Object.keys(res.body.entities[1]).sort()).toEqual(['created', 'groupId', 'id', 'msgId', 'name', 'owner']);
        expect(typeof res.body.properties.cursor).toBe('string');
      }
      expect(await joined(walker!.toUpperCase())).toEqual([second, first]);
    });

    it('answers an empty list without a cursor for a user in no thread', async () => {
      const [owner, idle] = await registerUsers(t, 'idle', 2);
      const gid = await t.createGroup(owner!, [idle!]);
      await createThread(t, gid, owner!);
      for (const path of [userPath(idle!), groupUserPath(gid, idle!)]) {
        const res = await t.api('GET', path);
        expect(res.status, res.text).toBe(200);
        expect(res.body.entities).toEqual([]);
        expect(res.body.properties ?? {}).not.toHaveProperty('cursor');
      }
    });

    it('takes limit 1..50 and refuses 51 with "query param reaches limit."', async () => {
      const [owner] = await registerUsers(t, 'ulim', 1);
      const gid = await t.createGroup(owner!);
      const id = await createThread(t, gid, owner!);
      for (const path of [userPath(owner!), groupUserPath(gid, owner!)]) {
        for (const limit of ['51', '0', '100']) expectGroupError(await t.api('GET', `${path}?limit=${limit}`), 400, 'query param reaches limit.');
        for (const limit of ['1', '50']) expect(entityIds(await t.api('GET', `${path}?limit=${limit}`))).toEqual([id]);
      }
    });

    it.each<Sort>(['asc', 'desc'])('walks both listings %s with limit 3 to the end, in join order, each thread once', async (sort) => {
      const f = await joinedFixture(`jw${sort}`);
      const g1Order = f.joinOrder.filter((id) => f.inG1.includes(id));
      expectExactWalk(await walk(t, userPath(f.walker), entityIds, { limit: 3, sort }), inWalkOrder(f.joinOrder, sort), 3);
      expectExactWalk(await walk(t, groupUserPath(f.g1, f.walker), entityIds, { limit: 3, sort }), inWalkOrder(g1Order, sort), 3);
      expectExactWalk(await walk(t, groupUserPath(f.g2, f.walker), entityIds, { limit: 3, sort }), inWalkOrder(f.joinOrder.filter((id) => f.inG2.includes(id)), sort), 3);
      // The owner joined by creating: creation order.
      expectExactWalk(await walk(t, userPath(f.owner), entityIds, { limit: 3, sort }), inWalkOrder([...f.inG1, ...f.inG2], sort), 3);
      expectExactWalk(await walk(t, groupUserPath(f.g1, f.owner), entityIds, { limit: 4, sort }), inWalkOrder(f.inG1, sort), 4);
      // Other page sizes give the same sequence.
      for (const limit of [1, 5, 14, 50]) expect((await walk(t, userPath(f.walker), entityIds, { limit, sort })).flat()).toEqual(inWalkOrder(f.joinOrder, sort));
    });

    it.each([
      ['user', 'asc'],
      ['user', 'desc'],
      ['group', 'asc'],
      ['group', 'desc'],
    ] as const)('walks the %s listing %s while threads are joined, left and deleted between pages', async (listing, sort) => {
      const f = await joinedFixture(`jm${listing[0]}${sort}`);
      const path = listing === 'user' ? userPath(f.walker) : groupUserPath(f.g1, f.walker);
      const g1 = new Set(f.inG1);
      const inScope = (id: string): boolean => listing === 'user' || g1.has(id);
      const joinOrder = [...f.joinOrder];
      const original = joinOrder.filter(inScope);
      const live = new Set(joinOrder);
      const visited: string[] = [];
      const goneAhead: string[] = [];
      const expectedNow = (): string[] => joinOrder.filter((id) => live.has(id) && inScope(id));

      await walk(t, path, entityIds, {
        limit: 3,
        sort,
        between: async (items, page) => {
          visited.push(...items);
          if (page > 2) return;
          const remaining = inWalkOrder(expectedNow(), sort).filter((id) => !visited.includes(id));
          const cursorRow = items[items.length - 1]!;
          const leaveAhead = remaining[1]!;
          const deleteAhead = remaining[2]!;
          // The walker leaves the thread the cursor points at, and one not reached yet.
          expect(await removeThreadMembers(t, cursorRow, [f.walker])).toEqual([{ result: true, user: f.walker }]);
          expect(await removeThreadMembers(t, leaveAhead, [f.walker])).toEqual([{ result: true, user: f.walker }]);
          // A thread not reached yet is deleted.
          await deleteThread(t, deleteAhead);
          for (const id of [cursorRow, leaveAhead, deleteAhead]) live.delete(id);
          goneAhead.push(leaveAhead, deleteAhead);
          // The walker creates a thread in g1 and is added to a new one in g2.
          const created = await createThread(t, f.g1, f.walker, `new-g1-${page}`);
          const added = await createThread(t, f.g2, f.owner, `new-g2-${page}`);
          await addThreadMembers(t, added, [f.walker]);
          joinOrder.push(created, added);
          live.add(created);
          live.add(added);
          g1.add(created);
          // Read back.
          expect(await readAll(t, path, entityIds, 'asc')).toEqual(expectedNow());
          expect(await joined(f.walker)).toEqual(joinOrder.filter((id) => live.has(id)));
        },
      });
      expectConsistentWalk(
        visited,
        inWalkOrder(joinOrder.filter(inScope), sort),
        original.filter((id) => !goneAhead.includes(id)),
        goneAhead,
      );
      if (listing === 'group') for (const id of visited) expect(g1.has(id), `${id} is not a thread of the group`).toBe(true);
      expect(await readAll(t, path, entityIds, 'desc')).toEqual([...expectedNow()].reverse());
    });
  });

  describe('GET /thread (the whole app)', () => {
    // A private app, so that the list holds exactly this block's threads.
    let a: TestApp;
    let owner: string;
    let g1: string;
    let g2: string;
    beforeAll(async () => {
      a = await startApp(kind);
      const [o, m] = await registerUsers(a, 'app', 2);
      owner = o!;
      g1 = await a.createGroup(owner, [m!]);
      g2 = await a.createGroup(m!, [owner]);
    });
    afterAll(() => a.close());

    /** `n` threads alternating between the two groups, in creation order. */
    async function makeThreads(n: number): Promise<string[]> {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) ids.push(await createThread(a, i % 2 === 0 ? g1 : g2, owner, `t${i}`));
      return ids;
    }

    it('answers an empty list without a cursor when the app has no thread', async () => {
      await clearThreads(a);
      const res = await a.api('GET', '/thread');
      expect(res.status, res.text).toBe(200);
      expect(res.body.entities).toEqual([]);
      expect(res.body.properties ?? {}).not.toHaveProperty('cursor');
    });

    it('lists entities of {id} only, newest first by default, with properties.cursor', async () => {
      await clearThreads(a);
      const ids = await makeThreads(3);
      const res = await a.api('GET', '/thread');
      expect(res.status, res.text).toBe(200);
      expect(res.body.action).toBe('get');
      expect(res.body.entities).toEqual([...ids].reverse().map((id) => ({ id })));
      expect(typeof res.body.properties.cursor).toBe('string');
      expect(entityIds(await a.api('GET', '/thread?sort=asc'))).toEqual(ids);
      expect(entityIds(await a.api('GET', '/thread?sort=desc'))).toEqual([...ids].reverse());
    });

    it('takes limit 1..50 and refuses 51 with "query param reaches limit."', async () => {
      for (const limit of ['51', '0', '1000']) expectGroupError(await a.api('GET', `/thread?limit=${limit}`), 400, 'query param reaches limit.');
      expect(entityIds(await a.api('GET', '/thread?limit=1'))).toHaveLength(1);
    });

    it.each<Sort>(['asc', 'desc'])('walks 10 threads %s with limit 3 to the end, each once and in creation order', async (sort) => {
      await clearThreads(a);
      const ids = await makeThreads(10);
      const pages = await walk(a, '/thread', entityIds, { limit: 3, sort });
      expectExactWalk(pages, inWalkOrder(ids, sort), 3);
      expect(pages.map((p) => p.length)).toEqual([3, 3, 3, 1]);
      for (const limit of [1, 2, 5, 10, 50]) expectExactWalk(await walk(a, '/thread', entityIds, { limit, sort }), inWalkOrder(ids, sort), limit);
    });

    it.each<Sort>(['asc', 'desc'])('walks %s while threads are created and deleted between pages', async (sort) => {
      await clearThreads(a);
      const created = await makeThreads(10);
      const original = [...created];
      const live = new Set(created);
      const visited: string[] = [];
      const deletedAhead: string[] = [];
      await walk(a, '/thread', entityIds, {
        limit: 3,
        sort,
        between: async (items, page) => {
          visited.push(...items);
          if (page > 2) return;
          const remaining = inWalkOrder(created, sort).filter((id) => live.has(id) && !visited.includes(id));
          const cursorRow = items[items.length - 1]!;
          const ahead = remaining[1]!;
          await deleteThread(a, cursorRow);
          await deleteThread(a, ahead);
          live.delete(cursorRow);
          live.delete(ahead);
          deletedAhead.push(ahead);
          const fresh = await createThread(a, page === 1 ? g1 : g2, owner, `new${page}`);
          created.push(fresh);
          live.add(fresh);
          expect(await readAll(a, '/thread', entityIds, 'asc')).toEqual(created.filter((id) => live.has(id)));
        },
      });
      expectConsistentWalk(
        visited,
        inWalkOrder(created, sort),
        original.filter((id) => !deletedAhead.includes(id)),
        deletedAhead,
      );
      expect(await readAll(a, '/thread', entityIds, 'desc')).toEqual(created.filter((id) => live.has(id)).reverse());
    });

    it('answers 50 threads by default and the rest on the next page', async () => {
      await clearThreads(a);
      const ids = await makeThreads(52);
      const first = await a.api('GET', '/thread');
      expect(first.status, first.text).toBe(200);
      expect(entityIds(first)).toEqual([...ids].reverse().slice(0, 50));
      const cursor = first.body.properties.cursor as string;
      expect(typeof cursor).toBe('string');
      const second = await a.api('GET', `/thread?cursor=${encodeURIComponent(cursor)}`);
      expect(entityIds(second)).toEqual([ids[1], ids[0]]);
      const asc = await a.api('GET', '/thread?sort=asc');
      expect(entityIds(asc)).toEqual(ids.slice(0, 50));
      await clearThreads(a);
    });
  });

  describe('disabled groups', () => {
    it("forbids renaming, deleting and member changes of a disabled group's threads (403), until enabled", async () => {
      const [owner, a, b] = await registerUsers(t, 'off', 3);
      const gid = await t.createGroup(owner!, [a!, b!]);
      const id = await createThread(t, gid, owner!, 'before');
      await addThreadMembers(t, id, [a!]);
      const disabled = await t.api('POST', `/chatgroups/${gid}/disable`);
      expect(disabled.status, disabled.text).toBe(200);

      expectError(await t.api('PUT', `/thread/${id}`, { body: { name: 'after' } }), 403, 'forbidden_op');
      expectError(await t.api('DELETE', `/thread/${id}`), 403, 'forbidden_op');
      expectError(await t.api('POST', membersPath(id), { body: { usernames: [b] } }), 403, 'forbidden_op');
      expectError(await t.api('DELETE', membersPath(id), { body: { usernames: [a] } }), 403, 'forbidden_op');
      expectError(await t.api('POST', '/thread', { body: { group_id: gid, name: 'n', msg_id: nextMsgId(), owner } }), 403, 'forbidden_op');

      expect((await t.api('POST', `/chatgroups/${gid}/enable`)).status).toBe(200);
      // Nothing changed while disabled.
      expect(await members(id)).toEqual([owner, a]);
      expect((await t.api('GET', userPath(owner!))).body.entities).toEqual([expect.objectContaining({ id, name: 'before' })]);
      expect(await appThreads()).toContain(id);
      // Enabled again: everything works.
      expect((await t.api('PUT', `/thread/${id}`, { body: { name: 'after' } })).body.data).toEqual({ name: 'after' });
      await addThreadMembers(t, id, [b!]);
      expect(await removeThreadMembers(t, id, [a!])).toEqual([{ result: true, user: a }]);
      expect(await members(id)).toEqual([owner, b]);
      expect((await t.api('GET', userPath(b!))).body.entities).toEqual([expect.objectContaining({ id, name: 'after' })]);
      await deleteThread(t, id);
      expect(await appThreads()).not.toContain(id);
    });
  });

  describe('cascades', () => {
    it("dissolving a group deletes its threads, and only its threads", async () => {
      const [owner, u] = await registerUsers(t, 'diss', 2);
      const g1 = await t.createGroup(owner!, [u!]);
      const g2 = await t.createGroup(owner!, [u!]);
      const t1 = await createThread(t, g1, owner!);
      const t2 = await createThread(t, g1, u!);
      const t3 = await createThread(t, g2, owner!);
      await addThreadMembers(t, t1, [u!]);
      await addThreadMembers(t, t3, [u!]);
      const res = await t.api('DELETE', `/chatgroups/${g1}`);
      expect(res.status, res.text).toBe(200);

      for (const id of [t1, t2]) {
        expectGroupError(await t.api('GET', membersPath(id)), 404, 'thread not found.');
        expectGroupError(await t.api('PUT', `/thread/${id}`, { body: { name: 'x' } }), 404, 'thread not found.');
        expectGroupError(await t.api('DELETE', `/thread/${id}`), 404, 'thread not found.');
      }
      const all = await appThreads();
      expect(all).not.toContain(t1);
      expect(all).not.toContain(t2);
      expect(all).toContain(t3);
      expect(await joined(owner!)).toEqual([t3]);
      expect(await joined(u!)).toEqual([t3]);
      expect(await members(t3)).toEqual([owner, u]);
      expectGroupError(await t.api('POST', '/thread', { body: { group_id: g1, name: 'n', msg_id: nextMsgId(), owner } }), 404, 'group not found.');
    });

    it("removing a user from a group removes them from that group's threads only", async () => {
      const [owner, u, v, w] = await registerUsers(t, 'leave', 4);
      const g1 = await t.createGroup(owner!, [u!, v!, w!]);
      const g2 = await t.createGroup(owner!, [u!]);
      const t1 = await createThread(t, g1, owner!);
      const t2 = await createThread(t, g1, owner!);
      const t3 = await createThread(t, g2, owner!);
      await addThreadMembers(t, t1, [u!, v!, w!]);
      await addThreadMembers(t, t2, [u!]);
      await addThreadMembers(t, t3, [u!]);
      expect(await joined(u!)).toEqual([t1, t2, t3]);

      const res = await t.api('DELETE', `/chatgroups/${g1}/users/${u}`);
      expect(res.status, res.text).toBe(200);
      expect(await members(t1)).toEqual([owner, v, w]);
      expect(await members(t2)).toEqual([owner]);
      expect(await members(t3)).toEqual([owner, u]);
      expect(await joined(u!)).toEqual([t3]);
      expect(await joined(u!, g1)).toEqual([]);
      expect(await joined(u!, g2)).toEqual([t3]);

      // Batch removal (comma list) does the same.
      const batch = await t.api('DELETE', `/chatgroups/${g1}/users/${v},${w}`);
      expect(batch.status, batch.text).toBe(200);
      expect(await members(t1)).toEqual([owner]);
      expect(await joined(v!)).toEqual([]);
      expect(await joined(w!)).toEqual([]);

      // Joining the group again does not bring the thread memberships back.
      expect((await t.api('POST', `/chatgroups/${g1}/users/${u}`)).status).toBe(200);
      expect(await members(t1)).toEqual([owner]);
      expect(await joined(u!, g1)).toEqual([]);
      await addThreadMembers(t, t1, [u!]);
      expect(await joined(u!)).toEqual([t3, t1]);
    });

    it('deleting a user removes their thread memberships (and the threads of groups they owned)', async () => {
      const [owner, u, w] = await registerUsers(t, 'gone', 3);
      const g1 = await t.createGroup(owner!, [u!, w!]);
      const owned = await t.createGroup(u!, [owner!]);
      const t1 = await createThread(t, g1, owner!);
      const t2 = await createThread(t, g1, w!);
      const inOwned = await createThread(t, owned, owner!);
      await addThreadMembers(t, t1, [u!, w!]);
      await addThreadMembers(t, t2, [u!]);
      await addThreadMembers(t, inOwned, [u!]);

      const res = await t.api('DELETE', `/users/${u}`);
      expect(res.status, res.text).toBe(200);
      expect(await members(t1)).toEqual([owner, w]);
      expect(await members(t2)).toEqual([w]);
      expectGroupError(await t.api('GET', membersPath(inOwned)), 404, 'thread not found.');
      expect(await joined(owner!)).toEqual([t1]);
      expect(await appThreads()).not.toContain(inOwned);

      // A new user of the same name starts with no threads.
      await t.createUsers(u!);
      expect(await joined(u!)).toEqual([]);
      expect(await joined(u!, g1)).toEqual([]);
    });
  });

  describe('app isolation', () => {
    it("another app's token cannot see or change the thread", async () => {
      const [owner, member] = await registerUsers(t, 'iso', 2);
      const gid = await t.createGroup(owner!, [member!]);
      const id = await createThread(t, gid, owner!, 'mine');
      await addThreadMembers(t, id, [member!]);
      const other = await t.appToken(OTHER);
      const as = { app: OTHER, token: other };
      // Same usernames exist in the other app.
      const reg = await t.api('POST', '/users', { ...as, body: [owner, member].map((username) => ({ username, password: 'pw' })) });
      expect(reg.status, reg.text).toBe(200);

      const list = await t.api('GET', '/thread', as);
      expect(list.status, list.text).toBe(200);
      expect(entityIds(list)).not.toContain(id);
      for (const user of [owner, member]) {
        const mine = await t.api('GET', userPath(user!), as);
        expect(mine.status, mine.text).toBe(200);
        expect(mine.body.entities).toEqual([]);
        const inGroup = await t.api('GET', groupUserPath(gid, user!), as);
        if (inGroup.status === 200) expect(inGroup.body.entities).toEqual([]);
        else expect(inGroup.status, inGroup.text).toBe(404);
      }
      expectGroupError(await t.api('GET', membersPath(id), as), 404, 'thread not found.');
      expectGroupError(await t.api('PUT', `/thread/${id}`, { ...as, body: { name: 'theirs' } }), 404, 'thread not found.');
      expectGroupError(await t.api('POST', membersPath(id), { ...as, body: { usernames: [member] } }), 404, 'thread not found.');
      expectGroupError(await t.api('DELETE', membersPath(id), { ...as, body: { usernames: [member] } }), 404, 'thread not found.');
      expectGroupError(await t.api('DELETE', `/thread/${id}`, as), 404, 'thread not found.');
      expectGroupError(await t.api('POST', '/thread', { ...as, body: { group_id: gid, name: 'n', msg_id: nextMsgId(), owner } }), 404, 'group not found.');
      // The other app's token on this app's paths is refused.
      expect((await t.api('PUT', `/thread/${id}`, { token: other, body: { name: 'theirs' } })).status).toBe(401);
      expect((await t.api('DELETE', `/thread/${id}`, { token: other })).status).toBe(401);

      // Nothing changed.
      expect(await members(id)).toEqual([owner, member]);
      expect((await t.api('GET', userPath(owner!))).body.entities).toEqual([expect.objectContaining({ id, name: 'mine' })]);
      expect(await appThreads()).toContain(id);
    });

    it('requires a token', async () => {
      expect((await t.api('GET', '/thread', { token: null })).status).toBe(401);
      expect((await t.api('POST', '/thread', { token: null, body: { group_id: MISSING_ID, name: 'n', msg_id: '1', owner: 'x' } })).status).toBe(401);
    });
  });

  describe('limits', () => {
    it('threads per app and per user: 403 "thread number has reached limit." / "user join thread reach limit."', async () => {
      const l = await startApp(kind, { limits: { ...defaultLimits, threadsPerApp: 3, threadsPerUser: 2 } });
      try {
        const [a, b, c] = await registerUsers(l, 'lim', 3);
        const gid = await l.createGroup(a!, [b!, c!]);
        const all = (): Promise<string[]> => readAll(l, '/thread', entityIds, 'asc');
        const joinedIn = (u: string): Promise<string[]> => readAll(l, userPath(u), entityIds, 'asc');
        const create = (owner: string): Promise<Reply> => l.api('POST', '/thread', { body: { group_id: gid, name: 'n', msg_id: nextMsgId(), owner } });

        const t1 = await createThread(l, gid, a!);
        const t2 = await createThread(l, gid, a!);
        // a has joined 2 threads: a third is refused.
        expectGroupError(await create(a!), 403, 'user join thread reach limit.');
        expect(await all()).toEqual([t1, t2]);
        expect(await joinedIn(a!)).toEqual([t1, t2]);

        const t3 = await createThread(l, gid, b!);
        // The app has 3 threads: a fourth is refused.
        expectGroupError(await create(c!), 403, 'thread number has reached limit.');
        expect(await all()).toEqual([t1, t2, t3]);
        expect(await joinedIn(c!)).toEqual([]);

        // Adding a to a third thread is refused too.
        expectGroupError(await l.api('POST', membersPath(t3), { body: { usernames: [a] } }), 403, 'user join thread reach limit.');
        expect(await readAll(l, membersPath(t3), affiliations)).toEqual([b]);
        expect(await joinedIn(a!)).toEqual([t1, t2]);
        await addThreadMembers(l, t3, [c!]);

        // Leaving a thread frees a place.
        expect(await removeThreadMembers(l, t1, [a!])).toEqual([{ result: true, user: a }]);
        await addThreadMembers(l, t3, [a!]);
        expect(await joinedIn(a!)).toEqual([t2, t3]);

        // The limit is per app: the other app can still create threads.
        const other = await l.appToken(OTHER);
        const as = { app: OTHER, token: other };
        expect((await l.api('POST', '/users', { ...as, body: { username: 'elsewhere', password: 'pw' } })).status).toBe(200);
        const og = await l.api('POST', '/chatgroups', { ...as, body: { groupname: 'g', desc: 'd', public: true, owner: 'elsewhere' } });
        expect(og.status, og.text).toBe(200);
        const ot = await l.api('POST', '/thread', { ...as, body: { group_id: og.body.data.groupid, name: 'n', msg_id: nextMsgId(), owner: 'elsewhere' } });
        expect(ot.status, ot.text).toBe(200);
        expect(entityIds(await l.api('GET', '/thread', as))).toEqual([ot.body.data.thread_id]);
        expect(await all()).toEqual([t1, t2, t3]);

        // Deleting a thread frees a place in the app.
        await deleteThread(l, t2);
        const t4 = await createThread(l, gid, c!);
        expect(await all()).toEqual([t1, t3, t4]);
        expect(await joinedIn(c!)).toEqual([t3, t4]);
        // c has now joined 2 threads, and the app is full again.
        expectGroupError(await create(b!), 403, 'thread number has reached limit.');
        expect(await all()).toEqual([t1, t3, t4]);
      } finally {
        await l.close();
      }
    });

    it('does not exceed the per-app limit under concurrent creates', async () => {
      const l = await startApp(kind, { limits: { ...defaultLimits, threadsPerApp: 3 } });
      try {
        const owners = await registerUsers(l, 'climapp', 10);
        const gid = await l.createGroup(owners[0]!, owners.slice(1));
        const results = await Promise.all(owners.map((owner) => l.api('POST', '/thread', { body: { group_id: gid, name: 'n', msg_id: nextMsgId(), owner } })));
        const created = results.filter((r) => r.status === 200).map((r) => r.body.data.thread_id as string);
        for (const r of results.filter((x) => x.status !== 200)) expectGroupError(r, 403, 'thread number has reached limit.');
        expect(created.length, `statuses ${results.map((r) => r.status).join(',')}`).toBe(3);
        expect((await readAll(l, '/thread', entityIds, 'asc')).sort()).toEqual([...created].sort());
      } finally {
        await l.close();
      }
    });

    it('does not exceed the per-user limit when one owner creates threads concurrently', async () => {
      const l = await startApp(kind, { limits: { ...defaultLimits, threadsPerUser: 2 } });
      try {
        const [busy] = await registerUsers(l, 'climown', 1);
        const gid = await l.createGroup(busy!);
        const creates = await Promise.all(
          Array.from({ length: 6 }, () => l.api('POST', '/thread', { body: { group_id: gid, name: 'n', msg_id: nextMsgId(), owner: busy } })),
        );
        for (const r of creates.filter((x) => x.status !== 200)) expectGroupError(r, 403, 'user join thread reach limit.');
        expect(creates.filter((r) => r.status === 200).length, `statuses ${creates.map((r) => r.status).join(',')}`).toBe(2);
        expect(await readAll(l, userPath(busy!), entityIds)).toHaveLength(2);
        expect(await readAll(l, '/thread', entityIds)).toHaveLength(2);
      } finally {
        await l.close();
      }
    });

    it('does not exceed the per-user limit when one user is added to threads concurrently', async () => {
      const l = await startApp(kind, { limits: { ...defaultLimits, threadsPerUser: 2 } });
      try {
        const [joiner, ...owners] = await registerUsers(l, 'climadd', 6);
        const gid = await l.createGroup(owners[0]!, [joiner!, ...owners.slice(1)]);
        const threads: string[] = [];
        for (const o of owners) threads.push(await createThread(l, gid, o));
        const adds = await Promise.all(threads.map((id) => l.api('POST', membersPath(id), { body: { usernames: [joiner] } })));
        for (const r of adds.filter((x) => x.status !== 200)) expectGroupError(r, 403, 'user join thread reach limit.');
        expect(adds.filter((r) => r.status === 200).length, `statuses ${adds.map((r) => r.status).join(',')}`).toBe(2);
        expect(await readAll(l, userPath(joiner!), entityIds)).toHaveLength(2);
        let memberships = 0;
        for (const id of threads) if ((await readAll(l, membersPath(id), affiliations)).includes(joiner!)) memberships++;
        expect(memberships).toBe(2);
      } finally {
        await l.close();
      }
    });

    it('adding a user to a thread they already joined does not count against their limit', async () => {
      const l = await startApp(kind, { limits: { ...defaultLimits, threadsPerUser: 2 } });
      try {
        const [full, other] = await registerUsers(l, 'limre', 2);
        const gid = await l.createGroup(full!, [other!]);
        const t1 = await createThread(l, gid, full!);
        const t2 = await createThread(l, gid, full!);
        // `full` has joined 2 threads, t1 among them: naming them again in t1 joins nothing new.
        const again = await l.api('POST', membersPath(t1), { body: { usernames: [full, other] } });
        expect(again.status, again.text).toBe(200);
        expect(await readAll(l, membersPath(t1), affiliations)).toEqual([full, other]);
        expect(await readAll(l, userPath(full!), entityIds, 'asc')).toEqual([t1, t2]);
      } finally {
        await l.close();
      }
    });
  });
});
