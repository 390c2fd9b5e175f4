// The invariants every answer must keep, the record of what broke them, and the fast-check runner.
//
// A family runs its cases and collects every distinct failure instead of stopping at the first, so
// that one run reports all of them; each failure names the seed and the case index, and
// `FUZZ_SEED=<seed> FUZZ_PATH=<index> npm run fuzz -- -t "<test name>"` replays that one case.
import fc from 'fast-check';
import { loggedCause } from './log-tap.js';

export interface Answer {
  status: number;
  headers: Record<string, unknown>;
  text: string;
}

/** Text that only an unhandled internal error would put in an error_description. */
const INTERNAL = /Maximum call stack|Cannot read propert|is not a function|is not iterable|undefined is not|SQLITE_|violates|deadlock|invalid byte sequence|duplicate key value|null value in column|TypeError|RangeError|ReferenceError|ECONN|out of range for type/i;

/** What is wrong with an answer to `method`, or undefined when it keeps every invariant. */
export function violation(method: string, answer: Answer): string | undefined {
  if (answer.status >= 500) return `answered ${answer.status}`;
  if (answer.status < 400) return undefined;
  // A HEAD answer has no body to check.
  if (method === 'HEAD') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    body = undefined;
  }
  const b = body as Record<string, unknown> | undefined;
  if (
    !b ||
    typeof b !== 'object' ||
    typeof b.error !== 'string' ||
    typeof b.error_description !== 'string' ||
    typeof b.exception !== 'string' ||
    typeof b.timestamp !== 'number' ||
    typeof b.duration !== 'number'
  ) {
    return `answered ${answer.status} without the Easemob error body`;
  }
  if (!/json/i.test(String(answer.headers['content-type'] ?? ''))) return `answered ${answer.status} with an error body not labelled JSON`;
  if (INTERNAL.test(b.error_description)) return `answered ${answer.status} with an internal error in error_description`;
  return undefined;
}

/** A short, stable description of an error answer, for grouping failures by cause. */
export function errorKey(answer: Answer): string {
  let b: Record<string, unknown> | undefined;
  try {
    b = JSON.parse(answer.text) as Record<string, unknown>;
  } catch {
    b = undefined;
  }
  if (!b || typeof b !== 'object') return answer.text ? `body ${normalise(answer.text)}` : 'empty body';
  return `${String(b.error ?? b.message ?? '?')}: ${normalise(String(b.error_description ?? b.message ?? ''))}`;
}

/** Digits and long runs collapsed, so that one cause gives one key. */
export function normalise(text: string): string {
  return text
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<uuid>')
    .replace(/\d+/g, '#')
    .replace(/(.)\1{9,}/g, '$1…')
    .slice(0, 120);
}

/** Shortens a string for a report, keeping both ends. */
export function clip(text: string, max = 300): string {
  const printable = JSON.stringify(text);
  return printable.length <= max ? printable : `${printable.slice(0, max / 2)}…(${printable.length} chars)…${printable.slice(-max / 4)}`;
}

/** The cause of a failed answer: the logged unhandled error of a 5xx, else the error body's key. */
export async function causeOf(answer: Answer): Promise<string> {
  if (answer.status >= 500) {
    // The log line is written just before the answer; give its write a turn to land.
    await new Promise((resolve) => setImmediate(resolve));
    const logged = loggedCause(answer.headers['x-request-id']);
    if (logged) return logged;
  }
  return errorKey(answer);
}

interface Finding {
  signature: string;
  example: string;
  run: number;
  count: number;
  routes: Set<string>;
}

/** Every distinct failure of one family (one per problem and cause), with its first example. */
export class Findings {
  private readonly bySignature = new Map<string, Finding>();

  constructor(readonly family: string) {}

  /** `problem` says which invariant broke, `cause` why (grouping key), `route` where. */
  add(run: number, problem: string, cause: string, route: string, example: string): void {
    const signature = `${problem} — ${cause}`;
    const known = this.bySignature.get(signature);
    if (known) {
      known.count++;
      known.routes.add(route);
    } else {
      this.bySignature.set(signature, { signature, example, run, count: 1, routes: new Set([route]) });
    }
  }

  get size(): number {
    return this.bySignature.size;
  }

  /** One entry per distinct failure: signature, count, routes, an example and how to replay it. */
  lines(): string[] {
    return [...this.bySignature.values()].map((f) => {
      const routes = [...f.routes];
      const where = routes.length > 8 ? `${routes.slice(0, 8).join(', ')} and ${routes.length - 8} more` : routes.join(', ');
      const replay = f.run >= 0 ? `\n    replay: FUZZ_SEED=${FUZZ.seed} FUZZ_PATH=${f.run} npm run fuzz -- -t "${this.family}"` : '';
      return `${f.signature} (×${f.count})\n    on: ${where}\n    example: ${f.example}${replay}`;
    });
  }
}

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`${name} must be an integer, not ${v}`);
  return n;
}

/** The run's settings: FUZZ_SEED (random when unset), FUZZ_RUNS (cases per family), FUZZ_PATH (replay one case). */
export const FUZZ = {
  seed: envInt('FUZZ_SEED') ?? (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) >>> 1,
  runsOverride: envInt('FUZZ_RUNS'),
  path: envInt('FUZZ_PATH'),
};

/** Cases for a family: its default inside `npm test`, FUZZ_RUNS (scaled by `share`) when set, one when replaying. */
export function runsFor(base: number, share = 1): number {
  if (FUZZ.path !== undefined) return 1;
  if (FUZZ.runsOverride !== undefined) return Math.max(1, Math.round(FUZZ.runsOverride * share));
  return base;
}

/** A per-test timeout that grows with the number of cases. */
export function timeoutFor(runs: number, msPerRun: number): number {
  return 120_000 + runs * msPerRun;
}

function familySeed(family: string): number {
  let h = FUZZ.seed | 0;
  for (const c of family) h = (Math.imul(h, 31) + c.charCodeAt(0)) | 0;
  return h;
}

/**
 * Runs `runs` cases of `arb` through `exec`, which records failures in the returned Findings
 * (and throws only for a fault of the harness itself). Cases are numbered from 0 in generation
 * order, so a failure's number is the FUZZ_PATH that replays it.
 */
export async function fuzz<T>(
  family: string,
  arb: fc.Arbitrary<T>,
  runs: number,
  exec: (value: T, run: number, findings: Findings) => Promise<void>,
  /** Cases run first (numbered first too): a corpus of the causes found so far. */
  examples: T[] = [],
): Promise<Findings> {
  const findings = new Findings(family);
  let run = FUZZ.path ?? 0;
  const details = await fc.check(
    fc.asyncProperty(arb, async (value) => {
      await exec(value, run++, findings);
      return true;
    }),
    {
      seed: familySeed(family),
      // The examples come on top of the generated cases.
      numRuns: FUZZ.path === undefined ? runs + examples.length : 1,
      path: FUZZ.path === undefined ? undefined : String(FUZZ.path),
      examples: examples.map((e) => [e] as [T]),
      endOnFailure: true,
    },
  );
  if (details.failed) {
    throw new Error(`fuzz harness fault in ${family} (FUZZ_SEED=${FUZZ.seed} FUZZ_PATH=${run - 1}):\n${fc.defaultReportMessage(details)}`);
  }
  return findings;
}
