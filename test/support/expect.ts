// Assertions on the error bodies every endpoint answers with (REFERENCE §2f).
import { expect } from 'vitest';
import type { Reply } from './harness.js';

/**
 * An error reply: the status, the `error` (any string when not given), a string `exception`, number
 * `timestamp` and `duration`, and, when given, the `error_description` (exact, or matching a RegExp).
 */
export function expectError(res: Reply, status: number, error?: string, description?: string | RegExp): void {
  expect(res.status, res.text).toBe(status);
  expect(res.body, res.text).toMatchObject({ error: error ?? expect.any(String) });
  expect(typeof res.body.exception).toBe('string');
  expect(typeof res.body.timestamp).toBe('number');
  expect(typeof res.body.duration).toBe('number');
  if (typeof description === 'string') expect(res.body.error_description).toBe(description);
  else if (description) expect(res.body.error_description).toMatch(description);
}

/** An error body with exactly the documented fields, and a number `timestamp`. */
export function expectErrorBody(body: Record<string, unknown>): void {
  expect(Object.keys(body).sort()).toEqual(['duration', 'error', 'error_description', 'exception', 'timestamp']);
  expect(typeof body.timestamp).toBe('number');
}
