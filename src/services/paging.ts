// Pages, in one place. Two kinds exist on the wire: numbered pages (`pagenum` / `pagesize`, read as
// an offset) and keyset pages (`limit` / `cursor`, see cursor.ts). Values arrive as query strings:
// decimal integers only; a page number too large to reach anything reads an empty page.
import { fail, type ErrorCode, type ErrorParams } from './errors.js';

/** The largest offset handed to a database: beyond it nothing can be found anyway. */
export const MAX_OFFSET = Number.MAX_SAFE_INTEGER;

export interface SizeRule {
  default: number;
  max: number;
  /** Above `max`: capped to it (the hosted lists), or refused (thread lists). */
  overMax: 'cap' | 'refuse';
}

/** Raises the error for a page parameter that is not what its route accepts. */
export type PageRefusal = (parameter: string, problem: string) => never;

const refuseQuery: PageRefusal = (parameter, problem) => fail('queryParameterInvalid', { parameter, problem });

/** A refusal that answers one catalog entry whatever the parameter (e.g. the thread pages' own texts). */
export function refuseWith(code: ErrorCode, params: ErrorParams = {}): PageRefusal {
  return () => fail(code, params);
}

/** A non-negative decimal integer as sent (a JSON-schema-free read of the query string); NaN otherwise. */
function wholeNumber(raw: unknown): number {
  if (typeof raw === 'number') return Number.isInteger(raw) && raw >= 0 ? raw : NaN;
  if (typeof raw !== 'string' || !/^\d{1,400}$/.test(raw)) return NaN;
  return Number(raw);
}

/** `pagesize` / `limit`: absent → the default; 0, negative or not a number → refused; over the max → per rule. */
export function pageSize(raw: unknown, rule: SizeRule, parameter: string, refuse: PageRefusal = refuseQuery): number {
  if (raw === undefined || raw === '') return rule.default;
  const n = wholeNumber(raw);
  if (Number.isNaN(n)) return refuse(parameter, 'must be a whole number');
  if (n < 1) return refuse(parameter, 'must be >= 1');
  if (n > rule.max) return rule.overMax === 'cap' ? rule.max : refuse(parameter, `must be <= ${rule.max}`);
  return n;
}

/** `pagenum`: absent → 1; pages are numbered from 1, and the docs' "page 0" is the first page too. */
export function pageNumber(raw: unknown, refuse: PageRefusal = refuseQuery): number {
  if (raw === undefined || raw === '') return 1;
  const n = wholeNumber(raw);
  if (Number.isNaN(n)) return refuse('pagenum', 'must be a whole number');
  return Math.max(n, 1);
}

export interface OffsetPage {
  offset: number;
  limit: number;
}

/** The rows a numbered page covers. */
export function numberedPage(pagenum: unknown, pagesize: unknown, rule: SizeRule, refuse: PageRefusal = refuseQuery): OffsetPage {
  const limit = pageSize(pagesize, rule, 'pagesize', refuse);
  const page = pageNumber(pagenum, refuse);
  return { offset: Math.min((page - 1) * limit, MAX_OFFSET), limit };
}

/** Keyset pages fetch one row more than asked: its presence says that a next page exists. */
export function probedPage<T>(rows: T[], limit: number): { items: T[]; hasMore: boolean } {
  return { items: rows.slice(0, limit), hasMore: rows.length > limit };
}
