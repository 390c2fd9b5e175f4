// The Easemob-style token codec (src/services/tokens.ts): "YWMt" + base64url(payload) +
// base64url(HMAC-SHA256), signed with the app's key, checked against the user row.
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { App } from '../../src/services/apps.js';
import { DomainError } from '../../src/services/errors.js';
import { parseTtl, TokensService } from '../../src/services/tokens.js';
import type { UserRow, UsersRepository } from '../../src/store/users.js';

const app = (): App => ({
  uuid: randomUUID(),
  org_name: 'acme',
  app_name: 'chat',
  client_id: 'id',
  client_secret_hash: 'x',
  token_key: randomBytes(32).toString('base64'),
  created: 0,
  agora_app_id: null,
  agora_app_certificate: null,
});

function user(appUuid: string, extra: Partial<UserRow> = {}): UserRow {
  return { seq: 1, app_uuid: appUuid, uuid: randomUUID(), username: 'alice', password_hash: 'x', nickname: null, activated: 1, token_version: 0, deactivated_at: 0, created: 0, modified: 0, ...extra };
}

function service(rows: UserRow[], now: { t: number }) {
  const repo = { findByUuid: async (appUuid: string, uuid: string) => rows.find((r) => r.app_uuid === appUuid && r.uuid === uuid) } as unknown as UsersRepository;
  return new TokensService(repo, () => now.t);
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return err instanceof DomainError ? err.code : String(err);
  }
  return undefined;
}

describe('Easemob tokens', () => {
  it('round-trip app and user tokens', async () => {
    const a = app();
    const u = user(a.uuid);
    const now = { t: 1_800_000_000_000 };
    const tokens = service([u], now);
    const appToken = tokens.issueApp(a, 3600);
    expect(appToken.accessToken).toMatch(/^YWMt[A-Za-z0-9_-]+$/);
    expect(appToken.expiresIn).toBe(3600);
    expect(await tokens.verify(a, appToken.accessToken)).toMatchObject({ kind: 'app' });
    const userToken = tokens.issueUser(a, u, 60);
    expect(await tokens.verify(a, userToken.accessToken)).toMatchObject({ kind: 'user', user: u, expiresAt: now.t + 60_000 });
  });

  it('expire at their time, and never with a ttl of 0', async () => {
    const a = app();
    const now = { t: 1_800_000_000_000 };
    const tokens = service([], now);
    const short = tokens.issueApp(a, 10).accessToken;
    const forever = tokens.issueApp(a, 0).accessToken;
    now.t += 9_999;
    expect(await codeOf(tokens.verify(a, short))).toBeUndefined();
    now.t += 1;
    expect(await codeOf(tokens.verify(a, short))).toBe('tokenExpired');
    now.t += 100 * 365 * 24 * 3600 * 1000;
    expect(await codeOf(tokens.verify(a, forever))).toBeUndefined();
  });

  it('are refused when missing, malformed, of another app, or altered in any character', async () => {
    const a = app();
    const other = app();
    const tokens = service([], { t: 1_800_000_000_000 });
    const good = tokens.issueApp(a, 3600).accessToken;
    expect(await codeOf(tokens.verify(a, undefined))).toBe('tokenMissing');
    expect(await codeOf(tokens.verify(a, 'not-a-token'))).toBe('tokenCorrupt');
    expect(await codeOf(tokens.verify(other, good))).toBe('tokenCorrupt');
    // Signed with another key, same app uuid: well-formed but not issued here.
    expect(await codeOf(tokens.verify({ ...a, token_key: randomBytes(32).toString('base64') }, good))).toBe('tokenUnknown');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = 4; i < good.length; i++) {
      const swapped = alphabet[(alphabet.indexOf(good[i]!) + 1) % alphabet.length]!;
      const altered = good.slice(0, i) + swapped + good.slice(i + 1);
      expect(await codeOf(tokens.verify(a, altered)), `character ${i}`).toMatch(/^token(Corrupt|Unknown|Expired)$/);
    }
  });

  it('end a user token when the user is gone, deactivated, or its token version moved on', async () => {
    const a = app();
    const u = user(a.uuid);
    const rows = [u];
    const tokens = service(rows, { t: 1_800_000_000_000 });
    const tok = tokens.issueUser(a, u, 3600).accessToken;
    // Checked once (and remembered): the user row is still read at every use.
    expect(await tokens.verify(a, tok)).toMatchObject({ kind: 'user' });
    rows[0] = { ...u, token_version: 1 };
    expect(await codeOf(tokens.verify(a, tok))).toBe('tokenRevoked');
    rows[0] = { ...u, activated: 0 };
    expect(await codeOf(tokens.verify(a, tok))).toBe('tokenRevoked');
    rows.length = 0;
    expect(await codeOf(tokens.verify(a, tok))).toBe('tokenRevoked');
  });

  it('read ttl as sent by clients', () => {
    expect(parseTtl(undefined, 99)).toBe(99);
    expect(parseTtl('', 99)).toBe(99);
    expect(parseTtl(3600, 99)).toBe(3600);
    expect(parseTtl(' 3600 ', 99)).toBe(3600);
    expect(parseTtl(0, 99)).toBe(0);
    for (const bad of [-1, 1.5, 'x', '1e3', 100 * 365 * 24 * 3600 + 1, {}]) expect(() => parseTtl(bad, 99), String(bad)).toThrow(DomainError);
  });
});
