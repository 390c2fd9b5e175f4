// The hot reads (GET user, group details, is_joined, member pages) with SQLite's kept answers
// (src/store/read-cache.ts) on, with shared and with exclusive locking, against the same with it
// off: every write that changes what they answer is seen by the next read, and the kept answers
// are really used.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { startApp, type TestApp } from '../support/harness.js';

const modes: Array<[string, Partial<Config>]> = [
  ['on, shared locking', { sqliteReadCache: 'on', sqliteLocking: 'shared' }],
  ['on, exclusive locking', { sqliteReadCache: 'on', sqliteLocking: 'exclusive' }],
  ['off', { sqliteReadCache: 'off' }],
];

describe.each(modes)('hot reads with the read cache %s', (_name, overrides) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp('sqlite', overrides);
  });
  afterAll(() => t.close());

  const user = async (name: string) => {
    const res = await t.api('GET', `/users/${name}`);
    return res.status === 200 ? (res.body.entities[0] as Record<string, unknown>) : res.status;
  };
  const details = async (id: string) => {
    const res = await t.api('GET', `/chatgroups/${id}`);
    return res.status === 200 ? (res.body.data[0] as Record<string, unknown>) : res.status;
  };
  const joined = async (id: string, name: string) => (await t.api('GET', `/chatgroups/${id}/user/${name}/is_joined`)).body.data as boolean;
  const members = async (id: string) => ((await t.apiOk('GET', `/chatgroups/${id}/users`)).data as Record<string, string>[]).map((m) => m.owner ?? m.member);

  it('sees each write to a user in the next GET', async () => {
    const [u] = await t.makeUsers('rc_u');
    const hitsBefore = t.qunliao.store.readCache?.hits ?? 0;
    expect(await user(u)).toMatchObject({ username: u, activated: true });
    expect(await user(u)).toMatchObject({ username: u, activated: true });
    if (overrides.sqliteReadCache === 'on') expect(t.qunliao.store.readCache!.hits).toBeGreaterThan(hitsBefore);
    else expect(t.qunliao.store.readCache).toBeUndefined();
    await t.apiOk('POST', `/users/${u}/deactivate`);
    expect(await user(u)).toMatchObject({ activated: false });
    await t.apiOk('POST', `/users/${u}/activate`);
    expect(await user(u)).toMatchObject({ activated: true });
    await t.apiOk('DELETE', `/users/${u}`);
    expect(await user(u)).toBe(404);
    await t.createUsers(u);
    expect(await user(u)).toMatchObject({ username: u, activated: true });
  });

  it('sees each change of a group and its members in the next details, is_joined and member page', async () => {
    const [owner, a, b] = await t.makeUsers('rc_o', 'rc_a', 'rc_b');
    const id = await t.createGroup(owner, [a]);
    expect(await details(id)).toMatchObject({ name: 'g', affiliations_count: 2 });
    expect(await details(id)).toMatchObject({ name: 'g', affiliations_count: 2 });
    expect(await joined(id, b)).toBe(false);
    expect(await members(id)).toEqual([owner, a]);

    await t.apiOk('POST', `/chatgroups/${id}/users/${b}`);
    expect(await joined(id, b)).toBe(true);
    expect(await details(id)).toMatchObject({ affiliations_count: 3, affiliations: [{ owner }, { member: a }, { member: b }] });
    expect(await members(id)).toEqual([owner, a, b]);

    await t.apiOk('PUT', `/chatgroups/${id}`, { groupname: 'renamed' });
    expect(await details(id)).toMatchObject({ name: 'renamed' });

    await t.apiOk('DELETE', `/chatgroups/${id}/users/${a}`);
    expect(await joined(id, a)).toBe(false);
    expect(await members(id)).toEqual([owner, b]);

    // The user's deletion takes them out of the group (a write to the member table through the user).
    await t.apiOk('DELETE', `/users/${b}`);
    expect(await members(id)).toEqual([owner]);
    expect(await details(id)).toMatchObject({ affiliations_count: 1 });

    // Dissolving cascades to the member rows.
    await t.apiOk('DELETE', `/chatgroups/${id}`);
    expect(await details(id)).toBe(404);
    expect(await joined(id, owner)).toBe(false);
  });
});
