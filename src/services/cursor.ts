// Opaque keyset cursors: base64url of a kind tag and the last row's sequence number. The tag keeps
// a users cursor from being taken for a groups cursor.
import { DomainError, type ErrorCode } from './errors.js';

export function encodeCursor(kind: string, seq: number): string {
  return Buffer.from(`${kind}:${seq}`).toString('base64url');
}

/** The sequence number in `cursor`; `code` (with `message`) when it is not one of ours. */
export function decodeCursor(kind: string, cursor: string, code: ErrorCode): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const seq = text.startsWith(`${kind}:`) ? Number(text.slice(kind.length + 1)) : NaN;
  if (!Number.isSafeInteger(seq) || seq < 0) throw new DomainError(code, { message: `cursor ${cursor} is not valid` });
  return seq;
}
