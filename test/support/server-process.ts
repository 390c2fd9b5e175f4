// The real server process for the end-to-end tests, started the way the README does (`npm start`:
// build, then node dist/main.js). Test files run in parallel and each start rebuilds dist/, so a
// start holds a lock from the build until the server has loaded (a process loading dist/ while
// another build rewrites it could read a half-written file).
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');

const LOCK = path.join(os.tmpdir(), `qunliao-build-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}.lock`);
/** A lock older than this was left by a test run that died: taken over. */
const STALE_MS = 5 * 60_000;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Runs `fn` while holding the build lock of this checkout (mkdir is atomic). */
export async function withBuildLock<T>(fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      try {
        if (Date.now() - fs.statSync(LOCK).mtimeMs > STALE_MS) fs.rmSync(LOCK, { recursive: true, force: true });
      } catch {
        // Released meanwhile.
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(LOCK, { recursive: true, force: true });
  }
}

export interface Running {
  child: ChildProcess;
  output: () => string;
}

/** `npm start` with `env` added; resolves once the server says it is serving. */
export function start(env: Record<string, string>): Promise<Running> {
  return withBuildLock(
    () =>
      new Promise<Running>((resolve, reject) => {
        // Its own process group, so that stopping it stops npm and the node process under it.
        const child = spawn('npm', ['start', '--silent'], { cwd: ROOT, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout!.on('data', (d) => (output += d));
        child.stderr!.on('data', (d) => (output += d));
        const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 90_000);
        const check = () => {
          if (output.includes('serving the REST API on')) {
            clearTimeout(timer);
            resolve({ child, output: () => output });
          }
        };
        child.stdout!.on('data', check);
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`server exited with ${code}:\n${output}`));
        });
      }),
  );
}

export async function stop(running: Running | undefined): Promise<void> {
  if (!running || running.child.exitCode !== null) return;
  const exited = new Promise((resolve) => running.child.once('exit', resolve));
  process.kill(-running.child.pid!, 'SIGTERM');
  await exited;
}
