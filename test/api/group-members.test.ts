// Group members and admins (REFERENCE §2d, §2f, §2h; seed 001; docs/compat.md): member list and
// paging, add one / add batch, remove one / remove batch, admins, the maxusers and groups-per-user
// limits (also under concurrency), what deleting a user or dissolving a group does to memberships,
// and app isolation. Every test checks the state read back, not only the answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultLimits } from '../../src/config.js';
import { databases, OTHER, startApp, type TestApp } from '../support/harness.js';
import { expectError } from '../support/expect.js';
import { names } from '../support/util.js';

const MISSING_GROUP = '999999999999999';

/** Adds members through the batch endpoint, at most 60 per request. */
async function addInBatches(t: TestApp, id: string, users: string[]): Promise<void> {
  for (let i = 0; i < users.length; i += 60) {
    const res = await t.api('POST', `/chatgroups/${id}/users`, { body: { usernames: users.slice(i, i + 60) } });
    if (res.status !== 200) throw new Error(`batch add failed: ${res.text}`);
  }
}

describe.each(databases)('group members (%s)', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(kind);
  });
  afterAll(() => t.close());

  /** The whole member list as [{owner}, {member}…]. */
  const memberList = async (id: string): Promise<unknown[]> => {
    const res = await t.api('GET', `/chatgroups/${id}/users`);
    expect(res.status, res.text).toBe(200);
    return res.body.data as unknown[];
  };
  const memberNames = async (id: string): Promise<string[]> =>
    (await memberList(id)).map((m) => {
      const row = m as { owner?: string; member?: string };
      return (row.owner ?? row.member)!;
    });
  const details = async (id: string) => {
    const res = await t.api('GET', `/chatgroups/${id}`);
    expect(res.status, res.text).toBe(200);
    return res.body.data[0];
  };
  const isJoined = async (id: string, user: string): Promise<boolean> => {
    const res = await t.api('GET', `/chatgroups/${id}/user/${user}/is_joined`);
    expect(res.status, res.text).toBe(200);
    return res.body.data as boolean;
  };
  const adminList = async (id: string): Promise<string[]> => {
    const res = await t.api('GET', `/chatgroups/${id}/admin`);
    expect(res.status, res.text).toBe(200);
    expect(res.body.count).toBe(res.body.data.length);
    return res.body.data as string[];
  };
  const groupsTotal = async (user: string): Promise<number> => {
    const res = await t.api('GET', `/chatgroups/user/${user}`);
    expect(res.status, res.text).toBe(200);
    return res.body.total as number;
  };

  describe('GET /chatgroups/{id}/users', () => {
    it('lists the owner first, then members in join order, with count and params', async () => {
      await t.createUsers('lo', 'la', 'lb', 'lc');
      const id = await t.createGroup('lo', ['lb']);
      expect((await t.api('POST', `/chatgroups/${id}/users/lc`)).status).toBe(200);
      expect((await t.api('POST', `/chatgroups/${id}/users/la`)).status).toBe(200);

      const res = await t.api('GET', `/chatgroups/${id}/users`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ action: 'get', entities: [], organization: 'acme', applicationName: 'chat', count: 4, params: {} });
      expect(res.body.data).toEqual([{ owner: 'lo' }, { member: 'lb' }, { member: 'lc' }, { member: 'la' }]);
      expect(res.body.uri).toMatch(new RegExp(`/acme/chat/chatgroups/${id}/users$`));
    });

    it('pages with pagenum and pagesize, echoing them in params', async () => {
      const members = names('pg', 5);
      await t.createUsers('pgo', ...members);
      const id = await t.createGroup('pgo');
      for (const m of members) expect((await t.api('POST', `/chatgroups/${id}/users/${m}`)).status).toBe(200);

      const page = (n: number) => t.api('GET', `/chatgroups/${id}/users?pagenum=${n}&pagesize=2`);
      const p1 = await page(1);
      expect(p1.status).toBe(200);
      expect(p1.body.data).toEqual([{ owner: 'pgo' }, { member: 'pg0' }]);
      expect(p1.body.count).toBe(2);
      expect(p1.body.params).toEqual({ pagenum: ['1'], pagesize: ['2'] });
      expect((await page(2)).body.data).toEqual([{ member: 'pg1' }, { member: 'pg2' }]);
      const p3 = await page(3);
      expect(p3.body.data).toEqual([{ member: 'pg3' }, { member: 'pg4' }]);
      expect(p3.body.count).toBe(2);
      const p4 = await page(4);
      expect(p4.status).toBe(200);
      expect(p4.body.data).toEqual([]);
      expect(p4.body.count).toBe(0);
      // pagesize alone: page 1 by default.
      const first = await t.api('GET', `/chatgroups/${id}/users?pagesize=3`);
      expect(first.body.data).toEqual([{ owner: 'pgo' }, { member: 'pg0' }, { member: 'pg1' }]);
      expect(first.body.params).toEqual({ pagesize: ['3'] });
    });

    it('defaults pagesize to 1000 and caps it at 1000', async () => {
      const members = names('big', 1001);
      await t.createUsers('bigo', ...members);
      const id = await t.createGroup('bigo', [], { maxusers: 1100 });
      await addInBatches(t, id, members);
      expect((await details(id)).affiliations_count).toBe(1002);

      const byDefault = await t.api('GET', `/chatgroups/${id}/users`);
      expect(byDefault.status).toBe(200);
      expect(byDefault.body.count).toBe(1000);
      expect(byDefault.body.data).toHaveLength(1000);
      expect(byDefault.body.data[0]).toEqual({ owner: 'bigo' });
      expect(byDefault.body.data[999]).toEqual({ member: 'big998' });

      const capped = await t.api('GET', `/chatgroups/${id}/users?pagesize=5000`);
      expect(capped.status).toBe(200);
      expect(capped.body.count).toBe(1000);
      expect(capped.body.params).toEqual({ pagesize: ['5000'] });

      const second = await t.api('GET', `/chatgroups/${id}/users?pagenum=2`);
      expect(second.body.data).toEqual([{ member: 'big999' }, { member: 'big1000' }]);
      const secondCapped = await t.api('GET', `/chatgroups/${id}/users?pagenum=2&pagesize=1001`);
      expect(secondCapped.body.data).toEqual([{ member: 'big999' }, { member: 'big1000' }]);
    });

    it('adds joined_time to every row with joined_time=true', async () => {
      await t.createUsers('jto', 'jtm');
      const before = Date.now();
      const id = await t.createGroup('jto');
      expect((await t.api('POST', `/chatgroups/${id}/users/jtm`)).status).toBe(200);
      const after = Date.now();

      const res = await t.api('GET', `/chatgroups/${id}/users?joined_time=true`);
      expect(res.status).toBe(200);
      expect(res.body.params).toEqual({ joined_time: ['true'] });
      const [owner, member] = res.body.data;
      expect(Object.keys(owner).sort()).toEqual(['joined_time', 'owner']);
      expect(Object.keys(member).sort()).toEqual(['joined_time', 'member']);
      expect(owner.owner).toBe('jto');
      expect(member.member).toBe('jtm');
      for (const row of [owner, member]) {
        expect(row.joined_time).toBeGreaterThanOrEqual(before);
        expect(row.joined_time).toBeLessThanOrEqual(after);
      }
      expect(member.joined_time).toBeGreaterThanOrEqual(owner.joined_time);

      const plain = await t.api('GET', `/chatgroups/${id}/users?joined_time=false`);
      expect(plain.body.data).toEqual([{ owner: 'jto' }, { member: 'jtm' }]);
    });

    it('answers 404 service_resource_not_found for an unknown group', async () => {
      expectError(await t.api('GET', `/chatgroups/${MISSING_GROUP}/users`), 404, 'service_resource_not_found', `do not find this group:${MISSING_GROUP}`);
      expectError(await t.api('GET', '/chatgroups/nosuch/users?pagesize=2'), 404, 'service_resource_not_found', 'do not find this group:nosuch');
    });
  });

  describe('POST /chatgroups/{id}/users/{username}', () => {
    it('adds a member, visible in the list, is_joined, details and the user\'s groups', async () => {
      await t.createUsers('ao', 'am');
      const id = await t.createGroup('ao');
      expect(await isJoined(id, 'am')).toBe(false);
      expect(await groupsTotal('am')).toBe(0);

      const res = await t.api('POST', `/chatgroups/${id}/users/am`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ action: 'post', entities: [], organization: 'acme', applicationName: 'chat' });
      expect(res.body.data).toEqual({ result: true, groupid: id, action: 'add_member', user: 'am' });

      expect(await memberList(id)).toEqual([{ owner: 'ao' }, { member: 'am' }]);
      expect(await isJoined(id, 'am')).toBe(true);
      const d = await details(id);
      expect(d.affiliations_count).toBe(2);
      expect(d.affiliations).toHaveLength(2);
      expect(d.affiliations).toContainEqual({ member: 'am' });
      expect(d.affiliations).toContainEqual({ owner: 'ao' });
      expect(await groupsTotal('am')).toBe(1);
    });

    it('accepts need_notify=false on add and remove ([CN-2025])', async () => {
      await t.createUsers('nno', 'nnm');
      const id = await t.createGroup('nno');
      const add = await t.api('POST', `/chatgroups/${id}/users/nnm?need_notify=false`);
      expect(add.status, add.text).toBe(200);
      expect(add.body.data).toEqual({ result: true, groupid: id, action: 'add_member', user: 'nnm' });
      expect(await isJoined(id, 'nnm')).toBe(true);
      const remove = await t.api('DELETE', `/chatgroups/${id}/users/nnm?need_notify=false`);
      expect(remove.status, remove.text).toBe(200);
      expect(await isJoined(id, 'nnm')).toBe(false);
    });

    it('folds an upper-case username to the registered lower-case one', async () => {
      await t.createUsers('co', 'cmixed');
      const id = await t.createGroup('co');
      const res = await t.api('POST', `/chatgroups/${id}/users/CMixed`);
      expect(res.status).toBe(200);
      expect(res.body.data.user).toBe('cmixed');
      expect(await memberNames(id)).toEqual(['co', 'cmixed']);
    });

    it('refuses an existing member with 403 forbidden_op, ending in a newline character', async () => {
      await t.createUsers('dupo', 'dupm');
      const id = await t.createGroup('dupo', ['dupm']);
      const res = await t.api('POST', `/chatgroups/${id}/users/dupm`);
      expectError(res, 403, 'forbidden_op', `can not join this group, reason:user: dupm already in group: ${id}\n`);
      // A real newline character, not a backslash followed by "n".
      expect(res.body.error_description.endsWith('\n')).toBe(true);
      expect(res.body.error_description).not.toContain('\\n');
      // The owner is a member too.
      expectError(await t.api('POST', `/chatgroups/${id}/users/dupo`), 403, 'forbidden_op', `can not join this group, reason:user: dupo already in group: ${id}\n`);
      expect(await memberList(id)).toEqual([{ owner: 'dupo' }, { member: 'dupm' }]);
      expect((await details(id)).affiliations_count).toBe(2);
    });

    it('answers 404 resource_not_found for a user that does not exist', async () => {
      await t.createUsers('nuo');
      const id = await t.createGroup('nuo');
      expectError(await t.api('POST', `/chatgroups/${id}/users/ghost1`), 404, 'resource_not_found', "username ghost1 doesn't exist!");
      expect(await memberList(id)).toEqual([{ owner: 'nuo' }]);
      expect((await details(id)).affiliations_count).toBe(1);
    });

    it('answers 404 resource_not_found for an unknown group', async () => {
      await t.createUsers('ugm');
      expectError(await t.api('POST', `/chatgroups/${MISSING_GROUP}/users/ugm`), 404, 'resource_not_found', `grpID ${MISSING_GROUP} does not exist!`);
      expectError(await t.api('POST', '/chatgroups/nosuch/users/ugm'), 404, 'resource_not_found', 'grpID nosuch does not exist!');
      expect(await groupsTotal('ugm')).toBe(0);
    });

    it('refuses a member that does not fit in maxusers with 403 exceed_limit', async () => {
      await t.createUsers('fo', 'f1', 'f2', 'f3');
      const id = await t.createGroup('fo', ['f1'], { maxusers: 3 });
      expect((await t.api('POST', `/chatgroups/${id}/users/f2`)).status).toBe(200);
      expectError(await t.api('POST', `/chatgroups/${id}/users/f3`), 403, 'exceed_limit', 'members size is greater than max user size !');
      expect(await memberNames(id)).toEqual(['fo', 'f1', 'f2']);
      expect((await details(id)).affiliations_count).toBe(3);
      expect(await isJoined(id, 'f3')).toBe(false);
      // Room again after a removal.
      expect((await t.api('DELETE', `/chatgroups/${id}/users/f1`)).status).toBe(200);
      expect((await t.api('POST', `/chatgroups/${id}/users/f3`)).status).toBe(200);
      expect(await memberNames(id)).toEqual(['fo', 'f2', 'f3']);
    });

    it('refuses changes to a disabled group with 403 forbidden_op and adds nobody', async () => {
      await t.createUsers('dgo', 'dg1', 'dg2', 'dg3');
      const id = await t.createGroup('dgo', ['dg3']);
      expect((await t.api('POST', `/chatgroups/${id}/disable`)).status).toBe(200);

      // The body text for a disabled group is qunliao's own (the docs show none); docs/compat.md.
      expectError(await t.api('POST', `/chatgroups/${id}/users/dg1`), 403, 'forbidden_op');
      expectError(await t.api('POST', `/chatgroups/${id}/users`, { body: { usernames: ['dg1', 'dg2'] } }), 403, 'forbidden_op');
      expectError(await t.api('DELETE', `/chatgroups/${id}/users/dg3`), 403, 'forbidden_op');
      expectError(await t.api('POST', `/chatgroups/${id}/admin`, { body: { newadmin: 'dg3' } }), 403, 'forbidden_op');
      expect(await memberList(id)).toEqual([{ owner: 'dgo' }, { member: 'dg3' }]);
      expect((await details(id)).affiliations_count).toBe(2);
      expect(await adminList(id)).toEqual([]);
      expect(await isJoined(id, 'dg1')).toBe(false);

      expect((await t.api('POST', `/chatgroups/${id}/enable`)).status).toBe(200);
      expect((await t.api('POST', `/chatgroups/${id}/users/dg1`)).status).toBe(200);
      expect(await memberNames(id)).toEqual(['dgo', 'dg3', 'dg1']);
    });

    it('adds the same user at most once when the request is sent concurrently', async () => {
      await t.createUsers('sco', 'scm');
      const id = await t.createGroup('sco');
      const replies = await Promise.all(Array.from({ length: 10 }, () => t.api('POST', `/chatgroups/${id}/users/scm`)));
      const ok = replies.filter((r) => r.status === 200);
      const refused = replies.filter((r) => r.status === 403);
      expect(ok).toHaveLength(1);
      expect(refused).toHaveLength(9);
      for (const r of refused) expect(r.body.error).toBe('forbidden_op');
      expect(await memberList(id)).toEqual([{ owner: 'sco' }, { member: 'scm' }]);
      expect((await details(id)).affiliations_count).toBe(2);
    });
  });

  describe('POST /chatgroups/{id}/users (batch)', () => {
    it('adds the new users and skips existing members', async () => {
      await t.createUsers('bo', 'b1', 'b2', 'b3', 'b4');
      const id = await t.createGroup('bo', ['b1']);
      const res = await t.api('POST', `/chatgroups/${id}/users`, { body: { usernames: ['b2', 'b1', 'B3', 'bo', 'b4'] } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ action: 'post', entities: [] });
      expect(res.body.data.groupid).toBe(id);
      expect(res.body.data.action).toBe('add_member');
      expect([...res.body.data.newmembers].sort()).toEqual(['b2', 'b3', 'b4']);

      const listed = await memberNames(id);
      expect(listed.slice(0, 2)).toEqual(['bo', 'b1']);
      expect(listed.slice(2).sort()).toEqual(['b2', 'b3', 'b4']);
      expect((await details(id)).affiliations_count).toBe(5);
      for (const u of ['b2', 'b3', 'b4']) expect(await isJoined(id, u)).toBe(true);
    });

    it('refuses a batch of users that are all members already with 403 forbidden_op', async () => {
      await t.createUsers('alo', 'al1', 'al2');
      const id = await t.createGroup('alo', ['al1', 'al2']);
      const res = await t.api('POST', `/chatgroups/${id}/users`, { body: { usernames: ['al1', 'al2'] } });
      // The batch table's text has a typo ("an not join"); qunliao answers the single-add text.
      expectError(res, 403, 'forbidden_op', `can not join this group, reason:user: al1 already in group: ${id}\n`);
      expect(await memberNames(id)).toEqual(['alo', 'al1', 'al2']);
      expect((await details(id)).affiliations_count).toBe(3);
    });

    it('accepts 60 users and refuses 61 with 400 invalid_parameter, adding nobody', async () => {
      const sixty = names('sx', 60);
      const more = names('sy', 61);
      await t.createUsers('sxo', ...sixty, ...more);
      const id = await t.createGroup('sxo', [], { maxusers: 300 });

      const ok = await t.api('POST', `/chatgroups/${id}/users`, { body: { usernames: sixty } });
      expect(ok.status).toBe(200);
      expect(ok.body.data.newmembers).toHaveLength(60);
      expect((await details(id)).affiliations_count).toBe(61);

      const over = await t.api('POST', `/chatgroups/${id}/users`, { body: { usernames: more } });
      expectError(over, 400, 'invalid_parameter');
      expect(over.body.error_description).toContain('60');
      expect((await details(id)).affiliations_count).toBe(61);
      expect(await isJoined(id, 'sy0')).toBe(false);
      expect(await memberList(id)).toHaveLength(61);
    });

    it('refuses the whole batch with 404 when one user does not exist', async () => {
      await t.createUsers('nxo', 'nx1', 'nx2');
      const id = await t.createGroup('nxo');
      expectError(
        await t.api('POST', `/chatgroups/${id}/users`, { body: { usernames: ['nx1', 'ghost2', 'nx2'] } }),
        404,
        'resource_not_found',
        "username ghost2 doesn't exist!",
      );
      expect(await memberList(id)).toEqual([{ owner: 'nxo' }]);
      expect(await isJoined(id, 'nx1')).toBe(false);
      expect((await details(id)).affiliations_count).toBe(1);
    });

    it('refuses the whole batch with 403 exceed_limit when it does not fit', async () => {
      await t.createUsers('bfo', 'bf1', 'bf2', 'bf3', 'bf4');
      const id = await t.createGroup('bfo', ['bf1'], { maxusers: 4 });
      expectError(
        await t.api('POST', `/chatgroups/${id}/users`, { body: { usernames: ['bf2', 'bf3', 'bf4'] } }),
        403,
        'exceed_limit',
        'members size is greater than max user size !',
      );
      expect(await memberNames(id)).toEqual(['bfo', 'bf1']);
      expect((await details(id)).affiliations_count).toBe(2);
      // Two still fit, and an existing member in the batch does not count against the room.
      const fits = await t.api('POST', `/chatgroups/${id}/users`, { body: { usernames: ['bf1', 'bf2', 'bf3'] } });
      expect(fits.status).toBe(200);
      expect([...fits.body.data.newmembers].sort()).toEqual(['bf2', 'bf3']);
      expect((await details(id)).affiliations_count).toBe(4);
    });

    it.each([
      ['no usernames field', 'bv0', {}],
      ['usernames not an array', 'bv1', { usernames: 'bvm' }],
      ['a number among the usernames', 'bv2', { usernames: ['bvm', 7] }],
      ['null among the usernames', 'bv3', { usernames: [null] }],
      ['an empty list', 'bv4', { usernames: [] }],
    ])('answers 400 invalid_parameter for %s', async (_label, owner, body) => {
      await t.createUsers(owner);
      const id = await t.createGroup(owner);
      expectError(await t.api('POST', `/chatgroups/${id}/users`, { body }), 400, 'invalid_parameter');
      expect(await memberList(id)).toEqual([{ owner }]);
    });

    it('answers 404 for an unknown group', async () => {
      await t.createUsers('ubg1');
      expectError(
        await t.api('POST', `/chatgroups/${MISSING_GROUP}/users`, { body: { usernames: ['ubg1'] } }),
        404,
        'resource_not_found',
        `grpID ${MISSING_GROUP} does not exist!`,
      );
      expect(await groupsTotal('ubg1')).toBe(0);
    });
  });

  describe('DELETE /chatgroups/{id}/users/{username}', () => {
    it('removes a member', async () => {
      await t.createUsers('ro', 'r1', 'r2');
      const id = await t.createGroup('ro', ['r1', 'r2']);
      const res = await t.api('DELETE', `/chatgroups/${id}/users/r1`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ action: 'delete', entities: [] });
      expect(res.body.data).toEqual({ result: true, action: 'remove_member', user: 'r1', groupid: id });
      expect(await memberList(id)).toEqual([{ owner: 'ro' }, { member: 'r2' }]);
      expect(await isJoined(id, 'r1')).toBe(false);
      expect(await groupsTotal('r1')).toBe(0);
      const d = await details(id);
      expect(d.affiliations_count).toBe(2);
      expect(d.affiliations).not.toContainEqual({ member: 'r1' });
    });

    it('refuses the owner with 403 forbidden_op', async () => {
      await t.createUsers('roo', 'ro1');
      const id = await t.createGroup('roo', ['ro1']);
      expectError(await t.api('DELETE', `/chatgroups/${id}/users/roo`), 403, 'forbidden_op', 'forbidden operation on group owner!');
      expectError(await t.api('DELETE', `/chatgroups/${id}/users/ROO`), 403, 'forbidden_op', 'forbidden operation on group owner!');
      expect(await memberList(id)).toEqual([{ owner: 'roo' }, { member: 'ro1' }]);
      expect((await details(id)).affiliations_count).toBe(2);
    });

    it('answers 404 resource_not_found for a non-member', async () => {
      await t.createUsers('rno', 'rn1', 'rn2');
      const id = await t.createGroup('rno', ['rn1']);
      expectError(await t.api('DELETE', `/chatgroups/${id}/users/rn2`), 404, 'resource_not_found', `user: rn2 doesn't exist in group: ${id}`);
      expectError(await t.api('DELETE', `/chatgroups/${id}/users/ghost3`), 404, 'resource_not_found', `user: ghost3 doesn't exist in group: ${id}`);
      // Removing twice: the second time the user is no longer a member.
      expect((await t.api('DELETE', `/chatgroups/${id}/users/rn1`)).status).toBe(200);
      expectError(await t.api('DELETE', `/chatgroups/${id}/users/rn1`), 404, 'resource_not_found', `user: rn1 doesn't exist in group: ${id}`);
      expect(await memberList(id)).toEqual([{ owner: 'rno' }]);
      expect((await details(id)).affiliations_count).toBe(1);
    });

    it('answers 404 for an unknown group', async () => {
      expectError(await t.api('DELETE', `/chatgroups/${MISSING_GROUP}/users/someone`), 404, 'resource_not_found', `grpID ${MISSING_GROUP} does not exist!`);
    });
  });

  describe('DELETE /chatgroups/{id}/users/{u1},{u2}', () => {
    it('answers one result per user: removed members, refused owner and non-members', async () => {
      await t.createUsers('mo', 'm1', 'm2', 'm3', 'm4');
      const id = await t.createGroup('mo', ['m1', 'm2', 'm3']);
      const res = await t.api('DELETE', `/chatgroups/${id}/users/m1,m4,mo,M2,ghost4`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ action: 'delete', entities: [] });
      // The reason for a non-member is qunliao's choice (the doc example's "user X doesn't exist." is
      // self-contradictory); it reuses the single-remove error text.
      expect(res.body.data).toEqual([
        { result: true, action: 'remove_member', user: 'm1', groupid: id },
        { result: false, action: 'remove_member', reason: `user: m4 doesn't exist in group: ${id}`, user: 'm4', groupid: id },
        { result: false, action: 'remove_member', reason: 'forbidden operation on group owner!', user: 'mo', groupid: id },
        { result: true, action: 'remove_member', user: 'm2', groupid: id },
        { result: false, action: 'remove_member', reason: `user: ghost4 doesn't exist in group: ${id}`, user: 'ghost4', groupid: id },
      ]);
      expect(await memberList(id)).toEqual([{ owner: 'mo' }, { member: 'm3' }]);
      expect((await details(id)).affiliations_count).toBe(2);
      expect(await isJoined(id, 'm1')).toBe(false);
      expect(await isJoined(id, 'm2')).toBe(false);
    });

    it('accepts the comma escaped as %2C', async () => {
      await t.createUsers('eo', 'e1', 'e2', 'e3');
      const id = await t.createGroup('eo', ['e1', 'e2', 'e3']);
      const res = await t.api('DELETE', `/chatgroups/${id}/users/e1%2Ce3`);
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual([
        { result: true, action: 'remove_member', user: 'e1', groupid: id },
        { result: true, action: 'remove_member', user: 'e3', groupid: id },
      ]);
      expect(await memberList(id)).toEqual([{ owner: 'eo' }, { member: 'e2' }]);
    });

    it('answers 200 with every result false when nobody listed is a member (qunliao; the doc says the call fails)', async () => {
      await t.createUsers('nmo', 'nm1');
      const id = await t.createGroup('nmo', ['nm1']);
      const res = await t.api('DELETE', `/chatgroups/${id}/users/nx1,nx2`);
      expect(res.status).toBe(200);
      expect(res.body.data.map((r: { result: boolean }) => r.result)).toEqual([false, false]);
      expect(await memberList(id)).toEqual([{ owner: 'nmo' }, { member: 'nm1' }]);
    });

    it('removes 60 members in one call (comma list of about 300 characters)', async () => {
      const members = names('kk', 61);
      await t.createUsers('kko', ...members);
      const id = await t.createGroup('kko', [], { maxusers: 100 });
      await addInBatches(t, id, members);

      const sixty = await t.api('DELETE', `/chatgroups/${id}/users/${members.slice(0, 60).join('%2C')}`);
      expect(sixty.status, sixty.text).toBe(200);
      expect(sixty.body.data).toHaveLength(60);
      expect(sixty.body.data.every((r: { result: boolean }) => r.result)).toBe(true);
      expect(await memberList(id)).toEqual([{ owner: 'kko' }, { member: 'kk60' }]);
      expect((await details(id)).affiliations_count).toBe(2);
    });

    it('refuses 61 users with 400 invalid_parameter, removing nobody', async () => {
      const members = names('kl', 61);
      await t.createUsers('klo', ...members);
      const id = await t.createGroup('klo', [], { maxusers: 100 });
      await addInBatches(t, id, members);

      const over = await t.api('DELETE', `/chatgroups/${id}/users/${members.join(',')}`);
      expectError(over, 400, 'invalid_parameter', 'kickMember: kickMembers number more than maxSize : 60');
      expect((await details(id)).affiliations_count).toBe(62);
      expect(await memberList(id)).toHaveLength(62);
    });

    it('answers 404 for an unknown group', async () => {
      expectError(await t.api('DELETE', `/chatgroups/${MISSING_GROUP}/users/a,b`), 404, 'resource_not_found', `grpID ${MISSING_GROUP} does not exist!`);
    });
  });

  describe('admins', () => {
    it('adds, lists and removes an admin; admins are {member} in the list and details', async () => {
      await t.createUsers('ado', 'ad1', 'ad2');
      const id = await t.createGroup('ado', ['ad1', 'ad2']);
      const empty = await t.api('GET', `/chatgroups/${id}/admin`);
      expect(empty.status).toBe(200);
      expect(empty.body).toMatchObject({ action: 'get', entities: [], data: [], count: 0 });

      const add = await t.api('POST', `/chatgroups/${id}/admin`, { body: { newadmin: 'ad2' } });
      expect(add.status).toBe(200);
      expect(add.body).toMatchObject({ action: 'post', entities: [] });
      expect(add.body.data).toEqual({ result: 'success', newadmin: 'ad2' });
      expect((await t.api('POST', `/chatgroups/${id}/admin`, { body: { newadmin: 'AD1' } })).body.data).toEqual({ result: 'success', newadmin: 'ad1' });

      const listed = await t.api('GET', `/chatgroups/${id}/admin`);
      expect(listed.body.data).toEqual(['ad1', 'ad2']);
      expect(listed.body.count).toBe(2);
      expect(await memberList(id)).toEqual([{ owner: 'ado' }, { member: 'ad1' }, { member: 'ad2' }]);
      const d = await details(id);
      expect(d.affiliations).toHaveLength(3);
      expect(d.affiliations).toContainEqual({ member: 'ad1' });
      expect(d.affiliations).toContainEqual({ member: 'ad2' });
      expect(d.affiliations_count).toBe(3);

      const removed = await t.api('DELETE', `/chatgroups/${id}/admin/ad2`);
      expect(removed.status).toBe(200);
      expect(removed.body).toMatchObject({ action: 'delete', entities: [] });
      expect(removed.body.data).toEqual({ result: 'success', oldadmin: 'ad2' });
      expect(await adminList(id)).toEqual(['ad1']);
      // Demoted, still a member.
      expect(await memberList(id)).toEqual([{ owner: 'ado' }, { member: 'ad1' }, { member: 'ad2' }]);
      expect(await isJoined(id, 'ad2')).toBe(true);
    });

    it('refuses a non-member, the owner and an admin twice with 403 forbidden_op', async () => {
      await t.createUsers('afo', 'af1', 'af2');
      const id = await t.createGroup('afo', ['af1']);
      expectError(await t.api('POST', `/chatgroups/${id}/admin`, { body: { newadmin: 'af2' } }), 403, 'forbidden_op', 'users [af2] are not members of this group!');
      expectError(await t.api('POST', `/chatgroups/${id}/admin`, { body: { newadmin: 'ghost5' } }), 403, 'forbidden_op', 'users [ghost5] are not members of this group!');
      expectError(await t.api('POST', `/chatgroups/${id}/admin`, { body: { newadmin: 'afo' } }), 403, 'forbidden_op', 'forbidden operation on group owner!');
      expect((await t.api('POST', `/chatgroups/${id}/admin`, { body: { newadmin: 'af1' } })).status).toBe(200);
      // The text for "already an admin" is qunliao's (the docs list none).
      expectError(await t.api('POST', `/chatgroups/${id}/admin`, { body: { newadmin: 'af1' } }), 403, 'forbidden_op', `user:af1 is already admin of group:${id}`);
      expect(await adminList(id)).toEqual(['af1']);
      expect(await isJoined(id, 'af2')).toBe(false);
    });

    it('answers 400 invalid_parameter without a newadmin', async () => {
      await t.createUsers('ano', 'an1');
      const id = await t.createGroup('ano', ['an1']);
      expectError(await t.api('POST', `/chatgroups/${id}/admin`, { body: {} }), 400, 'invalid_parameter');
      expectError(await t.api('POST', `/chatgroups/${id}/admin`, { body: { newadmin: ['an1'] } }), 400, 'invalid_parameter');
      expect(await adminList(id)).toEqual([]);
    });

    it('refuses to remove a user who is not an admin with 403 forbidden_op', async () => {
      await t.createUsers('nao', 'na1');
      const id = await t.createGroup('nao', ['na1']);
      expectError(await t.api('DELETE', `/chatgroups/${id}/admin/na1`), 403, 'forbidden_op', `user:na1 is not admin of group:${id}`);
      expectError(await t.api('DELETE', `/chatgroups/${id}/admin/ghost6`), 403, 'forbidden_op', `user:ghost6 is not admin of group:${id}`);
      expectError(await t.api('DELETE', `/chatgroups/${id}/admin/nao`), 403, 'forbidden_op', `user:nao is not admin of group:${id}`);
      expect(await memberList(id)).toEqual([{ owner: 'nao' }, { member: 'na1' }]);
      expect(await adminList(id)).toEqual([]);
    });

    it('answers 404 resource_not_found for an unknown group', async () => {
      const missing = `grpID ${MISSING_GROUP} does not exist!`;
      expectError(await t.api('GET', `/chatgroups/${MISSING_GROUP}/admin`), 404, 'resource_not_found', missing);
      expectError(await t.api('POST', `/chatgroups/${MISSING_GROUP}/admin`, { body: { newadmin: 'x' } }), 404, 'resource_not_found', missing);
      expectError(await t.api('DELETE', `/chatgroups/${MISSING_GROUP}/admin/x`), 404, 'resource_not_found', missing);
    });

    it('drops an admin from the admin list when they leave the group; re-joining makes a plain member', async () => {
      await t.createUsers('lvo', 'lv1', 'lv2', 'lv3');
      const id = await t.createGroup('lvo', ['lv1', 'lv2', 'lv3']);
      for (const u of ['lv1', 'lv2', 'lv3']) expect((await t.api('POST', `/chatgroups/${id}/admin`, { body: { newadmin: u } })).status).toBe(200);
      expect(await adminList(id)).toEqual(['lv1', 'lv2', 'lv3']);

      expect((await t.api('DELETE', `/chatgroups/${id}/users/lv1`)).status).toBe(200);
      expect(await adminList(id)).toEqual(['lv2', 'lv3']);
      expect((await t.api('DELETE', `/chatgroups/${id}/users/lv2,lv3`)).status).toBe(200);
      expect(await adminList(id)).toEqual([]);
      expect(await memberList(id)).toEqual([{ owner: 'lvo' }]);

      expect((await t.api('POST', `/chatgroups/${id}/users/lv1`)).status).toBe(200);
      expect(await adminList(id)).toEqual([]);
      expectError(await t.api('DELETE', `/chatgroups/${id}/admin/lv1`), 403, 'forbidden_op', `user:lv1 is not admin of group:${id}`);
    });

    it('allows 99 admins and refuses the 100th with 403 exceed_limit', async () => {
      const members = names('adm', 100);
      await t.createUsers('admo', ...members);
      const id = await t.createGroup('admo', [], { maxusers: 101 });
      await addInBatches(t, id, members);
      expect((await details(id)).affiliations_count).toBe(101);

      for (const u of members.slice(0, 99)) {
        const res = await t.api('POST', `/chatgroups/${id}/admin`, { body: { newadmin: u } });
        expect(res.status, res.text).toBe(200);
      }
      const hundredth = await t.api('POST', `/chatgroups/${id}/admin`, { body: { newadmin: 'adm99' } });
      // The limit's text is qunliao's (the docs give the limit, not the body).
      expectError(hundredth, 403, 'exceed_limit', 'admin count of this group reaches the limit : 99');
      const admins = await adminList(id);
      expect(admins).toHaveLength(99);
      expect(admins).not.toContain('adm99');

      // Room again after one admin is demoted.
      expect((await t.api('DELETE', `/chatgroups/${id}/admin/adm0`)).status).toBe(200);
      expect((await t.api('POST', `/chatgroups/${id}/admin`, { body: { newadmin: 'adm99' } })).status).toBe(200);
      expect(await adminList(id)).toHaveLength(99);
    });

    it('never exceeds 99 admins under concurrent promotions', async () => {
      const members = names('cad', 100);
      await t.createUsers('cado', ...members);
      const id = await t.createGroup('cado', [], { maxusers: 101 });
      await addInBatches(t, id, members);

      const replies = await Promise.all(members.map((u) => t.api('POST', `/chatgroups/${id}/admin`, { body: { newadmin: u } })));
      expect(replies.filter((r) => r.status === 200)).toHaveLength(99);
      const refused = replies.filter((r) => r.status !== 200);
      expect(refused).toHaveLength(1);
      expect(refused[0]!.body.error).toBe('exceed_limit');
      expect(await adminList(id)).toHaveLength(99);
    });
  });

  describe('concurrent adds to a nearly full group', () => {
    it('200 concurrent single adds into room for 100: exactly 100 succeed', async () => {
      const users = names('cs', 200);
      await t.createUsers('cso', ...users);
      const id = await t.createGroup('cso', [], { maxusers: 101 });

      const replies = await Promise.all(users.map((u) => t.api('POST', `/chatgroups/${id}/users/${u}`)));
      const ok = replies.filter((r) => r.status === 200);
      const refused = replies.filter((r) => r.status !== 200);
      expect(ok).toHaveLength(100);
      expect(refused).toHaveLength(100);
      for (const r of refused) {
        expect(r.status).toBe(403);
        expect(r.body).toMatchObject({ error: 'exceed_limit', error_description: 'members size is greater than max user size !' });
      }

      const list = await memberNames(id);
      expect(list).toHaveLength(101);
      expect(new Set(list).size).toBe(101);
      expect(list[0]).toBe('cso');
      expect(new Set(list.slice(1))).toEqual(new Set(ok.map((r) => r.body.data.user)));
      expect((await details(id)).affiliations_count).toBe(101);
      // Every refused user really is outside.
      const loser = refused[0] && users[replies.indexOf(refused[0])]!;
      expect(await isJoined(id, loser!)).toBe(false);
    });

    it('20 concurrent batches of 10 into room for 100: exactly 10 batches succeed', async () => {
      const users = names('cb', 200);
      await t.createUsers('cbo', ...users);
      const id = await t.createGroup('cbo', [], { maxusers: 101 });
      const batches = Array.from({ length: 20 }, (_, i) => users.slice(i * 10, i * 10 + 10));

      const replies = await Promise.all(batches.map((usernames) => t.api('POST', `/chatgroups/${id}/users`, { body: { usernames } })));
      const ok = replies.filter((r) => r.status === 200);
      const refused = replies.filter((r) => r.status !== 200);
      expect(ok).toHaveLength(10);
      expect(refused).toHaveLength(10);
      for (const r of refused) {
        expect(r.status).toBe(403);
        expect(r.body.error).toBe('exceed_limit');
      }
      for (const r of ok) expect(r.body.data.newmembers).toHaveLength(10);

      const list = await memberNames(id);
      expect(list).toHaveLength(101);
      expect(new Set(list).size).toBe(101);
      const added = new Set(ok.flatMap((r) => r.body.data.newmembers as string[]));
      expect(new Set(list.slice(1))).toEqual(added);
      // A refused batch added nobody (all or nothing).
      for (const r of refused) {
        const batch = batches[replies.indexOf(r)]!;
        for (const u of batch) expect(added.has(u)).toBe(false);
      }
      expect((await details(id)).affiliations_count).toBe(101);
    });
  });

  describe('cascades', () => {
    it('deleting a user removes them from every group and admin list, and dissolves the groups they own', async () => {
      await t.createUsers('xa', 'xb', 'xc', 'xd');
      const g1 = await t.createGroup('xa', ['xb', 'xd']);
      const g2 = await t.createGroup('xc', ['xb', 'xd']);
      const owned = await t.createGroup('xb', ['xd']);
      for (const g of [g1, g2]) expect((await t.api('POST', `/chatgroups/${g}/admin`, { body: { newadmin: 'xb' } })).status).toBe(200);
      expect(await groupsTotal('xd')).toBe(3);

      expect((await t.api('DELETE', '/users/xb')).status).toBe(200);

      expect(await memberList(g1)).toEqual([{ owner: 'xa' }, { member: 'xd' }]);
      expect(await memberList(g2)).toEqual([{ owner: 'xc' }, { member: 'xd' }]);
      for (const g of [g1, g2]) {
        expect((await details(g)).affiliations_count).toBe(2);
        expect(await adminList(g)).toEqual([]);
        expect(await isJoined(g, 'xb')).toBe(false);
      }
      expectError(await t.api('GET', `/chatgroups/${owned}`), 404, 'resource_not_found', `grpID ${owned} does not exist!`);
      expectError(await t.api('GET', `/chatgroups/${owned}/users`), 404, 'service_resource_not_found', `do not find this group:${owned}`);
      expect(await isJoined(owned, 'xd')).toBe(false);
      expect(await groupsTotal('xd')).toBe(2);

      // A new account with the same name starts with no groups.
      await t.createUsers('xb');
      expect(await groupsTotal('xb')).toBe(0);
      expect(await isJoined(g1, 'xb')).toBe(false);
      expect((await t.api('POST', `/chatgroups/${g1}/users/xb`)).status).toBe(200);
      expect((await details(g1)).affiliations_count).toBe(3);
    });

    it('dissolving a group removes its memberships', async () => {
      await t.createUsers('yo', 'y1', 'y2');
      const keep = await t.createGroup('yo', ['y1']);
      const gone = await t.createGroup('yo', ['y1', 'y2']);
      expect(await groupsTotal('y1')).toBe(2);
      expect(await groupsTotal('yo')).toBe(2);

      const res = await t.api('DELETE', `/chatgroups/${gone}`);
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({ success: true, groupid: gone });

      expect(await groupsTotal('y1')).toBe(1);
      expect(await groupsTotal('y2')).toBe(0);
      expect(await groupsTotal('yo')).toBe(1);
      for (const u of ['yo', 'y1', 'y2']) expect(await isJoined(gone, u)).toBe(false);
      expect(await isJoined(keep, 'y1')).toBe(true);
      expectError(await t.api('GET', `/chatgroups/${gone}/users`), 404, 'service_resource_not_found', `do not find this group:${gone}`);
      expectError(await t.api('POST', `/chatgroups/${gone}/users/y2`), 404, 'resource_not_found', `grpID ${gone} does not exist!`);
      expectError(await t.api('GET', `/chatgroups/${gone}/admin`), 404, 'resource_not_found', `grpID ${gone} does not exist!`);
    });
  });

  describe('app isolation', () => {
    it("another app's token cannot list, add to, or manage this app's group", async () => {
      await t.createUsers('io', 'i1', 'i2');
      const id = await t.createGroup('io', ['i1']);
      const other = await t.appToken(OTHER);
      const reg = await t.api('POST', '/users', { app: OTHER, token: other, body: [{ username: 'i2', password: 'pw' }] });
      expect(reg.status).toBe(200);

      const asOther = { app: OTHER, token: other };
      expectError(await t.api('GET', `/chatgroups/${id}/users`, asOther), 404, 'service_resource_not_found', `do not find this group:${id}`);
      expectError(await t.api('POST', `/chatgroups/${id}/users/i2`, asOther), 404, 'resource_not_found', `grpID ${id} does not exist!`);
      expectError(await t.api('POST', `/chatgroups/${id}/users`, { ...asOther, body: { usernames: ['i2'] } }), 404, 'resource_not_found', `grpID ${id} does not exist!`);
      expectError(await t.api('DELETE', `/chatgroups/${id}/users/i1`, asOther), 404, 'resource_not_found', `grpID ${id} does not exist!`);
      expectError(await t.api('GET', `/chatgroups/${id}/admin`, asOther), 404, 'resource_not_found', `grpID ${id} does not exist!`);
      expectError(await t.api('POST', `/chatgroups/${id}/admin`, { ...asOther, body: { newadmin: 'i1' } }), 404, 'resource_not_found', `grpID ${id} does not exist!`);
      const joined = await t.api('GET', `/chatgroups/${id}/user/i1/is_joined`, asOther);
      expect(joined.status).toBe(200);
      expect(joined.body.data).toBe(false);

      // OTHER's token on this app's paths is not accepted at all.
      const cross = await t.api('POST', `/chatgroups/${id}/users/i2`, { token: other });
      expect(cross.status).toBe(401);
      expect((await t.api('GET', `/chatgroups/${id}/users`, { token: other })).status).toBe(401);

      expect(await memberList(id)).toEqual([{ owner: 'io' }, { member: 'i1' }]);
      expect(await adminList(id)).toEqual([]);
      expect((await details(id)).affiliations_count).toBe(2);
    });
  });
});

