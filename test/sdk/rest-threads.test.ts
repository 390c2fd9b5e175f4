// The web SDK's own thread calls with the user's token (issue 14; REST.md "Threads"): the group's
// owner, an admin, a plain member and an outsider each try each call through the unmodified SDK,
// on a thread made fresh for the try (its creator is the target, a plain member), and get what the
// hosted role rules give them — success with the fields the SDK reads, or the SDK error type of
// REST.md's error mapping — and the thread is read back with the app token.
import { describe, expect, it } from 'vitest';
import { databases } from '../support/harness.js';
import { rejection } from '../support/sdk/client.js';
import { roleSuite, tryRoles, type Cast, type Row } from '../support/sdk/roles.js';

/** "are not members of this group" on a URL without `chatgroups`: the SDK's chatroom flavour. */
const NOT_MEMBER = 702;
const DENIED = 603;
/** The SDK's catch-all: an answer its mapping does not name (REST.md "Error mapping"). */
const UNMAPPED = 17;

interface Thread {
  group: string;
  id: string;
}

describe.each(databases)('SDK thread calls by role (%s)', (kind) => {
  const s = roleSuite(kind, 'rt');
  const t = () => s.t;
  const who = (role: keyof Cast) => s.names[role];

  /** A group of the cast (outsider not in it) with a thread the target created. */
  async function fresh(joined: (keyof Cast)[] = []): Promise<Thread> {
    const { owner, admin, member, target } = s.names;
    const group = await t().createGroup(owner, [admin, member, target], { public: false });
    await t().apiOk('POST', `/chatgroups/${group}/admin`, { newadmin: admin });
    const token = await t().userToken(target);
    const made = await t().api('POST', '/thread', { token, body: { group_id: group, name: 'topic', msg_id: 'm1', owner: target } });
    expect(made.status, made.text).toBe(200);
    const id = made.body.data.thread_id as string;
    if (joined.length) await t().apiOk('POST', `/thread/${id}/users`, { usernames: joined.map(who) });
    return { group, id };
  }

  const threadMembers = async (id: string): Promise<string[]> => ((await t().apiOk('GET', `/thread/${id}/users?limit=50`)).data.affiliations as string[]).sort();
  const detail = async (id: string) => (await t().apiOk('GET', `/thread/${id}`)).data;
  const run = (row: Row<Thread>) => tryRoles(s, row, { owner: DENIED, admin: DENIED, member: DENIED, outsider: NOT_MEMBER });
  const groupMembers = ['owner', 'admin', 'member'] as const;
  const managers = ['owner', 'admin'] as const;

  it('createChatThread: members of the group create threads they own', async () => {
    const groups = new Map<string, string>();
    await run({
      op: 'createChatThread',
      allowed: groupMembers,
      // The hosted answer to a non-member is 404 "user not in group." (group_thread.md), which the
      // SDK's mapping does not name.
      refused: { outsider: UNMAPPED },
      fresh: async () => {
        const th = await fresh();
        groups.set(th.id, th.group);
        return th;
      },
      params: (th, role) => ({ parentId: th.group, name: `by ${role}`, messageId: `msg-${role}` }),
      ok: async (res, th, role) => {
        const id = res.data.chatThreadId as string;
        expect(id).toMatch(/^\d+$/);
        expect(await detail(id)).toMatchObject({ name: `by ${role}`, owner: who(role), msgId: `msg-${role}`, groupId: th.group });
        expect(await threadMembers(id)).toEqual([who(role)]);
      },
      unchanged: async (th) => expect((await t().apiOk('GET', `/threads/chatgroups/${th.group}`)).entities).toHaveLength(1),
    });
  });

  it('getChatThreadDetail: members of the group', async () => {
    await run({
      op: 'getChatThreadDetail',
      allowed: groupMembers,
      fresh: () => fresh(),
      params: (th) => ({ chatThreadId: th.id }),
      ok: (res, th) =>
        expect(res.data).toMatchObject({ id: th.id, name: 'topic', owner: who('target'), messageId: 'm1', parentId: th.group, affiliationsCount: 1, created: expect.any(Number) }),
    });
  });

  it('joinChatThread: members of the group join', async () => {
    await run({
      op: 'joinChatThread',
      allowed: groupMembers,
      fresh: () => fresh(),
      params: (th) => ({ chatThreadId: th.id }),
      ok: async (res, th, role) => {
        expect(res.data.detail).toMatchObject({ id: th.id, name: 'topic', messageId: 'm1', parentId: th.group, affiliations_count: 2 });
        expect(await threadMembers(th.id)).toEqual([who('target'), who(role)].sort());
      },
      unchanged: async (th) => expect(await threadMembers(th.id)).toEqual([who('target')]),
    });
  });

  it('leaveChatThread: members of the thread leave', async () => {
    await run({
      op: 'leaveChatThread',
      allowed: groupMembers,
      resolvesVoid: true,
      fresh: () => fresh(['owner', 'admin', 'member']),
      params: (th) => ({ chatThreadId: th.id }),
      ok: async (_res, th, role) => {
        const left = await threadMembers(th.id);
        expect(left).not.toContain(who(role));
        expect(left).toHaveLength(3);
      },
      unchanged: async (th) => expect(await threadMembers(th.id)).toHaveLength(4),
    });
  });

  it("changeChatThreadName: the group's owner and admins, and the thread's creator", async () => {
    await run({
      op: 'changeChatThreadName',
      allowed: managers,
      fresh: () => fresh(),
      params: (th, role) => ({ chatThreadId: th.id, name: `renamed by ${role}` }),
      ok: async (res, th, role) => {
        expect(res.data).toEqual({ name: `renamed by ${role}` });
        expect((await detail(th.id)).name).toBe(`renamed by ${role}`);
      },
      unchanged: async (th) => expect((await detail(th.id)).name).toBe('topic'),
    });
    const th = await fresh();
    expect((await s.sdk.target.call('changeChatThreadName', { chatThreadId: th.id, name: 'by its creator' })).data).toEqual({ name: 'by its creator' });
    expect((await detail(th.id)).name).toBe('by its creator');
  });

  it("destroyChatThread and removeChatThreadMember: the group's owner and admins", async () => {
    await run({
      op: 'destroyChatThread',
      allowed: managers,
      resolvesVoid: true,
      fresh: () => fresh(),
      params: (th) => ({ chatThreadId: th.id }),
      ok: async (_res, th) => expect((await t().api('GET', `/thread/${th.id}`)).status).toBe(404),
      unchanged: async (th) => expect((await t().api('GET', `/thread/${th.id}`)).status).toBe(200),
    });
    // Not even its creator, a plain member, may delete it.
    const th = await fresh();
    expect((await rejection(s.sdk.target.call('destroyChatThread', { chatThreadId: th.id }))).type).toBe(DENIED);
    await run({
      op: 'removeChatThreadMember',
      allowed: managers,
      fresh: () => fresh(['member', 'owner', 'admin']),
      params: (th, role) => ({ chatThreadId: th.id, username: role === 'member' ? who('owner') : who('member') }),
      ok: async (res, th) => {
        expect(res.data).toEqual({ result: true, user: who('member') });
        expect(await threadMembers(th.id)).not.toContain(who('member'));
      },
      unchanged: async (th) => expect(await threadMembers(th.id)).toHaveLength(4),
    });
  });

  it('getChatThreadMembers and getChatThreads: members of the group', async () => {
    await run({
      op: 'getChatThreadMembers',
      allowed: groupMembers,
      fresh: () => fresh(['member']),
      params: (th) => ({ chatThreadId: th.id, pageSize: 20 }),
      ok: (res) => expect([...res.data.affiliations].sort()).toEqual([who('member'), who('target')].sort()),
    });
    await run({
      op: 'getChatThreads',
      allowed: groupMembers,
      // Its URL names `chatgroups`: the SDK picks the group flavour.
      refused: { outsider: 602 },
      fresh: () => fresh(),
      params: (th) => ({ parentId: th.group, pageSize: 20 }),
      ok: (res, th) => expect(res.entities).toEqual([expect.objectContaining({ id: th.id, name: 'topic', owner: who('target'), messageId: 'm1', parentId: th.group })]),
    });
  });

  it("getJoinedChatThreads: a user's own threads, all or in one group", async () => {
    const a = await fresh(['member']);
    const b = await fresh(['member']);
    const all = await s.sdk.member.call('getJoinedChatThreads', { pageSize: 50 });
    const ids = (all.entities as { id: string }[]).map((e) => e.id);
    expect(ids).toEqual(expect.arrayContaining([a.id, b.id]));
    expect(all.entities).toContainEqual(expect.objectContaining({ id: a.id, name: 'topic', owner: who('target'), messageId: 'm1', parentId: a.group }));
    const inA = await s.sdk.member.call('getJoinedChatThreads', { parentId: a.group, pageSize: 50 });
    expect((inA.entities as { id: string }[]).map((e) => e.id)).toEqual([a.id]);
    // Page by page with the cursor the SDK hands back.
    const paged: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 100; pages++) {
      const page = await s.sdk.member.call('getJoinedChatThreads', { pageSize: 1, cursor });
      paged.push(...(page.entities as { id: string }[]).map((e) => e.id));
      cursor = page.properties?.cursor ?? page.cursor;
      if (!cursor || page.entities.length === 0) break;
    }
    expect(paged).toEqual(expect.arrayContaining([a.id, b.id]));
    expect(new Set(paged).size).toBe(paged.length);
    // The owner joined neither.
    const owners = await s.sdk.owner.call('getJoinedChatThreads', { parentId: a.group, pageSize: 50 });
    expect(owners.entities).toEqual([]);
  });
});
