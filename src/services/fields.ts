// Reading request fields in services: each check names the documented error to raise.
import { DomainError, fail, type ErrorCode, type ErrorParams } from './errors.js';

export type Fields = Record<string, unknown>;

/** The JSON object a request must carry; anything else raises `code`. */
export function objectBody(body: unknown, code: ErrorCode, params: ErrorParams = {}): Fields {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new DomainError(code, params);
  return body as Fields;
}

/** Length in characters (code points), so that Chinese text counts one per character. */
export function charLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** A list of usernames from a JSON array of strings; raises `code` for anything else. */
export function stringArray(value: unknown, code: ErrorCode, params: ErrorParams = {}): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new DomainError(code, params);
  return value as string[];
}

/** A comma list from a URL segment ("u1,u2" or "u1%2Cu2", already decoded), without empties or repeats. */
export function commaList(segment: string): string[] {
  // One id, the common case (GET /chatgroups/{id}): no split, no set.
  if (!segment.includes(',')) {
    const one = segment.trim();
    return one.length > 0 ? [one] : [];
  }
  return [...new Set(segment.split(',').map((s) => s.trim()).filter((s) => s.length > 0))];
}

/** The errors a family raises for fields of the wrong type (each entry takes `{field}`). */
export interface FieldTypeErrors {
  notString: ErrorCode;
  notBool: ErrorCode;
}

/** Optional fields of one request body, read with the type errors of its family. */
export class FieldReader {
  constructor(
    readonly fields: Fields,
    private readonly errors: FieldTypeErrors,
  ) {}

  /** An optional string of at most `max` (counted by `count`); `tooLong` raises the documented error. */
  string(key: string, max: number, tooLong: () => never, count: (s: string) => number = charLength): string | undefined {
    const v = this.fields[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') fail(this.errors.notString, { field: key });
    if (count(v) > max) tooLong();
    return v;
  }

  /** An optional boolean (JSON true/false only). */
  bool(key: string): boolean | undefined {
    const v = this.fields[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') fail(this.errors.notBool, { field: key });
    return v;
  }
}
