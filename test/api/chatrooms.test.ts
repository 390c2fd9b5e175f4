// Chatroom API (REFERENCE §2c "Chatrooms": management, members, admins; §2h limits; §3.2 items
// 4–7; CLIENTS.md chatroom rows): create, details, the app's rooms, a user's rooms, modify and
// transfer, delete, members (single and batch), admins, announcement, the maxusers and
// rooms-per-user limits (also under concurrency), what deleting a user does, and the separation of
// chatrooms from groups and from other apps. Mute / ban / allowlist / blocklist are covered in
// moderation.test.ts. Every test reads the state back, not only the answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultLimits } from '../../src/config.js';
import { databases, OTHER, startApp, type TestApp } from '../support/harness.js';
import { expectError } from '../support/expect.js';
import { names } from '../support/util.js';

/** A numeric id no room has. */
const MISSING = '999999999999999';

/** Every field REFERENCE §2c lists for a details item (plus `mute`, shown by the Agora example). */
const DETAIL_FIELDS = [
  'id',
  'name',
  'description',
  'membersonly',
  'allowinvites',
  'maxusers',
  'owner',
  'created',
  'custom',
  'affiliations_count',
  'affiliations',
  'public',
  'mute',
];

type Affiliation = { owner: string } | { member: string };

const sortAffiliations = (a: Affiliation[]) => [...a].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));

/** Unique name prefixes across the file. */
let seq = 0;

async function createRoom(app: TestApp, body: Record<string, unknown>): Promise<string> {
  const res = await app.api('POST', '/chatrooms', { body: { name: 'room', description: 'a room', ...body } });
  expect(res.status, res.text).toBe(200);
  return res.body.data.id as string;
}

async function details(app: TestApp, id: string) {
  const res = await app.api('GET', `/chatrooms/${id}`);
  expect(res.status, res.text).toBe(200);
  expect(Array.isArray(res.body.data)).toBe(true);
  expect(res.body.data).toHaveLength(1);
  return res.body.data[0];
}

