// The web SDK's own chatroom calls with the user's token (issue 14; REST.md "Chatrooms"): the
// owner, an admin, a plain member and an outsider each try each call through the unmodified SDK, on
// a chatroom made fresh for the try, and get what the hosted role rules give them — success with
// the fields the SDK reads, or the SDK error type REST.md's error mapping gives (702 not a member,
// which the SDK picks for non-group URLs; 603 permission denied) — and the room is read back with
// the app token. joinChatRoom / leaveChatRoom go over the socket (test/sdk/chatrooms.test.ts).
import { describe, expect, it } from 'vitest';
import { databases } from '../support/harness.js';
import { rejection } from '../support/sdk/client.js';
import { roleSuite, tryRoles, type Cast, type Row } from '../support/sdk/roles.js';

const NOT_MEMBER = 702;
const DENIED = 603;

describe.each(databases)('SDK chatroom calls by role (%s)', (kind) => {
  const s = roleSuite(kind, 'rr');
  const t = () => s.t;
  const who = (role: keyof Cast) => s.names[role];

  /** A chatroom of the cast: owner, admin (named by the app), member and target; outsider not in it. */
  async function fresh(extra: Record<string, unknown> = {}): Promise<string> {
    const { owner, admin, member, target } = s.names;
    const id = await t().createRoom(owner, [admin, member, target], extra);
    await t().apiOk('POST', `/chatrooms/${id}/admin`, { newadmin: admin });
    return id;
  }

  const info = async (id: string) => (await t().apiOk('GET', `/chatrooms/${id}`)).data[0];
  const members = async (id: string): Promise<string[]> =>
    ((await t().apiOk('GET', `/chatrooms/${id}/users`)).data as Record<string, string>[]).map((r) => r.owner ?? r.admin ?? r.member!).sort();
  const list = async (id: string, what: string): Promise<unknown[]> => (await t().apiOk('GET', `/chatrooms/${id}/${what}`)).data;
  const mutedUsers = async (id: string) => ((await list(id, 'mute')) as { user: string }[]).map((m) => m.user);
  const run = (row: Row<string>) => tryRoles(s, row, { owner: DENIED, admin: DENIED, member: DENIED, outsider: NOT_MEMBER });
  const everyone = ['owner', 'admin', 'member', 'outsider'] as const;
  const everyMember = ['owner', 'admin', 'member'] as const;
  const managers = ['owner', 'admin'] as const;
  const ownerOnly = ['owner'] as const;

  describe('the room itself', () => {
    it('getChatRooms and getChatRoomDetails: any user', async () => {
      await run({
        op: 'getChatRooms',
        allowed: everyone,
        fresh: () => fresh(),
        params: () => ({ pagenum: 1, pagesize: 1000 }),
        ok: (res, id) => expect(res.data).toContainEqual(expect.objectContaining({ id, name: 'r', owner: who('owner'), affiliations_count: 4 })),
      });
      await run({
        op: 'getChatRoomDetails',
        allowed: everyone,
        fresh: () => fresh(),
        params: (id) => ({ chatRoomId: id }),
        ok: (res, id) => expect(res.data[0]).toMatchObject({ id, name: 'r', description: 'd', owner: who('owner'), affiliations_count: 4 }),
      });
    });

    it('modifyChatRoom (the SDK sends groupname): the owner and admins', async () => {
      await run({
        op: 'modifyChatRoom',
        allowed: managers,
        fresh: () => fresh(),
        params: (id) => ({ chatRoomId: id, chatRoomName: 'renamed', description: 'new desc', maxusers: 300 }),
        ok: async (res, id) => {
          expect(res.data).toEqual({ groupname: true, description: true, maxusers: true });
          expect(await info(id)).toMatchObject({ name: 'renamed', description: 'new desc', maxusers: 300 });
        },
        unchanged: async (id) => expect(await info(id)).toMatchObject({ name: 'r', description: 'd' }),
      });
    });

    it('createChatRoom: a super admin only; destroyChatRoom: the owner only', async () => {
      // A plain user may not create rooms.
      const refused = await rejection(s.sdk.member.call('createChatRoom', { name: 'nope', description: 'd', maxusers: 10, members: [] }));
      expect(refused.type).toBe(DENIED);
      await t().apiOk('POST', '/chatrooms/super_admin', { superadmin: who('target') });
      try {
        const made = await s.sdk.target.call('createChatRoom', { name: 'live', description: 'by a super admin', maxusers: 100, members: [who('member')] });
        const id = made.data.id as string;
        expect(id).toMatch(/^\d+$/);
        expect(await info(id)).toMatchObject({ name: 'live', description: 'by a super admin', owner: who('target'), maxusers: 100 });
        expect(await members(id)).toEqual([who('member'), who('target')].sort());
        expect((await rejection(s.sdk.member.call('destroyChatRoom', { chatRoomId: id }))).type).toBe(DENIED);
        expect((await t().api('GET', `/chatrooms/${id}`)).status).toBe(200);
        expect((await s.sdk.target.call('destroyChatRoom', { chatRoomId: id })).data).toMatchObject({ id });
        expect((await t().api('GET', `/chatrooms/${id}`)).status).toBe(404);
      } finally {
        await t().apiOk('DELETE', `/chatrooms/super_admin/${who('target')}`);
      }
      await run({
        op: 'destroyChatRoom',
        allowed: ownerOnly,
        fresh: () => fresh(),
        params: (id) => ({ chatRoomId: id }),
        ok: async (res, id) => {
          expect(res.data).toMatchObject({ id });
          expect((await t().api('GET', `/chatrooms/${id}`)).status).toBe(404);
          // A room that no longer exists: the SDK's 705.
          expect((await rejection(s.sdk.owner.call('fetchChatRoomAnnouncement', { roomId: id }))).type).toBe(705);
        },
        unchanged: async (id) => expect((await t().api('GET', `/chatrooms/${id}`)).status).toBe(200),
      });
    });

    it("getJoinedChatRooms: the user's own rooms, with the owner the SDK parses", async () => {
      const id = await fresh();
      await t().apiOk('PUT', `/chatrooms/${id}`, { name: 'mine', description: 'joined', maxusers: 77 });
      const res = await s.sdk.member.call('getJoinedChatRooms', { pageNum: 1, pageSize: 1000 });
      expect(res.data).toContainEqual(expect.objectContaining({ id, name: 'mine', owner: who('owner'), description: 'joined', maxusers: 77, created: expect.any(Number) }));
      const outsider = await s.sdk.outsider.call('getJoinedChatRooms', { pageNum: 1, pageSize: 1000 });
      expect((outsider.data as { id: string }[]).map((r) => r.id)).not.toContain(id);
    });
  });

  describe('members and admins', () => {
    it('addUsersToChatRoom, removeChatRoomMember(s): the owner and admins', async () => {
      await run({
        op: 'addUsersToChatRoom',
        allowed: managers,
        fresh: () => fresh(),
        params: (id) => ({ chatRoomId: id, users: [s.spare] }),
        ok: async (res, id) => {
          expect(res.data).toMatchObject({ newmembers: [s.spare], id });
          expect(await members(id)).toContain(s.spare);
        },
        unchanged: async (id) => expect(await members(id)).not.toContain(s.spare),
      });
      for (const [op, params] of [
        ['removeChatRoomMember', (id: string) => ({ chatRoomId: id, username: who('target') })],
        ['removeChatRoomMembers', (id: string) => ({ chatRoomId: id, users: [who('target')] })],
      ] as const) {
        await run({
          op,
          allowed: managers,
          fresh: () => fresh(),
          params,
          ok: async (res, id) => {
            const rows = Array.isArray(res.data) ? res.data : [res.data];
            expect(rows).toEqual([expect.objectContaining({ result: true, user: who('target'), id })]);
            expect(await members(id)).not.toContain(who('target'));
          },
          unchanged: async (id) => expect(await members(id)).toContain(who('target')),
        });
      }
    });

    it('getChatRoomMembers and getChatRoomAdmin: members read', async () => {
      await run({
        op: 'getChatRoomMembers',
        allowed: everyMember,
        fresh: () => fresh(),
        params: (id) => ({ chatRoomId: id, limit: 50 }),
        ok: (res) =>
          expect(res.data.members ?? res.data).toEqual([
            { role: 'owner', userId: who('owner'), joinedTime: expect.any(Number) },
            { role: 'admin', userId: who('admin'), joinedTime: expect.any(Number) },
            ...[who('member'), who('target')].sort().map((userId) => ({ role: 'member', userId, joinedTime: expect.any(Number) })),
          ]),
      });
      await run({
        op: 'listChatRoomMembers',
        allowed: everyMember,
        fresh: () => fresh(),
        params: (id) => ({ chatRoomId: id, pageNum: 1, pageSize: 20 }),
        ok: (res) => expect(res.data).toEqual(expect.arrayContaining([{ owner: who('owner') }, { member: who('member') }])),
      });
      await run({ op: 'getChatRoomAdmin', allowed: everyMember, fresh: () => fresh(), params: (id) => ({ chatRoomId: id }), ok: (res) => expect(res.data).toEqual([who('admin')]) });
    });

    it('setChatRoomAdmin and removeChatRoomAdmin: the owner only', async () => {
      await run({
        op: 'setChatRoomAdmin',
        allowed: ownerOnly,
        fresh: () => fresh(),
        params: (id) => ({ chatRoomId: id, username: who('target') }),
        ok: async (res, id) => {
          expect(res.data).toMatchObject({ newadmin: who('target'), result: 'success' });
          expect((await list(id, 'admin')).sort()).toEqual([who('admin'), who('target')].sort());
        },
        unchanged: async (id) => expect(await list(id, 'admin')).toEqual([who('admin')]),
      });
      await run({
        op: 'removeChatRoomAdmin',
        allowed: ownerOnly,
        fresh: () => fresh(),
        params: (id) => ({ chatRoomId: id, username: who('admin') }),
        ok: async (res, id) => {
          expect(res.data).toMatchObject({ oldadmin: who('admin'), result: 'success' });
          expect(await list(id, 'admin')).toEqual([]);
        },
        unchanged: async (id) => expect(await list(id, 'admin')).toEqual([who('admin')]),
      });
    });
  });

  describe('mutes', () => {
    it('muteChatRoomMember, unmuteChatRoomMember, getChatRoomMutelist: the owner and admins', async () => {
      await run({
        op: 'muteChatRoomMember',
        allowed: managers,
        fresh: () => fresh(),
        params: (id) => ({ chatRoomId: id, username: who('target'), muteDuration: 60_000 }),
        ok: async (res, id) => {
          const rows = Array.isArray(res.data) ? res.data : [res.data];
          expect(rows).toEqual([{ result: true, user: who('target'), expire: expect.any(Number) }]);
          expect(await mutedUsers(id)).toEqual([who('target')]);
        },
        unchanged: async (id) => expect(await mutedUsers(id)).toEqual([]),
      });
      const muted = async () => {
        const id = await fresh();
        await t().apiOk('POST', `/chatrooms/${id}/mute`, { usernames: [who('target')], mute_duration: 60_000 });
        return id;
      };
      await run({
        op: 'unmuteChatRoomMember',
        allowed: managers,
        fresh: muted,
        params: (id) => ({ chatRoomId: id, username: who('target') }),
        ok: async (res, id) => {
          expect(res.data).toEqual([{ result: true, user: who('target') }]);
          expect(await mutedUsers(id)).toEqual([]);
        },
        unchanged: async (id) => expect(await mutedUsers(id)).toEqual([who('target')]),
      });
      await run({
        op: 'getChatRoomMutelist',
        allowed: managers,
        fresh: muted,
        params: (id) => ({ chatRoomId: id }),
        ok: (res) => expect(res.data).toEqual([{ user: who('target'), expire: expect.any(Number) }]),
      });
    });

    it('isInChatRoomMutelist: each member about themself', async () => {
      await run({
        op: 'isInChatRoomMutelist',
        allowed: everyMember,
        fresh: async () => {
          const id = await fresh();
          await t().apiOk('POST', `/chatrooms/${id}/mute`, { usernames: [who('member')], mute_duration: 60_000 });
          return id;
        },
        params: (id) => ({ chatRoomId: id }),
        ok: (res, _id, role) => expect(res.data).toBe(role === 'member'),
      });
    });

    it('disableSendChatRoomMsg and enableSendChatRoomMsg: the owner and admins', async () => {
      await run({
        op: 'disableSendChatRoomMsg',
        allowed: managers,
        fresh: () => fresh(),
        params: (id) => ({ chatRoomId: id }),
        ok: async (res, id) => {
          expect(res.data).toEqual({ mute: true });
          expect((await info(id)).mute).toBe(true);
        },
        unchanged: async (id) => expect((await info(id)).mute).toBe(false),
      });
      await run({
        op: 'enableSendChatRoomMsg',
        allowed: managers,
        fresh: async () => {
          const id = await fresh();
          await t().apiOk('POST', `/chatrooms/${id}/ban`);
          return id;
        },
        params: (id) => ({ chatRoomId: id }),
        ok: async (res, id) => {
          expect(res.data).toEqual({ mute: false });
          expect((await info(id)).mute).toBe(false);
        },
        unchanged: async (id) => expect((await info(id)).mute).toBe(true),
      });
    });
  });

  describe('blocklist and allowlist', () => {
    it('blockChatRoomMember(s), unblockChatRoomMember(s), getChatRoomBlocklist: the owner and admins', async () => {
      for (const [op, params] of [
        ['blockChatRoomMember', (id: string) => ({ chatRoomId: id, username: who('target') })],
        ['blockChatRoomMembers', (id: string) => ({ chatRoomId: id, usernames: [who('target')] })],
      ] as const) {
        await run({
          op,
          allowed: managers,
          fresh: () => fresh(),
          params,
          ok: async (res, id) => {
            const rows = Array.isArray(res.data) ? res.data : [res.data];
            expect(rows).toEqual([expect.objectContaining({ action: 'add_blocks', id, result: true, user: who('target') })]);
            expect(await list(id, 'blocks/users')).toEqual([who('target')]);
            expect(await members(id)).not.toContain(who('target'));
          },
          unchanged: async (id) => {
            expect(await list(id, 'blocks/users')).toEqual([]);
            expect(await members(id)).toContain(who('target'));
          },
        });
      }
      const blocked = async () => {
        const id = await fresh();
        await t().apiOk('POST', `/chatrooms/${id}/blocks/users/${who('target')}`);
        return id;
      };
      for (const [op, params] of [
        ['unblockChatRoomMember', (id: string) => ({ chatRoomId: id, username: who('target') })],
        ['unblockChatRoomMembers', (id: string) => ({ chatRoomId: id, usernames: [who('target')] })],
      ] as const) {
        await run({
          op,
          allowed: managers,
          fresh: blocked,
          params,
          ok: async (res, id) => {
            const rows = Array.isArray(res.data) ? res.data : [res.data];
            expect(rows).toEqual([expect.objectContaining({ action: 'remove_blocks', id, result: true, user: who('target') })]);
            expect(await list(id, 'blocks/users')).toEqual([]);
          },
          unchanged: async (id) => expect(await list(id, 'blocks/users')).toEqual([who('target')]),
        });
      }
      await run({ op: 'getChatRoomBlocklist', allowed: managers, fresh: blocked, params: (id) => ({ chatRoomId: id }), ok: (res) => expect(res.data).toEqual([who('target')]) });
    });

    it('addUsersToChatRoomAllowlist, removeChatRoomAllowlistMember, getChatRoomAllowlist, isInChatRoomAllowlist', async () => {
      await run({
        op: 'addUsersToChatRoomAllowlist',
        allowed: managers,
        fresh: () => fresh(),
        params: (id) => ({ chatRoomId: id, users: [who('target')] }),
        ok: async (res, id) => {
          expect(res.data).toMatchObject({ action: 'add_user_whitelist', id, result: true, user: who('target') });
          expect(await list(id, 'white/users')).toEqual([who('target')]);
        },
        unchanged: async (id) => expect(await list(id, 'white/users')).toEqual([]),
      });
      const allowed = async () => {
        const id = await fresh();
        await t().apiOk('POST', `/chatrooms/${id}/white/users`, { usernames: [who('target')] });
        return id;
      };
      await run({
        op: 'removeChatRoomAllowlistMember',
        allowed: managers,
        fresh: allowed,
        params: (id) => ({ chatRoomId: id, userName: who('target') }),
        ok: async (res, id) => {
          expect(res.data).toMatchObject({ action: 'remove_user_whitelist', id, result: true, user: who('target') });
          expect(await list(id, 'white/users')).toEqual([]);
        },
        unchanged: async (id) => expect(await list(id, 'white/users')).toEqual([who('target')]),
      });
      await run({ op: 'getChatRoomAllowlist', allowed: managers, fresh: allowed, params: (id) => ({ chatRoomId: id }), ok: (res) => expect(res.data).toEqual([who('target')]) });
      // A member about themself; the owner and admins about anyone.
      await run({
        op: 'isInChatRoomAllowlist',
        allowed: everyMember,
        fresh: allowed,
        params: (id, role) => ({ chatRoomId: id, userName: who(role) }),
        ok: (res) => expect(res.data).toEqual({ member: true, white: false }),
      });
      await run({
        op: 'isInChatRoomAllowlist',
        allowed: managers,
        fresh: allowed,
        params: (id) => ({ chatRoomId: id, userName: who('target') }),
        ok: (res) => expect(res.data).toEqual({ member: true, white: true }),
      });
    });
  });

  describe('announcement', () => {
    it('fetchChatRoomAnnouncement: members; updateChatRoomAnnouncement: the owner and admins', async () => {
      const announced = async () => {
        const id = await fresh();
        await t().apiOk('POST', `/chatrooms/${id}/announcement`, { announcement: 'read me' });
        return id;
      };
      await run({ op: 'fetchChatRoomAnnouncement', allowed: everyMember, fresh: announced, params: (id) => ({ roomId: id }), ok: (res) => expect(res.data.announcement).toBe('read me') });
      await run({
        op: 'updateChatRoomAnnouncement',
        allowed: managers,
        fresh: announced,
        params: (id) => ({ roomId: id, announcement: 'new words' }),
        ok: async (res, id) => {
          expect(res.data).toMatchObject({ id, result: true });
          expect((await t().apiOk('GET', `/chatrooms/${id}/announcement`)).data.announcement).toBe('new words');
        },
        unchanged: async (id) => expect((await t().apiOk('GET', `/chatrooms/${id}/announcement`)).data.announcement).toBe('read me'),
      });
    });
  });
});
