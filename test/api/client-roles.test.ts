// The client SDK's own REST calls (issue 14; ../shared/api/client-protocol/REST.md): every route a
// user token may call, tried by the owner, an admin, a plain member and an outsider of the room,
// each getting what the hosted role rules give them. The app token keeps working everywhere (the
// other API suites).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases, startApp, type Reply, type TestApp } from '../support/harness.js';
import { expectError } from '../support/expect.js';

interface Cast {
  owner: string;
  admin: string;
  member: string;
  outsider: string;
  tokens: Record<'owner' | 'admin' | 'member' | 'outsider', string>;
}

describe.each(databases)('client REST calls by role (%s)', (kind) => {
  let t: TestApp;
  const as = (token: string, method: string, path: string, body?: unknown): Promise<Reply> => t.api(method, path, { token, body });

  beforeAll(async () => {
    t = await startApp(kind);
  });
  afterAll(() => t.close());

  /** Four users and a group (or room) where each has that role. */
  async function cast(room: 'group' | 'chatroom', extra: Record<string, unknown> = {}): Promise<Cast & { id: string }> {
    const [owner, admin, member, outsider] = await t.makeUsers('own', 'adm', 'mem', 'out');
    const id = room === 'group' ? await t.createGroup(owner, [admin, member], extra) : await t.createRoom(owner, [admin, member], extra);
    await t.apiOk('POST', `/${room === 'group' ? 'chatgroups' : 'chatrooms'}/${id}/admin`, { newadmin: admin });
    const tokens = {
      owner: await t.userToken(owner),
      admin: await t.userToken(admin),
      member: await t.userToken(member),
      outsider: await t.userToken(outsider),
    };
    return { id, owner, admin, member, outsider, tokens };
  }

  const members = async (path: string): Promise<string[]> =>
    ((await t.api('GET', path)).body.data as Record<string, string>[]).map((r) => r.owner ?? r.member ?? r.admin!);

  describe('groups', () => {
    it('a user creates groups they own (private unless public is sent; approval is membersonly)', async () => {
      const [alice, bob] = await t.makeUsers('crea', 'creb');
      const token = await t.userToken(alice);
      const made = await as(token, 'POST', '/chatgroups', { owner: alice, groupname: 'mine', members: [bob], approval: true, allowinvites: true, invite_need_confirm: false, maxusers: 50 });
      expect(made.status, made.text).toBe(200);
      const [g] = (await t.api('GET', `/chatgroups/${made.body.data.groupid}`)).body.data;
      expect(g).toMatchObject({ owner: alice, name: 'mine', public: false, membersonly: true, allowinvites: true, invite_need_confirm: false, maxusers: 50, affiliations_count: 2 });
      // The SDK's own name is the owner; without it the caller owns the group.
      const noOwner = await as(token, 'POST', '/chatgroups', { groupname: 'x', public: true });
      expect(noOwner.status).toBe(200);
      expect((await t.api('GET', `/chatgroups/${noOwner.body.data.groupid}`)).body.data[0].owner).toBe(alice);
      expectError(await as(token, 'POST', '/chatgroups', { owner: bob, public: true }), 403, 'forbidden_op', `user ${alice} can only create a group or thread that they own`);
    });

    it('details: any user for a public group, members only for a private one', async () => {
      const c = await cast('group', { public: false });
      const open = await t.createGroup(c.owner, [], { public: true });
      expect((await as(c.tokens.outsider, 'GET', `/chatgroups/${open}`)).status).toBe(200);
      expect((await as(c.tokens.member, 'GET', `/chatgroups/${c.id}?joined_time=true`)).body.data[0].id).toBe(c.id);
      expectError(await as(c.tokens.outsider, 'GET', `/chatgroups/${c.id}`), 403, 'forbidden_op', `users [${c.outsider}] are not members of this group!`);
      const both = await as(c.tokens.outsider, 'GET', `/chatgroups/${open},${c.id}`);
      expect(both.body.data).toEqual([expect.objectContaining({ id: open }), { id: c.id, error: "group id doesn't exist" }]);
    });

    it('modify: the owner and admins; only the owner gives the group away', async () => {
      const c = await cast('group');
      expect((await as(c.tokens.owner, 'PUT', `/chatgroups/${c.id}`, { groupname: 'by owner' })).body.data).toEqual({ groupname: true });
      expect((await as(c.tokens.admin, 'PUT', `/chatgroups/${c.id}`, { description: 'by admin' })).body.data).toEqual({ description: true });
      expectError(await as(c.tokens.member, 'PUT', `/chatgroups/${c.id}`, { groupname: 'x' }), 403, 'forbidden_op');
      expectError(await as(c.tokens.outsider, 'PUT', `/chatgroups/${c.id}`, { groupname: 'x' }), 403, 'forbidden_op', `users [${c.outsider}] are not members of this group!`);
      expectError(await as(c.tokens.admin, 'PUT', `/chatgroups/${c.id}`, { newowner: c.admin }), 403, 'forbidden_op', `user ${c.admin} is not the owner of this group!`);
      const [g] = (await t.api('GET', `/chatgroups/${c.id}`)).body.data;
      expect(g).toMatchObject({ name: 'by owner', description: 'by admin', owner: c.owner });
      expect((await as(c.tokens.owner, 'PUT', `/chatgroups/${c.id}`, { newowner: c.admin })).body.data).toEqual({ newowner: true });
      expect((await t.api('GET', `/chatgroups/${c.id}`)).body.data[0].owner).toBe(c.admin);
    });

    it('destroy: the owner only', async () => {
      const c = await cast('group');
      for (const who of ['admin', 'member', 'outsider'] as const) expectError(await as(c.tokens[who], 'DELETE', `/chatgroups/${c.id}`), 403, 'forbidden_op');
      expect((await as(c.tokens.owner, 'DELETE', `/chatgroups/${c.id}?version=v3&resource=web`)).status).toBe(200);
      expect((await t.api('GET', `/chatgroups/${c.id}`)).status).toBe(404);
    });

    it('leave: members and admins; the owner cannot', async () => {
      const c = await cast('group');
      expect((await as(c.tokens.member, 'DELETE', `/chatgroups/${c.id}/quit`)).body.data).toEqual({ result: true });
      expect((await as(c.tokens.admin, 'DELETE', `/chatgroups/${c.id}/quit`)).status).toBe(200);
      expectError(await as(c.tokens.owner, 'DELETE', `/chatgroups/${c.id}/quit`), 403, 'forbidden_op', 'forbidden operation on group owner!');
      expectError(await as(c.tokens.outsider, 'DELETE', `/chatgroups/${c.id}/quit`), 403, 'forbidden_op');
      expect(await members(`/chatgroups/${c.id}/users`)).toEqual([c.owner]);
    });

    it('join: a public group directly, a members-only one by request the owner or an admin answers', async () => {
      const c = await cast('group', { public: true, membersonly: false });
      expect((await as(c.tokens.outsider, 'POST', `/chatgroups/${c.id}/apply`, { message: 'hi' })).body.data).toEqual({ result: true, action: 'join', user: c.outsider, id: c.id });
      expect(await members(`/chatgroups/${c.id}/users`)).toContain(c.outsider);
      expectError(await as(c.tokens.member, 'POST', `/chatgroups/${c.id}/apply`, {}), 403, 'forbidden_op');

      const closed = await cast('group', { public: true, membersonly: true });
      expect((await as(closed.tokens.outsider, 'POST', `/chatgroups/${closed.id}/apply`, { message: 'let me in' })).body.data.action).toBe('apply');
      expect(await members(`/chatgroups/${closed.id}/users`)).not.toContain(closed.outsider);
      expectError(await as(closed.tokens.member, 'POST', `/chatgroups/${closed.id}/apply_verify`, { applicant: closed.outsider, verifyResult: true }), 403, 'forbidden_op');
      const accepted = await as(closed.tokens.admin, 'POST', `/chatgroups/${closed.id}/apply_verify`, { applicant: closed.outsider, verifyResult: true, reason: 'no clue' });
      expect(accepted.body.data).toMatchObject({ result: true, user: closed.outsider });
      expect(await members(`/chatgroups/${closed.id}/users`)).toContain(closed.outsider);
      // Answered once: the request is gone.
      expectError(await as(closed.tokens.admin, 'POST', `/chatgroups/${closed.id}/apply_verify`, { applicant: closed.outsider, verifyResult: true }), 404, 'resource_not_found');

      const [late] = await t.makeUsers('late');
      const lateToken = await t.userToken(late);
      await as(lateToken, 'POST', `/chatgroups/${closed.id}/apply`, {});
      expect((await as(closed.tokens.owner, 'POST', `/chatgroups/${closed.id}/apply_verify`, { applicant: late, verifyResult: false })).status).toBe(200);
      expect(await members(`/chatgroups/${closed.id}/users`)).not.toContain(late);

      const secret = await cast('group', { public: false });
      expectError(await as(secret.tokens.outsider, 'POST', `/chatgroups/${secret.id}/apply`, {}), 403, 'forbidden_op', `group ${secret.id} is not public: users cannot apply to join it`);
    });

    it('invite: the owner and admins; members of a private group that allows invites; invitees confirm when the group says so', async () => {
      const c = await cast('group', { public: false, allowinvites: false, invite_need_confirm: false });
      const [x, y] = await t.makeUsers('invx', 'invy');
      const direct = await as(c.tokens.admin, 'POST', `/chatgroups/${c.id}/invite`, { usernames: [x, c.member, 'no-such-user'] });
      expect(direct.body.data).toEqual([
        { action: 'invite', id: c.id, result: true, user: x },
        { action: 'invite', id: c.id, result: false, user: c.member, reason: `user: ${c.member} already in group: ${c.id}` },
        { action: 'invite', id: c.id, result: false, user: 'no-such-user', reason: "username no-such-user doesn't exist!" },
      ]);
      expect(await members(`/chatgroups/${c.id}/users`)).toContain(x);
      expectError(await as(c.tokens.member, 'POST', `/chatgroups/${c.id}/invite`, { usernames: [y] }), 403, 'forbidden_op', `user ${c.member} may not invite users to group ${c.id}`);

      const open = await cast('group', { public: false, allowinvites: true, invite_need_confirm: true });
      expect((await as(open.tokens.member, 'POST', `/chatgroups/${open.id}/invite`, { usernames: [y] })).body.data).toEqual([{ action: 'invite', id: open.id, result: true, user: y }]);
      expect(await members(`/chatgroups/${open.id}/users`)).not.toContain(y);
      const yToken = await t.userToken(y);
      expectError(await as(open.tokens.outsider, 'POST', `/chatgroups/${open.id}/invite_verify`, { invitee: y, verifyResult: true }), 403, 'forbidden_op');
      expect((await as(yToken, 'POST', `/chatgroups/${open.id}/invite_verify`, { invitee: y, verifyResult: true })).body.data).toMatchObject({ result: true, user: y });
      expect(await members(`/chatgroups/${open.id}/users`)).toContain(y);
      expectError(await as(yToken, 'POST', `/chatgroups/${open.id}/invite_verify`, { invitee: y, verifyResult: true }), 404, 'resource_not_found');
    });

    it('members, admins and announcement: members read; the owner and admins change; the owner names admins', async () => {
      const c = await cast('group');
      expect((await as(c.tokens.member, 'GET', `/chatgroups/${c.id}/users?version=v3&pagenum=1&pagesize=10`)).status).toBe(200);
      expectError(await as(c.tokens.outsider, 'GET', `/chatgroups/${c.id}/users`), 403, 'forbidden_op');
      expect((await as(c.tokens.member, 'GET', `/chatgroups/${c.id}/admin?version=v3`)).body.data).toEqual([c.admin]);
      expectError(await as(c.tokens.admin, 'POST', `/chatgroups/${c.id}/admin`, { newadmin: c.member }), 403, 'forbidden_op');
      expect((await as(c.tokens.owner, 'POST', `/chatgroups/${c.id}/admin`, { newadmin: c.member })).status).toBe(200);
      expect((await as(c.tokens.owner, 'DELETE', `/chatgroups/${c.id}/admin/${c.member}`)).status).toBe(200);
      expectError(await as(c.tokens.member, 'POST', `/chatgroups/${c.id}/announcement`, { announcement: 'x' }), 403, 'forbidden_op');
      expect((await as(c.tokens.admin, 'POST', `/chatgroups/${c.id}/announcement`, { announcement: 'hello' })).status).toBe(200);
      expect((await as(c.tokens.member, 'GET', `/chatgroups/${c.id}/announcement?version=v3`)).body.data.announcement).toBe('hello');
      expectError(await as(c.tokens.outsider, 'GET', `/chatgroups/${c.id}/announcement`), 403, 'forbidden_op');
    });

    it('members by cursor (getGroupMembers): role keys, joined_time, a cursor while more follow', async () => {
      const c = await cast('group');
      const first = await as(c.tokens.member, 'GET', `/chatgroups/${c.id}/users?cursor=undefined&limit=2&joined_time=true`);
      expect(first.status, first.text).toBe(200);
      expect(first.body.data).toEqual([
        { owner: c.owner, joined_time: expect.any(Number) },
        { admin: c.admin, joined_time: expect.any(Number) },
      ]);
      expect(first.body.cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      const second = await as(c.tokens.member, 'GET', `/chatgroups/${c.id}/users?cursor=${first.body.cursor}&limit=2`);
      expect(second.body.data).toEqual([{ member: c.member }]);
      expect(second.body.cursor).toBeUndefined();
    });

    it('removing, muting and blocking: the owner on anyone, an admin on plain members only', async () => {
      const c = await cast('group');
      const [extra] = await t.makeUsers('extra');
      await t.apiOk('POST', `/chatgroups/${c.id}/users/${extra}`);
      expectError(await as(c.tokens.member, 'POST', `/chatgroups/${c.id}/mute`, { usernames: [extra], mute_duration: 60_000 }), 403, 'forbidden_op');
      expectError(await as(c.tokens.admin, 'POST', `/chatgroups/${c.id}/mute`, { usernames: [c.admin], mute_duration: 60_000 }), 403, 'forbidden_op');
      expect((await as(c.tokens.admin, 'POST', `/chatgroups/${c.id}/mute?version=v3`, { usernames: [extra], mute_duration: 60_000 })).status).toBe(200);
      expect((await as(c.tokens.admin, 'GET', `/chatgroups/${c.id}/mute`)).body.data.map((m: { user: string }) => m.user)).toEqual([extra]);
      expectError(await as(c.tokens.member, 'GET', `/chatgroups/${c.id}/mute`), 403, 'forbidden_op');
      const extraToken = await t.userToken(extra);
      expect((await as(extraToken, 'GET', `/sdk/chatgroups/${c.id}/mute/${extra}?version=v3`)).body.data).toBe(true);
      expect((await as(c.tokens.member, 'GET', `/sdk/chatgroups/${c.id}/mute/${c.member}`)).body.data).toBe(false);
      expectError(await as(c.tokens.member, 'GET', `/sdk/chatgroups/${c.id}/mute/${extra}`), 401, 'unauthorized');
      expect((await as(c.tokens.admin, 'DELETE', `/chatgroups/${c.id}/mute/${extra}`)).body.data).toEqual([{ result: true, user: extra }]);
      expect((await as(c.tokens.admin, 'POST', `/chatgroups/${c.id}/ban`)).body.data).toEqual({ mute: true });
      expectError(await as(c.tokens.member, 'DELETE', `/chatgroups/${c.id}/ban`), 403, 'forbidden_op');

      // Allowlist status: a member about themself, the owner or an admin about anyone.
      await as(c.tokens.admin, 'POST', `/chatgroups/${c.id}/white/users`, { usernames: [extra] });
      expect((await as(extraToken, 'GET', `/chatgroups/${c.id}/white/users/${extra}?version=v3`)).body.data).toEqual({ member: true, white: true });
      expect((await as(c.tokens.admin, 'GET', `/chatgroups/${c.id}/white/users/${c.member}`)).body.data).toEqual({ member: true, white: false });
      expectError(await as(c.tokens.member, 'GET', `/chatgroups/${c.id}/white/users/${extra}`), 403, 'forbidden_op');

      // Blocking one member answers a one-row array to the SDK (version=v3).
      expectError(await as(c.tokens.admin, 'POST', `/chatgroups/${c.id}/blocks/users/${c.admin}?version=v3`), 403, 'forbidden_op');
      const blocked = await as(c.tokens.admin, 'POST', `/chatgroups/${c.id}/blocks/users/${extra}?version=v3`);
      expect(blocked.body.data).toEqual([{ result: true, action: 'add_blocks', user: extra, groupid: c.id }]);
      const unblocked = await as(c.tokens.owner, 'DELETE', `/chatgroups/${c.id}/blocks/users/${extra}?version=v3`);
      expect(unblocked.body.data).toEqual([{ result: true, action: 'remove_blocks', user: extra, groupid: c.id }]);

      expectError(await as(c.tokens.admin, 'DELETE', `/chatgroups/${c.id}/users/${c.admin}`), 403, 'forbidden_op');
      expectError(await as(c.tokens.member, 'DELETE', `/chatgroups/${c.id}/users/${c.admin}`), 403, 'forbidden_op');
      expect((await as(c.tokens.admin, 'DELETE', `/chatgroups/${c.id}/users/${c.member}`)).status).toBe(200);
      expect((await as(c.tokens.owner, 'DELETE', `/chatgroups/${c.id}/users/${c.admin}`)).status).toBe(200);
      expect(await members(`/chatgroups/${c.id}/users`)).toEqual([c.owner]);
    });

    it("a user's own lists: joined groups (both SDK variants), the count, public groups", async () => {
      const c = await cast('group', { public: true });
      const joined = await as(c.tokens.admin, 'GET', `/users/${c.admin}/joined_chatgroups?pagenum=1&pagesize=20&version=v3`);
      expect(joined.body.uri).toContain('joined_chatgroups');
      expect(joined.body.data).toContainEqual(expect.objectContaining({ id: c.id, groupid: c.id, name: 'g', groupname: 'g', disabled: false, permission: 'admin' }));
      const withRoles = await as(c.tokens.member, 'GET', `/chatgroups/user/${c.member}?pagenum=0&pagesize=20&needAffiliations=true&needRole=undefined&version=v3`);
      expect(withRoles.body.uri).not.toContain('joined_chatgroups');
      expect(withRoles.body.entities).toContainEqual(expect.objectContaining({ groupId: c.id, affiliations_count: 3, permission: 'member' }));
      expect((await as(c.tokens.member, 'GET', `/chatgroups/user/${c.member}/joined_count`)).body.data).toBe(1);
      expectError(await as(c.tokens.member, 'GET', `/users/${c.admin}/joined_chatgroups`), 401, 'unauthorized');
      expectError(await as(c.tokens.member, 'GET', `/chatgroups/user/${c.admin}/joined_count`), 401, 'unauthorized');
      const pub = await as(c.tokens.outsider, 'GET', '/publicchatgroups?version=v3&limit=100');
      expect(pub.body.data).toContainEqual(expect.objectContaining({ id: c.id, name: 'g' }));
      const secret = await t.createGroup(c.owner, [], { public: false });
      expect(pub.body.data.map((g: { id: string }) => g.id)).not.toContain(secret);
    });

    it('shared files: members upload, list and download; outsiders cannot', async () => {
      const c = await cast('group');
      const boundary = 'qunliao-boundary';
      const payload = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="note.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--${boundary}--\r\n`;
      const upload = (token: string) =>
        t.api('POST', `/chatgroups/${c.id}/share_files`, { token, payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'restrict-access': 'true', accept: '*/*' } });
      const up = await upload(c.tokens.member);
      expect(up.status, up.text).toBe(200);
      expectError(await upload(c.tokens.outsider), 403, 'forbidden_op');
      expect((await as(c.tokens.member, 'GET', `/chatgroups/${c.id}/share_files?pagenum=1&pagesize=10&version=v3`)).body.data).toHaveLength(1);
      const download = await t.api('GET', `/chatgroups/${c.id}/share_files/${up.body.data.file_id}`, { token: c.tokens.admin });
      expect(download.text).toBe('hello');
      // The uploader is the file's owner: they may delete it, another member may not, the owner and admins may.
      expect(up.body.data.file_owner).toBe(c.member);
      const [other] = await t.makeUsers('filer');
      await t.apiOk('POST', `/chatgroups/${c.id}/users/${other}`);
      const otherToken = await t.userToken(other);
      const second = await upload(otherToken);
      expectError(await as(c.tokens.member, 'DELETE', `/chatgroups/${c.id}/share_files/${second.body.data.file_id}`), 403, 'forbidden_op', `user ${c.member} may only delete the files they uploaded`);
      expect((await as(c.tokens.member, 'DELETE', `/chatgroups/${c.id}/share_files/${up.body.data.file_id}`)).status).toBe(200);
      expect((await as(c.tokens.admin, 'DELETE', `/chatgroups/${c.id}/share_files/${second.body.data.file_id}`)).status).toBe(200);
      expect((await t.api('GET', `/chatgroups/${c.id}/share_files`)).body.data).toEqual([]);
    });
  });

  describe('chatrooms', () => {
    it('create and destroy: super admins create rooms they own; the owner destroys', async () => {
      const [boss, plain] = await t.makeUsers('boss', 'plain');
      const bossToken = await t.userToken(boss);
      expectError(await as(await t.userToken(plain), 'POST', '/chatrooms', { name: 'r', description: 'd', owner: plain }), 403, 'forbidden_op');
      expect((await t.api('POST', '/chatrooms/super_admin', { body: { superadmin: boss } })).body.data).toEqual({ result: 'success', resource: '' });
      expect((await t.api('GET', '/chatrooms/super_admin?pagenum=1&pagesize=1000')).body.data).toContain(boss);
      const made = await as(bossToken, 'POST', '/chatrooms?resource=web', { name: 'live', description: 'd', maxusers: 100, owner: boss, members: [plain] });
      expect(made.status, made.text).toBe(200);
      const id = made.body.data.id;
      expectError(await as(bossToken, 'POST', '/chatrooms', { name: 'x', description: 'd', owner: plain }), 403, 'forbidden_op');
      expectError(await as(await t.userToken(plain), 'DELETE', `/chatrooms/${id}`), 403, 'forbidden_op');
      expect((await as(bossToken, 'DELETE', `/chatrooms/${id}?version=v3`)).body.data).toEqual({ success: true, id });
      expect((await t.api('DELETE', `/chatrooms/super_admin/${boss}`)).body.data).toEqual({ newSuperAdmin: boss, resource: '' });
      expectError(await as(bossToken, 'POST', '/chatrooms', { name: 'r', description: 'd', owner: boss }), 403, 'forbidden_op');
      expectError(await t.api('DELETE', `/chatrooms/super_admin/${boss}`), 404, 'resource_not_found');
    });

    it('lists, details and modify as the SDK sends them', async () => {
      const c = await cast('chatroom');
      const page = await as(c.tokens.outsider, 'GET', '/chatrooms?pagenum=1&pagesize=100');
      expect(page.body.data).toContainEqual(expect.objectContaining({ id: c.id, owner: c.owner, affiliations_count: 3 }));
      expect((await as(c.tokens.outsider, 'GET', `/chatrooms/${c.id}`)).body.data[0].id).toBe(c.id);
      expect((await as(c.tokens.admin, 'PUT', `/chatrooms/${c.id}?resource=web`, { groupname: 'renamed', description: 'nd', maxusers: 500 })).body.data).toEqual({
        groupname: true,
        description: true,
        maxusers: true,
      });
      expectError(await as(c.tokens.member, 'PUT', `/chatrooms/${c.id}`, { groupname: 'x' }), 403, 'forbidden_op');
      const joined = await as(c.tokens.member, 'GET', `/users/${c.member}/joined_chatrooms?pagenum=1&pagesize=20&detail=true`);
      expect(joined.body.data).toContainEqual({
        id: c.id,
        name: 'renamed',
        title: 'renamed',
        owner: `acme#chat_${c.owner}`,
        created: expect.any(Number),
        description: 'nd',
        max_users: 500,
        disabled: false,
      });
      expectError(await as(c.tokens.member, 'GET', `/users/${c.owner}/joined_chatrooms`), 401, 'unauthorized');
      const byCursor = await as(c.tokens.member, 'GET', `/chatrooms/${c.id}/users?cursor=&limit=50&joined_time=true`);
      expect(byCursor.body.data.map((r: Record<string, string>) => Object.keys(r)[0])).toEqual(['owner', 'admin', 'member']);
      expectError(await as(c.tokens.outsider, 'GET', `/chatrooms/${c.id}/users`), 403, 'forbidden_op');
    });

    it('members, admins, mutes and lists: the owner and admins', async () => {
      const c = await cast('chatroom');
      const [extra] = await t.makeUsers('rx');
      expect((await as(c.tokens.admin, 'POST', `/chatrooms/${c.id}/users`, { usernames: [extra] })).status).toBe(200);
      expectError(await as(c.tokens.member, 'POST', `/chatrooms/${c.id}/users`, { usernames: [extra] }), 403, 'forbidden_op');
      expect((await as(c.tokens.admin, 'POST', `/chatrooms/${c.id}/mute`, { usernames: [extra], mute_duration: -1 })).status).toBe(200);
      expect((await as(await t.userToken(extra), 'GET', `/sdk/chatrooms/${c.id}/mute/${extra}?version=v3`)).body.data).toBe(true);
      expectError(await as(c.tokens.admin, 'POST', `/chatrooms/${c.id}/mute`, { usernames: [c.admin], mute_duration: -1 }), 403, 'forbidden_op');
      expect((await as(c.tokens.owner, 'POST', `/chatrooms/${c.id}/admin`, { newadmin: c.member })).status).toBe(200);
      expectError(await as(c.tokens.admin, 'DELETE', `/chatrooms/${c.id}/admin/${c.member}`), 403, 'forbidden_op');
      expect((await as(c.tokens.admin, 'POST', `/chatrooms/${c.id}/blocks/users/${extra}?version=v3`)).body.data).toEqual([{ result: true, action: 'add_blocks', user: extra, chatroomid: c.id }]);
      expect((await as(c.tokens.member, 'GET', `/chatrooms/${c.id}/announcement?version=v3`)).status).toBe(200);
      expectError(await as(c.tokens.outsider, 'GET', `/chatrooms/${c.id}/announcement`), 403, 'forbidden_op');
    });
  });

  describe('threads', () => {
    it('create, detail, join, leave, rename, remove and destroy by role', async () => {
      const c = await cast('group');
      const [late] = await t.makeUsers('late');
      await t.apiOk('POST', `/chatgroups/${c.id}/users/${late}`);
      const lateToken = await t.userToken(late);
      expectError(await as(c.tokens.member, 'POST', '/thread', { name: 't', msg_id: 'm1', group_id: c.id, owner: c.admin }), 403, 'forbidden_op');
      expectError(await as(c.tokens.outsider, 'POST', '/thread', { name: 't', msg_id: 'm1', group_id: c.id, owner: c.outsider }), 404, 'group_error', 'user not in group.');
      const made = await as(c.tokens.member, 'POST', '/thread?resource=web', { name: 'topic', msg_id: 'm1', group_id: c.id, owner: c.member });
      expect(made.status, made.text).toBe(200);
      const id = made.body.data.thread_id;

      const detail = await as(c.tokens.admin, 'GET', `/thread/${id}`);
      expect(detail.body.data).toEqual({ name: 'topic', owner: c.member, id, msgId: 'm1', groupId: c.id, created: expect.any(Number), affiliations_count: 1 });
      expectError(await as(c.tokens.outsider, 'GET', `/thread/${id}`), 403, 'forbidden_op');

      const joined = await as(lateToken, 'POST', `/thread/${id}/user/${late}/join`);
      expect(joined.body.data.detail).toMatchObject({ id, msgId: 'm1', groupId: c.id, affiliations_count: 2 });
      expectError(await as(lateToken, 'POST', `/thread/${id}/user/${c.admin}/join`), 401, 'unauthorized');
      expectError(await as(c.tokens.outsider, 'POST', `/thread/${id}/user/${c.outsider}/join`), 403, 'forbidden_op');

      expectError(await as(lateToken, 'PUT', `/thread/${id}`, { name: 'not mine' }), 403, 'forbidden_op');
      expect((await as(c.tokens.member, 'PUT', `/thread/${id}`, { name: 'creator renames' })).body.data).toEqual({ name: 'creator renames' });
      expect((await as(c.tokens.admin, 'PUT', `/thread/${id}`, { name: 'admin renames' })).body.data).toEqual({ name: 'admin renames' });

      expect((await as(c.tokens.member, 'GET', `/threads/chatgroups/${c.id}?cursor=&limit=20`)).body.entities).toEqual([
        { name: 'admin renames', owner: c.member, id, msgId: 'm1', groupId: c.id, created: expect.any(Number) },
      ]);
      expect((await as(lateToken, 'GET', `/threads/user/${late}?limit=20&cursor=undefined`)).body.entities.map((e: { id: string }) => e.id)).toEqual([id]);
      expectError(await as(lateToken, 'GET', `/threads/user/${c.member}`), 401, 'unauthorized');

      expect((await as(lateToken, 'DELETE', `/thread/${id}/user/${late}/quit`)).body.data).toEqual({ result: true });
      await as(lateToken, 'POST', `/thread/${id}/user/${late}/join`);
      expectError(await as(c.tokens.member, 'DELETE', `/thread/${id}/users/${late}`), 403, 'forbidden_op');
      expect((await as(c.tokens.admin, 'DELETE', `/thread/${id}/users/${late}`)).body.data).toEqual({ result: true, user: late });
      expect((await as(c.tokens.member, 'GET', `/thread/${id}/users?limit=20`)).body.data.affiliations).toEqual([c.member]);

      expectError(await as(c.tokens.member, 'DELETE', `/thread/${id}`), 403, 'forbidden_op');
      expect((await as(c.tokens.admin, 'DELETE', `/thread/${id}`)).status).toBe(200);
      expect((await t.api('GET', `/thread/${id}`)).status).toBe(404);
    });
  });
});
