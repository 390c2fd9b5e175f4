// Numeric string ids for groups, chatrooms and threads, shaped like the hosted ones: a millisecond
// timestamp with three more digits (16 digits today, below 2^53 so that clients that parse them
// as numbers — the thread seed sends group_id as a JSON number — lose nothing). Increasing within
// a process; the random low part keeps processes apart, and callers retry on the rare clash.
import { randomInt } from 'node:crypto';

let lastId = 0;

export function numericId(now: number = Date.now()): string {
  const next = Math.max(now * 1000 + randomInt(0, 500), lastId + 1);
  lastId = next;
  return String(next);
}

/** True for ids numericId could have produced (digits only, no leading zero, at most 16 digits). */
export function isNumericId(id: string): boolean {
  return /^[1-9][0-9]{0,15}$/.test(id);
}

/** Processes told apart in message ids (the low three digits). */
export const WORKERS = 1000;

// Until start-up has drawn a worker number (Redis or the database), a random one.
let worker = randomInt(0, WORKERS);
let lastMs = 0;
let counter = 0;

/**
 * This process's worker number, drawn once at start from a counter every process shares (Redis
 * INCR, or a PostgreSQL sequence): two processes running at once get different numbers as long as
 * fewer than 1,000 start between them.
 */
export function setWorker(n: number): void {
  worker = ((n % WORKERS) + WORKERS) % WORKERS;
}

export function currentWorker(): number {
  return worker;
}

/**
 * Message ids, 19 digits like the hosted ones: milliseconds × 10^6 + a counter within the
 * millisecond × 1,000 + the worker number. Strictly increasing within a process (past 1,000 ids in
 * one millisecond it borrows the next one), increasing with time across processes, and never the
 * same on two processes with different worker numbers.
 */
export function nextMessageId(now: number): string {
  if (now > lastMs) {
    lastMs = now;
    counter = 0;
  } else if (++counter >= WORKERS) {
    lastMs++;
    counter = 0;
  }
  return (BigInt(lastMs) * 1_000_000n + BigInt(counter * WORKERS + worker)).toString();
}
