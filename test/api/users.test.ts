import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases, OTHER, startApp, type TestApp } from '../support/harness.js';

describe.each(databases)('users (%s)', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(kind);
  });
  afterAll(() => t.close());

  const get = (name: string) => t.api('GET', `/users/${name}`);

  describe('POST /users', () => {
    it('registers one user from a bare object, lower-casing the name', async () => {
      const res = await t.api('POST', '/users', { body: { username: 'Single1', password: 'pw', nickname: 'Sing' } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ action: 'post', path: '/users', organization: 'acme', applicationName: 'chat' });
      expect(res.body.entities).toHaveLength(1);
      expect(res.body.entities[0]).toMatchObject({ type: 'user', username: 'single1', activated: true, nickname: 'Sing' });
      expect(res.body.entities[0].created).toBe(res.body.entities[0].modified);
      expect(res.body).not.toHaveProperty('data');
      expect(res.body.uri).toMatch(/\/acme\/chat\/users$/);
      const back = await get('SINGLE1');
      expect(back.status).toBe(200);
      expect(back.body.entities[0].uuid).toBe(res.body.entities[0].uuid);
      expect(back.body.count).toBe(1);
    });

    it('registers a batch with partial success for names that exist', async () => {
      await t.createUsers('batch3');
      const res = await t.api('POST', '/users', {
        body: [
          { username: 'batch1', password: 'pw' },
          { username: 'batch2', password: 'pw' },
          { username: 'Batch3', password: 'pw' },
        ],
      });
      expect(res.status).toBe(200);
      expect(res.body.entities.map((u: { username: string }) => u.username)).toEqual(['batch1', 'batch2']);
      expect(res.body.data).toEqual([{ username: 'batch3', registerUserFailReason: 'the batch3 already exists' }]);
      expect((await get('batch2')).status).toBe(200);
    });

    it('refuses a single existing user with the duplicate error', async () => {
      await t.createUsers('dup1');
      const res = await t.api('POST', '/users', { body: { username: 'DUP1', password: 'pw' } });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('duplicate_unique_property_exists');
      expect(res.body.error_description).toMatch(/^Application [0-9a-f-]{36} Entity user requires that property named username be unique, value of dup1 exists$/);
    });

    it('refuses one name twice with different passwords, and takes it once with the same password', async () => {
      const conflict = await t.api('POST', '/users', { body: [{ username: 'twin', password: 'a' }, { username: 'twin', password: 'b' }] });
      expect(conflict.status).toBe(400);
      expect(conflict.body.error).toBe('duplicate_unique_property_exists');
      expect(conflict.body.error_description).toBe('the same user twin has a different password, the passwords are a, b');
      expect((await get('twin')).status).toBe(404);
      const same = await t.api('POST', '/users', { body: [{ username: 'twin', password: 'a' }, { username: 'twin', password: 'a' }] });
      expect(same.status).toBe(200);
      expect(same.body.entities).toHaveLength(1);
    });

    it('accepts 60 users and refuses 61, creating none', async () => {
      const users = (n: number, p: string) => Array.from({ length: n }, (_, i) => ({ username: `${p}${i}`, password: 'pw' }));
      const sixty = await t.api('POST', '/users', { body: users(60, 'sixty') });
      expect(sixty.status).toBe(200);
      expect(sixty.body.entities).toHaveLength(60);
      const over = await t.api('POST', '/users', { body: users(61, 'over') });
      expect(over.status).toBe(400);
      expect(over.body).toMatchObject({
        error: 'illegal_argument',
        error_description: 'Request body array size[61] had almost reached or been greater than the upper range value[60]',
      });
      expect((await get('over0')).status).toBe(404);
    });

    it.each([
      [{ username: 'bad name', password: 'pw' }, 'username [bad name] is not legal'],
      [{ username: 'ünïcode', password: 'pw' }, 'username [ünïcode] is not legal'],
      [{ username: '', password: 'pw' }, 'username [] is not legal'],
      [{ password: 'pw' }, 'username [null] is not legal'],
      [{ username: 42, password: 'pw' }, 'username [42] is not legal'],
      [{ username: 'a'.repeat(65), password: 'pw' }, 'USERNAME_TOO_LONG'],
      [{ username: 'nopw' }, 'password or pin must provided'],
      [{ username: 'nopw', password: 12 }, 'password or pin must provided'],
      [{ username: 'longpw', password: 'x'.repeat(65) }, 'PASSWORD_TOO_LONG'],
      [{ username: 'longnick', password: 'pw', nickname: 'n'.repeat(101) }, 'NICKNAME_TOO_LONG'],
      [{ username: 'numnick', password: 'pw', nickname: 7 }, 'nickname must be a string'],
    ])('refuses %j with 400 illegal_argument', async (user, description) => {
      const res = await t.api('POST', '/users', { body: user });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'illegal_argument', error_description: description });
    });

    it('accepts the longest legal values (64-byte name, 64-char password, 100-char nickname)', async () => {
      const name = `a.b_c-${'d'.repeat(58)}`;
      const res = await t.api('POST', '/users', { body: { username: name, password: '密'.repeat(64), nickname: '昵'.repeat(100) } });
      expect(res.status).toBe(200);
      expect((await get(name)).body.entities[0].nickname).toBe('昵'.repeat(100));
      const token = await t.api('POST', '/token', { token: null, body: { grant_type: 'password', username: name, password: '密'.repeat(64) } });
      expect(token.status).toBe(200);
    });

    it('a batch with one invalid user creates nobody', async () => {
      const res = await t.api('POST', '/users', { body: [{ username: 'okfirst', password: 'pw' }, { username: 'bad!', password: 'pw' }] });
      expect(res.status).toBe(400);
      expect((await get('okfirst')).status).toBe(404);
    });

    it.each([['"just a string"'], ['42'], ['[]'], ['null']])('refuses the body %s', async (payload) => {
      const res = await t.api('POST', '/users', { payload, headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('illegal_argument');
    });

    it('without a token answers that registration is not open', async () => {
      const res = await t.api('POST', '/users', { token: null, body: { username: 'anon', password: 'pw' } });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: 'unauthorized', error_description: "Open registration doesn't allow, so register user need token," });
      expect((await get('anon')).status).toBe(404);
    });

    it('keeps apps apart: the same name in two apps, and one app cannot read the other', async () => {
      const otherToken = await t.appToken(OTHER);
      await t.createUsers('shared');
      const res = await t.api('POST', '/users', { app: OTHER, token: otherToken, body: { username: 'shared', password: 'pw2' } });
      expect(res.status).toBe(200);
      expect(res.body.entities[0].uuid).not.toBe((await get('shared')).body.entities[0].uuid);
      await t.createUsers('mainonly');
      const cross = await t.api('GET', '/users/mainonly', { app: OTHER, token: otherToken });
      expect(cross.status).toBe(404);
    });
  });

  describe('GET /users/{username}', () => {
    it('answers 404 service_resource_not_found for an unknown or illegal name', async () => {
      for (const name of ['ghost', 'bad%20name', 'x'.repeat(80)]) {
        const res = await get(name);
        expect(res.status).toBe(404);
        expect(res.body).toMatchObject({ error: 'service_resource_not_found', exception: 'UserNotFoundException', error_description: 'Service resource not found' });
      }
    });
  });

  describe('GET /users (list)', () => {
    it('walks every user oldest first with cursors, with no cursor on the last page', async () => {
      const fresh = await startApp(kind);
      try {
        const names = Array.from({ length: 7 }, (_, i) => `walk${i}`);
        for (const name of names) await fresh.createUsers(name);
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const res = await fresh.api('GET', `/users?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
          expect(res.status).toBe(200);
          expect(res.body.count).toBe(res.body.entities.length);
          expect(res.body.params.limit).toEqual(['3']);
          seen.push(...res.body.entities.map((u: { username: string }) => u.username));
          cursor = res.body.cursor;
          pages++;
        } while (cursor);
        expect(seen).toEqual(names);
        expect(pages).toBe(3);
      } finally {
        await fresh.close();
      }
    });

    it('defaults to 10, returns at most 100, and stays stable when users are deleted between pages', async () => {
      const fresh = await startApp(kind);
      try {
        await fresh.createUsers(...Array.from({ length: 60 }, (_, i) => `a${String(i).padStart(3, '0')}`));
        await fresh.createUsers(...Array.from({ length: 60 }, (_, i) => `b${String(i).padStart(3, '0')}`));
        expect((await fresh.api('GET', '/users')).body.count).toBe(10);
        const big = await fresh.api('GET', '/users?limit=500');
        expect(big.body.count).toBe(100);
        const first = await fresh.api('GET', '/users?limit=5');
        await fresh.api('DELETE', '/users/a005');
        await fresh.api('DELETE', '/users/a004');
        const second = await fresh.api('GET', `/users?limit=5&cursor=${first.body.cursor}`);
        expect(second.body.entities.map((u: { username: string }) => u.username)).toEqual(['a006', 'a007', 'a008', 'a009', 'a010']);
      } finally {
        await fresh.close();
      }
    });

    it.each(['limit=0', 'limit=-3', 'limit=abc', 'cursor=bm90LWEtY3Vyc29y'])('refuses %s with 400', async (query) => {
      const res = await t.api('GET', `/users?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('illegal_argument');
    });
  });

  describe('DELETE /users/{username}', () => {
    it('deletes the user and shows it as no longer activated', async () => {
      await t.createUsers('gone');
      const res = await t.api('DELETE', '/users/Gone');
      expect(res.status).toBe(200);
      expect(res.body.action).toBe('delete');
      expect(res.body.entities[0]).toMatchObject({ username: 'gone', activated: false });
      expect((await get('gone')).status).toBe(404);
      const again = await t.api('DELETE', '/users/gone');
      expect(again.status).toBe(404);
      expect(again.body.error).toBe('service_resource_not_found');
    });

    it('accepts Content-Type: application/json with no body (Java SDK)', async () => {
      await t.createUsers('jsonless');
      const res = await t.api('DELETE', '/users/jsonless', { headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(200);
      const getRes = await t.api('GET', '/users/alice0', { headers: { 'content-type': 'application/json' } });
      expect(getRes.status).toBe(404);
    });
  });

  describe('PUT /users/{username}/password', () => {
    it('changes the password', async () => {
      await t.createUsers('pwuser');
      const res = await t.api('PUT', '/users/pwuser/password', { body: { newpassword: 'n3w' } });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual(['action', 'timestamp', 'duration']);
      expect(res.body.action).toBe('set user password');
      const login = await t.api('POST', '/token', { token: null, body: { grant_type: 'password', username: 'pwuser', password: 'n3w' } });
      expect(login.status).toBe(200);
    });

    it('answers the documented errors', async () => {
      await t.createUsers('pwuser2');
      const missing = await t.api('PUT', '/users/nobody/password', { body: { newpassword: 'x' } });
      expect(missing.status).toBe(404);
      expect(missing.body).toMatchObject({ error: 'entity_not_found', error_description: 'User null not found' });
      for (const body of [{}, { newpassword: '' }, { newpassword: 5 }]) {
        const res = await t.api('PUT', '/users/pwuser2/password', { body });
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ error: 'illegal_argument', error_description: 'newpassword is required' });
      }
      const long = await t.api('PUT', '/users/pwuser2/password', { body: { newpassword: 'x'.repeat(65) } });
      expect(long.status).toBe(400);
      const login = await t.api('POST', '/token', { token: null, body: { grant_type: 'password', username: 'pwuser2', password: 'pw' } });
      expect(login.status).toBe(200);
    });
  });

  describe('deactivate / activate', () => {
    it('deactivates and activates a user', async () => {
      await t.createUsers('banme');
      const off = await t.api('POST', '/users/banme/deactivate');
      expect(off.status).toBe(200);
      expect(off.body.action).toBe('Deactivate user');
      expect(off.body.entities[0]).toMatchObject({ username: 'banme', activated: false });
      expect((await get('banme')).body.entities[0].activated).toBe(false);
      const on = await t.api('POST', '/users/banme/activate');
      expect(on.status).toBe(200);
      expect(Object.keys(on.body)).toEqual(['action', 'timestamp', 'duration']);
      expect(on.body.action).toBe('activate user');
      expect((await get('banme')).body.entities[0].activated).toBe(true);
    });

    it('answers 404 for an unknown user', async () => {
      for (const op of ['deactivate', 'activate']) {
        const res = await t.api('POST', `/users/nobody/${op}`);
        expect(res.status).toBe(404);
        expect(res.body.error).toBe('service_resource_not_found');
      }
    });
  });
});