describe.each(databases)('groups per user limit (%s)', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(kind, { limits: { ...defaultLimits, groupsPerUser: 2 } });
  });
  afterAll(() => t.close());

  const memberCount = async (id: string): Promise<number> => {
    const res = await t.api('GET', `/chatgroups/${id}`);
    expect(res.status, res.text).toBe(200);
    return res.body.data[0].affiliations_count as number;
  };
  const groupsTotal = async (user: string): Promise<number> => {
    const res = await t.api('GET', `/chatgroups/user/${user}`);
    expect(res.status, res.text).toBe(200);
    return res.body.total as number;
  };

  it('refuses a user who has joined too many groups with 403 exceed_limit, single and batch', async () => {
    await t.createUsers('lo1', 'lo2', 'lo3', 'lu', 'lv');
    const g1 = await t.createGroup('lo1', ['lu']);
    await t.createGroup('lo2', ['lu']);
    const g3 = await t.createGroup('lo3');
    expect(await groupsTotal('lu')).toBe(2);

    expectError(await t.api('POST', `/chatgroups/${g3}/users/lu`), 403, 'exceed_limit', 'user lu has joined too many groups!');
    expectError(await t.api('POST', `/chatgroups/${g3}/users`, { body: { usernames: ['lv', 'lu'] } }), 403, 'exceed_limit', 'user lu has joined too many groups!');
    expect(await memberCount(g3)).toBe(1);
    expect(await groupsTotal('lu')).toBe(2);
    expect(await groupsTotal('lv')).toBe(0);
    const list = await t.api('GET', `/chatgroups/${g3}/users`);
    expect(list.body.data).toEqual([{ owner: 'lo3' }]);

    // Leaving one group makes room for another.
    expect((await t.api('DELETE', `/chatgroups/${g1}/users/lu`)).status).toBe(200);
    expect((await t.api('POST', `/chatgroups/${g3}/users/lu`)).status).toBe(200);
    expect(await groupsTotal('lu')).toBe(2);
    expect(await memberCount(g3)).toBe(2);
  });

  it('never lets a user into more groups than the limit under concurrent adds', async () => {
    const owners = names('co', 6);
    await t.createUsers(...owners, 'cu');
    const ids: string[] = [];
    for (const o of owners) ids.push(await t.createGroup(o));

    const replies = await Promise.all(ids.map((id) => t.api('POST', `/chatgroups/${id}/users/cu`)));
    expect(replies.filter((r) => r.status === 200)).toHaveLength(2);
    for (const r of replies.filter((x) => x.status !== 200)) {
      expect(r.status).toBe(403);
      expect(r.body).toMatchObject({ error: 'exceed_limit', error_description: 'user cu has joined too many groups!' });
    }
    expect(await groupsTotal('cu')).toBe(2);
  });
});
