// Usernames checked and folded in one place (src/services/usernames.ts); the query-string rules
// (src/http/query.ts) and the JSON screen before parsing (src/http/body-parsers.ts).
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/services/errors.js';
import { foldUsername, newUsername, username, usernames } from '../../src/services/usernames.js';
import { allQueryValues, parseQueryFirstWins } from '../../src/http/query.js';
import { JSON_MAX_DEPTH, screenJson } from '../../src/http/body-parsers.js';

const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return (err as DomainError).code;
  }
  return undefined;
};

describe('usernames', () => {
  it('fold legal names and keep illegal ones as sent, so that they find no one', () => {
    expect(username('Alice')).toBe('alice');
    expect(username('a.b-c_d')).toBe('a.b-c_d');
    expect(username('İ'.repeat(64))).toBe('İ'.repeat(64));
    expect(username('bad name')).toBe('bad name');
    expect(foldUsername('bad name')).toBeUndefined();
    expect(foldUsername('x'.repeat(65))).toBeUndefined();
    expect(foldUsername('X'.repeat(64))).toBe('x'.repeat(64));
    expect(usernames(['Bob', 'bob', 'BOB', 'carol'])).toEqual(['bob', 'carol']);
  });
  it('checks new names as the registration pages say', () => {
    expect(newUsername('NewUser')).toBe('newuser');
    expect(codeOf(() => newUsername('x'.repeat(65)))).toBe('usernameTooLong');
    expect(codeOf(() => newUsername('İ'.repeat(40)))).toBe('usernameTooLong');
    expect(codeOf(() => newUsername('a b'))).toBe('usernameIllegal');
    expect(codeOf(() => newUsername(''))).toBe('usernameIllegal');
    expect(codeOf(() => newUsername(5))).toBe('usernameIllegal');
  });
});

describe('query strings', () => {
  it('take the first value of a repeated key', () => {
    expect({ ...parseQueryFirstWins('sort=asc&sort=desc&limit=2') }).toEqual({ sort: 'asc', limit: '2' });
  });
  it('treat Object.prototype names as plain keys', () => {
    const q = parseQueryFirstWins('constructor=1&__proto__=2&toString=3');
    expect(Object.getPrototypeOf(q)).toBeNull();
    expect(q.constructor).toBe('1');
    expect(q['__proto__']).toBe('2');
    expect(q.toString).toBe('3');
    const all = allQueryValues('/x?__proto__=a&__proto__=b&hasOwnProperty=c');
    expect(Object.keys(all)).toEqual(['__proto__', 'hasOwnProperty']);
    expect(JSON.stringify(all)).toBe('{"__proto__":["a","b"],"hasOwnProperty":["c"]}');
  });
  it('decode + and percent escapes; broken escapes decode as URLSearchParams does', () => {
    expect({ ...parseQueryFirstWins('a=x+y&b=%E4%B8%AD&c=%E0%A4%A&d') }).toEqual({ a: 'x y', b: '中', c: new URLSearchParams('c=%E0%A4%A').get('c'), d: '' });
  });
});

describe('JSON screening', () => {
  const nest = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
  it('lets nesting up to the limit through and refuses deeper', () => {
    expect(() => screenJson(nest(JSON_MAX_DEPTH))).not.toThrow();
    expect(codeOf(() => screenJson(nest(JSON_MAX_DEPTH + 1)))).toBe('jsonTooDeep');
    expect(codeOf(() => screenJson(`{"a":${nest(100_000)}}`))).toBe('jsonTooDeep');
  });
  it('does not count brackets inside strings', () => {
    expect(() => screenJson(JSON.stringify({ a: '['.repeat(500), b: '\\"[[[' }))).not.toThrow();
  });
  it('refuses the \\u0000 escape, but not an escaped backslash before u0000', () => {
    expect(codeOf(() => screenJson('{"a":"x\\u0000y"}'))).toBe('nulCharacter');
    expect(codeOf(() => screenJson('{"a\\u0000":1}'))).toBe('nulCharacter');
    expect(() => screenJson('{"a":"\\\\u0000"}')).not.toThrow();
  });
});
