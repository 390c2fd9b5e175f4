// The web SDK's own group calls with the user's token (issue 14; REST.md "Groups", "Group members,
// admins, mutes, blocklist, allowlist", "Group announcement and shared files"): the owner, an admin,
// a plain member and an outsider each try each call through the unmodified SDK, on a group made
// fresh for the try, and get what the hosted role rules give them — success with the fields the
// SDK reads, or the SDK error type REST.md's error mapping gives (602 not a member, 603 permission
// denied) — and the group is read back with the app token.
import { describe, expect, it } from 'vitest';
import { databases } from '../support/harness.js';
import { filePart } from '../support/multipart.js';
import { rejection } from '../support/sdk/client.js';
import { roleSuite, tryRoles, type Cast, type Row } from '../support/sdk/roles.js';

const NOT_MEMBER = 602;
const DENIED = 603;
const NO_GROUP = 605;

describe.each(databases)('SDK group calls by role (%s)', (kind) => {
  const s = roleSuite(kind, 'rg');
  const t = () => s.t;
  const who = (role: keyof Cast) => s.names[role];

  /** A group of the cast: owner, admin (named by the app), member and target; outsider not in it. */
  async function fresh(extra: Record<string, unknown> = { public: false }): Promise<string> {
    const { owner, admin, member, target } = s.names;
    const id = await t().createGroup(owner, [admin, member, target], extra);
    await t().apiOk('POST', `/chatgroups/${id}/admin`, { newadmin: admin });
    return id;
  }

  const info = async (id: string) => (await t().apiOk('GET', `/chatgroups/${id}`)).data[0];
  const members = async (id: string): Promise<string[]> =>
    ((await t().apiOk('GET', `/chatgroups/${id}/users`)).data as Record<string, string>[]).map((r) => r.owner ?? r.admin ?? r.member!).sort();
  const list = async (id: string, what: string): Promise<unknown[]> => (await t().apiOk('GET', `/chatgroups/${id}/${what}`)).data;
  const mutedUsers = async (id: string) => ((await list(id, 'mute')) as { user: string }[]).map((m) => m.user);
  const run = (row: Row<string>) => tryRoles(s, row, { owner: DENIED, admin: DENIED, member: DENIED, outsider: NOT_MEMBER });
  const ownerOnly = ['owner'] as const;
  const managers = ['owner', 'admin'] as const;
  const everyMember = ['owner', 'admin', 'member'] as const;

  describe('the group itself', () => {
    it('getGroupInfo: members of a private group; anyone for a public one', async () => {
      await run({
        op: 'getGroupInfo',
        allowed: everyMember,
        fresh: () => fresh({ public: false }),
        params: (id) => ({ groupId: id }),
        ok: (res, id) => expect(res.data[0]).toMatchObject({ id, owner: who('owner'), affiliations_count: 4, public: false }),
      });
      await run({
        op: 'getGroupInfo',
        allowed: [...everyMember, 'outsider'],
        fresh: () => fresh({ public: true }),
        params: (id) => ({ groupId: id }),
        ok: (res, id) => expect(res.data[0]).toMatchObject({ id, public: true }),
      });
    });

    it('modifyGroup: the owner and admins', async () => {
      await run({
        op: 'modifyGroup',
        allowed: managers,
        fresh: () => fresh(),
        params: (id) => ({ groupId: id, groupName: 'renamed', description: 'new desc' }),
        ok: async (res, id) => {
          expect(res.data).toEqual({ groupname: true, description: true });
          expect(await info(id)).toMatchObject({ name: 'renamed', description: 'new desc' });
        },
        unchanged: async (id) => expect(await info(id)).toMatchObject({ name: 'g', description: 'd' }),
      });
    });

    it('changeGroupOwner: the owner only', async () => {
      await run({
        op: 'changeGroupOwner',
        allowed: ownerOnly,
        fresh: () => fresh(),
        params: (id) => ({ groupId: id, newOwner: who('target') }),
        ok: async (res, id) => {
          expect(res.data).toEqual({ newowner: true });
          expect((await info(id)).owner).toBe(who('target'));
        },
        unchanged: async (id) => expect((await info(id)).owner).toBe(who('owner')),
      });
    });

    it('destroyGroup: the owner only; a destroyed group is 605 afterwards', async () => {
      await run({
        op: 'destroyGroup',
        allowed: ownerOnly,
        fresh: () => fresh(),
        params: (id) => ({ groupId: id }),
        ok: async (_res, id) => {
          expect((await t().api('GET', `/chatgroups/${id}`)).status).toBe(404);
          expect((await rejection(s.sdk.owner.call('getGroupInfo', { groupId: id }))).type).toBe(NO_GROUP);
        },
        unchanged: async (id) => expect((await t().api('GET', `/chatgroups/${id}`)).status).toBe(200),
      });
    });

    it('leaveGroup: admins and members; the owner cannot leave', async () => {
      await run({
        op: 'leaveGroup',
        allowed: ['admin', 'member'],
        fresh: () => fresh(),
        params: (id) => ({ groupId: id }),
        ok: async (res, id, role) => {
          expect(res.data).toEqual({ result: true });
          expect(await members(id)).not.toContain(who(role));
          expect(await members(id)).toHaveLength(3);
        },
        unchanged: async (id) => expect(await members(id)).toHaveLength(4),
      });
    });
  });

  describe('joining and inviting', () => {
    it('joinGroup: an outsider joins a public group directly (members are refused)', async () => {
      await run({
        op: 'joinGroup',
        allowed: ['outsider'],
        fresh: () => fresh({ public: true, membersonly: false }),
        params: (id) => ({ groupId: id, message: 'hi' }),
        ok: async (res, id) => {
          expect(res.data).toMatchObject({ result: true, action: 'join', user: who('outsider'), id });
          expect(await members(id)).toContain(who('outsider'));
        },
        unchanged: async (id) => expect(await members(id)).toHaveLength(4),
      });
    });

    it('joinGroup on a members-only group is a request; a private group refuses', async () => {
      const closed = await fresh({ public: true, membersonly: true });
      const res = await s.sdk.outsider.call('joinGroup', { groupId: closed, message: 'let me in' });
      expect(res.data).toMatchObject({ action: 'apply', user: who('outsider'), id: closed });
      expect(await members(closed)).not.toContain(who('outsider'));
      const secret = await fresh({ public: false });
      expect((await rejection(s.sdk.outsider.call('joinGroup', { groupId: secret, message: '' }))).type).toBe(DENIED);
      expect(await members(secret)).not.toContain(who('outsider'));
    });

    for (const [op, accepted] of [
      ['acceptGroupJoinRequest', true],
      ['rejectGroupJoinRequest', false],
    ] as const) {
      it(`${op}: the owner and admins answer a request`, async () => {
        await run({
          op,
          allowed: managers,
          fresh: async () => {
            const id = await fresh({ public: true, membersonly: true });
            const token = await t().userToken(s.spare);
            expect((await t().api('POST', `/chatgroups/${id}/apply`, { token, body: { message: 'me' } })).status).toBe(200);
            return id;
          },
          params: (id) => ({ groupId: id, applicant: s.spare, reason: 'because' }),
          ok: async (res, id) => {
            expect(res.data).toMatchObject({ result: true, user: s.spare });
            if (accepted) expect(await members(id)).toContain(s.spare);
            else expect(await members(id)).not.toContain(s.spare);
            // Answered once: a second answer finds no request (404 resource_not_found, which the
            // SDK's mapping does not name: its generic 17, with the server's text).
            const again = await rejection(s.sdk.owner.call(op, { groupId: id, applicant: s.spare, reason: 'again' }));
            expect(again.type).toBe(17);
            expect(JSON.parse(again.message)).toMatchObject({ error: 'resource_not_found' });
          },
          unchanged: async (id) => expect(await members(id)).not.toContain(s.spare),
        });
      });
    }

    it('inviteUsersToGroup: the owner and admins; members too when the group allows invites', async () => {
      const ok = async (res: { data: unknown }, id: string) => {
        expect(res.data).toEqual([{ action: 'invite', id, result: true, user: s.spare }]);
        expect(await members(id)).toContain(s.spare);
      };
      await run({
        op: 'inviteUsersToGroup',
        allowed: managers,
        fresh: () => fresh({ public: false, allowinvites: false, invite_need_confirm: false }),
        params: (id) => ({ groupId: id, users: [s.spare] }),
        ok,
        unchanged: async (id) => expect(await members(id)).not.toContain(s.spare),
      });
      await run({
        op: 'inviteUsersToGroup',
        allowed: everyMember,
        fresh: () => fresh({ public: false, allowinvites: true, invite_need_confirm: false }),
        params: (id) => ({ groupId: id, users: [s.spare] }),
        ok,
        unchanged: async (id) => expect(await members(id)).not.toContain(s.spare),
      });
    });

    for (const [op, accepted] of [
      ['acceptGroupInvite', true],
      ['rejectGroupInvite', false],
    ] as const) {
      it(`${op}: only the invitee answers an invitation`, async () => {
        await run({
          op,
          allowed: ['outsider'],
          // Anyone else answering for the invitee is refused (the invitation is the invitee's).
          refused: { owner: DENIED, admin: DENIED, member: DENIED },
          fresh: async () => {
            const id = await fresh({ public: false, invite_need_confirm: true });
            await s.sdk.owner.call('inviteUsersToGroup', { groupId: id, users: [who('outsider')] });
            expect(await members(id)).not.toContain(who('outsider'));
            return id;
          },
          params: (id) => ({ groupId: id, invitee: who('outsider') }),
          ok: async (res, id) => {
            expect(res.data).toMatchObject({ result: true, user: who('outsider') });
            if (accepted) expect(await members(id)).toContain(who('outsider'));
            else expect(await members(id)).not.toContain(who('outsider'));
          },
          unchanged: async (id) => expect(await members(id)).not.toContain(who('outsider')),
        });
      });
    }
  });

  describe('members and admins', () => {
    it('getGroupMembers and getGroupAdmin: members read', async () => {
      await run({
        op: 'getGroupMembers',
        allowed: everyMember,
        fresh: () => fresh(),
        params: (id) => ({ groupId: id, limit: 50 }),
        ok: (res) =>
          expect(res.data.members).toEqual([
            { role: 'owner', userId: who('owner'), joinedTime: expect.any(Number) },
            { role: 'admin', userId: who('admin'), joinedTime: expect.any(Number) },
            ...[who('member'), who('target')].sort().map((userId) => ({ role: 'member', userId, joinedTime: expect.any(Number) })),
          ]),
      });
      await run({
        op: 'listGroupMembers',
        allowed: everyMember,
        fresh: () => fresh(),
        params: (id) => ({ groupId: id, pageNum: 1, pageSize: 20 }),
        ok: (res) => expect(res.data).toEqual(expect.arrayContaining([{ owner: who('owner') }, { member: who('member') }])),
      });
      await run({ op: 'getGroupAdmin', allowed: everyMember, fresh: () => fresh(), params: (id) => ({ groupId: id }), ok: (res) => expect(res.data).toEqual([who('admin')]) });
    });

    it('setGroupAdmin and removeGroupAdmin: the owner only', async () => {
      await run({
        op: 'setGroupAdmin',
        allowed: ownerOnly,
        fresh: () => fresh(),
        params: (id) => ({ groupId: id, username: who('target') }),
        ok: async (res, id) => {
          expect(res.data).toMatchObject({ newadmin: who('target'), result: 'success' });
          expect((await list(id, 'admin')).sort()).toEqual([who('admin'), who('target')].sort());
        },
        unchanged: async (id) => expect(await list(id, 'admin')).toEqual([who('admin')]),
      });
      await run({
        op: 'removeGroupAdmin',
        allowed: ownerOnly,
        fresh: () => fresh(),
        params: (id) => ({ groupId: id, username: who('admin') }),
        ok: async (res, id) => {
          expect(res.data).toMatchObject({ oldadmin: who('admin'), result: 'success' });
          expect(await list(id, 'admin')).toEqual([]);
        },
        unchanged: async (id) => expect(await list(id, 'admin')).toEqual([who('admin')]),
      });
    });

    it('removeGroupMember and removeGroupMembers: the owner and admins', async () => {
      for (const [op, params] of [
        ['removeGroupMember', (id: string) => ({ groupId: id, username: who('target') })],
        ['removeGroupMembers', (id: string) => ({ groupId: id, users: [who('target')] })],
      ] as const) {
        await run({
          op,
          allowed: managers,
          fresh: () => fresh(),
          params,
          ok: async (res, id) => {
            const rows = Array.isArray(res.data) ? res.data : [res.data];
            expect(rows).toEqual([expect.objectContaining({ result: true, user: who('target'), groupid: id })]);
            expect(await members(id)).not.toContain(who('target'));
          },
          unchanged: async (id) => expect(await members(id)).toContain(who('target')),
        });
      }
    });
  });

  describe('mutes', () => {
    it('muteGroupMember, unmuteGroupMember, getGroupMuteList: the owner and admins', async () => {
      await run({
        op: 'muteGroupMember',
        allowed: managers,
        fresh: () => fresh(),
        params: (id) => ({ groupId: id, username: who('target'), muteDuration: 60_000 }),
        ok: async (res, id) => {
          expect(res.data).toEqual([{ result: true, user: who('target'), expire: expect.any(Number) }]);
          expect(await mutedUsers(id)).toEqual([who('target')]);
        },
        unchanged: async (id) => expect(await mutedUsers(id)).toEqual([]),
      });
      const mutedGroup = async () => {
        const id = await fresh();
        await t().apiOk('POST', `/chatgroups/${id}/mute`, { usernames: [who('target')], mute_duration: 60_000 });
        return id;
      };
      await run({
        op: 'unmuteGroupMember',
        allowed: managers,
        fresh: mutedGroup,
        params: (id) => ({ groupId: id, username: who('target') }),
        ok: async (res, id) => {
          expect(res.data).toEqual([{ result: true, user: who('target') }]);
          expect(await mutedUsers(id)).toEqual([]);
        },
        unchanged: async (id) => expect(await mutedUsers(id)).toEqual([who('target')]),
      });
      await run({
        op: 'getGroupMuteList',
        allowed: managers,
        fresh: mutedGroup,
        params: (id) => ({ groupId: id }),
        ok: (res) => expect(res.data).toEqual([{ user: who('target'), expire: expect.any(Number) }]),
      });
    });

    it('isInGroupMutelist: each member about themself', async () => {
      await run({
        op: 'isInGroupMutelist',
        allowed: everyMember,
        fresh: async () => {
          const id = await fresh();
          await t().apiOk('POST', `/chatgroups/${id}/mute`, { usernames: [who('member')], mute_duration: 60_000 });
          return id;
        },
        params: (id) => ({ groupId: id }),
        ok: (res, _id, role) => expect(res.data).toBe(role === 'member'),
      });
    });

    it('disableSendGroupMsg and enableSendGroupMsg: the owner and admins', async () => {
      await run({
        op: 'disableSendGroupMsg',
        allowed: managers,
        fresh: () => fresh(),
        params: (id) => ({ groupId: id }),
        ok: async (res, id) => {
          expect(res.data).toEqual({ mute: true });
          expect((await info(id)).mute).toBe(true);
        },
        unchanged: async (id) => expect((await info(id)).mute).toBe(false),
      });
      await run({
        op: 'enableSendGroupMsg',
        allowed: managers,
        fresh: async () => {
          const id = await fresh();
          await t().apiOk('POST', `/chatgroups/${id}/ban`);
          return id;
        },
        params: (id) => ({ groupId: id }),
        ok: async (res, id) => {
          expect(res.data).toEqual({ mute: false });
          expect((await info(id)).mute).toBe(false);
        },
        unchanged: async (id) => expect((await info(id)).mute).toBe(true),
      });
    });
  });

  describe('blocklist and allowlist', () => {
    it('blockGroupMember(s), unblockGroupMember(s), getGroupBlocklist: the owner and admins', async () => {
      for (const [op, params] of [
        ['blockGroupMember', (id: string) => ({ groupId: id, username: who('target') })],
        ['blockGroupMembers', (id: string) => ({ groupId: id, usernames: [who('target')] })],
      ] as const) {
        await run({
          op,
          allowed: managers,
          fresh: () => fresh(),
          params,
          ok: async (res, id) => {
            const rows = Array.isArray(res.data) ? res.data : [res.data];
            expect(rows).toEqual([expect.objectContaining({ action: 'add_blocks', groupid: id, result: true, user: who('target') })]);
            expect(await list(id, 'blocks/users')).toEqual([who('target')]);
            expect(await members(id)).not.toContain(who('target'));
          },
          unchanged: async (id) => {
            expect(await list(id, 'blocks/users')).toEqual([]);
            expect(await members(id)).toContain(who('target'));
          },
        });
      }
      const blockedGroup = async () => {
        const id = await fresh();
        await t().apiOk('POST', `/chatgroups/${id}/blocks/users/${who('target')}`);
        return id;
      };
      for (const [op, params] of [
        ['unblockGroupMember', (id: string) => ({ groupId: id, username: who('target') })],
        ['unblockGroupMembers', (id: string) => ({ groupId: id, usernames: [who('target')] })],
      ] as const) {
        await run({
          op,
          allowed: managers,
          fresh: blockedGroup,
          params,
          ok: async (res, id) => {
            const rows = Array.isArray(res.data) ? res.data : [res.data];
            expect(rows).toEqual([expect.objectContaining({ action: 'remove_blocks', groupid: id, result: true, user: who('target') })]);
            expect(await list(id, 'blocks/users')).toEqual([]);
          },
          unchanged: async (id) => expect(await list(id, 'blocks/users')).toEqual([who('target')]),
        });
      }
      await run({ op: 'getGroupBlocklist', allowed: managers, fresh: blockedGroup, params: (id) => ({ groupId: id }), ok: (res) => expect(res.data).toEqual([who('target')]) });
    });

    it('addUsersToGroupAllowlist, removeGroupAllowlistMember, getGroupAllowlist: the owner and admins', async () => {
      await run({
        op: 'addUsersToGroupAllowlist',
        allowed: managers,
        fresh: () => fresh(),
        params: (id) => ({ groupId: id, users: [who('target')] }),
        ok: async (res, id) => {
          // A one-row answer is unwrapped by the SDK.
          expect(res.data).toMatchObject({ action: 'add_user_whitelist', groupid: id, result: true, user: who('target') });
          expect(await list(id, 'white/users')).toEqual([who('target')]);
        },
        unchanged: async (id) => expect(await list(id, 'white/users')).toEqual([]),
      });
      const allowed = async () => {
        const id = await fresh();
        await t().apiOk('POST', `/chatgroups/${id}/white/users`, { usernames: [who('target')] });
        return id;
      };
      await run({
        op: 'removeGroupAllowlistMember',
        allowed: managers,
        fresh: allowed,
        params: (id) => ({ groupId: id, userName: who('target') }),
        ok: async (res, id) => {
          expect(res.data).toMatchObject({ action: 'remove_user_whitelist', groupid: id, result: true, user: who('target') });
          expect(await list(id, 'white/users')).toEqual([]);
        },
        unchanged: async (id) => expect(await list(id, 'white/users')).toEqual([who('target')]),
      });
      await run({ op: 'getGroupAllowlist', allowed: managers, fresh: allowed, params: (id) => ({ groupId: id }), ok: (res) => expect(res.data).toEqual([who('target')]) });
    });

    it('isInGroupAllowlist: a member about themself; the owner and admins about anyone', async () => {
      const allowed = async () => {
        const id = await fresh();
        await t().apiOk('POST', `/chatgroups/${id}/white/users`, { usernames: [who('member')] });
        return id;
      };
      await run({
        op: 'isInGroupAllowlist',
        allowed: everyMember,
        fresh: allowed,
        params: (id, role) => ({ groupId: id, userName: who(role) }),
        ok: (res, _id, role) => expect(res.data).toEqual({ member: true, white: role === 'member' }),
      });
      await run({
        op: 'isInGroupAllowlist',
        allowed: managers,
        fresh: allowed,
        params: (id) => ({ groupId: id, userName: who('target') }),
        ok: (res) => expect(res.data).toEqual({ member: true, white: false }),
      });
    });
  });

  describe('announcement and shared files', () => {
    it('fetchGroupAnnouncement: members; updateGroupAnnouncement: the owner and admins', async () => {
      const announced = async () => {
        const id = await fresh();
        await t().apiOk('POST', `/chatgroups/${id}/announcement`, { announcement: 'read me' });
        return id;
      };
      await run({ op: 'fetchGroupAnnouncement', allowed: everyMember, fresh: announced, params: (id) => ({ groupId: id }), ok: (res) => expect(res.data.announcement).toBe('read me') });
      await run({
        op: 'updateGroupAnnouncement',
        allowed: managers,
        fresh: announced,
        params: (id) => ({ groupId: id, announcement: 'new words' }),
        ok: async (res, id) => {
          expect(res.data).toMatchObject({ id, result: true });
          expect((await t().apiOk('GET', `/chatgroups/${id}/announcement`)).data.announcement).toBe('new words');
        },
        unchanged: async (id) => expect((await t().apiOk('GET', `/chatgroups/${id}/announcement`)).data.announcement).toBe('read me'),
      });
    });

    /** A group with one file the target uploaded with its own token. */
    async function withFile(): Promise<{ id: string; file: string }> {
      const id = await fresh();
      const { payload, contentType } = filePart('target.txt', 'from the target', 'text/plain');
      const token = await t().userToken(who('target'));
      const up = await t().api('POST', `/chatgroups/${id}/share_files`, { token, payload, headers: { 'content-type': contentType } });
      expect(up.status, up.text).toBe(200);
      return { id, file: up.body.data.file_id };
    }
    const files = async (id: string) => ((await list(id, 'share_files')) as { file_id: string }[]).map((f) => f.file_id);

    it('uploadGroupSharedFile: members upload (the SDK reports through its callbacks); outsiders are refused', async () => {
      for (const role of ['owner', 'admin', 'member', 'outsider'] as const) {
        const id = await fresh();
        const done = await s.sdk[role].upload('uploadGroupSharedFile', { groupId: id }, `${role}.txt`, `by the ${role}`);
        if (role === 'outsider') {
          // Any JSON answer but a 400 reaches onFileUploadComplete (REST.md): the refusal's body.
          expect(done).toMatchObject({ error: 'forbidden_op' });
          expect(await files(id)).toEqual([]);
          continue;
        }
        expect(done.data).toMatchObject({ file_name: `${role}.txt`, file_owner: who(role), file_size: `by the ${role}`.length, file_id: expect.any(String) });
        expect(await files(id)).toEqual([done.data.file_id]);
        const bytes = await t().api('GET', `/chatgroups/${id}/share_files/${done.data.file_id}`);
        expect(bytes.text).toBe(`by the ${role}`);
      }
    });

    it('getGroupSharedFilelist: members; deleteGroupSharedFile: the owner and admins, a member only their own', async () => {
      await run({
        op: 'getGroupSharedFilelist',
        allowed: everyMember,
        fresh: async () => (await withFile()).id,
        params: (id) => ({ groupId: id, pageNum: 1, pageSize: 10 }),
        ok: (res) => expect(res.data).toEqual([expect.objectContaining({ file_name: 'target.txt', file_owner: who('target'), file_size: 15, created: expect.any(Number) })]),
      });
      const made = new Map<string, string>();
      await run({
        op: 'deleteGroupSharedFile',
        allowed: managers,
        fresh: async () => {
          const { id, file } = await withFile();
          made.set(id, file);
          return id;
        },
        params: (id) => ({ groupId: id, fileId: made.get(id) }),
        ok: async (res, id) => {
          expect(res.data).toMatchObject({ file_id: made.get(id), result: true });
          expect(await files(id)).toEqual([]);
        },
        unchanged: async (id) => expect(await files(id)).toEqual([made.get(id)]),
      });
      // The uploader deletes their own file.
      const { id, file } = await withFile();
      expect((await s.sdk.target.call('deleteGroupSharedFile', { groupId: id, fileId: file })).data).toMatchObject({ file_id: file, result: true });
      expect(await files(id)).toEqual([]);
    });
  });

  describe('paging as the SDK pages (cursors go back unencoded)', () => {
    it('getGroupMembers by cursor, and getPublicGroups by cursor', async () => {
      const id = await fresh();
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 5; pages++) {
        const page = await s.sdk.member.call('getGroupMembers', { groupId: id, limit: 3, cursor });
        seen.push(...(page.data.members as { userId: string }[]).map((m) => m.userId));
        cursor = page.data.cursor;
        if (!cursor) break;
        expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      }
      expect(seen.sort()).toEqual([who('owner'), who('admin'), who('member'), who('target')].sort());

      const mine = await Promise.all([1, 2, 3].map((n) => t().createGroup(who('owner'), [], { public: true, groupname: `pub${n}` })));
      const listed: string[] = [];
      cursor = undefined;
      for (let pages = 0; pages < 1000 && !mine.every((g) => listed.includes(g)); pages++) {
        const page = await s.sdk.outsider.call('getPublicGroups', { limit: 2, cursor });
        listed.push(...(page.data as { groupid: string }[]).map((g) => g.groupid));
        cursor = page.cursor;
        if (!cursor) break;
        expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      }
      expect(listed).toEqual(expect.arrayContaining(mine));
      expect(new Set(listed).size).toBe(listed.length);
    });
  });

  describe("a user's own groups", () => {
    it('createGroup and createGroupVNext: any user creates a group they own, with the members and settings sent', async () => {
      const made = await s.sdk.outsider.call('createGroup', {
        data: { groupname: 'old style', desc: 'made by the SDK', members: [who('member')], public: true, approval: true, allowinvites: false, inviteNeedConfirm: false, maxusers: 50 },
      });
      const old = made.data.groupid as string;
      expect(old).toMatch(/^\d+$/);
      expect(await info(old)).toMatchObject({ name: 'old style', description: 'made by the SDK', owner: who('outsider'), public: true, membersonly: true, allowinvites: false, maxusers: 50 });
      expect(await members(old)).toEqual([who('member'), who('outsider')].sort());

      const next = await s.sdk.member.call('createGroupVNext', {
        groupName: 'new style',
        description: 'vnext',
        members: [who('target')],
        isPublic: false,
        needApprovalToJoin: false,
        allowMemberToInvite: true,
        inviteNeedConfirm: false,
        maxMemberCount: 100,
        extension: '{"k":1}',
      });
      const id = next.data.groupId as string;
      expect(id).toMatch(/^\d+$/);
      expect(await info(id)).toMatchObject({ name: 'new style', description: 'vnext', owner: who('member'), public: false, membersonly: false, allowinvites: true, maxusers: 100, custom: '{"k":1}' });
      expect(await members(id)).toEqual([who('member'), who('target')].sort());
    });

    it('getJoinedGroups (both variants), getJoinedGroupsCount and getPublicGroups', async () => {
      const [loner] = await t().makeUsers('rgl');
      const sdk = await s.login(loner);
      {
        const a = await t().createGroup(s.names.owner, [loner], { public: true, groupname: 'first' });
        const b = await t().createGroup(loner, [], { public: false, groupname: 'second' });
        await t().apiOk('POST', `/chatgroups/${a}/admin`, { newadmin: loner });
        const plain = await sdk.call('getJoinedGroups', { pageNum: 1, pageSize: 20 });
        expect(plain.data).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ groupid: a, groupname: 'first', role: 'admin', disabled: false }),
            expect.objectContaining({ groupid: b, groupname: 'second', role: 'owner', disabled: false }),
          ]),
        );
        expect(plain.data).toHaveLength(2);
        const rich = await sdk.call('getJoinedGroups', { pageNum: 0, pageSize: 20, needAffiliations: true, needRole: true });
        expect(rich.entities).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ groupId: a, groupName: 'first', role: 'admin', affiliationsCount: 2, public: true, approval: false }),
            expect.objectContaining({ groupId: b, groupName: 'second', role: 'owner', affiliationsCount: 1, public: false }),
          ]),
        );
        expect((await sdk.call('getJoinedGroupsCount')).data).toBe(2);
        // The legacy name: the raw rows.
        const legacy = await sdk.call('getGroup');
        expect((legacy.data as { groupid: string }[]).map((g) => g.groupid).sort()).toEqual([a, b].sort());
        const pub = await sdk.call('getPublicGroups', { limit: 100 });
        const ids = (pub.data as { groupid: string; groupname: string }[]).map((g) => g.groupid);
        expect(ids).toContain(a);
        expect(ids).not.toContain(b);
        expect(pub.data).toContainEqual(expect.objectContaining({ groupid: a, groupname: 'first' }));
      }
    });
  });
});
