// Agora Chat tokens: AccessToken2 ("007…"), which Agora Chat app servers build themselves from the
// project's App ID and App Certificate with Agora's ChatTokenBuilder2 (REFERENCE §2a, "Agora Chat
// differs"; Agora `Develop/generate_app_tokens.md`, `generate_user_tokens.md`).
//
// Format: "007" + base64(zlib(signature, app id, issue time, expire, salt, services)); the signing key
// is HMAC-SHA256(salt, HMAC-SHA256(issue time, certificate)) and signs everything after the signature.
// Agora's own package `agora-token` parses the token and checks its signature; what it leaves to the
// caller is here: a strict encoding, a size bound, the app id, the expiry and the chat privilege.
import { inflateSync } from 'node:zlib';
import accessToken2 from 'agora-token/src/AccessToken2.js';
import type { AgoraCredentials } from '../config.js';

const { AccessToken2, ServiceChat, kChatServiceType } = accessToken2;

const PREFIX = '007';
/** Chat tokens are ~140 characters; tokens carrying several services a few hundred. */
const MAX_TOKEN_CHARS = 2048;
/** Bounds the inflated payload, so that a small token cannot make the server inflate megabytes. */
const MAX_PAYLOAD_BYTES = 8192;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** `unconfigured`: a well-formed token, and no Agora credentials to check it against. */
export type AgoraRefusal = 'malformed' | 'unconfigured' | 'wrongApp' | 'badSignature' | 'expired' | 'noPrivilege';

/** Why a token that looks like AccessToken2 is refused; TokensService maps it to the documented 401s. */
export class AgoraTokenRefused extends Error {
  constructor(readonly reason: AgoraRefusal) {
    super(`Agora token refused: ${reason}`);
  }
}

/** What a valid Agora Chat token grants. */
export interface AgoraChatGrant {
  /** `app`: the chat service's app (admin) privilege; `user`: its user privilege, for `uid`. */
  privilege: 'app' | 'user';
  /** The chat service's user id: for a user token, the Agora Chat user's uuid; '' in app tokens. */
  uid: string;
  /** Unix ms. */
  issuedAt: number;
  /** Unix ms: the earlier of the token's and the privilege's expiry. */
  expiresAt: number;
}

/** AccessToken2 strings start with the version "007"; Easemob tokens with "YWMt". */
export function isAgoraToken(token: string): boolean {
  return token.startsWith(PREFIX);
}

function refuse(reason: AgoraRefusal): never {
  throw new AgoraTokenRefused(reason);
}

/**
 * Verifies an Agora Chat token for the Agora project `credentials` at `nowMs`; throws
 * AgoraTokenRefused. Checked in this order: encoding, credentials present, app id, signature,
 * expiry, chat privilege. The app privilege wins over the user privilege when a token carries both.
 */
export function verifyAgoraToken(presented: string, credentials: AgoraCredentials | undefined, nowMs: number): AgoraChatGrant {
  // A token has no spaces: in a URL query an unencoded "+" arrives as one.
  const token = presented.replace(/ /g, '+');
  if (!isAgoraToken(token) || token.length > MAX_TOKEN_CHARS) refuse('malformed');
  const body = token.slice(PREFIX.length);
  if (!BASE64.test(body)) refuse('malformed');
  // Node's decoder skips stray characters and ignores unused bits: only the one spelling of the bytes counts.
  const bytes = Buffer.from(body, 'base64');
  const canonical = bytes.toString('base64');
  if (body !== canonical && body !== canonical.replace(/=+$/, '')) refuse('malformed');
  // zlib would ignore bytes after the end of the stream: a token has none.
  let consumed: number;
  try {
    const inflated = inflateSync(bytes, { maxOutputLength: MAX_PAYLOAD_BYTES, info: true }) as unknown as { engine: { bytesWritten: number } };
    consumed = inflated.engine.bytesWritten;
  } catch {
    refuse('malformed');
  }
  if (consumed !== bytes.length) refuse('malformed');

  const parsed = new AccessToken2('', '', 0, 0);
  if (!parsed.from_string(token)) refuse('malformed');
  if (!credentials) refuse('unconfigured');
  if (String(parsed.appId).toLowerCase() !== credentials.appId.toLowerCase()) refuse('wrongApp');
  if (!parsed.verifySignature(credentials.appCertificate)) refuse('badSignature');

  // `expire` and each privilege's value are seconds after the issue time (ChatTokenBuilder2).
  const issuedAt = parsed.issueTs * 1000;
  const tokenExpiresAt = (parsed.issueTs + parsed.expire) * 1000;
  if (nowMs >= tokenExpiresAt) refuse('expired');

  const chat = parsed.getServices(kChatServiceType);
  if (chat.length === 0) refuse('noPrivilege');
  // Two chat services could name two users: no builder makes such a token.
  if (chat.length > 1) refuse('malformed');
  const service = chat[0] as InstanceType<typeof ServiceChat>;
  const appPrivilege = service.__privileges[ServiceChat.kPrivilegeApp];
  const userPrivilege = service.__privileges[ServiceChat.kPrivilegeUser];
  const privilege = appPrivilege !== undefined ? 'app' : userPrivilege !== undefined ? 'user' : refuse('noPrivilege');
  const privilegeExpiresAt = (parsed.issueTs + (privilege === 'app' ? appPrivilege! : userPrivilege!)) * 1000;
  if (nowMs >= privilegeExpiresAt) refuse('expired');

  return {
    privilege,
    uid: privilege === 'user' ? String(service.__user_id) : '',
    issuedAt,
    expiresAt: Math.min(tokenExpiresAt, privilegeExpiresAt),
  };
}
