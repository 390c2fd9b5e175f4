// Mutes, mute-all, allowlist and blocklist of chatrooms and groups (seed 003; REFERENCE §2c
// "Blocklist", "Allowlist", "Mute", §2d; CLIENTS.md). Every scenario runs for both resources and
// both databases, and checks the state read back, not only the answer: that a refusal changed
// nothing, that mutes expire without a sweeper, that a mute outlives leaving and rejoining, that
// blocked users cannot rejoin, and what deleting a room or a user does to the lists.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases, OTHER, startApp, type TestApp } from '../support/harness.js';
import { expectError } from '../support/expect.js';
import { names, sleep } from '../support/util.js';

type Resource = 'chatrooms' | 'chatgroups';
type IdKey = 'chatroomid' | 'groupid';

const RESOURCES: [Resource, IdKey][] = [
  ['chatrooms', 'chatroomid'],
  ['chatgroups', 'groupid'],
];

const MISSING_ROOM = '999999999999999';
const MINUTE = 60_000;

/** Unique name prefixes across every test of the process. */
let seq = 0;

describe.each(databases)('moderation (%s)', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(kind);
  });
  afterAll(() => t.close());

  describe.each(RESOURCES)('/%s', (resource, idKey) => {
    const other: Resource = resource === 'chatrooms' ? 'chatgroups' : 'chatrooms';
    /** Refusing a non-member: chatrooms answer 400, groups 403 (REFERENCE §2c vs §2d). */
    const NOT_MEMBER_STATUS = resource === 'chatrooms' ? 400 : 403;
    const notMembers = (user: string) => `users [${user}] are not members of this group!`;

    const path = (id: string, suffix = '') => `/${resource}/${id}${suffix}`;

    const createRoom = (res: Resource, owner: string, members: string[]): Promise<string> =>
      res === 'chatrooms' ? t.createRoom(owner, members) : t.createGroup(owner, members, { maxusers: 500 });

    interface Room {
      id: string;
      owner: string;
      members: string[];
      outsiders: string[];
    }

    /** A fresh room of this resource with `nMembers` members and `nOutsiders` registered non-members. */
    async function room(nMembers = 3, nOutsiders = 1): Promise<Room> {
      const tag = `${resource === 'chatrooms' ? 'r' : 'g'}${kind[0]}${++seq}`;
      const owner = `${tag}o`;
      const members = names(`${tag}m`, nMembers);
      const outsiders = names(`${tag}x`, nOutsiders);
      await t.createUsers(owner, ...members, ...outsiders);
      return { id: await createRoom(resource, owner, members), owner, members, outsiders };
    }

    const mutes = async (id: string): Promise<{ expire: number; user: string }[]> => {
      const res = await t.api('GET', path(id, '/mute'));
      expect(res.status, res.text).toBe(200);
      expect(Array.isArray(res.body.data)).toBe(true);
      return res.body.data;
    };
    const mutedNames = async (id: string): Promise<string[]> => (await mutes(id)).map((m) => m.user).sort();
    const allowlist = async (id: string): Promise<string[]> => {
      const res = await t.api('GET', path(id, '/white/users'));
      expect(res.status, res.text).toBe(200);
      expect(res.body.count).toBe(res.body.data.length);
      return [...(res.body.data as string[])].sort();
    };
    const blocklist = async (id: string): Promise<string[]> => {
      const res = await t.api('GET', path(id, '/blocks/users'));
      expect(res.status, res.text).toBe(200);
      expect(res.body.count).toBe(res.body.data.length);
      return [...(res.body.data as string[])].sort();
    };
    const memberNames = async (id: string): Promise<string[]> => {
      const res = await t.api('GET', path(id, '/users'));
      expect(res.status, res.text).toBe(200);
      return (res.body.data as { owner?: string; member?: string }[]).map((m) => (m.owner ?? m.member)!).sort();
    };
    const details = async (id: string) => {
      const res = await t.api('GET', path(id));
      expect(res.status, res.text).toBe(200);
      return res.body.data[0];
    };
    /** Everything the lists hold, to compare before and after a refused request. */
    const snapshot = async (id: string) => ({
      mutes: await mutes(id),
      allow: await allowlist(id),
      blocks: await blocklist(id),
      members: await memberNames(id),
      muteAll: (await details(id)).mute as boolean,
    });
    const mute = (id: string, usernames: string[], mute_duration: number) =>
      t.api('POST', path(id, '/mute'), { body: { usernames, mute_duration } });

    // ---------------------------------------------------------------- mutes

    describe('POST …/mute and GET …/mute', () => {
      it('mutes members for a duration, one {result, expire, user} per user, and lists them', async () => {
        const r = await room(3);
        const [a, b, c] = r.members as [string, string, string];
        expect(await mutes(r.id)).toEqual([]);

        const before = Date.now();
        const res = await mute(r.id, [a, b], 86_400_000);
        const after = Date.now();
        expect(res.status, res.text).toBe(200);
        expect(res.body).toMatchObject({ action: 'post', entities: [], organization: 'acme', applicationName: 'chat' });
        expect(res.body.uri).toMatch(new RegExp(`/acme/chat/${resource}/${r.id}/mute$`));
        const data = res.body.data as { result: boolean; expire: number; user: string }[];
        expect(data.map((d) => d.user)).toEqual([a, b]);
        for (const d of data) {
          expect(Object.keys(d).sort()).toEqual(['expire', 'result', 'user']);
          expect(d.result).toBe(true);
          expect(d.expire).toBeGreaterThanOrEqual(before + 86_400_000);
          expect(d.expire).toBeLessThanOrEqual(after + 86_400_000);
        }

        const list = await t.api('GET', path(r.id, '/mute'));
        expect(list.status).toBe(200);
        expect(list.body.data).toHaveLength(2);
        for (const m of list.body.data) expect(Object.keys(m).sort()).toEqual(['expire', 'user']);
        const byUser = new Map((list.body.data as { expire: number; user: string }[]).map((m) => [m.user, m.expire]));
        expect(byUser.get(a)).toBe(data[0]!.expire);
        expect(byUser.get(b)).toBe(data[1]!.expire);
        expect(byUser.has(c)).toBe(false);
      });

      it('mutes permanently with mute_duration -1 (expire -1)', async () => {
        const r = await room(2);
        const res = await mute(r.id, [r.members[0]!], -1);
        expect(res.status, res.text).toBe(200);
        expect(res.body.data).toEqual([{ result: true, expire: -1, user: r.members[0] }]);
        expect(await mutes(r.id)).toEqual([{ expire: -1, user: r.members[0] }]);
      });

      it('re-muting updates the expiry', async () => {
        const r = await room(1);
        const m = r.members[0]!;
        const first = await mute(r.id, [m], MINUTE);
        expect(first.status).toBe(200);
        const firstExpire = first.body.data[0].expire as number;

        const before = Date.now();
        const longer = await mute(r.id, [m], 10 * MINUTE);
        expect(longer.status).toBe(200);
        const longerExpire = longer.body.data[0].expire as number;
        expect(longerExpire).toBeGreaterThanOrEqual(before + 10 * MINUTE);
        expect(longerExpire).toBeGreaterThan(firstExpire);
        expect(await mutes(r.id)).toEqual([{ expire: longerExpire, user: m }]);

        // Shorter again, then permanent: the last mute wins, with one row per user.
        const shorter = await mute(r.id, [m], 5_000);
        expect(shorter.status).toBe(200);
        expect(shorter.body.data[0].expire).toBeLessThan(longerExpire);
        expect(await mutes(r.id)).toEqual([{ expire: shorter.body.data[0].expire, user: m }]);
        expect((await mute(r.id, [m], -1)).status).toBe(200);
        expect(await mutes(r.id)).toEqual([{ expire: -1, user: m }]);
      });

      it('a timed mute expires during the test and drops off the list without a sweeper', async () => {
        const r = await room(2);
        const [short, long] = r.members as [string, string];
        const res = await mute(r.id, [short], 1500);
        expect(res.status, res.text).toBe(200);
        const expire = res.body.data[0].expire as number;
        expect((await mute(r.id, [long], 10 * MINUTE)).status).toBe(200);
        expect(await mutedNames(r.id)).toEqual([long, short].sort());

        await sleep(Math.max(0, expire - Date.now()) + 200);
        expect(Date.now()).toBeGreaterThan(expire);
        // Read immediately: the list filters by time, nothing needs to have swept the row.
        expect(await mutedNames(r.id)).toEqual([long]);
        // An expired mute is no mute: lifting it reports false (the docs are silent; the implementation's choice).
        const lift = await t.api('DELETE', path(r.id, `/mute/${short}`));
        expect(lift.status).toBe(200);
        expect(lift.body.data).toEqual([{ result: false, user: short }]);
        // And the user can be muted again.
        expect((await mute(r.id, [short], MINUTE)).status).toBe(200);
        expect(await mutedNames(r.id)).toEqual([long, short].sort());
      });

      it('a mute survives the member leaving and rejoining, with the same expire', async () => {
        const r = await room(2);
        const m = r.members[0]!;
        const res = await mute(r.id, [m], 10 * MINUTE);
        expect(res.status).toBe(200);
        const expire = res.body.data[0].expire as number;

        expect((await t.api('DELETE', path(r.id, `/users/${m}`))).status).toBe(200);
        expect(await memberNames(r.id)).not.toContain(m);
        // While out, the mute is still listed (the docs are silent; the implementation keeps the row).
        expect(await mutes(r.id)).toEqual([{ expire, user: m }]);
        expect((await t.api('POST', path(r.id, `/users/${m}`))).status).toBe(200);
        expect(await memberNames(r.id)).toContain(m);

        expect(await mutes(r.id)).toEqual([{ expire, user: m }]);
      });

      it('refuses a non-member, naming them, and mutes nobody', async () => {
        const r = await room(2, 1);
        const x = r.outsiders[0]!;
        const before = await snapshot(r.id);
        expectError(await mute(r.id, [x], MINUTE), NOT_MEMBER_STATUS, 'forbidden_op', notMembers(x));
        expectError(await mute(r.id, [r.members[0]!, x], MINUTE), NOT_MEMBER_STATUS, 'forbidden_op', notMembers(x));
        // A name that is not even a registered user is no member either.
        const ghost = `${r.owner}ghost`;
        expectError(await mute(r.id, [ghost], MINUTE), NOT_MEMBER_STATUS, 'forbidden_op', notMembers(ghost));
        expect(await snapshot(r.id)).toEqual(before);
      });

      it('refuses the owner with 403 and mutes nobody', async () => {
        const r = await room(2);
        const before = await snapshot(r.id);
        expectError(await mute(r.id, [r.owner], MINUTE), 403, 'forbidden_op', 'forbidden operation on group owner!');
        expectError(await mute(r.id, [r.members[0]!, r.owner], -1), 403, 'forbidden_op', 'forbidden operation on group owner!');
        expect(await snapshot(r.id)).toEqual(before);
      });

      it('accepts 60 users and refuses 61 with 400 invalid_parameter', async () => {
        const r = await room(61, 0);
        const before = await snapshot(r.id);
        expectError(await mute(r.id, r.members, MINUTE), 400, 'invalid_parameter', 'userNames size is more than max limit : 60');
        expect(await snapshot(r.id)).toEqual(before);

        const ok = await mute(r.id, r.members.slice(0, 60), MINUTE);
        expect(ok.status, ok.text).toBe(200);
        expect(ok.body.data).toHaveLength(60);
        expect(await mutes(r.id)).toHaveLength(60);
      });

      it('refuses a missing or invalid mute_duration with 400 and mutes nobody', async () => {
        const r = await room(2);
        const m = r.members[0]!;
        const before = await snapshot(r.id);
        const bodies: unknown[] = [
          { usernames: [m] },
          { usernames: [m], mute_duration: 0 },
          { usernames: [m], mute_duration: -5 },
          { usernames: [m], mute_duration: 'abc' },
          { usernames: [m], mute_duration: null },
          { usernames: [m], mute_duration: 1.5 },
        ];
        for (const body of bodies) {
          const res = await t.api('POST', path(r.id, '/mute'), { body });
          // Status 400 is documented; the error type is the implementation's (invalid_parameter).
          expectError(res, 400, 'invalid_parameter');
        }
        // usernames missing, empty or not a list of names.
        for (const body of [{ mute_duration: MINUTE }, { usernames: [], mute_duration: MINUTE }, { usernames: m, mute_duration: MINUTE }]) {
          expectError(await t.api('POST', path(r.id, '/mute'), { body }), 400, 'invalid_parameter');
        }
        expect(await snapshot(r.id)).toEqual(before);
      });
    });

    describe('DELETE …/mute/{members}', () => {
      it('unmutes one member: data [{result, user}], gone from the list', async () => {
        const r = await room(2);
        const [a, b] = r.members as [string, string];
        expect((await mute(r.id, [a, b], MINUTE)).status).toBe(200);

        const res = await t.api('DELETE', path(r.id, `/mute/${a}`));
        expect(res.status, res.text).toBe(200);
        expect(res.body).toMatchObject({ action: 'delete', entities: [] });
        expect(res.body.data).toEqual([{ result: true, user: a }]);
        expect(await mutedNames(r.id)).toEqual([b]);
      });

      it('takes a comma list written "," or "%2C"; a user who was not muted gets result false', async () => {
        const r = await room(5);
        const [a, b, c, d, e] = r.members as [string, string, string, string, string];
        expect((await mute(r.id, [a, b, c, d], -1)).status).toBe(200);

        const comma = await t.api('DELETE', path(r.id, `/mute/${a},${b}`));
        expect(comma.status, comma.text).toBe(200);
        expect(comma.body.data).toEqual([
          { result: true, user: a },
          { result: true, user: b },
        ]);
        expect(await mutedNames(r.id)).toEqual([c, d].sort());

        const encoded = await t.api('DELETE', path(r.id, `/mute/${c}%2C${e}`));
        expect(encoded.status, encoded.text).toBe(200);
        expect(encoded.body.data).toEqual([
          { result: true, user: c },
          { result: false, user: e },
        ]);
        expect(await mutedNames(r.id)).toEqual([d]);

        // Nobody muted under that name at all.
        const none = await t.api('DELETE', path(r.id, `/mute/${e}`));
        expect(none.status).toBe(200);
        expect(none.body.data).toEqual([{ result: false, user: e }]);
        expect(await mutedNames(r.id)).toEqual([d]);
      });

      it('accepts Content-Type: application/json with no body (CLIENTS.md)', async () => {
        const r = await room(1);
        expect((await mute(r.id, [r.members[0]!], MINUTE)).status).toBe(200);
        const res = await t.api('DELETE', path(r.id, `/mute/${r.members[0]}`), { headers: { 'content-type': 'application/json' } });
        expect(res.status, res.text).toBe(200);
        expect(res.body.data).toEqual([{ result: true, user: r.members[0] }]);
      });

      it('refuses 61 names with 400 invalid_parameter and unmutes nobody', async () => {
        const r = await room(2);
        expect((await mute(r.id, r.members, -1)).status).toBe(200);
        const many = [...r.members, ...names(`${r.owner}n`, 59)];
        expect(many).toHaveLength(61);
        expectError(await t.api('DELETE', path(r.id, `/mute/${many.join(',')}`)), 400, 'invalid_parameter', 'removeMute member size more than max limit : 60');
        expect(await mutedNames(r.id)).toEqual([...r.members].sort());
        // 60 is fine.
        const sixty = await t.api('DELETE', path(r.id, `/mute/${many.slice(0, 60).join(',')}`));
        expect(sixty.status, sixty.text).toBe(200);
        expect(sixty.body.data).toHaveLength(60);
        expect(await mutes(r.id)).toEqual([]);
      });
    });

    // ---------------------------------------------------------------- mute all

    describe('POST / DELETE …/ban (mute all)', () => {
      it('mutes all with an empty body and no Content-Type, leaving the individual list alone', async () => {
        const r = await room(2);
        const m = r.members[0]!;
        const muted = await mute(r.id, [m], 10 * MINUTE);
        expect(muted.status).toBe(200);
        const listBefore = await mutes(r.id);
        expect((await details(r.id)).mute).toBe(false);

        const res = await t.api('POST', path(r.id, '/ban'), { payload: '' });
        expect(res.status, res.text).toBe(200);
        expect(res.body.data).toEqual({ mute: true });
        // The chatroom page answers "put"; for groups the docs show no action (the implementation answers "post").
        expect(res.body.action).toBe(resource === 'chatrooms' ? 'put' : 'post');
        expect((await details(r.id)).mute).toBe(true);
        expect(await mutes(r.id)).toEqual(listBefore);

        // Again: still on.
        expect((await t.api('POST', path(r.id, '/ban'), { payload: '' })).body.data).toEqual({ mute: true });

        const off = await t.api('DELETE', path(r.id, '/ban'));
        expect(off.status, off.text).toBe(200);
        expect(off.body).toMatchObject({ action: 'delete', data: { mute: false } });
        expect((await details(r.id)).mute).toBe(false);
        expect(await mutes(r.id)).toEqual(listBefore);
      });

      it('mutes all with {"mute_duration": -1} and with Content-Type but no body', async () => {
        const r = await room(1);
        const res = await t.api('POST', path(r.id, '/ban'), { body: { mute_duration: -1 } });
        expect(res.status, res.text).toBe(200);
        expect(res.body.data).toEqual({ mute: true });
        if (resource === 'chatrooms') expect(res.body.action).toBe('put');
        expect((await details(r.id)).mute).toBe(true);
        expect(await mutes(r.id)).toEqual([]);

        const off = await t.api('DELETE', path(r.id, '/ban'), { headers: { 'content-type': 'application/json' } });
        expect(off.status, off.text).toBe(200);
        expect(off.body.data).toEqual({ mute: false });
        expect((await details(r.id)).mute).toBe(false);

        // The seed's curl: Content-Type: application/json and no -d.
        const curl = await t.api('POST', path(r.id, '/ban'), { headers: { 'content-type': 'application/json' } });
        expect(curl.status, curl.text).toBe(200);
        expect(curl.body.data).toEqual({ mute: true });
        expect((await details(r.id)).mute).toBe(true);
      });

      it('stays on for members who join later, and unmute-all leaves individual mutes', async () => {
        const r = await room(2, 1);
        const [a] = r.members as [string, string];
        expect((await mute(r.id, [a], -1)).status).toBe(200);
        expect((await t.api('POST', path(r.id, '/ban'), { payload: '' })).status).toBe(200);

        const late = r.outsiders[0]!;
        expect((await t.api('POST', path(r.id, `/users/${late}`))).status).toBe(200);
        const d = await details(r.id);
        expect(d.mute).toBe(true);
        expect(d.affiliations_count).toBe(4);
        // Joining does not put the newcomer on the individual list.
        expect(await mutes(r.id)).toEqual([{ expire: -1, user: a }]);

        expect((await t.api('DELETE', path(r.id, '/ban'))).status).toBe(200);
        expect((await details(r.id)).mute).toBe(false);
        expect(await mutes(r.id)).toEqual([{ expire: -1, user: a }]);
      });
    });

    // ---------------------------------------------------------------- allowlist

    describe('allowlist (…/white/users)', () => {
      it('adds one member: {result, action "add_user_whitelist", user, id key}; listed with count', async () => {
        const r = await room(3);
        const [a, b] = r.members as [string, string, string];
        // The chatroom allowlist page says owner and admins are on the allowlist "by default"; the
        // implementation treats that as a speaking right and does not list them (docs silent on GET).
        const empty = await t.api('GET', path(r.id, '/white/users'));
        expect(empty.status).toBe(200);
        expect(empty.body.data).toEqual([]);
        expect(empty.body.count).toBe(0);

        const res = await t.api('POST', path(r.id, `/white/users/${a}`));
        expect(res.status, res.text).toBe(200);
        expect(res.body).toMatchObject({ action: 'post', entities: [] });
        expect(res.body.data).toEqual({ result: true, action: 'add_user_whitelist', user: a, [idKey]: r.id });

        const list = await t.api('GET', path(r.id, '/white/users'));
        expect(list.body.data).toEqual([a]);
        expect(list.body.count).toBe(1);

        // Adding again is harmless and keeps one entry.
        expect((await t.api('POST', path(r.id, `/white/users/${a}`))).status).toBe(200);
        expect(await allowlist(r.id)).toEqual([a]);
        expect(await allowlist(r.id)).not.toContain(b);
      });

      it('adds a batch {"usernames"}: one item per user', async () => {
        const r = await room(3);
        const [a, b, c] = r.members as [string, string, string];
        const res = await t.api('POST', path(r.id, '/white/users'), { body: { usernames: [a, b] } });
        expect(res.status, res.text).toBe(200);
        expect(res.body.data).toEqual([
          { result: true, action: 'add_user_whitelist', user: a, [idKey]: r.id },
          { result: true, action: 'add_user_whitelist', user: b, [idKey]: r.id },
        ]);
        expect(await allowlist(r.id)).toEqual([a, b].sort());
        expect(await allowlist(r.id)).not.toContain(c);
      });

      it('refuses a non-member (400 chatrooms / 403 groups) and adds nobody', async () => {
        const r = await room(2, 1);
        const x = r.outsiders[0]!;
        const before = await snapshot(r.id);
        expectError(await t.api('POST', path(r.id, `/white/users/${x}`)), NOT_MEMBER_STATUS, 'forbidden_op', notMembers(x));
        // In a batch the implementation refuses the whole request too (the docs show both an error row
        // and an optional per-item `reason`); nobody is added either way.
        const batch = await t.api('POST', path(r.id, '/white/users'), { body: { usernames: [r.members[0], x] } });
        expectError(batch, NOT_MEMBER_STATUS, 'forbidden_op', notMembers(x));
        expect(await snapshot(r.id)).toEqual(before);
      });

      it('removes a comma list: array with action "remove_user_whitelist"', async () => {
        const r = await room(3);
        const [a, b, c] = r.members as [string, string, string];
        expect((await t.api('POST', path(r.id, '/white/users'), { body: { usernames: [a, b, c] } })).status).toBe(200);

        const res = await t.api('DELETE', path(r.id, `/white/users/${a},${b}`));
        expect(res.status, res.text).toBe(200);
        expect(res.body).toMatchObject({ action: 'delete' });
        expect(res.body.data).toEqual([
          { result: true, action: 'remove_user_whitelist', user: a, [idKey]: r.id },
          { result: true, action: 'remove_user_whitelist', user: b, [idKey]: r.id },
        ]);
        expect(await allowlist(r.id)).toEqual([c]);

        // One name is still an array; %2C works; a name not on the list reports false.
        const one = await t.api('DELETE', path(r.id, `/white/users/${c}%2C${a}`));
        expect(one.status).toBe(200);
        expect(one.body.data).toEqual([
          { result: true, action: 'remove_user_whitelist', user: c, [idKey]: r.id },
          { result: false, action: 'remove_user_whitelist', user: a, [idKey]: r.id },
        ]);
        expect(await allowlist(r.id)).toEqual([]);
      });

      it('a member who leaves drops off the allowlist (and is not back after rejoining)', async () => {
        const r = await room(2);
        const [a, b] = r.members as [string, string];
        expect((await t.api('POST', path(r.id, '/white/users'), { body: { usernames: [a, b] } })).status).toBe(200);
        expect((await t.api('DELETE', path(r.id, `/users/${a}`))).status).toBe(200);
        expect(await allowlist(r.id)).toEqual([b]);
        expect((await t.api('POST', path(r.id, `/users/${a}`))).status).toBe(200);
        expect(await allowlist(r.id)).toEqual([b]);
      });

      it('refuses 61 names with 400 invalid_parameter, when adding and when removing', async () => {
        const r = await room(61, 0);
        const before = await snapshot(r.id);
        expectError(
          await t.api('POST', path(r.id, '/white/users'), { body: { usernames: r.members } }),
          400,
          'invalid_parameter',
          'usernames size is more than max limit : 60',
        );
        expect(await snapshot(r.id)).toEqual(before);

        expect((await t.api('POST', path(r.id, '/white/users'), { body: { usernames: r.members.slice(0, 60) } })).status).toBe(200);
        expect(await allowlist(r.id)).toHaveLength(60);
        expectError(
          await t.api('DELETE', path(r.id, `/white/users/${r.members.join(',')}`)),
          400,
          'invalid_parameter',
          'removeWhitelist size is more than max limit : 60',
        );
        expect(await allowlist(r.id)).toHaveLength(60);
      });
    });

    // ---------------------------------------------------------------- blocklist

    describe('blocklist (…/blocks/users)', () => {
      it('blocks one member: {result, action "add_blocks", user, id key}; removed from the members', async () => {
        const r = await room(3);
        const [a, b, c] = r.members as [string, string, string];
        expect((await details(r.id)).affiliations_count).toBe(4);

        const res = await t.api('POST', path(r.id, `/blocks/users/${a}`));
        expect(res.status, res.text).toBe(200);
        expect(res.body).toMatchObject({ action: 'post', entities: [] });
        expect(res.body.data).toEqual({ result: true, action: 'add_blocks', user: a, [idKey]: r.id });

        expect(await memberNames(r.id)).toEqual([r.owner, b, c].sort());
        const d = await details(r.id);
        expect(d.affiliations_count).toBe(3);
        expect(d.affiliations).toHaveLength(3);

        const list = await t.api('GET', path(r.id, '/blocks/users'));
        expect(list.status).toBe(200);
        expect(list.body.data).toEqual([a]);
        expect(list.body.count).toBe(1);
      });

      it('a blocked user cannot rejoin, alone or in a batch (403 forbidden_op, nobody added)', async () => {
        const r = await room(2, 1);
        const [a] = r.members as [string, string];
        const fresh = r.outsiders[0]!;
        expect((await t.api('POST', path(r.id, `/blocks/users/${a}`))).status).toBe(200);
        const before = await snapshot(r.id);

        expectError(await t.api('POST', path(r.id, `/users/${a}`)), 403, 'forbidden_op');
        expectError(await t.api('POST', path(r.id, '/users'), { body: { usernames: [fresh, a] } }), 403, 'forbidden_op');
        expect(await snapshot(r.id)).toEqual(before);
        expect(await memberNames(r.id)).not.toContain(fresh);
        expect((await details(r.id)).affiliations_count).toBe(2);
      });

      it('a blocked member leaves the allowlist too', async () => {
        const r = await room(2);
        const [a, b] = r.members as [string, string];
        expect((await t.api('POST', path(r.id, '/white/users'), { body: { usernames: [a, b] } })).status).toBe(200);
        expect((await t.api('POST', path(r.id, `/blocks/users/${a}`))).status).toBe(200);
        expect(await allowlist(r.id)).toEqual([b]);
        expect(await blocklist(r.id)).toEqual([a]);
      });

      it('blocks a batch: non-members are reported in place with result false and a reason', async () => {
        const r = await room(3, 1);
        const [a, b, c] = r.members as [string, string, string];
        const x = r.outsiders[0]!;
        const res = await t.api('POST', path(r.id, '/blocks/users'), { body: { usernames: [a, x, b] } });
        expect(res.status, res.text).toBe(200);
        expect(res.body.data).toEqual([
          { result: true, action: 'add_blocks', user: a, [idKey]: r.id },
          { result: false, action: 'add_blocks', reason: `user: ${x} doesn't exist in group: ${r.id}`, user: x, [idKey]: r.id },
          { result: true, action: 'add_blocks', user: b, [idKey]: r.id },
        ]);
        expect(await blocklist(r.id)).toEqual([a, b].sort());
        expect(await memberNames(r.id)).toEqual([r.owner, c].sort());
        expect((await details(r.id)).affiliations_count).toBe(2);
        // The non-member was not blocked: they can still join.
        expect((await t.api('POST', path(r.id, `/users/${x}`))).status).toBe(200);
      });

      it('refuses a non-member alone (400 chatrooms / 403 groups)', async () => {
        const r = await room(1, 1);
        const x = r.outsiders[0]!;
        const before = await snapshot(r.id);
        expectError(await t.api('POST', path(r.id, `/blocks/users/${x}`)), NOT_MEMBER_STATUS, 'forbidden_op', notMembers(x));
        expect(await snapshot(r.id)).toEqual(before);
      });

      it('refuses the owner with 403, alone and in a batch', async () => {
        const r = await room(2);
        const before = await snapshot(r.id);
        expectError(await t.api('POST', path(r.id, `/blocks/users/${r.owner}`)), 403, 'forbidden_op', 'forbidden operation on group owner!');
        expectError(
          await t.api('POST', path(r.id, '/blocks/users'), { body: { usernames: [r.members[0], r.owner] } }),
          403,
          'forbidden_op',
          'forbidden operation on group owner!',
        );
        expect(await snapshot(r.id)).toEqual(before);
      });

      it('unblocks one user ({result, action "remove_blocks"}), who can then be added again', async () => {
        const r = await room(2);
        const [a] = r.members as [string, string];
        expect((await t.api('POST', path(r.id, `/blocks/users/${a}`))).status).toBe(200);

        const res = await t.api('DELETE', path(r.id, `/blocks/users/${a}`));
        expect(res.status, res.text).toBe(200);
        expect(res.body).toMatchObject({ action: 'delete' });
        expect(res.body.data).toEqual({ result: true, action: 'remove_blocks', user: a, [idKey]: r.id });
        expect(await blocklist(r.id)).toEqual([]);
        // Unblocking does not make them a member again…
        expect(await memberNames(r.id)).not.toContain(a);
        // …but they may be added.
        expect((await t.api('POST', path(r.id, `/users/${a}`))).status).toBe(200);
        expect(await memberNames(r.id)).toContain(a);
      });

      it('unblocks a comma list: array, false for a user who was not blocked', async () => {
        const r = await room(3);
        const [a, b, c] = r.members as [string, string, string];
        expect((await t.api('POST', path(r.id, '/blocks/users'), { body: { usernames: [a, b] } })).status).toBe(200);

        const res = await t.api('DELETE', path(r.id, `/blocks/users/${a},${c}%2C${b}`));
        expect(res.status, res.text).toBe(200);
        expect(res.body.data).toEqual([
          { result: true, action: 'remove_blocks', user: a, [idKey]: r.id },
          { result: false, action: 'remove_blocks', user: c, [idKey]: r.id },
          { result: true, action: 'remove_blocks', user: b, [idKey]: r.id },
        ]);
        expect(await blocklist(r.id)).toEqual([]);
        expect((await t.api('POST', path(r.id, '/users'), { body: { usernames: [a, b] } })).status).toBe(200);
        expect(await memberNames(r.id)).toEqual([r.owner, a, b, c].sort());
      });

      it('refuses 61 names with 400 invalid_parameter, when blocking and when unblocking', async () => {
        const r = await room(61, 0);
        const before = await snapshot(r.id);
        expectError(
          await t.api('POST', path(r.id, '/blocks/users'), { body: { usernames: r.members } }),
          400,
          'invalid_parameter',
          'userNames is more than max limit : 60',
        );
        expect(await snapshot(r.id)).toEqual(before);
        expectError(
          await t.api('DELETE', path(r.id, `/blocks/users/${r.members.join(',')}`)),
          400,
          'invalid_parameter',
          'removeBlacklist: list size more than max limit : 60',
        );
      });
    });

    // ---------------------------------------------------------------- cascades

    describe('cascades', () => {
      it('deleting the room removes its mutes, allowlist and blocklist', async () => {
        const r = await room(4);
        const [a, b, c, d] = r.members as [string, string, string, string];
        expect((await mute(r.id, [a], -1)).status).toBe(200);
        expect((await t.api('POST', path(r.id, `/white/users/${b}`))).status).toBe(200);
        expect((await t.api('POST', path(r.id, `/blocks/users/${c}`))).status).toBe(200);

        const del = await t.api('DELETE', path(r.id));
        expect(del.status, del.text).toBe(200);
        // No rows are left behind under the old id.
        const db = t.qunliao.store.db;
        for (const table of ['group_mutes', 'group_allowlist', 'group_blocklist'] as const) {
          const rows = await db.selectFrom(table).select('username').where('group_id', '=', r.id).execute();
          expect(rows, table).toEqual([]);
        }
        for (const suffix of ['/mute', '/white/users', '/blocks/users']) {
          expectError(await t.api('GET', path(r.id, suffix)), 404, 'resource_not_found', `grpID ${r.id} does not exist!`);
        }

        // A new room with the same people starts with empty lists, and the blocked user may be in it.
        const again = await createRoom(resource, r.owner, [a, b, c]);
        expect(await mutes(again)).toEqual([]);
        expect(await allowlist(again)).toEqual([]);
        expect(await blocklist(again)).toEqual([]);
        expect(await memberNames(again)).toEqual([r.owner, a, b, c].sort());
        // And can be added elsewhere one by one.
        const elsewhere = await createRoom(resource, d, []);
        expect((await t.api('POST', path(elsewhere, `/users/${c}`))).status).toBe(200);
        expect(await memberNames(elsewhere)).toEqual([c, d].sort());
      });

      it('deleting the owner dissolves the room, and its lists go with it', async () => {
        const r = await room(2);
        const [a, b] = r.members as [string, string];
        expect((await mute(r.id, [a], -1)).status).toBe(200);
        expect((await t.api('POST', path(r.id, `/white/users/${a}`))).status).toBe(200);
        expect((await t.api('POST', path(r.id, `/blocks/users/${b}`))).status).toBe(200);
        expect((await t.api('DELETE', `/users/${r.owner}`)).status).toBe(200);
        expectError(await t.api('GET', path(r.id, '/mute')), 404, 'resource_not_found', `grpID ${r.id} does not exist!`);
        const db = t.qunliao.store.db;
        for (const table of ['group_mutes', 'group_allowlist', 'group_blocklist'] as const) {
          const rows = await db.selectFrom(table).select('username').where('group_id', '=', r.id).execute();
          expect(rows, table).toEqual([]);
        }
      });

      it('deleting a user removes them from every mute list, allowlist and blocklist', async () => {
        const r1 = await room(3);
        const r2 = await room(2);
        const victim = r1.members[0]!;
        const [keep1, keep2] = [r1.members[1]!, r1.members[2]!];
        // The victim joins r2 too, then is blocked there.
        expect((await t.api('POST', path(r2.id, `/users/${victim}`))).status).toBe(200);
        expect((await mute(r1.id, [victim, keep1], -1)).status).toBe(200);
        expect((await t.api('POST', path(r1.id, '/white/users'), { body: { usernames: [victim, keep2] } })).status).toBe(200);
        expect((await t.api('POST', path(r2.id, `/blocks/users/${victim}`))).status).toBe(200);
        expect((await t.api('POST', path(r2.id, `/blocks/users/${r2.members[0]}`))).status).toBe(200);

        const del = await t.api('DELETE', `/users/${victim}`);
        expect(del.status, del.text).toBe(200);

        expect(await mutedNames(r1.id)).toEqual([keep1]);
        expect(await allowlist(r1.id)).toEqual([keep2]);
        expect(await blocklist(r2.id)).toEqual([r2.members[0]]);
        expect(await memberNames(r1.id)).not.toContain(victim);
        expect((await details(r1.id)).affiliations_count).toBe(3);

        // Someone registering the name again starts clean: not blocked, not muted, not allowlisted.
        await t.createUsers(victim);
        expect((await t.api('POST', path(r2.id, `/users/${victim}`))).status).toBe(200);
        expect((await t.api('POST', path(r1.id, `/users/${victim}`))).status).toBe(200);
        expect(await mutedNames(r1.id)).toEqual([keep1]);
        expect(await allowlist(r1.id)).toEqual([keep2]);
        expect(await blocklist(r2.id)).toEqual([r2.members[0]]);
      });
    });

    // ---------------------------------------------------------------- unknown, disabled, other app

    describe('errors', () => {
      /** Every moderation operation on room `id`, with a valid request otherwise. */
      const everyOperation = (id: string, user: string): [string, string, { body?: unknown; payload?: string }][] => [
        ['POST', path(id, '/mute'), { body: { usernames: [user], mute_duration: MINUTE } }],
        ['GET', path(id, '/mute'), {}],
        ['DELETE', path(id, `/mute/${user}`), {}],
        ['POST', path(id, '/ban'), { payload: '' }],
        ['DELETE', path(id, '/ban'), {}],
        ['GET', path(id, '/white/users'), {}],
        ['POST', path(id, `/white/users/${user}`), {}],
        ['POST', path(id, '/white/users'), { body: { usernames: [user] } }],
        ['DELETE', path(id, `/white/users/${user}`), {}],
        ['GET', path(id, '/blocks/users'), {}],
        ['POST', path(id, `/blocks/users/${user}`), {}],
        ['POST', path(id, '/blocks/users'), { body: { usernames: [user] } }],
        ['DELETE', path(id, `/blocks/users/${user}`), {}],
      ];

      it('answers 404 "grpID X does not exist!" for every operation on an unknown id', async () => {
        const r = await room(1);
        for (const id of [MISSING_ROOM, 'nosuch']) {
          for (const [method, url, options] of everyOperation(id, r.members[0]!)) {
            const res = await t.api(method, url, options);
            expect(`${method} ${url} → ${res.status}`).toBe(`${method} ${url} → 404`);
            expectError(res, 404, 'resource_not_found', `grpID ${id} does not exist!`);
          }
        }
      });

      it(`an id of the other resource (${other}) is unknown here`, async () => {
        const r = await room(1);
        const foreign = await createRoom(other, r.owner, [r.members[0]!]);
        for (const [method, url, options] of everyOperation(foreign, r.members[0]!)) {
          expectError(await t.api(method, url, options), 404, 'resource_not_found', `grpID ${foreign} does not exist!`);
        }
        // Nothing happened to it on its own resource.
        const own = await t.api('GET', `/${other}/${foreign}/mute`);
        expect(own.status).toBe(200);
        expect(own.body.data).toEqual([]);
      });

      // Only groups can be disabled (there is no chatroom disable operation).
      if (resource === 'chatgroups') it('a disabled group refuses changes with 403 but still lists', async () => {
        const r = await room(4, 1);
        const [a, b, c, d] = r.members as [string, string, string, string];
        expect((await mute(r.id, [a], -1)).status).toBe(200);
        expect((await t.api('POST', path(r.id, `/white/users/${b}`))).status).toBe(200);
        expect((await t.api('POST', path(r.id, `/blocks/users/${c}`))).status).toBe(200);
        const before = await snapshot(r.id);

        expect((await t.api('POST', `/chatgroups/${r.id}/disable`)).status).toBe(200);
        const changes: [string, string, { body?: unknown; payload?: string }][] = [
          ['POST', path(r.id, '/mute'), { body: { usernames: [d], mute_duration: MINUTE } }],
          ['DELETE', path(r.id, `/mute/${a}`), {}],
          ['POST', path(r.id, '/ban'), { payload: '' }],
          ['POST', path(r.id, '/ban'), { body: { mute_duration: -1 } }],
          ['DELETE', path(r.id, '/ban'), {}],
          ['POST', path(r.id, `/white/users/${d}`), {}],
          ['POST', path(r.id, '/white/users'), { body: { usernames: [d] } }],
          ['DELETE', path(r.id, `/white/users/${b}`), {}],
          ['POST', path(r.id, `/blocks/users/${d}`), {}],
          ['POST', path(r.id, '/blocks/users'), { body: { usernames: [d] } }],
          ['DELETE', path(r.id, `/blocks/users/${c}`), {}],
        ];
        for (const [method, url, options] of changes) {
          const res = await t.api(method, url, options);
          expect(`${method} ${url} → ${res.status}`).toBe(`${method} ${url} → 403`);
          expectError(res, 403, 'forbidden_op');
        }
        expect(await snapshot(r.id)).toEqual(before);
        expect(before.mutes.map((m) => m.user)).toEqual([a]);
        expect(before.allow).toEqual([b]);
        expect(before.blocks).toEqual([c]);

        // Enabled again, changes go through.
        expect((await t.api('POST', `/chatgroups/${r.id}/enable`)).status).toBe(200);
        expect((await mute(r.id, [d], MINUTE)).status).toBe(200);
        expect(await mutedNames(r.id)).toEqual([a, d].sort());
      });

      it("another app's token is refused with 401 and changes nothing", async () => {
        const r = await room(2);
        const [a] = r.members as [string, string];
        expect((await mute(r.id, [a], -1)).status).toBe(200);
        const before = await snapshot(r.id);
        const otherToken = await t.appToken(OTHER);
        for (const [method, url, options] of everyOperation(r.id, r.members[1]!)) {
          const res = await t.api(method, url, { ...options, token: otherToken });
          expect(`${method} ${url} → ${res.status}`).toBe(`${method} ${url} → 401`);
        }
        expect(await snapshot(r.id)).toEqual(before);

        // Under the other app's own paths the room does not exist.
        const res = await t.api('GET', path(r.id, '/mute'), { app: OTHER, token: otherToken });
        expectError(res, 404, 'resource_not_found', `grpID ${r.id} does not exist!`);
      });
    });
  });
});
