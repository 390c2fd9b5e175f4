// Group management API (seed 001 "群组管理"): create, disable/enable, modify and transfer, the app's
// group list, a user's groups, is_joined, details, dissolve; REFERENCE §2d (owner transfer) and §2f
// (error bodies); CLIENTS.md (the bodies the PHP and Java SDKs send). Member add/remove/admin
// endpoints are covered elsewhere; here they only set up state.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultLimits } from '../../src/config.js';
import { databases, OTHER, startApp, type TestApp } from '../support/harness.js';

/** Every field of the seed's group-details table. */
const DETAIL_FIELDS = [
  'id',
  'name',
  'avatar',
  'description',
  'membersonly',
  'allowinvites',
  'maxusers',
  'affiliations',
  'owner',
  'created',
  'affiliations_count',
  'disabled',
  'mute',
  'public',
  'custom',
];

/** Every field of the seed's "a user's groups" entity table (plus `id`, which its example shows). */
// The seed's fields, and the member count and the user's role, which the client SDK reads (REST.md).
const USER_GROUP_FIELDS = ['name', 'avatar', 'owner', 'id', 'groupId', 'description', 'disabled', 'public', 'allowinvites', 'membersonly', 'maxusers', 'created', 'affiliations_count', 'permission'];

describe.each(databases)('chatgroups (%s)', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(kind);
  });
  afterAll(() => t.close());

  async function createGroup(body: Record<string, unknown>, app: TestApp = t): Promise<string> {
    const res = await app.api('POST', '/chatgroups', { body: { public: true, ...body } });
    expect(res.status, res.text).toBe(200);
    return res.body.data.groupid as string;
  }

  async function details(id: string, app: TestApp = t) {
    const res = await app.api('GET', `/chatgroups/${id}`);
    expect(res.status, res.text).toBe(200);
    expect(res.body.count).toBe(1);
    expect(res.body.data).toHaveLength(1);
    return res.body.data[0];
  }

  /** Every group id of the app, newest first, walking all pages. */
  async function allGroupIds(app: TestApp = t, limit = 1000): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await app.api('GET', `/chatgroups?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status, res.text).toBe(200);
      ids.push(...res.body.data.map((g: { groupid: string }) => g.groupid));
      cursor = res.body.cursor;
    } while (cursor);
    return ids;
  }

  async function isJoined(id: string, user: string, app: TestApp = t): Promise<boolean> {
    const res = await app.api('GET', `/chatgroups/${id}/user/${user}/is_joined`);
    expect(res.status, res.text).toBe(200);
    return res.body.data as boolean;
  }

  async function userGroupIds(user: string, app: TestApp = t): Promise<{ ids: string[]; total: number }> {
    const res = await app.api('GET', `/chatgroups/user/${user}?pagesize=20`);
    expect(res.status, res.text).toBe(200);
    return { ids: res.body.entities.map((g: { groupId: string }) => g.groupId), total: res.body.total };
  }

  const sortAffiliations = (a: Record<string, string>[]) => [...a].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));

  // ---------------------------------------------------------------------------------------------
  describe('POST /chatgroups', () => {
    it('creates a group and reads every documented detail back', async () => {
      const [owner, m1, m2] = await t.makeUsers('own', 'mem', 'mem');
      const before = Date.now();
      const res = await t.api('POST', '/chatgroups', {
        body: {
          groupname: 'testgroup',
          avatar: 'https://www.example.com/img/group.png',
          description: 'test',
          public: true,
          maxusers: 300,
          allowinvites: true,
          membersonly: true,
          invite_need_confirm: false,
          owner,
          members: [m1, m2],
          custom: 'biz-tag',
        },
      });
      const after = Date.now();
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ action: 'post', entities: [], organization: 'acme', applicationName: 'chat' });
      expect(Object.keys(res.body.data)).toEqual(['groupid']);
      const id = res.body.data.groupid;
      expect(typeof id).toBe('string');
      expect(id).toMatch(/^[1-9][0-9]*$/);

      const back = await t.api('GET', `/chatgroups/${id}`);
      expect(back.status).toBe(200);
      expect(back.body).toMatchObject({ action: 'get', count: 1, entities: [] });
      const g = back.body.data[0];
      for (const field of DETAIL_FIELDS) expect(g, field).toHaveProperty(field);
      expect(g).toMatchObject({
        id,
        name: 'testgroup',
        avatar: 'https://www.example.com/img/group.png',
        description: 'test',
        membersonly: true,
        allowinvites: true,
        maxusers: 300,
        owner,
        custom: 'biz-tag',
        mute: false,
        affiliations_count: 3,
        disabled: false,
        public: true,
      });
      expect(g.created).toBeGreaterThanOrEqual(before);
      expect(g.created).toBeLessThanOrEqual(after);
      expect(sortAffiliations(g.affiliations)).toEqual(sortAffiliations([{ owner }, { member: m1 }, { member: m2 }]));
      // invite_need_confirm is not in the seed's details table; qunliao shows it there (the only place to read it back).
      expect(g.invite_need_confirm).toBe(false);
    });

    it('applies the documented defaults (maxusers 200, membersonly false, allowinvites false, invite_need_confirm true)', async () => {
      const [owner] = await t.makeUsers('defown');
      const id = await createGroup({ public: false, owner });
      const g = await details(id);
      expect(g).toMatchObject({
        maxusers: 200,
        membersonly: false,
        allowinvites: false,
        invite_need_confirm: true,
        public: false,
        mute: false,
        disabled: false,
        owner,
        affiliations_count: 1,
        affiliations: [{ owner }],
      });
    });

    it('accepts the Java SDK body (desc, members_only, custom "")', async () => {
      const [owner, m1] = await t.makeUsers('javaown', 'javamem');
      const res = await t.api('POST', '/chatgroups', {
        body: { groupname: 'java', desc: 'from java', public: true, maxusers: 50, members_only: true, allowinvites: true, owner, members: [m1], custom: '' },
      });
      expect(res.status, res.text).toBe(200);
      const g = await details(res.body.data.groupid);
      expect(g).toMatchObject({ name: 'java', description: 'from java', membersonly: true, allowinvites: true, maxusers: 50, custom: '', affiliations_count: 2 });
    });

    it('accepts the PHP SDK body (description, membersonly, invite_need_confirm, custom "")', async () => {
      const [owner, m1] = await t.makeUsers('phpown', 'phpmem');
      const res = await t.api('POST', '/chatgroups', {
        body: {
          groupname: 'php',
          description: 'from php',
          public: false,
          maxusers: 20,
          membersonly: true,
          allowinvites: false,
          invite_need_confirm: false,
          owner,
          members: [m1],
          custom: '',
        },
      });
      expect(res.status, res.text).toBe(200);
      const g = await details(res.body.data.groupid);
      expect(g).toMatchObject({ name: 'php', description: 'from php', public: false, membersonly: true, invite_need_confirm: false, maxusers: 20, custom: '' });
    });

    it('accepts the longest documented values (name 128, description 512, avatar 1024 characters, custom 8192 bytes)', async () => {
      const [owner] = await t.makeUsers('longown');
      const body = {
        owner,
        groupname: '群'.repeat(128),
        description: '述'.repeat(512),
        avatar: `https://x.example/${'a'.repeat(1024 - 'https://x.example/'.length)}`,
        custom: 'c'.repeat(8192),
      };
      expect(body.avatar).toHaveLength(1024);
      const g = await details(await createGroup(body));
      expect(g).toMatchObject({ name: body.groupname, description: body.description, avatar: body.avatar, custom: body.custom });
    });

    it('counts the owner in maxusers: owner + 2 members fit maxusers 3', async () => {
      const [owner, m1, m2] = await t.makeUsers('fitown', 'fitm', 'fitm');
      const g = await details(await createGroup({ owner, maxusers: 3, members: [m1, m2] }));
      expect(g.affiliations_count).toBe(3);
    });

    describe('refusals create nothing', () => {
      let owner: string;
      beforeAll(async () => {
        [owner] = await t.makeUsers('refown');
      });

      async function expectRefused(body: unknown, status: number, error: string, description?: string | RegExp) {
        const before = await allGroupIds();
        const res = await t.api('POST', '/chatgroups', { body });
        expect(res.status, res.text).toBe(status);
        expect(res.body.error).toBe(error);
        if (typeof description === 'string') expect(res.body.error_description).toBe(description);
        else if (description) expect(res.body.error_description).toMatch(description);
        expect(res.body).toHaveProperty('exception');
        expect(res.body).toHaveProperty('timestamp');
        expect(await allGroupIds()).toEqual(before);
      }

      it('missing public → 400 "group must contain public field!"', async () => {
        await expectRefused({ owner, groupname: 'nopublic' }, 400, 'invalid_parameter', 'group must contain public field!');
      });

      it('missing owner → 400 "owner must be provided"', async () => {
        await expectRefused({ public: true, groupname: 'noowner' }, 400, 'invalid_parameter', 'owner must be provided');
      });

      it('avatar over 1024 characters → 400 "avatar length is too big"', async () => {
        await expectRefused({ public: true, owner, avatar: `https://x.example/${'a'.repeat(1024)}` }, 400, 'invalid_parameter', 'avatar length is too big');
      });

      it('groupname over 128 characters → 400 invalid_parameter', async () => {
        await expectRefused({ public: true, owner, groupname: '群'.repeat(129) }, 400, 'invalid_parameter');
      });

      it('description over 512 characters → 400 invalid_parameter', async () => {
        await expectRefused({ public: true, owner, description: 'd'.repeat(513) }, 400, 'invalid_parameter');
        await expectRefused({ public: true, owner, desc: 'd'.repeat(513) }, 400, 'invalid_parameter');
      });

      it('custom over 8 KB (8193 bytes) → 400 invalid_parameter', async () => {
        await expectRefused({ public: true, owner, custom: 'c'.repeat(8193) }, 400, 'invalid_parameter');
        // 2731 three-byte characters = 8193 bytes.
        await expectRefused({ public: true, owner, custom: '中'.repeat(2731) }, 400, 'invalid_parameter');
      });

      it('a member that does not exist → 404 resource_not_found "username X doesn\'t exist!"', async () => {
        const [m1] = await t.makeUsers('realm');
        await expectRefused({ public: true, owner, members: [m1, 'ghostmember'] }, 404, 'resource_not_found', "username ghostmember doesn't exist!");
      });

      it('an owner that does not exist → 404 resource_not_found', async () => {
        await expectRefused({ public: true, owner: 'ghostowner' }, 404, 'resource_not_found', "username ghostowner doesn't exist!");
      });

      it('members that do not fit maxusers (owner counted) → 403 exceed_limit', async () => {
        const [m1, m2, m3] = await t.makeUsers('overm', 'overm', 'overm');
        await expectRefused(
          { public: true, owner, maxusers: 3, members: [m1, m2, m3] },
          403,
          'exceed_limit',
          'members size is greater than max user size !',
        );
        await expectRefused({ public: true, owner, maxusers: 1, members: [m1] }, 403, 'exceed_limit', 'members size is greater than max user size !');
      });

      it.each([
        ['public "yes"', { public: 'yes' }],
        ['public 1', { public: 1 }],
        ['maxusers "abc"', { public: true, maxusers: 'abc' }],
        ['maxusers 0', { public: true, maxusers: 0 }],
        ['maxusers -5', { public: true, maxusers: -5 }],
        ['maxusers 2.5', { public: true, maxusers: 2.5 }],
        ['members "u1"', { public: true, members: 'u1' }],
        ['members [1]', { public: true, members: [1] }],
        ['owner 42', { public: true, owner: 42 }],
        ['groupname 7', { public: true, groupname: 7 }],
        ['allowinvites "no"', { public: true, allowinvites: 'no' }],
      ])('wrong type: %s → 400 invalid_parameter', async (_label, fields) => {
        await expectRefused({ owner, ...fields }, 400, 'invalid_parameter');
      });

      it('a body that is not a JSON object → 400', async () => {
        await expectRefused([{ public: true, owner }], 400, 'invalid_parameter');
        await expectRefused('group', 400, 'invalid_parameter');
      });

      it('malformed JSON → 400', async () => {
        const before = await allGroupIds();
        const res = await t.api('POST', '/chatgroups', { payload: `{"public": true, "owner": "${owner}",`, headers: { 'content-type': 'application/json' } });
        expect(res.status).toBe(400);
        expect(res.body.error).toBe('json_parse');
        expect(await allGroupIds()).toEqual(before);
      });

      it('without a token → 401 unauthorized', async () => {
        const before = await allGroupIds();
        const res = await t.api('POST', '/chatgroups', { token: null, body: { public: true, owner } });
        expect(res.status).toBe(401);
        expect(res.body.error).toBe('unauthorized');
        expect(await allGroupIds()).toEqual(before);
      });
    });

    it('refuses a user who has joined too many groups → 403 exceed_limit "user X has joined too many groups!"', async () => {
      const small = await startApp(kind, { limits: { ...defaultLimits, groupsPerUser: 2 } });
      try {
        const [owner, other, m1] = await small.makeUsers('capown', 'capother', 'capm');
        await createGroup({ owner, members: [m1] }, small);
        await createGroup({ owner: other, members: [m1] }, small);
        expect(await allGroupIds(small)).toHaveLength(2);

        // m1 is in two groups: as a member of a third one it is refused.
        const asMember = await small.api('POST', '/chatgroups', { body: { public: true, owner, members: [m1] } });
        expect(asMember.status, asMember.text).toBe(403);
        expect(asMember.body).toMatchObject({ error: 'exceed_limit', error_description: `user ${m1} has joined too many groups!` });
        expect(await allGroupIds(small)).toHaveLength(2);

        // owner is in one group; a second is fine, a third is refused.
        await createGroup({ owner }, small);
        const asOwner = await small.api('POST', '/chatgroups', { body: { public: true, owner } });
        expect(asOwner.status, asOwner.text).toBe(403);
        expect(asOwner.body).toMatchObject({ error: 'exceed_limit', error_description: `user ${owner} has joined too many groups!` });
        expect(await allGroupIds(small)).toHaveLength(3);
      } finally {
        await small.close();
      }
    });

    it('never lets concurrent creates put a user in more groups than the limit', async () => {
      const small = await startApp(kind, { limits: { ...defaultLimits, groupsPerUser: 2 } });
      try {
        const [owner] = await small.makeUsers('raceown');
        const results = await Promise.all(Array.from({ length: 6 }, () => small.api('POST', '/chatgroups', { body: { public: true, owner } })));
        const ok = results.filter((r) => r.status === 200).length;
        for (const r of results) if (r.status !== 200) expect(r.body.error, r.text).toBe('exceed_limit');
        const mine = await small.api('GET', `/chatgroups/user/${owner}?pagesize=20`);
        expect(mine.body.total).toBe(ok);
        expect(ok).toBe(2);
      } finally {
        await small.close();
      }
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('POST /chatgroups/{id}/disable and /enable', () => {
    it('disables and enables a group (seed curl: JSON Content-Type, no body)', async () => {
      const [owner] = await t.makeUsers('disown');
      const id = await createGroup({ owner, groupname: 'dis' });
      const headers = { 'content-type': 'application/json', accept: 'application/json' };

      const off = await t.api('POST', `/chatgroups/${id}/disable`, { headers });
      expect(off.status, off.text).toBe(200);
      expect(off.body).toMatchObject({ action: 'post', entities: [], data: { disabled: true } });
      expect(Object.keys(off.body.data)).toEqual(['disabled']);
      expect((await details(id)).disabled).toBe(true);
      const listed = await t.api('GET', `/chatgroups/user/${owner}`);
      expect(listed.body.entities[0]).toMatchObject({ groupId: id, disabled: true });

      const on = await t.api('POST', `/chatgroups/${id}/enable`, { headers });
      expect(on.status, on.text).toBe(200);
      expect(on.body.data).toEqual({ disabled: false });
      expect((await details(id)).disabled).toBe(false);
    });

    it.each(['disable', 'enable'])('%s of an unknown group → 404 resource_not_found "grpID X does not exist!"', async (op) => {
      for (const id of ['999999', 'nosuchgroup']) {
        const res = await t.api('POST', `/chatgroups/${id}/${op}`);
        expect(res.status).toBe(404);
        expect(res.body).toMatchObject({ error: 'resource_not_found', error_description: `grpID ${id} does not exist!` });
      }
    });

    it('a disabled group refuses modification with 403 forbidden_op; enabling restores it', async () => {
      const [owner, m1] = await t.makeUsers('dismod', 'dismodm');
      const id = await createGroup({ owner, members: [m1], groupname: 'before' });
      expect((await t.api('POST', `/chatgroups/${id}/disable`)).status).toBe(200);

      const put = await t.api('PUT', `/chatgroups/${id}`, { body: { groupname: 'after' } });
      expect(put.status, put.text).toBe(403);
      expect(put.body).toMatchObject({ error: 'forbidden_op', error_description: `group ${id} is disabled!` });
      const transfer = await t.api('PUT', `/chatgroups/${id}`, { body: { newowner: m1 } });
      expect(transfer.status).toBe(403);
      const g = await details(id);
      expect(g).toMatchObject({ name: 'before', owner, disabled: true });

      expect((await t.api('POST', `/chatgroups/${id}/enable`)).status).toBe(200);
      const ok = await t.api('PUT', `/chatgroups/${id}`, { body: { groupname: 'after' } });
      expect(ok.status, ok.text).toBe(200);
      expect((await details(id)).name).toBe('after');
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('PUT /chatgroups/{id}', () => {
    it('modifies every field of the seed example at once and answers each with true', async () => {
      const [owner] = await t.makeUsers('putall');
      const id = await createGroup({ owner, groupname: 'old', public: false });
      const body = {
        groupname: 'test groupname',
        avatar: 'https://www.example.com/new/image',
        description: 'updategroupinfo12311',
        maxusers: 1500,
        membersonly: true,
        allowinvites: true,
        invite_need_confirm: false,
        custom: 'abc',
        public: true,
      };
      const res = await t.api('PUT', `/chatgroups/${id}`, { body });
      expect(res.status, res.text).toBe(200);
      expect(res.body.action).toBe('put');
      expect(res.body.data).toEqual(Object.fromEntries(Object.keys(body).map((k) => [k, true])));
      expect(await details(id)).toMatchObject({
        name: 'test groupname',
        avatar: 'https://www.example.com/new/image',
        description: 'updategroupinfo12311',
        maxusers: 1500,
        membersonly: true,
        allowinvites: true,
        invite_need_confirm: false,
        custom: 'abc',
        public: true,
      });
    });

    it.each([
      ['groupname', '新名字', 'name'],
      ['avatar', 'https://example.com/changed.png', 'avatar'],
      ['description', 'changed description', 'description'],
      ['maxusers', 777, 'maxusers'],
      ['membersonly', true, 'membersonly'],
      ['allowinvites', true, 'allowinvites'],
      ['invite_need_confirm', false, 'invite_need_confirm'],
      ['custom', 'changed custom', 'custom'],
      ['public', false, 'public'],
    ])('changes %s alone (to %j); data has only that field, true, and nothing else changes', async (field, value, detailKey) => {
      const [owner, m1] = await t.makeUsers('putone', 'putonem');
      const id = await createGroup({ owner, members: [m1], groupname: 'orig', description: 'orig', avatar: 'https://example.com/a.png', custom: 'orig', public: true });
      const before = await details(id);
      expect(before[detailKey]).not.toEqual(value);

      const res = await t.api('PUT', `/chatgroups/${id}`, { body: { [field]: value } });
      expect(res.status, res.text).toBe(200);
      expect(res.body.data).toEqual({ [field]: true });

      const after = await details(id);
      expect(after[detailKey]).toEqual(value);
      expect({ ...after, [detailKey]: undefined }).toEqual({ ...before, [detailKey]: undefined });
    });

    it('refuses an unsupported field (groupid) with 400 and changes nothing', async () => {
      const [owner] = await t.makeUsers('putbad');
      const id = await createGroup({ owner, groupname: 'keep' });
      const before = await details(id);
      const res = await t.api('PUT', `/chatgroups/${id}`, { body: { groupid: '123', groupname: 'changed' } });
      expect(res.status, res.text).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_parameter', error_description: 'some of [groupid] are not valid fields' });
      expect(await details(id)).toEqual(before);
    });

    it('refuses maxusers below the current member count with 403 forbidden_op; equal is accepted', async () => {
      const [owner, m1, m2] = await t.makeUsers('putmax', 'putmaxm', 'putmaxm');
      const id = await createGroup({ owner, members: [m1, m2], maxusers: 10 });
      const res = await t.api('PUT', `/chatgroups/${id}`, { body: { maxusers: 2, groupname: 'not applied' } });
      expect(res.status, res.text).toBe(403);
      expect(res.body.error).toBe('forbidden_op');
      const g = await details(id);
      expect(g.maxusers).toBe(10);
      expect(g.name).not.toBe('not applied');

      const equal = await t.api('PUT', `/chatgroups/${id}`, { body: { maxusers: 3 } });
      expect(equal.status, equal.text).toBe(200);
      expect((await details(id)).maxusers).toBe(3);
    });

    it('accepts custom of 1024 characters and refuses 1025 on modify', async () => {
      const [owner] = await t.makeUsers('putcustom');
      const id = await createGroup({ owner, custom: 'start' });
      const ok = await t.api('PUT', `/chatgroups/${id}`, { body: { custom: '扩'.repeat(1024) } });
      expect(ok.status, ok.text).toBe(200);
      expect((await details(id)).custom).toBe('扩'.repeat(1024));
      const long = await t.api('PUT', `/chatgroups/${id}`, { body: { custom: 'x'.repeat(1025) } });
      expect(long.status).toBe(400);
      expect(long.body.error).toBe('invalid_parameter');
      expect((await details(id)).custom).toBe('扩'.repeat(1024));
    });

    it('refuses a groupname, description or avatar over its documented length', async () => {
      const [owner] = await t.makeUsers('putlen');
      const id = await createGroup({ owner, groupname: 'keep' });
      const before = await details(id);
      for (const body of [{ groupname: 'n'.repeat(129) }, { description: 'd'.repeat(513) }, { avatar: 'a'.repeat(1025) }]) {
        const res = await t.api('PUT', `/chatgroups/${id}`, { body });
        expect(res.status, JSON.stringify(body).slice(0, 20)).toBe(400);
        expect(res.body.error).toBe('invalid_parameter');
      }
      expect(await details(id)).toEqual(before);
    });

    it('transfers ownership with newowner; the old owner stays as a member', async () => {
      const [owner, m1, m2] = await t.makeUsers('xfer', 'xferm', 'xferm');
      const id = await createGroup({ owner, members: [m1, m2] });
      const res = await t.api('PUT', `/chatgroups/${id}`, { body: { newowner: m1 } });
      expect(res.status, res.text).toBe(200);
      expect(res.body.data).toEqual({ newowner: true });
      const g = await details(id);
      expect(g.owner).toBe(m1);
      expect(g.affiliations_count).toBe(3);
      expect(sortAffiliations(g.affiliations)).toEqual(sortAffiliations([{ owner: m1 }, { member: owner }, { member: m2 }]));
      expect(await isJoined(id, owner)).toBe(true);
      const list = await t.api('GET', `/chatgroups/user/${owner}`);
      expect(list.body.entities.find((e: { groupId: string }) => e.groupId === id)).toMatchObject({ owner: m1 });
    });

    it('refuses newowner equal to the owner with 403 "new owner and old owner are the same"', async () => {
      const [owner, m1] = await t.makeUsers('xsame', 'xsamem');
      const id = await createGroup({ owner, members: [m1] });
      const res = await t.api('PUT', `/chatgroups/${id}`, { body: { newowner: owner } });
      expect(res.status, res.text).toBe(403);
      expect(res.body).toMatchObject({ error: 'forbidden_op', error_description: 'new owner and old owner are the same' });
      expect((await details(id)).owner).toBe(owner);
    });

    it('refuses a newowner who is not a member (or does not exist) with 404', async () => {
      const [owner, outsider] = await t.makeUsers('xnon', 'xnonout');
      const id = await createGroup({ owner });
      for (const newowner of [outsider, 'ghostnewowner']) {
        const res = await t.api('PUT', `/chatgroups/${id}`, { body: { newowner } });
        expect(res.status, res.text).toBe(404);
        expect(res.body.error).toBe('resource_not_found');
      }
      const g = await details(id);
      expect(g.owner).toBe(owner);
      expect(g.affiliations).toEqual([{ owner }]);
    });

    it('answers 404 "grpID X does not exist!" for an unknown group', async () => {
      const res = await t.api('PUT', '/chatgroups/999999', { body: { groupname: 'x' } });
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ error: 'resource_not_found', error_description: 'grpID 999999 does not exist!' });
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('GET /chatgroups (app groups, cursor)', () => {
    it('walks every group newest first, exactly once, with the documented item fields', async () => {
      const fresh = await startApp(kind);
      try {
        const [owner, m1] = await fresh.makeUsers('walk', 'walkm');
        const created: string[] = [];
        for (let i = 0; i < 7; i++) created.push(await createGroup({ owner, groupname: `walk${i}`, members: i % 2 === 0 ? [m1] : [] }, fresh));
        const newestFirst = [...created].reverse();

        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const res = await fresh.api('GET', `/chatgroups?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
          expect(res.status, res.text).toBe(200);
          expect(res.body.action).toBe('get');
          expect(res.body.count).toBe(res.body.data.length);
          expect(res.body.params.limit).toEqual(['3']);
          for (const item of res.body.data) {
            const i = created.indexOf(item.groupid);
            expect(item).toEqual({
              owner: `acme#chat_${owner}`,
              groupid: created[i],
              affiliations: i % 2 === 0 ? 2 : 1,
              type: 'group',
              lastModified: expect.stringMatching(/^\d{13}$/),
              groupname: `walk${i}`,
            });
          }
          seen.push(...res.body.data.map((g: { groupid: string }) => g.groupid));
          cursor = res.body.cursor;
          pages++;
          if (!cursor) expect(res.body).not.toHaveProperty('cursor');
        } while (cursor && pages < 10);
        expect(seen).toEqual(newestFirst);
        expect(pages).toBe(3);
      } finally {
        await fresh.close();
      }
    });

    it('defaults to 10 per page and accepts limit 5000 (at most 1000 per page)', async () => {
      const fresh = await startApp(kind);
      try {
        const [owner] = await fresh.makeUsers('deflim');
        for (let i = 0; i < 12; i++) await createGroup({ owner, groupname: `d${i}` }, fresh);
        const first = await fresh.api('GET', '/chatgroups');
        expect(first.status).toBe(200);
        expect(first.body.count).toBe(10);
        expect(first.body.data).toHaveLength(10);
        expect(typeof first.body.cursor).toBe('string');

        const big = await fresh.api('GET', '/chatgroups?limit=5000');
        expect(big.status, big.text).toBe(200);
        expect(big.body.params.limit).toEqual(['5000']);
        expect(big.body.count).toBe(12);
        expect(big.body.data).toHaveLength(12);
        expect(big.body).not.toHaveProperty('cursor');

        const exact = await fresh.api('GET', '/chatgroups?limit=12');
        expect(exact.body.count).toBe(12);
        expect(exact.body).not.toHaveProperty('cursor');
      } finally {
        await fresh.close();
      }
    });

    it('neither skips nor repeats existing groups when groups are deleted and created between pages', async () => {
      const fresh = await startApp(kind);
      try {
        const [owner] = await fresh.makeUsers('stable');
        const g: string[] = [];
        for (let i = 0; i < 8; i++) g.push(await createGroup({ owner, groupname: `s${i}` }, fresh));
        const page1 = await fresh.api('GET', '/chatgroups?limit=3');
        expect(page1.body.data.map((x: { groupid: string }) => x.groupid)).toEqual([g[7], g[6], g[5]]);

        // Delete the group the cursor points after, and one not yet seen; create a newer one.
        expect((await fresh.api('DELETE', `/chatgroups/${g[5]}`)).status).toBe(200);
        expect((await fresh.api('DELETE', `/chatgroups/${g[3]}`)).status).toBe(200);
        const newer = await createGroup({ owner, groupname: 'newer' }, fresh);

        const rest: string[] = [];
        let cursor: string | undefined = page1.body.cursor;
        let pages = 0;
        while (cursor && pages < 10) {
          const res = await fresh.api('GET', `/chatgroups?limit=3&cursor=${cursor}`);
          expect(res.status, res.text).toBe(200);
          rest.push(...res.body.data.map((x: { groupid: string }) => x.groupid));
          cursor = res.body.cursor;
          pages++;
        }
        expect(rest).toEqual([g[4], g[2], g[1], g[0]]);
        expect(rest).not.toContain(newer);
        expect(await allGroupIds(fresh)).toEqual([newer, g[7], g[6], g[4], g[2], g[1], g[0]]);
      } finally {
        await fresh.close();
      }
    });

    it.each(['limit=0', 'limit=abc', 'limit=-1', 'cursor=bm90LWEtY3Vyc29y'])('refuses %s with 400', async (query) => {
      const res = await t.api('GET', `/chatgroups?${query}`);
      expect(res.status, res.text).toBe(400);
      expect(res.body).toHaveProperty('error');
      expect(res.body).toHaveProperty('error_description');
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('GET /chatgroups/user/{username}', () => {
    it('lists the groups a user belongs to with the documented fields, total and pages of 5 by default', async () => {
      const [user, other] = await t.makeUsers('ug', 'ugother');
      const owned: string[] = [];
      for (let i = 0; i < 4; i++) owned.push(await createGroup({ owner: user, groupname: `owned${i}` }));
      const joined: string[] = [];
      for (let i = 0; i < 3; i++) joined.push(await createGroup({ owner: other, groupname: `joined${i}`, members: [user] }));
      await createGroup({ owner: other, groupname: 'not mine' });
      const all = [...owned, ...joined];

      const first = await t.api('GET', `/chatgroups/user/${user}`);
      expect(first.status, first.text).toBe(200);
      expect(first.body.total).toBe(7);
      expect(first.body.entities).toHaveLength(5);
      for (const e of first.body.entities) expect(Object.keys(e).sort()).toEqual([...USER_GROUP_FIELDS].sort());

      // Every field of one entity, read against the group's details.
      const spec = await t.api('POST', '/chatgroups', {
        body: {
          groupname: '详细',
          description: 'desc here',
          avatar: 'https://example.com/u.png',
          public: false,
          allowinvites: true,
          membersonly: true,
          maxusers: 42,
          owner: other,
          members: [user],
        },
      });
      const specId = spec.body.data.groupid;
      const d = await details(specId);
      const page = await t.api('GET', `/chatgroups/user/${user}?pagesize=20`);
      expect(page.body.total).toBe(8);
      expect(page.body.entities.find((e: { groupId: string }) => e.groupId === specId)).toEqual({
        name: '详细',
        avatar: 'https://example.com/u.png',
        owner: other,
        id: specId,
        groupId: specId,
        description: 'desc here',
        disabled: false,
        public: false,
        allowinvites: true,
        membersonly: true,
        maxusers: 42,
        created: d.created,
        affiliations_count: 2,
        permission: 'member',
      });
      all.push(specId);

      // Pages of 3 cover every group once.
      const seen: string[] = [];
      for (let pagenum = 1; pagenum <= 3; pagenum++) {
        const res = await t.api('GET', `/chatgroups/user/${user}?pagesize=3&pagenum=${pagenum}`);
        expect(res.status, res.text).toBe(200);
        expect(res.body.total).toBe(8);
        seen.push(...res.body.entities.map((e: { groupId: string }) => e.groupId));
      }
      expect(seen).toHaveLength(8);
      expect([...seen].sort()).toEqual([...all].sort());
      const past = await t.api('GET', `/chatgroups/user/${user}?pagesize=3&pagenum=4`);
      expect(past.body.entities).toEqual([]);
      expect(past.body.total).toBe(8);
    });

    it('treats pagenum 0 (the documented default) as the first page', async () => {
      const [user] = await t.makeUsers('ugzero');
      for (let i = 0; i < 3; i++) await createGroup({ owner: user });
      const none = await t.api('GET', `/chatgroups/user/${user}?pagesize=2`);
      const zero = await t.api('GET', `/chatgroups/user/${user}?pagesize=2&pagenum=0`);
      expect(zero.status).toBe(200);
      expect(zero.body.entities).toEqual(none.body.entities);
      expect(zero.body.entities).toHaveLength(2);
    });

    it('returns at most 20 per page', async () => {
      const [user] = await t.makeUsers('ugmax');
      for (let i = 0; i < 22; i++) await createGroup({ owner: user, groupname: `m${i}` });
      const res = await t.api('GET', `/chatgroups/user/${user}?pagesize=50`);
      expect(res.status, res.text).toBe(200);
      expect(res.body.total).toBe(22);
      expect(res.body.entities).toHaveLength(20);
      const second = await t.api('GET', `/chatgroups/user/${user}?pagesize=50&pagenum=2`);
      expect(second.body.entities).toHaveLength(2);
    });

    it('answers total 0 for an unknown user', async () => {
      const res = await t.api('GET', '/chatgroups/user/nobodyatall');
      expect(res.status, res.text).toBe(200);
      expect(res.body.total).toBe(0);
      expect(res.body.entities).toEqual([]);
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('GET /chatgroups/{id}/user/{username}/is_joined', () => {
    it('answers true for the owner and members, false otherwise, and follows membership changes', async () => {
      const [owner, m1, outsider] = await t.makeUsers('ij', 'ijm', 'ijout');
      const id = await createGroup({ owner, members: [m1] });
      const res = await t.api('GET', `/chatgroups/${id}/user/${owner}/is_joined`);
      expect(res.status).toBe(200);
      expect(res.body.data).toBe(true);
      expect(await isJoined(id, m1)).toBe(true);
      expect(await isJoined(id, outsider)).toBe(false);
      expect(await isJoined(id, 'ghostuser')).toBe(false);

      expect((await t.api('POST', `/chatgroups/${id}/users/${outsider}`)).status).toBe(200);
      expect(await isJoined(id, outsider)).toBe(true);
      expect((await t.api('DELETE', `/chatgroups/${id}/users/${outsider}`)).status).toBe(200);
      expect(await isJoined(id, outsider)).toBe(false);
      expect((await t.api('DELETE', `/chatgroups/${id}/users/${m1}`)).status).toBe(200);
      expect(await isJoined(id, m1)).toBe(false);
    });

    it('answers false (not an error) for a group that does not exist', async () => {
      const [u] = await t.makeUsers('ijnone');
      expect(await isJoined('999999', u)).toBe(false);
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('GET /chatgroups/{id1},{id2} (details)', () => {
    let a: string;
    let b: string;
    beforeAll(async () => {
      const [owner] = await t.makeUsers('multi');
      a = await createGroup({ owner, groupname: 'multiA' });
      b = await createGroup({ owner, groupname: 'multiB' });
    });

    it('answers several groups in the order asked', async () => {
      const res = await t.api('GET', `/chatgroups/${b},${a}`);
      expect(res.status, res.text).toBe(200);
      expect(res.body.count).toBe(2);
      expect(res.body.data.map((g: { id: string; name: string }) => [g.id, g.name])).toEqual([
        [b, 'multiB'],
        [a, 'multiA'],
      ]);
      for (const g of res.body.data) for (const field of DETAIL_FIELDS) expect(g).toHaveProperty(field);
    });

    it('reports missing ids among several in place', async () => {
      const res = await t.api('GET', `/chatgroups/${a},999999,${b},notanid`);
      expect(res.status, res.text).toBe(200);
      expect(res.body.data).toHaveLength(4);
      expect(res.body.data[0].id).toBe(a);
      expect(res.body.data[1]).toEqual({ id: '999999', error: "group id doesn't exist" });
      expect(res.body.data[2].id).toBe(b);
      expect(res.body.data[3]).toEqual({ id: 'notanid', error: "group id doesn't exist" });
      // The docs do not say whether count includes the missing ones; qunliao counts every entry.
      expect(res.body.count).toBe(4);
    });

    it('answers 404 resource_not_found for a single missing id', async () => {
      const res = await t.api('GET', '/chatgroups/999999');
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ error: 'resource_not_found', error_description: 'grpID 999999 does not exist!' });
    });

    it('answers 8 existing groups in one request (ids are 16 digits: the path segment is over 100 characters)', async () => {
      const [owner] = await t.makeUsers('eight');
      const ids: string[] = [];
      for (let i = 0; i < 8; i++) ids.push(await createGroup({ owner, groupname: `eight${i}` }));
      const res = await t.api('GET', `/chatgroups/${ids.join(',')}`);
      expect(res.status, res.text.slice(0, 300)).toBe(200);
      expect(res.body.count).toBe(8);
      expect(res.body.data.map((g: { id: string; name: string }) => g.name)).toEqual(ids.map((_, i) => `eight${i}`));
    });

    it('accepts 100 ids and refuses 101 with 400', async () => {
      // Ids shaped like real ones (16 digits), so the list is as long as a real client's.
      const ids = (n: number) => [a, ...Array.from({ length: n - 1 }, (_, i) => String(1_000_000_000_000_000 + i))].join(',');
      const hundred = await t.api('GET', `/chatgroups/${ids(100)}`);
      expect(hundred.status, hundred.text.slice(0, 300)).toBe(200);
      expect(hundred.body.data).toHaveLength(100);
      expect(hundred.body.data[0].id).toBe(a);
      const over = await t.api('GET', `/chatgroups/${ids(101)}`);
      expect(over.status, over.text.slice(0, 300)).toBe(400);
      expect(over.body.error).toBe('invalid_parameter');
    });

    it('accepts %2C-encoded commas', async () => {
      const res = await t.api('GET', `/chatgroups/${a}%2C${b}`);
      expect(res.status, res.text).toBe(200);
      expect(res.body.data.map((g: { id: string }) => g.id)).toEqual([a, b]);
      const lower = await t.api('GET', `/chatgroups/${a}%2c${b}`);
      expect(lower.body.data.map((g: { id: string }) => g.id)).toEqual([a, b]);
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('DELETE /chatgroups/{id}', () => {
    it('dissolves the group: details 404, nobody is joined, it leaves every list; a second delete is 404', async () => {
      const [owner, m1, m2] = await t.makeUsers('del', 'delm', 'delm');
      const keep = await createGroup({ owner, groupname: 'keep' });
      const id = await createGroup({ owner, members: [m1, m2], groupname: 'doomed' });
      expect((await userGroupIds(m1)).ids).toContain(id);

      const res = await t.api('DELETE', `/chatgroups/${id}`);
      expect(res.status, res.text).toBe(200);
      expect(res.body.action).toBe('delete');
      expect(res.body.data).toEqual({ success: true, groupid: id });

      const gone = await t.api('GET', `/chatgroups/${id}`);
      expect(gone.status).toBe(404);
      expect(gone.body).toMatchObject({ error: 'resource_not_found', error_description: `grpID ${id} does not exist!` });
      for (const u of [owner, m1, m2]) expect(await isJoined(id, u), u).toBe(false);
      expect(await userGroupIds(m1)).toEqual({ ids: [], total: 0 });
      expect(await userGroupIds(owner)).toEqual({ ids: [keep], total: 1 });
      expect(await allGroupIds()).not.toContain(id);
      expect(await allGroupIds()).toContain(keep);

      const again = await t.api('DELETE', `/chatgroups/${id}`);
      expect(again.status).toBe(404);
      expect(again.body).toMatchObject({ error: 'resource_not_found', error_description: `grpID ${id} does not exist!` });
    });

    it('answers 404 for an id that cannot exist', async () => {
      const res = await t.api('DELETE', '/chatgroups/not-a-group');
      expect(res.status).toBe(404);
      expect(res.body.error).toBe('resource_not_found');
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('apps are kept apart', () => {
    it("another app's token cannot see, modify, disable or delete a group", async () => {
      const [owner, m1] = await t.makeUsers('iso', 'isom');
      const id = await createGroup({ owner, members: [m1], groupname: 'mainonly' });
      const before = await details(id);
      const other = await t.appToken(OTHER);
      const as = { app: OTHER, token: other };

      const get = await t.api('GET', `/chatgroups/${id}`, as);
      expect(get.status).toBe(404);
      expect(get.body).toMatchObject({ error: 'resource_not_found', error_description: `grpID ${id} does not exist!` });
      const put = await t.api('PUT', `/chatgroups/${id}`, { ...as, body: { groupname: 'hijacked' } });
      expect(put.status).toBe(404);
      expect(put.body.error).toBe('resource_not_found');
      const disable = await t.api('POST', `/chatgroups/${id}/disable`, as);
      expect(disable.status).toBe(404);
      const del = await t.api('DELETE', `/chatgroups/${id}`, as);
      expect(del.status).toBe(404);
      expect(del.body.error).toBe('resource_not_found');
      const joined = await t.api('GET', `/chatgroups/${id}/user/${m1}/is_joined`, as);
      expect(joined.body.data).toBe(false);
      const list = await t.api('GET', '/chatgroups?limit=1000', as);
      expect(list.body.data.map((g: { groupid: string }) => g.groupid)).not.toContain(id);
      const several = await t.api('GET', `/chatgroups/${id},999999`, as);
      expect(several.body.data[0]).toEqual({ id, error: "group id doesn't exist" });

      expect(await details(id)).toEqual(before);
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('DELETE /users/{username} and groups', () => {
    it("dissolves the user's groups and removes them from the groups they joined", async () => {
      const [alice, bob, carol] = await t.makeUsers('alice', 'bob', 'carol');
      const alicesGroup = await createGroup({ owner: alice, members: [bob, carol], groupname: 'alices' });
      const bobsGroup = await createGroup({ owner: bob, members: [alice, carol], groupname: 'bobs' });
      expect((await details(bobsGroup)).affiliations_count).toBe(3);

      const res = await t.api('DELETE', `/users/${alice}`);
      expect(res.status, res.text).toBe(200);

      expect((await t.api('GET', `/chatgroups/${alicesGroup}`)).status).toBe(404);
      expect(await isJoined(alicesGroup, bob)).toBe(false);
      expect(await isJoined(alicesGroup, carol)).toBe(false);
      expect(await allGroupIds()).not.toContain(alicesGroup);

      const g = await details(bobsGroup);
      expect(g.affiliations_count).toBe(2);
      expect(sortAffiliations(g.affiliations)).toEqual(sortAffiliations([{ owner: bob }, { member: carol }]));
      expect(await isJoined(bobsGroup, alice)).toBe(false);
      const listed = (await t.api('GET', '/chatgroups?limit=1000')).body.data.find((x: { groupid: string }) => x.groupid === bobsGroup);
      expect(listed.affiliations).toBe(2);

      expect(await userGroupIds(carol)).toEqual({ ids: [bobsGroup], total: 1 });
      expect(await userGroupIds(alice)).toEqual({ ids: [], total: 0 });
    });
  });
});
