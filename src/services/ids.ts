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
