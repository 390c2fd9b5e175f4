// Opaque keyset cursors: base64url of a kind tag and the last row's sequence number. The tag keeps
// a users cursor from being taken for a groups cursor.
import { DomainError, type ErrorCode } from './errors.js';

export function encodeCursor(kind: string, seq: number): string {
  return Buffer.from(`${kind}:${seq}`).toString('base64url');
}

/** The sequence number in `cursor`; `code` (with `{cursor}`) when it is not one of ours. */
export function decodeCursor(kind: string, cursor: string, code: ErrorCode): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const digits = text.startsWith(`${kind}:`) ? text.slice(kind.length + 1) : '';
  const seq = /^\d{1,16}$/.test(digits) ? Number(digits) : NaN;
  if (!Number.isSafeInteger(seq)) throw new DomainError(code, { cursor });
  return seq;
}

/**
 * A cursor parameter as clients send it: absent, empty, or the literal `undefined` / `null` that the
 * web SDK writes for an unset cursor (REST.md, "Other wire facts") all mean the first page.
 */
export function readCursor(kind: string, raw: string | undefined, code: ErrorCode): number | undefined {
  if (raw === undefined || raw === '' || raw === 'undefined' || raw === 'null') return undefined;
  return decodeCursor(kind, raw, code);
}
