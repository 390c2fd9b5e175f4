// Usernames enter qunliao in paths, bodies and tokens; this is the one place that checks and folds
// them (REFERENCE §2b: at most 64 bytes of [a-zA-Z0-9_.-], case-insensitive, stored lower-cased).
// The pattern is ASCII, so folding never changes a name's length: a name is checked as it is stored.
import { fail } from './errors.js';

export const USERNAME_MAX_BYTES = 64;
const PATTERN = /^[a-zA-Z0-9_.-]+$/;

/** The stored form of a name a user could have; undefined for one no user can have. */
export function foldUsername(raw: string): string | undefined {
  return raw.length > 0 && raw.length <= USERNAME_MAX_BYTES && PATTERN.test(raw) ? raw.toLowerCase() : undefined;
}

/**
 * The stored form of a name used to look a user up: folded when legal; an illegal one is kept as
 * sent, so that it finds no one and the "doesn't exist" answer names what was sent.
 */
export function username(raw: string): string {
  return foldUsername(raw) ?? raw;
}

/** `username(…)` of each, without repeats, in the order first seen. */
export function usernames(raw: readonly string[]): string[] {
  return [...new Set(raw.map(username))];
}

/** A name for a new account: anything illegal is refused with the registration errors. */
export function newUsername(raw: unknown): string {
  if (typeof raw !== 'string' || raw.length === 0) fail('usernameIllegal', { username: raw === undefined || raw === null ? 'null' : typeof raw === 'string' ? raw : JSON.stringify(raw).slice(0, 200) });
  if (Buffer.byteLength(raw) > USERNAME_MAX_BYTES) fail('usernameTooLong');
  if (!PATTERN.test(raw)) fail('usernameIllegal', { username: raw });
  return raw.toLowerCase();
}
