// Reads the server's own error log, so that a 500 found by the fuzzer is reported with its cause
// (the unhandled error's type, message and first frame in src/) rather than as a bare status.
// The apps of the fuzz suites log at level "error" to pino's default destination (fd 1, written with
// fs.write / fs.writeSync); this tap takes those JSON lines out of the output and indexes them by
// request id, which every answer carries in `x-request-id`.
import fs from 'node:fs';

interface LoggedError {
  type: string;
  message: string;
  where: string;
}

const byRequest = new Map<string, LoggedError>();
let installed = false;

function take(data: unknown): boolean {
  const text = typeof data === 'string' ? data : Buffer.isBuffer(data) ? data.toString('utf8') : undefined;
  if (!text || !text.startsWith('{"level":')) return false;
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const entry = JSON.parse(line) as { reqId?: string; err?: { type?: string; message?: string; stack?: string }; msg?: string };
      if (entry.reqId && entry.err) {
        const frame = /\((\/[^)]*\/src\/[^)]+)\)/.exec(entry.err.stack ?? '')?.[1] ?? /at (\/[^ ]*\/src\/\S+)/.exec(entry.err.stack ?? '')?.[1] ?? '';
        byRequest.set(entry.reqId, {
          type: entry.err.type ?? 'Error',
          message: entry.err.message ?? entry.msg ?? '',
          where: frame.replace(/^.*\/src\//, 'src/').replace(/:\d+$/, ''),
        });
      }
    } catch {
      // Not one of ours after all: drop it quietly (it was a log line).
    }
  }
  return true;
}

/** Starts taking pino's lines off fd 1 (idempotent). */
export function installLogTap(): void {
  if (installed) return;
  installed = true;
  const writeSync = fs.writeSync;
  const write = fs.write;
  (fs as unknown as { writeSync: unknown }).writeSync = function (fd: number, data: unknown, ...rest: unknown[]) {
    if (fd === 1 && take(data)) return typeof data === 'string' ? Buffer.byteLength(data) : (data as Buffer).length;
    return (writeSync as (...a: unknown[]) => number).call(fs, fd, data, ...rest);
  };
  (fs as unknown as { write: unknown }).write = function (fd: number, data: unknown, ...rest: unknown[]) {
    if (fd === 1 && take(data)) {
      const callback = rest.find((r) => typeof r === 'function') as ((err: null, n: number) => void) | undefined;
      const n = typeof data === 'string' ? Buffer.byteLength(data) : (data as Buffer).length;
      if (callback) process.nextTick(callback, null, n);
      return;
    }
    return (write as (...a: unknown[]) => void).call(fs, fd, data, ...rest);
  };
}

/** The logged cause of the request's unhandled error, once its line has been written. */
export function loggedCause(requestId: unknown): string | undefined {
  const e = typeof requestId === 'string' ? byRequest.get(requestId) : undefined;
  return e && `${e.type}: ${e.message.slice(0, 200)}${e.where ? ` (${e.where})` : ''}`;
}
