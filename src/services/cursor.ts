// Opaque keyset cursors: base64url of a prefix and the last row's sequence number.
import { DomainError } from './errors.js';

const PREFIX = 'qc1:';

export function encodeCursor(seq: number): string {
  return Buffer.from(`${PREFIX}${seq}`).toString('base64url');
}

export function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const seq = text.startsWith(PREFIX) ? Number(text.slice(PREFIX.length)) : NaN;
  if (!Number.isSafeInteger(seq) || seq < 0) throw new DomainError('invalidQuery', { message: `cursor ${cursor} is not valid` });
  return seq;
}
