// Access tokens (REFERENCE §2a). A token is self-contained and signed with its app's key, so it
// survives restarts and needs no table: "YWMt" + base64url(payload) + base64url(HMAC-SHA256).
// Payload: version, kind, app uuid, user uuid, user token_version, issued-at, expires-at (ms, 0 = never).
// User tokens are also checked against the user row, so deleting, deactivating or changing the
// password of a user ends their tokens.
// Agora Chat tokens ("007…", AccessToken2; ./agora-token.ts) are accepted wherever these are, for
// apps that have Agora credentials: the chat app privilege as an app token, the chat user privilege
// as the token of the user whose uuid it names.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { App } from './apps.js';
import type { UserRow, UsersRepository } from '../store/users.js';
import { AgoraTokenRefused, isAgoraToken, verifyAgoraToken, type AgoraChatGrant, type AgoraRefusal } from './agora-token.js';
import { DomainError, fail, type ErrorCode } from './errors.js';

const PREFIX = 'YWMt';
const VERSION = 1;
const KIND_APP = 1;
const KIND_USER = 2;
const PAYLOAD_BYTES = 1 + 1 + 16 + 16 + 4 + 8 + 8;
const SIG_CHARS = 43; // 32 bytes, base64url without padding
const PAYLOAD_CHARS = Math.ceil((PAYLOAD_BYTES * 4) / 3);
const TOKEN_PATTERN = new RegExp(`^${PREFIX}[A-Za-z0-9_-]{${PAYLOAD_CHARS + SIG_CHARS}}$`);

/** Who a token speaks for; `expiresAt` is when the token expires (Unix ms), null if it never does. */
export type Principal = AppPrincipal | UserPrincipal;
export interface AppPrincipal {
  kind: 'app';
  expiresAt: number | null;
}
export interface UserPrincipal {
  kind: 'user';
  user: UserRow;
  expiresAt: number | null;
  /** The device acting (the client SDK's `resource=` query parameter), when the request names it. */
  device?: string;
}

