// The one paging module (src/services/paging.ts): every edge of page sizes and numbers.
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/services/errors.js';
import { MAX_OFFSET, numberedPage, pageNumber, pageSize, probedPage, refuseWith, type SizeRule } from '../../src/services/paging.js';

const CAP: SizeRule = { default: 10, max: 100, overMax: 'cap' };
const REFUSE: SizeRule = { default: 50, max: 50, overMax: 'refuse' };

const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return err instanceof DomainError ? { code: err.code, params: err.params } : err;
  }
  return undefined;
};

describe('page sizes', () => {
  it('takes the default when absent or empty', () => {
    expect(pageSize(undefined, CAP, 'limit')).toBe(10);
    expect(pageSize('', CAP, 'limit')).toBe(10);
  });
  it('reads decimal strings and numbers', () => {
    expect(pageSize('7', CAP, 'limit')).toBe(7);
    expect(pageSize(7, CAP, 'limit')).toBe(7);
    expect(pageSize('007', CAP, 'limit')).toBe(7);
  });
  it('caps above the max, or refuses, as the rule says', () => {
    expect(pageSize('5000', CAP, 'limit')).toBe(100);
    expect(pageSize(`9${'9'.repeat(50)}`, CAP, 'limit')).toBe(100);
    expect(refusal(() => pageSize('51', REFUSE, 'limit'))).toEqual({ code: 'queryParameterInvalid', params: { parameter: 'limit', problem: 'must be <= 50' } });
    expect(pageSize('50', REFUSE, 'limit')).toBe(50);
  });
  it('refuses 0, negative and non-numeric values', () => {
    expect(refusal(() => pageSize('0', CAP, 'pagesize'))).toEqual({ code: 'queryParameterInvalid', params: { parameter: 'pagesize', problem: 'must be >= 1' } });
    for (const raw of ['-1', 'abc', '1.5', '1e3', ' 5', '0x10', -3, 2.5, Number.NaN]) {
      expect(refusal(() => pageSize(raw, CAP, 'pagesize')), String(raw)).toMatchObject({ code: 'queryParameterInvalid', params: { parameter: 'pagesize' } });
    }
  });
  it('raises the caller’s error when given one', () => {
    expect(refusal(() => pageSize('abc', REFUSE, 'limit', refuseWith('threadQueryLimit')))).toEqual({ code: 'threadQueryLimit', params: {} });
  });
});

describe('page numbers', () => {
  it('numbers pages from 1; page 0 and absent are the first page', () => {
    expect(pageNumber(undefined)).toBe(1);
    expect(pageNumber('0')).toBe(1);
    expect(pageNumber('1')).toBe(1);
    expect(pageNumber('3')).toBe(3);
  });
  it('refuses negative and non-numeric page numbers', () => {
    for (const raw of ['-1', 'x', '2.0']) expect(refusal(() => pageNumber(raw))).toMatchObject({ code: 'queryParameterInvalid', params: { parameter: 'pagenum' } });
  });
});

describe('numbered pages', () => {
  it('turns page and size into an offset', () => {
    expect(numberedPage('3', '20', CAP)).toEqual({ offset: 40, limit: 20 });
    expect(numberedPage(undefined, undefined, CAP)).toEqual({ offset: 0, limit: 10 });
    expect(numberedPage('2', '5000', CAP)).toEqual({ offset: 100, limit: 100 });
  });
  it('keeps the offset of a huge page number within what databases take', () => {
    expect(numberedPage('99999999999999999999', '10', CAP)).toEqual({ offset: MAX_OFFSET, limit: 10 });
    expect(Number.isSafeInteger(numberedPage(`9${'9'.repeat(300)}`, '100', CAP).offset)).toBe(true);
  });
});

describe('keyset pages', () => {
  it('tells whether a next page exists from the one row more', () => {
    expect(probedPage([1, 2, 3], 2)).toEqual({ items: [1, 2], hasMore: true });
    expect(probedPage([1, 2], 2)).toEqual({ items: [1, 2], hasMore: false });
    expect(probedPage([], 2)).toEqual({ items: [], hasMore: false });
  });
});
