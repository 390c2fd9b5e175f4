// Access tokens (REFERENCE §2a). A token is self-contained and signed with its app's key, so it
// survives restarts and needs no table: "YWMt" + base64url(payload) + base64url(HMAC-SHA256).
// Payload: version, kind, app uuid, user uuid, user token_version, issued-at, expires-at (ms, 0 = never).
// User tokens are also checked against the user row, so deleting, deactivating or changing the
// password of a user ends their tokens.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { App } from './apps.js';
import type { UserRow, UsersRepository } from '../store/users.js';
import { DomainError, fail } from './errors.js';

const PREFIX = 'YWMt';
const VERSION = 1;
const KIND_APP = 1;
const KIND_USER = 2;
const PAYLOAD_BYTES = 1 + 1 + 16 + 16 + 4 + 8 + 8;
const SIG_CHARS = 43; // 32 bytes, base64url without padding
const PAYLOAD_CHARS = Math.ceil((PAYLOAD_BYTES * 4) / 3);
const TOKEN_PATTERN = new RegExp(`^${PREFIX}[A-Za-z0-9_-]{${PAYLOAD_CHARS + SIG_CHARS}}$`);

/** `expiresAt`: Unix ms when the token stops working; 0 = never. */
export type Principal = { kind: 'app' } | { kind: 'user'; user: UserRow; expiresAt: number };

/** Why a well-formed, signed user token no longer works (the `reason` of a tokenRevoked error). */
export type RevokedReason = 'user_not_found' | 'deactivated' | 'password_changed';

export interface IssuedToken {
  accessToken: string;
  /** Seconds; 0 when the token never expires. */
  expiresIn: number;
}

function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

function uuidString(bytes: Buffer): string {
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function sign(app: App, payload: Buffer): Buffer {
  return createHmac('sha256', Buffer.from(app.token_key, 'base64')).update(payload).digest();
}

export class TokensService {
  constructor(
    private readonly users: UsersRepository,
    private readonly now: () => number = Date.now,
  ) {}

  issueApp(app: App, ttlSeconds: number): IssuedToken {
    return this.issue(app, KIND_APP, undefined, 0, ttlSeconds);
  }

  issueUser(app: App, user: UserRow, ttlSeconds: number): IssuedToken {
    return this.issue(app, KIND_USER, user.uuid, user.token_version, ttlSeconds);
  }

  private issue(app: App, kind: number, userUuid: string | undefined, tokenVersion: number, ttlSeconds: number): IssuedToken {
    const issuedAt = this.now();
    const payload = Buffer.alloc(PAYLOAD_BYTES);
    let o = payload.writeUInt8(VERSION, 0);
    o = payload.writeUInt8(kind, o);
    o += uuidBytes(app.uuid).copy(payload, o);
    o += userUuid ? uuidBytes(userUuid).copy(payload, o) : 16;
    o = payload.writeUInt32BE(tokenVersion >>> 0, o);
    o = payload.writeDoubleBE(issuedAt, o);
    payload.writeDoubleBE(ttlSeconds === 0 ? 0 : issuedAt + ttlSeconds * 1000, o);
    const token = PREFIX + payload.toString('base64url') + sign(app, payload).toString('base64url');
    return { accessToken: token, expiresIn: ttlSeconds };
  }

  /** Checks a bearer token presented on `app`'s URL; throws the documented 401s. */
  async verify(app: App, token: string | undefined): Promise<Principal> {
    if (!token) fail('tokenMissing');
    if (!TOKEN_PATTERN.test(token)) fail('tokenCorrupt');
    const body = token.slice(PREFIX.length);
    const payload = Buffer.from(body.slice(0, PAYLOAD_CHARS), 'base64url');
    // Compared as text: base64url has several spellings of the same last byte, and only ours counts.
    const signature = Buffer.from(body.slice(PAYLOAD_CHARS));
    if (payload.length !== PAYLOAD_BYTES || payload.readUInt8(0) !== VERSION) fail('tokenCorrupt');
    const kind = payload.readUInt8(1);
    if (kind !== KIND_APP && kind !== KIND_USER) fail('tokenCorrupt');
    // A token of another app is "corrupt" for this one (REFERENCE §2a, user-token error table).
    if (uuidString(payload.subarray(2, 18)) !== app.uuid) fail('tokenCorrupt');
    const expected = Buffer.from(sign(app, payload).toString('base64url'));
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) fail('tokenUnknown');
    const expiresAt = payload.readDoubleBE(46);
    if (expiresAt !== 0 && expiresAt <= this.now()) fail('tokenExpired');
    if (kind === KIND_APP) return { kind: 'app' };

    const user = await this.users.findByUuid(app.uuid, uuidString(payload.subarray(18, 34)));
    // One REST answer for the three; client protocols tell them apart (docs/client-sdk.md).
    const revoked: (reason: RevokedReason) => never = (reason) => fail('tokenRevoked', { reason });
    if (!user) revoked('user_not_found');
    if (user.activated !== 1) revoked('deactivated');
    if (user.token_version !== payload.readUInt32BE(34)) revoked('password_changed');
    return { kind: 'user', user, expiresAt };
  }
}

/** `ttl` as sent by clients: a number or a numeric string of seconds; absent → the default. */
export function parseTtl(raw: unknown, fallback: number): number {
  if (raw === undefined || raw === null || raw === '') return fallback;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  // Upper bound keeps issued-at + ttl a safe integer number of milliseconds.
  if (!Number.isInteger(n) || n < 0 || n > 100 * 365 * 24 * 3600) throw new DomainError('invalidTtl');
  return n;
}