/** The documented 401 for each reason an Agora token is refused (REFERENCE §2a, Bearer errors). */
const AGORA_REFUSALS: Record<AgoraRefusal, ErrorCode> = {
  malformed: 'tokenCorrupt',
  // The app has no Agora credentials: a token it cannot have issued, as any unknown token.
  unconfigured: 'tokenUnknown',
  // As an Easemob token of another app.
  wrongApp: 'tokenCorrupt',
  badSignature: 'tokenUnknown',
  expired: 'tokenExpired',
  noPrivilege: 'tokenRevoked',
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

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

/** Signing keys, decoded once (by their text: an app's key never changes). */
const signingKeys = new Map<string, Buffer>();

function sign(app: App, payload: Buffer): Buffer {
  let key = signingKeys.get(app.token_key);
  if (!key) signingKeys.set(app.token_key, (key = Buffer.from(app.token_key, 'base64')));
  return createHmac('sha256', key).update(payload).digest();
}

/** What a token says once its form, app and signature were checked; what can change (expiry, the user row) is checked at each use. */
type CheckedToken =
  | { scheme: 'easemob'; kind: typeof KIND_APP | typeof KIND_USER; userUuid: string; tokenVersion: number; expiry: number }
  | { scheme: 'agora'; credentials: string; grant: AgoraChatGrant };

/**
 * Tokens whose signature has been checked, so that a request with a known token skips the HMAC (and
 * for Agora tokens the inflate): most requests of an app server carry the same app token. Bounded;
 * the oldest entry goes first.
 */
const CHECKED_MAX = 10_000;

export class TokensService {
  /**
   * By token, with the signing key of the app it was checked for: the key names the app (it is
   * random and never changes), and a checked token only holds for it. (Keyed by the token alone: a
   * key made of both would be a new 250-character string to build and hash on every request.)
   */
  private readonly checked = new Map<string, { tokenKey: string; token: CheckedToken }>();

  constructor(
    private readonly users: UsersRepository,
    private readonly now: () => number = Date.now,
  ) {}

  private remember(app: App, token: string, value: CheckedToken): void {
    if (this.checked.size >= CHECKED_MAX && !this.checked.has(token)) this.checked.delete(this.checked.keys().next().value!);
    this.checked.set(token, { tokenKey: app.token_key, token: value });
  }

  /** What this process found when it checked `token` for `app`, if it did. */
  private recall(app: App, token: string): CheckedToken | undefined {
    const entry = this.checked.get(token);
    return entry !== undefined && entry.tokenKey === app.token_key ? entry.token : undefined;
  }

  issueApp(app: App, ttlSeconds: number): IssuedToken {
    return this.issue(app, KIND_APP, undefined, 0, ttlSeconds);
  }

  /** An app token that expires at `expiresAt` (Unix ms, in the future): the Agora exchange. */
  issueAppUntil(app: App, expiresAt: number): IssuedToken & { expiresAt: number } {
    const issuedAt = this.now();
    const token = this.issue(app, KIND_APP, undefined, 0, 0, issuedAt, expiresAt);
    return { ...token, expiresIn: Math.max(1, Math.floor((expiresAt - issuedAt) / 1000)), expiresAt };
  }

  issueUser(app: App, user: UserRow, ttlSeconds: number): IssuedToken {
    return this.issue(app, KIND_USER, user.uuid, user.token_version, ttlSeconds);
  }

  private issue(
    app: App,
    kind: number,
    userUuid: string | undefined,
    tokenVersion: number,
    ttlSeconds: number,
    issuedAt = this.now(),
    expiresAt = ttlSeconds === 0 ? 0 : issuedAt + ttlSeconds * 1000,
  ): IssuedToken {
    const payload = Buffer.alloc(PAYLOAD_BYTES);
    let o = payload.writeUInt8(VERSION, 0);
    o = payload.writeUInt8(kind, o);
    o += uuidBytes(app.uuid).copy(payload, o);
    o += userUuid ? uuidBytes(userUuid).copy(payload, o) : 16;
    o = payload.writeUInt32BE(tokenVersion >>> 0, o);
    o = payload.writeDoubleBE(issuedAt, o);
    payload.writeDoubleBE(expiresAt, o);
    const token = PREFIX + payload.toString('base64url') + sign(app, payload).toString('base64url');
    return { accessToken: token, expiresIn: ttlSeconds };
  }

  /**
   * Checks a bearer token presented on `app`'s URL, an Easemob one or an Agora Chat one; throws the
   * documented 401s (DomainError tokenMissing, tokenCorrupt, tokenUnknown, tokenExpired, tokenRevoked).
   */
  async verify(app: App, token: string | undefined): Promise<Principal> {
    if (!token) fail('tokenMissing');
    let checked = this.recall(app, token);
    if (!checked) {
      checked = isAgoraToken(token) ? { scheme: 'agora', credentials: agoraCredentialsKey(app), grant: this.checkAgora(app, token) } : this.checkEasemob(app, token);
      this.remember(app, token, checked);
    }
    if (checked.scheme === 'agora') {
      // Credentials changed since (another process's start): check the token again.
      if (checked.credentials !== agoraCredentialsKey(app)) {
        this.checked.delete(token);
        return this.verify(app, token);
      }
      if (checked.grant.expiresAt <= this.now()) fail('tokenExpired');
      return this.agoraPrincipal(app, checked.grant);
    }
    if (checked.expiry !== 0 && checked.expiry <= this.now()) fail('tokenExpired');
    const expiresAt = checked.expiry === 0 ? null : checked.expiry;
    if (checked.kind === KIND_APP) return { kind: 'app', expiresAt };
    const user = await this.users.findByUuid(app.uuid, checked.userUuid);
    // One REST answer for the three; client protocols tell them apart (docs/client-sdk.md).
    if (!user) revoked('user_not_found');
    if (user.activated !== 1) revoked('deactivated');
    if (user.token_version !== checked.tokenVersion) revoked('password_changed');
    return { kind: 'user', user, expiresAt };
  }

  /** The principal of an app token this process has checked and that has not expired; undefined for anything else. */
  knownAppToken(app: App, token: string): AppPrincipal | undefined {
    const checked = this.recall(app, token);
    if (!checked) return undefined;
    const now = this.now();
    if (checked.scheme === 'easemob') {
      if (checked.kind !== KIND_APP || (checked.expiry !== 0 && checked.expiry <= now)) return undefined;
      return { kind: 'app', expiresAt: checked.expiry === 0 ? null : checked.expiry };
    }
    if (checked.grant.privilege !== 'app' || checked.grant.expiresAt <= now || checked.credentials !== agoraCredentialsKey(app)) return undefined;
    return { kind: 'app', expiresAt: checked.grant.expiresAt };
  }

  /** Form, app and signature of an Easemob token; throws the documented 401s. */
  private checkEasemob(app: App, token: string): CheckedToken {
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
    return { scheme: 'easemob', kind, userUuid: uuidString(payload.subarray(18, 34)), tokenVersion: payload.readUInt32BE(34), expiry: payload.readDoubleBE(46) };
  }

  /**
   * A client login (the JSON `/ws`, the SDK's msync `/websocket`): the token must be a user token,
   * and when the login names a user (`username`, any case), that user's. Throws as `verify`; a
   * login with someone else's token or an app token → tokenRevoked.
   */
  async verifyUser(app: App, token: string | undefined, username?: string): Promise<UserPrincipal> {
    const principal = await this.verify(app, token);
    if (principal.kind !== 'user') fail('tokenRevoked');
    if (username !== undefined && principal.user.username !== username.toLowerCase()) fail('tokenRevoked');
    return principal;
  }

  /** An Agora app token, as the `agora` grant takes it: anything else → the documented 401s. */
  verifyAgoraApp(app: App, token: string | undefined): AgoraChatGrant {
    if (!token) fail('tokenMissing');
    // An Easemob token is not what this grant exchanges.
    if (!isAgoraToken(token)) fail('tokenCorrupt');
    const grant = this.checkAgora(app, token);
    if (grant.privilege !== 'app') fail('tokenRevoked');
    return grant;
  }

  private async agoraPrincipal(app: App, grant: AgoraChatGrant): Promise<Principal> {
    if (grant.privilege === 'app') return { kind: 'app', expiresAt: grant.expiresAt };
    // The chat user privilege names the user by uuid (ChatTokenBuilder2.buildUserToken(…, chatUserUuid, …)).
    const uuid = grant.uid.toLowerCase();
    const user = UUID.test(uuid) ? await this.users.findByUuid(app.uuid, uuid) : undefined;
    if (!user) revoked('user_not_found');
    if (user.activated !== 1) revoked('deactivated');
    // Deactivation ends tokens for good: one issued before the last deactivation stays refused
    // (Agora issue times are whole seconds, so a token issued in that same second is refused too).
    if (grant.issuedAt <= user.deactivated_at) revoked('deactivated');
    return { kind: 'user', user, expiresAt: grant.expiresAt };
  }

  private checkAgora(app: App, token: string): AgoraChatGrant {
    const credentials = app.agora_app_id && app.agora_app_certificate ? { appId: app.agora_app_id, appCertificate: app.agora_app_certificate } : undefined;
    try {
      return verifyAgoraToken(token, credentials, this.now());
    } catch (err) {
      if (err instanceof AgoraTokenRefused) fail(AGORA_REFUSALS[err.reason]);
      throw err;
    }
  }
}

function revoked(reason: RevokedReason): never {
  return fail('tokenRevoked', { reason });
}

/** The Agora credentials a cached Agora token was checked with. */
function agoraCredentialsKey(app: App): string {
  return `${app.agora_app_id ?? ''}:${app.agora_app_certificate ?? ''}`;
}

/** `ttl` as sent by clients: a number or a numeric string of seconds; absent → the default. */
export function parseTtl(raw: unknown, fallback: number): number {
  if (raw === undefined || raw === null || raw === '') return fallback;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  // Upper bound keeps issued-at + ttl a safe integer number of milliseconds.
  if (!Number.isInteger(n) || n < 0 || n > 100 * 365 * 24 * 3600) throw new DomainError('invalidTtl');
  return n;
}