/** Every room id of the app, newest first, walking all pages. */
async function allRoomIds(app: TestApp, limit = 1000): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const res = await app.api('GET', `/chatrooms?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(res.status, res.text).toBe(200);
    ids.push(...res.body.data.map((r: { id: string }) => r.id));
    cursor = res.body.cursor;
  } while (cursor);
  return ids;
}

/** The ids of the rooms `user` is in (pagesize 1000: every one in these tests). */
async function joinedIds(app: TestApp, user: string): Promise<string[]> {
  const res = await app.api('GET', `/users/${user}/joined_chatrooms?pagesize=1000`);
  expect(res.status, res.text).toBe(200);
  expect(res.body.count).toBe(res.body.data.length);
  return res.body.data.map((r: { id: string }) => r.id);
}

async function memberList(app: TestApp, id: string): Promise<Affiliation[]> {
  const res = await app.api('GET', `/chatrooms/${id}/users`);
  expect(res.status, res.text).toBe(200);
  expect(res.body.count).toBe(res.body.data.length);
  return res.body.data as Affiliation[];
}

async function adminList(app: TestApp, id: string): Promise<string[]> {
  const res = await app.api('GET', `/chatrooms/${id}/admin`);
  expect(res.status, res.text).toBe(200);
  expect(res.body.count).toBe(res.body.data.length);
  return res.body.data as string[];
}

describe.each(databases)('chatrooms (%s)', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(kind);
  });
  afterAll(() => t.close());

  // ---------------------------------------------------------------------------------------------
  describe('POST /chatrooms', () => {
    it('creates a room from the SDK body; data.id is a numeric string; every detail reads back', async () => {
      const [owner, m1, m2] = await t.makeUsers('crown', 'crm', 'crm');
      const before = Date.now();
      const res = await t.api('POST', '/chatrooms', { body: { name: '聊天室一', description: 'first room', owner, members: [m1, m2], maxusers: 300 } });
      const after = Date.now();
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ action: 'post', entities: [], organization: 'acme', applicationName: 'chat' });
      expect(Object.keys(res.body.data)).toEqual(['id']);
      const id = res.body.data.id;
      expect(typeof id).toBe('string');
      expect(id).toMatch(/^[1-9][0-9]*$/);

      const got = await t.api('GET', `/chatrooms/${id}`);
      expect(got.status, got.text).toBe(200);
      expect(Array.isArray(got.body.data)).toBe(true);
      expect(got.body.count).toBe(1);
      const room = got.body.data[0];
      for (const field of DETAIL_FIELDS) expect(room, field).toHaveProperty(field);
      expect(room).toMatchObject({
        id,
        name: '聊天室一',
        description: 'first room',
        membersonly: false,
        allowinvites: false,
        maxusers: 300,
        owner,
        custom: '',
        affiliations_count: 3,
        public: true,
        mute: false,
      });
      expect(room.created).toBeGreaterThanOrEqual(before);
      expect(room.created).toBeLessThanOrEqual(after);
      expect(sortAffiliations(room.affiliations)).toEqual(sortAffiliations([{ owner }, { member: m1 }, { member: m2 }]));
      expect(await allRoomIds(t)).toContain(id);
      expect(await joinedIds(t, m1)).toContain(id);
    });

    it('applies the documented defaults: maxusers 1000, no members, custom ""', async () => {
      const [owner] = await t.makeUsers('defown');
      const id = await createRoom(t, { owner });
      const room = await details(t, id);
      expect(room).toMatchObject({ maxusers: 1000, affiliations_count: 1, custom: '', owner });
      expect(room.affiliations).toEqual([{ owner }]);
    });

    it('stores custom and accepts the longest documented values (name 128, description 512 characters, custom 8 KB, maxusers 10000)', async () => {
      const [owner] = await t.makeUsers('longown');
      const name = '聊'.repeat(128);
      const description = '述'.repeat(512);
      const custom = `${'中'.repeat(2730)}cc`; // 8190 + 2 = 8192 bytes
      expect(Buffer.byteLength(custom)).toBe(8192);
      const id = await createRoom(t, { owner, name, description, custom, maxusers: 10_000 });
      expect(await details(t, id)).toMatchObject({ name, description, custom, maxusers: 10_000 });
    });

    it('counts the owner in maxusers: owner + 2 members fit maxusers 3', async () => {
      const [owner, m1, m2] = await t.makeUsers('fitown', 'fitm', 'fitm');
      const room = await details(t, await createRoom(t, { owner, maxusers: 3, members: [m1, m2] }));
      expect(room.affiliations_count).toBe(3);
    });

    it('without a token → 401 and nothing is created', async () => {
      const [owner] = await t.makeUsers('notok');
      const before = await allRoomIds(t);
      const res = await t.api('POST', '/chatrooms', { token: null, body: { name: 'x', description: 'x', owner } });
      expect(res.status).toBe(401);
      expect(await allRoomIds(t)).toEqual(before);
    });

    describe('refusals create nothing', () => {
      let owner: string;
      let m1: string;
      beforeAll(async () => {
        [owner, m1] = await t.makeUsers('refown', 'refm');
      });

      async function expectRefused(body: unknown, status: number, error: string, description?: string | RegExp) {
        const before = await allRoomIds(t);
        const ownerRooms = await joinedIds(t, owner);
        expectError(await t.api('POST', '/chatrooms', { body }), status, error, description);
        expect(await allRoomIds(t)).toEqual(before);
        expect(await joinedIds(t, owner)).toEqual(ownerRooms);
        expect(await joinedIds(t, m1)).toEqual([]);
      }

      it('missing name → 400 invalid_parameter "chatroom must contain title/name field!"', async () => {
        await expectRefused({ description: 'd', owner, members: [m1] }, 400, 'invalid_parameter', 'chatroom must contain title/name field!');
        await expectRefused({ name: '', description: 'd', owner, members: [m1] }, 400, 'invalid_parameter', 'chatroom must contain title/name field!');
      });

      it('missing owner → 400 invalid_parameter "owner must be provided"', async () => {
        await expectRefused({ name: 'n', description: 'd', members: [m1] }, 400, 'invalid_parameter', 'owner must be provided');
      });

      it('missing description → 400 invalid_parameter "description must be provided"', async () => {
        await expectRefused({ name: 'n', owner, members: [m1] }, 400, 'invalid_parameter', 'description must be provided');
      });

      it('name over 128 characters → 403 exceed_limit "title cannot exceed to 128"', async () => {
        await expectRefused({ name: '聊'.repeat(129), description: 'd', owner, members: [m1] }, 403, 'exceed_limit', 'title cannot exceed to 128');
      });

      it('description over 512 characters → 403 exceed_limit "desc cannot exceed to 512"', async () => {
        await expectRefused({ name: 'n', description: '述'.repeat(513), owner, members: [m1] }, 403, 'exceed_limit', 'desc cannot exceed to 512');
      });

      it('custom over 8 KB → 400 invalid_parameter (status and text: qunliao, the docs give none)', async () => {
        await expectRefused({ name: 'n', description: 'd', owner, custom: 'c'.repeat(8193) }, 400, 'invalid_parameter');
        // 2731 three-byte characters = 8193 bytes.
        await expectRefused({ name: 'n', description: 'd', owner, custom: '中'.repeat(2731) }, 400, 'invalid_parameter');
      });

      it('an owner or member that does not exist → 404 resource_not_found "username X doesn\'t exist!"', async () => {
        await expectRefused({ name: 'n', description: 'd', owner: 'ghostroomowner', members: [m1] }, 404, 'resource_not_found', "username ghostroomowner doesn't exist!");
        await expectRefused({ name: 'n', description: 'd', owner, members: [m1, 'ghostroommember'] }, 404, 'resource_not_found', "username ghostroommember doesn't exist!");
      });

      it('members that do not fit maxusers (owner counted) → 403 exceed_limit "members size is greater than max user size !"', async () => {
        const [a, b] = await t.makeUsers('overm', 'overm');
        await expectRefused({ name: 'n', description: 'd', owner, maxusers: 2, members: [m1, a, b] }, 403, 'exceed_limit', 'members size is greater than max user size !');
        await expectRefused({ name: 'n', description: 'd', owner, maxusers: 1, members: [m1] }, 403, 'exceed_limit', 'members size is greater than max user size !');
      });

      it('maxusers over 10000 → 403 exceed_limit', async () => {
        await expectRefused({ name: 'n', description: 'd', owner, members: [m1], maxusers: 10_001 }, 403, 'exceed_limit');
      });

      it.each([
        ['name 7', { name: 7 }],
        ['description 5', { description: 5 }],
        ['owner 42', { owner: 42 }],
        ['members "u1"', { members: 'u1' }],
        ['members [1]', { members: [1] }],
        ['maxusers "abc"', { maxusers: 'abc' }],
        ['maxusers 0', { maxusers: 0 }],
        ['maxusers -5', { maxusers: -5 }],
        ['maxusers 2.5', { maxusers: 2.5 }],
        ['custom 3', { custom: 3 }],
      ])('wrong type: %s → 400', async (_label, fields) => {
        await expectRefused({ name: 'n', description: 'd', owner, members: [m1], ...fields }, 400, 'invalid_parameter');
      });

      it('a body that is not a JSON object → 400', async () => {
        await expectRefused([{ name: 'n', description: 'd', owner }], 400, 'invalid_parameter');
        await expectRefused('room', 400, 'invalid_parameter');
      });

      it('malformed JSON → 400', async () => {
        const before = await allRoomIds(t);
        const res = await t.api('POST', '/chatrooms', { payload: `{"name": "n", "owner": "${owner}",`, headers: { 'content-type': 'application/json' } });
        expect(res.status).toBe(400);
        expect(await allRoomIds(t)).toEqual(before);
      });
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('GET /chatrooms/{id} (details)', () => {
    let owner: string;
    let r1: string;
    let r2: string;
    beforeAll(async () => {
      [owner] = await t.makeUsers('detown');
      r1 = await createRoom(t, { owner, name: 'first' });
      r2 = await createRoom(t, { owner, name: 'second' });
    });

    it('answers several rooms for a comma list, in the order asked', async () => {
      const res = await t.api('GET', `/chatrooms/${r2},${r1}`);
      expect(res.status, res.text).toBe(200);
      expect(res.body.count).toBe(2);
      expect(res.body.data.map((r: { id: string; name: string }) => [r.id, r.name])).toEqual([
        [r2, 'second'],
        [r1, 'first'],
      ]);
    });

    it('accepts the comma escaped as %2C', async () => {
      const res = await t.api('GET', `/chatrooms/${r1}%2C${r2}`);
      expect(res.status, res.text).toBe(200);
      expect(res.body.data.map((r: { id: string }) => r.id)).toEqual([r1, r2]);
    });

    it('answers a missing id among several in place as {id, error} (qunliao, as the Java SDK describes it)', async () => {
      const res = await t.api('GET', `/chatrooms/${r1},${MISSING}`);
      expect(res.status, res.text).toBe(200);
      expect(res.body.data[0].id).toBe(r1);
      expect(res.body.data[1]).toEqual({ id: MISSING, error: "chatroom id doesn't exist" });
    });

    it('answers 404 service_resource_not_found "do not find this group:X" for a single unknown id', async () => {
      expectError(await t.api('GET', `/chatrooms/${MISSING}`), 404, 'service_resource_not_found', `do not find this group:${MISSING}`);
      expectError(await t.api('GET', '/chatrooms/notanid'), 404, 'service_resource_not_found', 'do not find this group:notanid');
    });

    it('accepts 100 ids and refuses 101 with 400', async () => {
      const fakes = Array.from({ length: 100 }, (_, i) => String(900_000_000_000_000 + i));
      const hundred = await t.api('GET', `/chatrooms/${[r1, ...fakes.slice(0, 99)].join(',')}`);
      expect(hundred.status, hundred.text).toBe(200);
      expect(hundred.body.data).toHaveLength(100);
      expect(hundred.body.data[0].id).toBe(r1);
      expectError(await t.api('GET', `/chatrooms/${[r1, ...fakes].join(',')}`), 400, 'invalid_parameter');
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('chatrooms are not groups', () => {
    it('a group id is unknown to /chatrooms and a chatroom id is unknown to /chatgroups', async () => {
      const [owner, m1] = await t.makeUsers('kindown', 'kindm');
      const roomId = await createRoom(t, { owner, members: [m1], name: 'the room' });
      const groupId = await t.createGroup(owner, [m1]);

      // Group id on chatroom paths.
      expectError(await t.api('GET', `/chatrooms/${groupId}`), 404, 'service_resource_not_found', `do not find this group:${groupId}`);
      expectError(await t.api('GET', `/chatrooms/${groupId}/users`), 404, 'service_resource_not_found');
      expectError(await t.api('PUT', `/chatrooms/${groupId}`, { body: { name: 'hijack' } }), 404, 'resource_not_found', `grpID ${groupId} does not exist!`);
      expectError(await t.api('DELETE', `/chatrooms/${groupId}/users/${m1}`), 404, 'resource_not_found');
      expectError(await t.api('POST', `/chatrooms/${groupId}/announcement`, { body: { announcement: 'x' } }), 404, 'resource_not_found');
      expectError(await t.api('DELETE', `/chatrooms/${groupId}`), 404, 'resource_not_found');

      // Chatroom id on group paths.
      expectError(await t.api('GET', `/chatgroups/${roomId}`), 404, 'resource_not_found');
      expectError(await t.api('GET', `/chatgroups/${roomId}/users`), 404, 'service_resource_not_found');
      expectError(await t.api('PUT', `/chatgroups/${roomId}`, { body: { groupname: 'hijack' } }), 404, 'resource_not_found');
      expectError(await t.api('DELETE', `/chatgroups/${roomId}/users/${m1}`), 404, 'resource_not_found');
      expectError(await t.api('DELETE', `/chatgroups/${roomId}`), 404, 'resource_not_found');
      const joined = await t.api('GET', `/chatgroups/${roomId}/user/${m1}/is_joined`);
      expect(joined.status, joined.text).toBe(200);
      expect(joined.body.data, 'is_joined on a chatroom id must not answer true').toBe(false);

      // Neither list shows the other kind.
      expect(await allRoomIds(t)).toContain(roomId);
      expect(await allRoomIds(t)).not.toContain(groupId);
      const groups = await t.api('GET', '/chatgroups?limit=1000');
      const groupIds = groups.body.data.map((g: { groupid: string }) => g.groupid);
      expect(groupIds).toContain(groupId);
      expect(groupIds).not.toContain(roomId);
      expect(await joinedIds(t, m1)).toEqual([roomId]);
      const userGroups = await t.api('GET', `/chatgroups/user/${m1}?pagesize=20`);
      expect(userGroups.body.entities.map((g: { groupId: string }) => g.groupId)).toEqual([groupId]);

      // Both survive unchanged.
      expect(await details(t, roomId)).toMatchObject({ name: 'the room', affiliations_count: 2 });
      const group = await t.api('GET', `/chatgroups/${groupId}`);
      expect(group.body.data[0]).toMatchObject({ name: 'g', affiliations_count: 2 });
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('GET /chatrooms (the app\'s rooms, cursor)', () => {
    it('walks every room newest first, exactly once, with {id, name, owner, affiliations_count, disabled}', async () => {
      const fresh = await startApp(kind);
      try {
        const [owner, m1] = await fresh.makeUsers('walk', 'walkm');
        const created: string[] = [];
        for (let i = 0; i < 12; i++) created.push(await createRoom(fresh, { owner, name: `walk${i}`, members: i % 2 === 0 ? [m1] : [] }));
        await fresh.createGroup(owner); // groups never appear here
        const newestFirst = [...created].reverse();

        const seen: string[] = [];
        const sizes: number[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const res = await fresh.api('GET', `/chatrooms?limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
          expect(res.status, res.text).toBe(200);
          expect(Array.isArray(res.body.data)).toBe(true);
          expect(res.body.count).toBe(res.body.data.length);
          for (const item of res.body.data) expect(Object.keys(item).sort()).toEqual(['affiliations_count', 'disabled', 'id', 'name', 'owner']);
          sizes.push(res.body.data.length);
          seen.push(...res.body.data.map((r: { id: string }) => r.id));
          cursor = res.body.cursor;
          if (cursor === undefined) expect(res.body).not.toHaveProperty('cursor');
          else expect(typeof cursor).toBe('string');
          pages++;
        } while (cursor && pages < 10);
        expect(sizes).toEqual([5, 5, 2]);
        expect(seen).toEqual(newestFirst);

        const first = await fresh.api('GET', '/chatrooms?limit=1');
        expect(first.body.data).toEqual([{ id: created[11], name: 'walk11', owner, affiliations_count: 1, disabled: false }]);
        const withMember = (await fresh.api('GET', '/chatrooms?limit=2')).body.data[1];
        expect(withMember).toEqual({ id: created[10], name: 'walk10', owner, affiliations_count: 2, disabled: false });
      } finally {
        await fresh.close();
      }
    });

    it('defaults to 10 per page, caps limit at 1000, refuses limit 0 and a bad cursor with 400', async () => {
      const fresh = await startApp(kind);
      try {
        const [owner] = await fresh.makeUsers('deflim');
        for (let i = 0; i < 12; i++) await createRoom(fresh, { owner, name: `d${i}` });
        const byDefault = await fresh.api('GET', '/chatrooms');
        expect(byDefault.status, byDefault.text).toBe(200);
        expect(byDefault.body.data).toHaveLength(10);
        expect(byDefault.body.count).toBe(10);
        expect(typeof byDefault.body.cursor).toBe('string');
        const big = await fresh.api('GET', '/chatrooms?limit=5000');
        expect(big.status, big.text).toBe(200);
        expect(big.body.data).toHaveLength(12);
        expect(big.body).not.toHaveProperty('cursor');
        expect((await fresh.api('GET', '/chatrooms?limit=0')).status).toBe(400);
        expect((await fresh.api('GET', '/chatrooms?cursor=not-a-cursor')).status).toBe(400);
      } finally {
        await fresh.close();
      }
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('GET /users/{username}/joined_chatrooms', () => {
    it('lists the rooms a user owns or joined as {id, name, disabled}, with count and pages', async () => {
      const [owner, u] = await t.makeUsers('jown', 'ju');
      const ids: string[] = [];
      ids.push(await createRoom(t, { owner: u, name: 'own0' }));
      for (let i = 1; i < 5; i++) ids.push(await createRoom(t, { owner, name: `in${i}`, members: [u] }));
      await t.createGroup(owner, [u]); // groups are not listed

      const all = await t.api('GET', `/users/${u}/joined_chatrooms`);
      expect(all.status, all.text).toBe(200);
      expect(all.body.count).toBe(5);
      expect(Array.isArray(all.body.data)).toBe(true);
      for (const item of all.body.data) expect(Object.keys(item).sort()).toEqual(['disabled', 'id', 'name']);
      expect([...all.body.data].sort((a, b) => a.id.localeCompare(b.id))).toEqual(
        ids.map((id, i) => ({ id, name: i === 0 ? 'own0' : `in${i}`, disabled: false })).sort((a, b) => a.id.localeCompare(b.id)),
      );

      const page = (n: number) => t.api('GET', `/users/${u}/joined_chatrooms?pagenum=${n}&pagesize=2`);
      const pages = [await page(1), await page(2), await page(3), await page(4)];
      expect(pages.map((p) => p.status)).toEqual([200, 200, 200, 200]);
      expect(pages.map((p) => p.body.count)).toEqual([2, 2, 1, 0]);
      const paged = pages.flatMap((p) => p.body.data.map((r: { id: string }) => r.id));
      expect([...paged].sort()).toEqual([...ids].sort());
      expect(new Set(paged).size).toBe(5);
      const sizeOnly = await t.api('GET', `/users/${u}/joined_chatrooms?pagesize=3`);
      expect(sizeOnly.body.count).toBe(3);
    });

    it('answers an empty list for a user in no room (and for an unknown user: qunliao)', async () => {
      const [lonely] = await t.makeUsers('lonely');
      for (const user of [lonely, 'ghostjoined']) {
        const res = await t.api('GET', `/users/${user}/joined_chatrooms`);
        expect(res.status, res.text).toBe(200);
        expect(res.body.data).toEqual([]);
        expect(res.body.count).toBe(0);
      }
    });

    it('without pagenum and pagesize answers the 500 rooms the user joined most recently', async () => {
      const fresh = await startApp(kind);
      try {
        const [hub] = await fresh.makeUsers('hub');
        // The first and the last room are created alone, so that they are surely the first and the
        // last joined; the 499 between are created 50 at a time.
        const first = await createRoom(fresh, { owner: hub, name: 'first' });
        for (let i = 0; i < 499; i += 50) {
          const batch = await Promise.all(
            Array.from({ length: Math.min(50, 499 - i) }, (_, j) => fresh.api('POST', '/chatrooms', { body: { name: `h${i + j}`, description: 'd', owner: hub } })),
          );
          for (const r of batch) expect(r.status, r.text).toBe(200);
        }
        const last = await createRoom(fresh, { owner: hub, name: 'last' });

        const everything = await fresh.api('GET', `/users/${hub}/joined_chatrooms?pagesize=1000`);
        expect(everything.body.count).toBe(501);

        const latest = await fresh.api('GET', `/users/${hub}/joined_chatrooms`);
        expect(latest.status, latest.text).toBe(200);
        expect(latest.body.count).toBe(500);
        const ids = latest.body.data.map((r: { id: string }) => r.id);
        expect(ids, 'the most recently joined room is among the latest 500').toContain(last);
        expect(ids, 'the first room joined is not among the latest 500').not.toContain(first);
      } finally {
        await fresh.close();
      }
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('PUT /chatrooms/{id}', () => {
    it('modifies name, description, maxusers and custom; answers groupname/description/maxusers/custom true', async () => {
      const [owner, m1] = await t.makeUsers('putall', 'putallm');
      const id = await createRoom(t, { owner, members: [m1], name: 'old', description: 'old', custom: 'old', maxusers: 100 });
      const res = await t.api('PUT', `/chatrooms/${id}`, { body: { name: 'new name', description: 'new description', maxusers: 500, custom: 'new custom' } });
      expect(res.status, res.text).toBe(200);
      expect(res.body.action).toBe('put');
      expect(res.body.data).toEqual({ groupname: true, description: true, maxusers: true, custom: true });
      expect(await details(t, id)).toMatchObject({ name: 'new name', description: 'new description', maxusers: 500, custom: 'new custom', owner, affiliations_count: 2 });
      const listed = (await t.api('GET', '/chatrooms?limit=1000')).body.data.find((r: { id: string }) => r.id === id);
      expect(listed.name).toBe('new name');
      expect((await t.api('GET', `/users/${m1}/joined_chatrooms`)).body.data).toEqual([{ id, name: 'new name', disabled: false }]);
    });

    it.each([
      ['name', '新名字', 'groupname', 'name'],
      ['description', 'changed', 'description', 'description'],
      ['maxusers', 777, 'maxusers', 'maxusers'],
      ['custom', 'changed', 'custom', 'custom'],
    ])('changes %s alone; data has only that field and nothing else changes', async (field, value, answer, detailKey) => {
      const [owner] = await t.makeUsers('putone');
      const id = await createRoom(t, { owner, name: 'orig', description: 'orig', custom: 'orig', maxusers: 50 });
      const before = await details(t, id);
      const res = await t.api('PUT', `/chatrooms/${id}`, { body: { [field]: value } });
      expect(res.status, res.text).toBe(200);
      expect(res.body.data).toEqual({ [answer]: true });
      const after = await details(t, id);
      expect(after[detailKey]).toEqual(value);
      expect({ ...after, [detailKey]: undefined }).toEqual({ ...before, [detailKey]: undefined });
    });

    it('refuses an unsupported field with 400 "some of [x] are not valid fields" and changes nothing', async () => {
      const [owner] = await t.makeUsers('putbad');
      const id = await createRoom(t, { owner, name: 'keep' });
      const before = await details(t, id);
      expectError(await t.api('PUT', `/chatrooms/${id}`, { body: { chatroom_id: '1', name: 'changed' } }), 400, 'invalid_parameter', 'some of [chatroom_id] are not valid fields');
      expect(await details(t, id)).toEqual(before);
    });

    it('refuses maxusers below the member count with 403 forbidden_op and changes nothing; equal is accepted', async () => {
      const [owner, m1, m2] = await t.makeUsers('putmax', 'putmaxm', 'putmaxm');
      const id = await createRoom(t, { owner, members: [m1, m2], maxusers: 10, name: 'keep' });
      expectError(
        await t.api('PUT', `/chatrooms/${id}`, { body: { maxusers: 2, name: 'not applied' } }),
        403,
        'forbidden_op',
        'current user count is larger than the maxUsers that you want to update !',
      );
      expect(await details(t, id)).toMatchObject({ maxusers: 10, name: 'keep' });
      const equal = await t.api('PUT', `/chatrooms/${id}`, { body: { maxusers: 3 } });
      expect(equal.status, equal.text).toBe(200);
      expect((await details(t, id)).maxusers).toBe(3);
    });

    it('refuses over-long name / description (403 exceed_limit), maxusers over 10000 (403) and wrong types (400); nothing changes', async () => {
      const [owner] = await t.makeUsers('putlen');
      const id = await createRoom(t, { owner, name: 'keep', description: 'keep' });
      const before = await details(t, id);
      expectError(await t.api('PUT', `/chatrooms/${id}`, { body: { name: 'n'.repeat(129) } }), 403, 'exceed_limit', 'title cannot exceed to 128');
      expectError(await t.api('PUT', `/chatrooms/${id}`, { body: { description: 'd'.repeat(513) } }), 403, 'exceed_limit', 'desc cannot exceed to 512');
      expectError(await t.api('PUT', `/chatrooms/${id}`, { body: { maxusers: 10_001 } }), 403, 'exceed_limit', 'maxUsers cannot exceed 10000');
      for (const body of [{ name: 5 }, { description: false }, { maxusers: 'abc' }, { maxusers: 0 }, { custom: 1 }, { newowner: 7 }]) {
        expectError(await t.api('PUT', `/chatrooms/${id}`, { body }), 400, 'invalid_parameter');
      }
      expectError(await t.api('PUT', `/chatrooms/${id}`, { body: [] }), 400, 'invalid_parameter');
      expect(await details(t, id)).toEqual(before);
    });

    it('transfers ownership with newowner; the old owner stays a member', async () => {
      const [owner, m1, m2] = await t.makeUsers('xfer', 'xferm', 'xferm');
      const id = await createRoom(t, { owner, members: [m1, m2] });
      const res = await t.api('PUT', `/chatrooms/${id}`, { body: { newowner: m1 } });
      expect(res.status, res.text).toBe(200);
      expect(res.body.data).toEqual({ newowner: true });
      const room = await details(t, id);
      expect(room.owner).toBe(m1);
      expect(room.affiliations_count).toBe(3);
      expect(sortAffiliations(room.affiliations)).toEqual(sortAffiliations([{ owner: m1 }, { member: owner }, { member: m2 }]));
      expect(sortAffiliations(await memberList(t, id))).toEqual(sortAffiliations([{ owner: m1 }, { member: owner }, { member: m2 }]));
      expect(await joinedIds(t, owner)).toContain(id);
      const listed = (await t.api('GET', '/chatrooms?limit=1000')).body.data.find((r: { id: string }) => r.id === id);
      expect(listed.owner).toBe(m1);
      // The roles really moved: the old owner can be removed, the new one cannot.
      expectError(await t.api('DELETE', `/chatrooms/${id}/users/${m1}`), 403, 'forbidden_op');
      expect((await t.api('DELETE', `/chatrooms/${id}/users/${owner}`)).status).toBe(200);
    });

    it('refuses newowner equal to the owner with 403 "new owner and old owner are the same"', async () => {
      const [owner, m1] = await t.makeUsers('xsame', 'xsamem');
      const id = await createRoom(t, { owner, members: [m1] });
      expectError(await t.api('PUT', `/chatrooms/${id}`, { body: { newowner: owner } }), 403, 'forbidden_op', 'new owner and old owner are the same');
      expect((await details(t, id)).owner).toBe(owner);
    });

    it('refuses a newowner who is not a member, or does not exist, with 404 resource_not_found', async () => {
      const [owner, outsider] = await t.makeUsers('xnon', 'xnonout');
      const id = await createRoom(t, { owner });
      expectError(await t.api('PUT', `/chatrooms/${id}`, { body: { newowner: outsider } }), 404, 'resource_not_found');
      expectError(await t.api('PUT', `/chatrooms/${id}`, { body: { newowner: 'ghostnewowner' } }), 404, 'resource_not_found', "username ghostnewowner doesn't exist!");
      const room = await details(t, id);
      expect(room.owner).toBe(owner);
      expect(room.affiliations).toEqual([{ owner }]);
    });

    it('a valid newowner with an invalid field changes nothing (neither the owner nor the fields)', async () => {
      const [owner, m1, m2] = await t.makeUsers('xmix', 'xmixm', 'xmixm');
      const id = await createRoom(t, { owner, members: [m1, m2], name: 'keep', description: 'keep', maxusers: 10 });
      const before = await details(t, id);
      const cases: [string, Record<string, unknown>, number][] = [
        ['maxusers 0', { maxusers: 0 }, 400],
        ['maxusers "abc"', { maxusers: 'abc' }, 400],
        ['maxusers 10001', { maxusers: 10_001 }, 403],
        ['maxusers below the member count', { maxusers: 2 }, 403],
        ['name too long', { name: 'n'.repeat(129) }, 403],
        ['unsupported field', { groupid: '1' }, 400],
      ];
      for (const [label, extra, status] of cases) {
        const res = await t.api('PUT', `/chatrooms/${id}`, { body: { newowner: m1, name: 'changed', description: 'changed', ...extra } });
        expect(res.status, `${label}: ${res.text}`).toBe(status);
        expect(await details(t, id), label).toEqual(before);
      }
      expectError(await t.api('DELETE', `/chatrooms/${id}/users/${owner}`), 403, 'forbidden_op');
    });

    it('concurrent transfers to different members leave exactly one owner', async () => {
      const [owner, ...members] = await t.makeUsers('xrace', 'xracem', 'xracem', 'xracem', 'xracem');
      const id = await createRoom(t, { owner, members });
      const replies = await Promise.all(members.map((m) => t.api('PUT', `/chatrooms/${id}`, { body: { newowner: m } })));
      expect(replies.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(1);
      const room = await details(t, id);
      const owners = room.affiliations.filter((a: Affiliation) => 'owner' in a);
      expect(owners, JSON.stringify(room.affiliations)).toEqual([{ owner: room.owner }]);
      expect(room.affiliations).toHaveLength(5);
      const listOwners = (await memberList(t, id)).filter((a) => 'owner' in a);
      expect(listOwners).toEqual([{ owner: room.owner }]);
    });

    it('answers 404 "grpID X does not exist!" for an unknown room', async () => {
      expectError(await t.api('PUT', `/chatrooms/${MISSING}`, { body: { name: 'x' } }), 404, 'resource_not_found', `grpID ${MISSING} does not exist!`);
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('DELETE /chatrooms/{id}', () => {
    it('deletes the room: data {success, id}; details 404; it leaves every list', async () => {
      const [owner, m1, m2] = await t.makeUsers('delown', 'delm', 'delm');
      const id = await createRoom(t, { owner, members: [m1, m2] });
      const keep = await createRoom(t, { owner, members: [m1] });

      const res = await t.api('DELETE', `/chatrooms/${id}`);
      expect(res.status, res.text).toBe(200);
      expect(res.body.action).toBe('delete');
      expect(res.body.data).toEqual({ success: true, id });

      expectError(await t.api('GET', `/chatrooms/${id}`), 404, 'service_resource_not_found', `do not find this group:${id}`);
      expectError(await t.api('GET', `/chatrooms/${id}/users`), 404, 'service_resource_not_found');
      expect(await allRoomIds(t)).not.toContain(id);
      expect(await joinedIds(t, m1)).toEqual([keep]);
      expect(await joinedIds(t, m2)).toEqual([]);
      expect(await joinedIds(t, owner)).toEqual([keep]);
      expectError(await t.api('DELETE', `/chatrooms/${id}`), 404, 'resource_not_found', `grpID ${id} does not exist!`);
      expect((await details(t, keep)).affiliations_count).toBe(2);
    });

    it('answers 404 for an unknown id', async () => {
      expectError(await t.api('DELETE', `/chatrooms/${MISSING}`), 404, 'resource_not_found', `grpID ${MISSING} does not exist!`);
      expectError(await t.api('DELETE', '/chatrooms/abc'), 404, 'resource_not_found');
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('GET /chatrooms/{id}/users', () => {
    it('lists [{owner}, {member}…] with count; pages with pagenum and pagesize', async () => {
      const [owner, ...members] = await t.makeUsers('lown', 'lm', 'lm', 'lm', 'lm');
      const id = await createRoom(t, { owner, members: members.slice(0, 2) });
      for (const m of members.slice(2)) expect((await t.api('POST', `/chatrooms/${id}/users/${m}`)).status).toBe(200);

      const res = await t.api('GET', `/chatrooms/${id}/users`);
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ action: 'get', entities: [], count: 5 });
      expect(res.body.data[0]).toEqual({ owner });
      expect(sortAffiliations(res.body.data)).toEqual(sortAffiliations([{ owner }, ...members.map((member) => ({ member }))]));

      const page = (n: number) => t.api('GET', `/chatrooms/${id}/users?pagenum=${n}&pagesize=2`);
      const pages = [await page(1), await page(2), await page(3), await page(4)];
      expect(pages.map((p) => p.body.count)).toEqual([2, 2, 1, 0]);
      expect(pages[0]!.body.params).toEqual({ pagenum: ['1'], pagesize: ['2'] });
      const all = pages.flatMap((p) => p.body.data);
      expect(sortAffiliations(all)).toEqual(sortAffiliations(res.body.data));
    });

    it('answers 404 service_resource_not_found "do not find this group:X" for an unknown room', async () => {
      expectError(await t.api('GET', `/chatrooms/${MISSING}/users`), 404, 'service_resource_not_found', `do not find this group:${MISSING}`);
    });
  });

  describe('POST /chatrooms/{id}/users/{username}', () => {
    it('adds a member: data {result, action, id, user}; visible in the list, details and joined_chatrooms', async () => {
      const [owner, u] = await t.makeUsers('aown', 'au');
      const id = await createRoom(t, { owner });
      const res = await t.api('POST', `/chatrooms/${id}/users/${u}`);
      expect(res.status, res.text).toBe(200);
      expect(res.body.data).toEqual({ result: true, action: 'add_member', id, user: u });
      expect(await memberList(t, id)).toEqual([{ owner }, { member: u }]);
      expect((await details(t, id)).affiliations_count).toBe(2);
      expect(await joinedIds(t, u)).toEqual([id]);
    });

    it('refuses an existing member (and the owner) with 403 forbidden_op', async () => {
      const [owner, u] = await t.makeUsers('dupown', 'dupu');
      const id = await createRoom(t, { owner, members: [u] });
      expectError(await t.api('POST', `/chatrooms/${id}/users/${u}`), 403, 'forbidden_op', /already in group/);
      expectError(await t.api('POST', `/chatrooms/${id}/users/${owner}`), 403, 'forbidden_op', /already in group/);
      expect((await details(t, id)).affiliations_count).toBe(2);
    });

    it('answers 404 for an unknown user or room', async () => {
      const [owner, u] = await t.makeUsers('nfown', 'nfu');
      const id = await createRoom(t, { owner });
      expectError(await t.api('POST', `/chatrooms/${id}/users/ghostadd`), 404, 'resource_not_found', "username ghostadd doesn't exist!");
      expectError(await t.api('POST', `/chatrooms/${MISSING}/users/${u}`), 404, 'resource_not_found', `grpID ${MISSING} does not exist!`);
      expect(await memberList(t, id)).toEqual([{ owner }]);
    });

    it('refuses a member that does not fit in maxusers with 403 exceed_limit', async () => {
      const [owner, a, b, c] = await t.makeUsers('fullown', 'fulla', 'fullb', 'fullc');
      const id = await createRoom(t, { owner, members: [a], maxusers: 2 });
      expectError(await t.api('POST', `/chatrooms/${id}/users/${b}`), 403, 'exceed_limit', 'members size is greater than max user size !');
      expectError(await t.api('POST', `/chatrooms/${id}/users`, { body: { usernames: [b, c] } }), 403, 'exceed_limit', 'members size is greater than max user size !');
      expect(await memberList(t, id)).toEqual([{ owner }, { member: a }]);
      expect(await joinedIds(t, b)).toEqual([]);
    });

    it('adds the same user once when the request is sent concurrently', async () => {
      const [owner, u] = await t.makeUsers('ccown', 'ccu');
      const id = await createRoom(t, { owner });
      const replies = await Promise.all(Array.from({ length: 10 }, () => t.api('POST', `/chatrooms/${id}/users/${u}`)));
      expect(replies.filter((r) => r.status === 200)).toHaveLength(1);
      for (const r of replies.filter((x) => x.status !== 200)) expectError(r, 403, 'forbidden_op');
      expect(await memberList(t, id)).toEqual([{ owner }, { member: u }]);
      expect((await details(t, id)).affiliations_count).toBe(2);
    });
  });

  describe('POST /chatrooms/{id}/users (batch)', () => {
    it('adds users: data {newmembers, action, id}; existing members are skipped (qunliao, as for groups)', async () => {
      const [owner, a, b, c] = await t.makeUsers('bown', 'ba', 'bb', 'bc');
      const id = await createRoom(t, { owner, members: [a] });
      const res = await t.api('POST', `/chatrooms/${id}/users`, { body: { usernames: [b, c] } });
      expect(res.status, res.text).toBe(200);
      expect(Object.keys(res.body.data).sort()).toEqual(['action', 'id', 'newmembers']);
      expect(res.body.data.action).toBe('add_member');
      expect(res.body.data.id).toBe(id);
      expect([...res.body.data.newmembers].sort()).toEqual([b, c].sort());
      expect(sortAffiliations(await memberList(t, id))).toEqual(sortAffiliations([{ owner }, { member: a }, { member: b }, { member: c }]));
      expect((await details(t, id)).affiliations_count).toBe(4);

      const [d] = await t.makeUsers('bd');
      const mixed = await t.api('POST', `/chatrooms/${id}/users`, { body: { usernames: [a, d] } });
      expect(mixed.status, mixed.text).toBe(200);
      expect(mixed.body.data.newmembers).toEqual([d]);
      expectError(await t.api('POST', `/chatrooms/${id}/users`, { body: { usernames: [a, b] } }), 403, 'forbidden_op');
      expect((await details(t, id)).affiliations_count).toBe(5);
    });

    it('accepts 60 users and refuses 61 with 400 invalid_parameter, adding nobody', async () => {
      const users = names(`b60x${++seq}u`, 61);
      await t.createUsers(...users);
      const [owner] = await t.makeUsers('b60own');
      const id = await createRoom(t, { owner, maxusers: 200 });
      expectError(
        await t.api('POST', `/chatrooms/${id}/users`, { body: { usernames: users } }),
        400,
        'invalid_parameter',
        'addMembers: addMembers number more than maxSize : 60',
      );
      expect((await details(t, id)).affiliations_count).toBe(1);
      const ok = await t.api('POST', `/chatrooms/${id}/users`, { body: { usernames: users.slice(0, 60) } });
      expect(ok.status, ok.text).toBe(200);
      expect(ok.body.data.newmembers).toHaveLength(60);
      expect((await details(t, id)).affiliations_count).toBe(61);
    });

    it('refuses the whole batch with 404 when one user does not exist (qunliao), and 400 without usernames', async () => {
      const [owner, a] = await t.makeUsers('bnfown', 'bnfa');
      const id = await createRoom(t, { owner });
      expectError(await t.api('POST', `/chatrooms/${id}/users`, { body: { usernames: [a, 'ghostbatch'] } }), 404, 'resource_not_found', "username ghostbatch doesn't exist!");
      expectError(await t.api('POST', `/chatrooms/${id}/users`, { body: {} }), 400, 'invalid_parameter');
      expectError(await t.api('POST', `/chatrooms/${MISSING}/users`, { body: { usernames: [a] } }), 404, 'resource_not_found');
      expect(await memberList(t, id)).toEqual([{ owner }]);
    });
  });

  describe('DELETE /chatrooms/{id}/users/{username}', () => {
    it('removes a member: data {result, action, user, id}; gone from the list and their rooms', async () => {
      const [owner, a, b] = await t.makeUsers('rown', 'ra', 'rb');
      const id = await createRoom(t, { owner, members: [a, b] });
      const res = await t.api('DELETE', `/chatrooms/${id}/users/${a}`);
      expect(res.status, res.text).toBe(200);
      expect(res.body.data).toEqual({ result: true, action: 'remove_member', user: a, id });
      expect(await memberList(t, id)).toEqual([{ owner }, { member: b }]);
      expect((await details(t, id)).affiliations_count).toBe(2);
      expect(await joinedIds(t, a)).toEqual([]);
    });

    it('answers 400 forbidden_op "users [X] are not members of this group!" for a non-member (§3.2 item 7)', async () => {
      const [owner, a, outsider] = await t.makeUsers('rnown', 'rna', 'rnout');
      const id = await createRoom(t, { owner, members: [a] });
      expectError(await t.api('DELETE', `/chatrooms/${id}/users/${outsider}`), 400, 'forbidden_op', `users [${outsider}] are not members of this group!`);
      expect((await details(t, id)).affiliations_count).toBe(2);
    });

    it('refuses the owner with 403 forbidden_op', async () => {
      const [owner] = await t.makeUsers('roown');
      const id = await createRoom(t, { owner });
      expectError(await t.api('DELETE', `/chatrooms/${id}/users/${owner}`), 403, 'forbidden_op');
      expect(await memberList(t, id)).toEqual([{ owner }]);
    });

    it('answers 404 for an unknown room', async () => {
      const [u] = await t.makeUsers('rnf');
      expectError(await t.api('DELETE', `/chatrooms/${MISSING}/users/${u}`), 404, 'resource_not_found', `grpID ${MISSING} does not exist!`);
    });
  });

  describe('DELETE /chatrooms/{id}/users/{u1},{u2}', () => {
    it('answers one {result, action, reason?, user, id} per user, in the order given', async () => {
      const [owner, a, b, outsider] = await t.makeUsers('brown', 'bra', 'brb', 'brout');
      const id = await createRoom(t, { owner, members: [a, b] });
      const res = await t.api('DELETE', `/chatrooms/${id}/users/${a},${outsider},${owner},${b}`);
      expect(res.status, res.text).toBe(200);
      expect(res.body.data).toEqual([
        { result: true, action: 'remove_member', user: a, id },
        { result: false, action: 'remove_member', reason: `user: ${outsider} doesn't exist in group: ${id}`, user: outsider, id },
        { result: false, action: 'remove_member', reason: 'forbidden operation on group owner!', user: owner, id },
        { result: true, action: 'remove_member', user: b, id },
      ]);
      expect(await memberList(t, id)).toEqual([{ owner }]);
      expect((await details(t, id)).affiliations_count).toBe(1);
    });

    it('accepts the comma escaped as %2C', async () => {
      const [owner, a, b] = await t.makeUsers('bpown', 'bpa', 'bpb');
      const id = await createRoom(t, { owner, members: [a, b] });
      const res = await t.api('DELETE', `/chatrooms/${id}/users/${a}%2C${b}`);
      expect(res.status, res.text).toBe(200);
      expect(res.body.data.map((r: { user: string; result: boolean }) => [r.user, r.result])).toEqual([
        [a, true],
        [b, true],
      ]);
      expect(await memberList(t, id)).toEqual([{ owner }]);
    });

    it('refuses 61 users with 400 invalid_parameter (the error text\'s 60, §3.2 item 5), removing nobody', async () => {
      const [owner, a] = await t.makeUsers('b61own', 'b61a');
      const id = await createRoom(t, { owner, members: [a] });
      const list = [a, ...names('nobody', 60)].join(',');
      expectError(await t.api('DELETE', `/chatrooms/${id}/users/${list}`), 400, 'invalid_parameter', 'kickMember: kickMembers number more than maxSize : 60');
      expect(await memberList(t, id)).toEqual([{ owner }, { member: a }]);
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('admins', () => {
    it('adds, lists and removes an admin ({result:"success", newadmin} / {result:"success", oldadmin})', async () => {
      const [owner, a, b] = await t.makeUsers('adown', 'ada', 'adb');
      const id = await createRoom(t, { owner, members: [a, b] });
      expect(await adminList(t, id)).toEqual([]);

      const add = await t.api('POST', `/chatrooms/${id}/admin`, { body: { newadmin: a } });
      expect(add.status, add.text).toBe(200);
      expect(add.body.data).toEqual({ result: 'success', newadmin: a });
      expect(await adminList(t, id)).toEqual([a]);
      // An admin is still a {member} in the member list and details.
      expect(sortAffiliations(await memberList(t, id))).toEqual(sortAffiliations([{ owner }, { member: a }, { member: b }]));
      expect(sortAffiliations((await details(t, id)).affiliations)).toEqual(sortAffiliations([{ owner }, { member: a }, { member: b }]));

      const remove = await t.api('DELETE', `/chatrooms/${id}/admin/${a}`);
      expect(remove.status, remove.text).toBe(200);
      expect(remove.body.data).toEqual({ result: 'success', oldadmin: a });
      expect(await adminList(t, id)).toEqual([]);
      expect((await details(t, id)).affiliations_count).toBe(3);
    });

    it('refuses a non-member, the owner and an admin twice with 403 forbidden_op (status: qunliao)', async () => {
      const [owner, a, outsider] = await t.makeUsers('adrown', 'adra', 'adrout');
      const id = await createRoom(t, { owner, members: [a] });
      expectError(await t.api('POST', `/chatrooms/${id}/admin`, { body: { newadmin: outsider } }), 403, 'forbidden_op');
      expectError(await t.api('POST', `/chatrooms/${id}/admin`, { body: { newadmin: owner } }), 403, 'forbidden_op');
      expect((await t.api('POST', `/chatrooms/${id}/admin`, { body: { newadmin: a } })).status).toBe(200);
      expectError(await t.api('POST', `/chatrooms/${id}/admin`, { body: { newadmin: a } }), 403, 'forbidden_op');
      expectError(await t.api('POST', `/chatrooms/${id}/admin`, { body: {} }), 400, 'invalid_parameter');
      expectError(await t.api('DELETE', `/chatrooms/${id}/admin/${outsider}`), 403, 'forbidden_op');
      expect(await adminList(t, id)).toEqual([a]);
    });

    it('a removed member is no longer an admin', async () => {
      const [owner, a] = await t.makeUsers('adlown', 'adla');
      const id = await createRoom(t, { owner, members: [a] });
      expect((await t.api('POST', `/chatrooms/${id}/admin`, { body: { newadmin: a } })).status).toBe(200);
      expect((await t.api('DELETE', `/chatrooms/${id}/users/${a}`)).status).toBe(200);
      expect(await adminList(t, id)).toEqual([]);
      expect((await t.api('POST', `/chatrooms/${id}/users/${a}`)).status).toBe(200);
      expect(await adminList(t, id)).toEqual([]);
    });

    it('answers 404 resource_not_found for an unknown room', async () => {
      const [u] = await t.makeUsers('adnf');
      expectError(await t.api('GET', `/chatrooms/${MISSING}/admin`), 404, 'resource_not_found', `grpID ${MISSING} does not exist!`);
      expectError(await t.api('POST', `/chatrooms/${MISSING}/admin`, { body: { newadmin: u } }), 404, 'resource_not_found');
      expectError(await t.api('DELETE', `/chatrooms/${MISSING}/admin/${u}`), 404, 'resource_not_found');
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('announcement', () => {
    it('sets and reads the announcement; 512 characters are accepted, 513 refused with 403 forbidden_op', async () => {
      const [owner] = await t.makeUsers('annown');
      const id = await createRoom(t, { owner });
      const empty = await t.api('GET', `/chatrooms/${id}/announcement`);
      expect(empty.status, empty.text).toBe(200);
      expect(empty.body.data).toEqual({ announcement: '' });

      const set = await t.api('POST', `/chatrooms/${id}/announcement`, { body: { announcement: 'hello room' } });
      expect(set.status, set.text).toBe(200);
      expect(set.body.data).toEqual({ id, result: true });
      expect((await t.api('GET', `/chatrooms/${id}/announcement`)).body.data).toEqual({ announcement: 'hello room' });

      const longest = '公'.repeat(512);
      expect((await t.api('POST', `/chatrooms/${id}/announcement`, { body: { announcement: longest } })).status).toBe(200);
      expectError(
        await t.api('POST', `/chatrooms/${id}/announcement`, { body: { announcement: '公'.repeat(513) } }),
        403,
        'forbidden_op',
        'announce info length exceeds limit!',
      );
      expect((await t.api('GET', `/chatrooms/${id}/announcement`)).body.data).toEqual({ announcement: longest });
    });

    it('answers 404 resource_not_found for an unknown room', async () => {
      expectError(await t.api('GET', `/chatrooms/${MISSING}/announcement`), 404, 'resource_not_found', `grpID ${MISSING} does not exist!`);
      expectError(await t.api('POST', `/chatrooms/${MISSING}/announcement`, { body: { announcement: 'x' } }), 404, 'resource_not_found');
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('concurrent adds to a nearly full room', () => {
    it('maxusers 51 and 100 concurrent single adds: exactly 50 succeed', async () => {
      const users = names(`conc${++seq}u`, 100);
      await t.createUsers(...users);
      const [owner] = await t.makeUsers('concown');
      const id = await createRoom(t, { owner, maxusers: 51 });
      const replies = await Promise.all(users.map((u) => t.api('POST', `/chatrooms/${id}/users/${u}`)));
      const ok = replies.filter((r) => r.status === 200);
      expect(ok).toHaveLength(50);
      for (const r of replies.filter((x) => x.status !== 200)) expectError(r, 403, 'exceed_limit', 'members size is greater than max user size !');
      const room = await details(t, id);
      expect(room.affiliations_count).toBe(51);
      expect(room.affiliations).toHaveLength(51);
      expect(await memberList(t, id)).toHaveLength(51);
      const added = new Set(ok.map((r) => r.body.data.user));
      expect(new Set((await memberList(t, id)).flatMap((a) => ('member' in a ? [a.member] : [])))).toEqual(added);
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('DELETE /users/{username} and chatrooms', () => {
    it('deletes the rooms the user owns and removes them from the rooms they joined', async () => {
      const [alice, bob, carol] = await t.makeUsers('calice', 'cbob', 'ccarol');
      const alicesRoom = await createRoom(t, { owner: alice, members: [bob, carol] });
      const bobsRoom = await createRoom(t, { owner: bob, members: [alice, carol] });
      expect((await t.api('POST', `/chatrooms/${bobsRoom}/admin`, { body: { newadmin: carol } })).status).toBe(200);

      expect((await t.api('DELETE', `/users/${alice}`)).status).toBe(200);
      expectError(await t.api('GET', `/chatrooms/${alicesRoom}`), 404, 'service_resource_not_found');
      expect(await allRoomIds(t)).not.toContain(alicesRoom);
      expect(await joinedIds(t, carol)).toEqual([bobsRoom]);
      let room = await details(t, bobsRoom);
      expect(room.affiliations_count).toBe(2);
      expect(sortAffiliations(room.affiliations)).toEqual(sortAffiliations([{ owner: bob }, { member: carol }]));
      const listed = (await t.api('GET', '/chatrooms?limit=1000')).body.data.find((r: { id: string }) => r.id === bobsRoom);
      expect(listed.affiliations_count).toBe(2);

      // Deleting an admin member drops them from the admin list too.
      expect((await t.api('DELETE', `/users/${carol}`)).status).toBe(200);
      room = await details(t, bobsRoom);
      expect(room.affiliations_count).toBe(1);
      expect(room.affiliations).toEqual([{ owner: bob }]);
      expect(await adminList(t, bobsRoom)).toEqual([]);
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('apps are kept apart', () => {
    it("another app's token cannot see or change this app's rooms", async () => {
      const [owner, m1] = await t.makeUsers('iso', 'isom');
      const id = await createRoom(t, { owner, members: [m1], name: 'mainonly' });
      const before = await details(t, id);
      const other = await t.appToken(OTHER);
      const as = { app: OTHER, token: other };
      const reg = await t.api('POST', '/users', { ...as, body: [{ username: m1, password: 'pw' }, { username: 'isox', password: 'pw' }] });
      expect(reg.status, reg.text).toBe(200);

      expectError(await t.api('GET', `/chatrooms/${id}`, as), 404, 'service_resource_not_found');
      expectError(await t.api('PUT', `/chatrooms/${id}`, { ...as, body: { name: 'hijacked' } }), 404, 'resource_not_found');
      expectError(await t.api('DELETE', `/chatrooms/${id}`, as), 404, 'resource_not_found');
      expectError(await t.api('GET', `/chatrooms/${id}/users`, as), 404, 'service_resource_not_found');
      expectError(await t.api('POST', `/chatrooms/${id}/users/isox`, as), 404, 'resource_not_found');
      expectError(await t.api('POST', `/chatrooms/${id}/users`, { ...as, body: { usernames: ['isox'] } }), 404, 'resource_not_found');
      expectError(await t.api('DELETE', `/chatrooms/${id}/users/${m1}`, as), 404, 'resource_not_found');
      expectError(await t.api('GET', `/chatrooms/${id}/admin`, as), 404, 'resource_not_found');
      expectError(await t.api('POST', `/chatrooms/${id}/admin`, { ...as, body: { newadmin: m1 } }), 404, 'resource_not_found');
      expectError(await t.api('POST', `/chatrooms/${id}/announcement`, { ...as, body: { announcement: 'x' } }), 404, 'resource_not_found');
      const list = await t.api('GET', '/chatrooms?limit=1000', as);
      expect(list.status).toBe(200);
      expect(list.body.data.map((r: { id: string }) => r.id)).not.toContain(id);
      const joined = await t.api('GET', `/users/${m1}/joined_chatrooms`, as);
      expect(joined.body.data).toEqual([]);

      // OTHER's token on this app's paths is not accepted at all.
      expect((await t.api('GET', `/chatrooms/${id}`, { token: other })).status).toBe(401);
      expect((await t.api('DELETE', `/chatrooms/${id}`, { token: other })).status).toBe(401);

      expect(await details(t, id)).toEqual(before);
      expect((await t.api('GET', `/chatrooms/${id}/announcement`)).body.data).toEqual({ announcement: '' });
    });
  });
});

// -----------------------------------------------------------------------------------------------
describe.each(databases)('chatrooms per user limit (%s)', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(kind, { limits: { ...defaultLimits, chatroomsPerUser: 1, groupsPerUser: 1 } });
  });
  afterAll(() => t.close());

  it('refuses creating a room for an owner or member at the limit with 403 exceed_limit "user X has joined too many chatrooms!"', async () => {
    const [owner, other, m1] = await t.makeUsers('capown', 'capother', 'capm');
    const first = await createRoom(t, { owner, members: [m1] });
    expect(await allRoomIds(t)).toEqual([first]);

    expectError(await t.api('POST', '/chatrooms', { body: { name: 'n', description: 'd', owner } }), 403, 'exceed_limit', `user ${owner} has joined too many chatrooms!`);
    expectError(
      await t.api('POST', '/chatrooms', { body: { name: 'n', description: 'd', owner: other, members: [m1] } }),
      403,
      'exceed_limit',
      `user ${m1} has joined too many chatrooms!`,
    );
    expect(await allRoomIds(t)).toEqual([first]);
    expect(await joinedIds(t, other)).toEqual([]);

    // Deleting the room makes room for another.
    expect((await t.api('DELETE', `/chatrooms/${first}`)).status).toBe(200);
    const second = await createRoom(t, { owner: other, members: [m1] });
    expect(await joinedIds(t, m1)).toEqual([second]);
  });

  it('refuses adding a user at the limit with 403 forbidden_op "can not join this group, reason:user X has joined too many chatrooms!" (REFERENCE §2c member errors)', async () => {
    const [o1, o2, u, v] = await t.makeUsers('addcap', 'addcap', 'addcapu', 'addcapv');
    await createRoom(t, { owner: o1, members: [u] });
    const target = await createRoom(t, { owner: o2 });
    const single = await t.api('POST', `/chatrooms/${target}/users/${u}`);
    const batch = await t.api('POST', `/chatrooms/${target}/users`, { body: { usernames: [v, u] } });
    expect(await memberList(t, target)).toEqual([{ owner: o2 }]);
    expect(await joinedIds(t, u)).toHaveLength(1);
    expect(await joinedIds(t, v)).toEqual([]);
    expectError(single, 403, 'forbidden_op', `can not join this group, reason:user ${u} has joined too many chatrooms!`);
    expectError(batch, 403, 'forbidden_op', `can not join this group, reason:user ${u} has joined too many chatrooms!`);
  });

  it('counts chatrooms and groups separately', async () => {
    const [roomUser, groupUser, o1, o2] = await t.makeUsers('sepr', 'sepg', 'sepo', 'sepo');
    // roomUser is at the chatroom limit; joining a group is still fine.
    await createRoom(t, { owner: o1, members: [roomUser] });
    const g = await t.createGroup(o2, [roomUser]);
    const groups = await t.api('GET', `/chatgroups/user/${roomUser}`);
    expect(groups.body.entities.map((x: { groupId: string }) => x.groupId)).toEqual([g]);
    expect(await joinedIds(t, roomUser)).toHaveLength(1);
    // groupUser is at the group limit; creating and joining rooms is still fine.
    await t.createGroup(groupUser);
    const [o3] = await t.makeUsers('sepo');
    const r = await createRoom(t, { owner: o3 });
    expect((await t.api('POST', `/chatrooms/${r}/users/${groupUser}`)).status).toBe(200);
    expect(await joinedIds(t, groupUser)).toEqual([r]);
    // …and a group owner at the group limit can own a room.
    const [o4] = await t.makeUsers('sepo');
    await t.createGroup(o4);
    expect(await joinedIds(t, o4)).toEqual([]);
    const own = await createRoom(t, { owner: o4 });
    expect(await joinedIds(t, o4)).toEqual([own]);
  });

  it('never lets concurrent creates put a user in more rooms than the limit', async () => {
    const [owner] = await t.makeUsers('raceown');
    const replies = await Promise.all(Array.from({ length: 6 }, () => t.api('POST', '/chatrooms', { body: { name: 'r', description: 'd', owner } })));
    expect(replies.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of replies.filter((x) => x.status !== 200)) expectError(r, 403, 'exceed_limit', `user ${owner} has joined too many chatrooms!`);
    expect(await joinedIds(t, owner)).toHaveLength(1);
  });
});
