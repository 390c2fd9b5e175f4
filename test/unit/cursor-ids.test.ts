// Keyset cursors (src/services/cursor.ts) and numeric ids (src/services/ids.ts).
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../src/services/cursor.js';
import { DomainError } from '../../src/services/errors.js';
import { isNumericId, numericId } from '../../src/services/ids.js';

describe('cursors', () => {
  it('round-trips a sequence number under its kind, URL-safe', () => {
    for (const seq of [0, 1, 42, 2 ** 40, Number.MAX_SAFE_INTEGER]) {
      const cursor = encodeCursor('groups', seq);
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeCursor('groups', cursor, 'groupCursorInvalid')).toBe(seq);
    }
  });
  it('refuses a cursor of another kind, garbage, and out-of-range numbers with the given code', () => {
    const bad = [encodeCursor('users', 5), 'bm90LWEtY3Vyc29y', '', '!!!', Buffer.from('groups:-1').toString('base64url'), Buffer.from('groups:1e3').toString('base64url'), Buffer.from(`groups:${'9'.repeat(20)}`).toString('base64url')];
    for (const cursor of bad) {
      let err: unknown;
      try {
        decodeCursor('groups', cursor, 'groupCursorInvalid');
      } catch (e) {
        err = e;
      }
      expect(err, cursor).toBeInstanceOf(DomainError);
      expect((err as DomainError).code).toBe('groupCursorInvalid');
      expect((err as DomainError).params).toEqual({ cursor });
    }
  });
});

describe('numeric ids', () => {
  it('are digit strings that increase, below 2^53', () => {
    let last = 0;
    for (let i = 0; i < 2000; i++) {
      const id = numericId(1_800_000_000_000);
      expect(isNumericId(id)).toBe(true);
      expect(Number(id)).toBeGreaterThan(last);
      expect(Number.isSafeInteger(Number(id))).toBe(true);
      last = Number(id);
    }
  });
  it('tell ids that cannot be ours', () => {
    for (const id of ['', '0', '012', 'abc', '1'.repeat(17), '12 3', '-5', '１２３']) expect(isNumericId(id), id).toBe(false);
    expect(isNumericId('1796307505305173')).toBe(true);
  });
});
