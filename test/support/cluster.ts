// Helpers of the cluster suites (test/cluster): several qunliao servers on one PostgreSQL schema
// and one Redis, a Redis server of the test's own (never the machine's 6379), and the built server
// as separate OS processes (for kill -9).
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { Client } from './ws.js';
import type { Config } from '../../src/config.js';
import { databases, redisUrl, startApp, type TestApp } from './harness.js';
import { sleep } from './util.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const PG_URL = process.env.QUNLIAO_TEST_PG_URL;

/** The cluster suites need PostgreSQL and Redis; CI has both (harness.ts fails without them). */
export const clusterReady = databases.includes('postgres') && redisUrl !== undefined;

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

/** `n` listening servers on one new PostgreSQL schema, sharing `redis`. */
export async function startCluster(n: number, redis = redisUrl, overrides: Partial<Config> = {}): Promise<{ nodes: TestApp[]; addrs: string[] }> {
  const first = await startApp('postgres', { ...overrides, redis });
  const nodes = [first];
  for (let i = 1; i < n; i++) nodes.push(await startApp('postgres', { ...overrides, redis, db: first.config.db }));
  const addrs = await Promise.all(nodes.map((t) => t.qunliao.server.listen({ port: 0, host: '127.0.0.1' })));
  return { nodes, addrs };
}

export async function stopCluster(nodes: TestApp[]): Promise<void> {
  for (const t of nodes.slice(1).reverse()) await t.qunliao.server.close();
  await nodes[0]?.close();
}

/** A /ws device of `user` on the server at `addr`, with its own resource (its own positions). */
export async function device(t: TestApp, addr: string, user: string, resource: string): Promise<Client> {
  const token = await t.userToken(user);
  const c = new Client(user, new WebSocket(`${addr.replace('http', 'ws')}/acme/chat/ws?access_token=${encodeURIComponent(token)}&resource=${resource}`));
  await c.opened;
  return c;
}

/** Waits until presence (as `t` sees it) lists `count` processes for the user. */
export async function waitForPresence(t: TestApp, user: string, count: number, timeout = 5000): Promise<string[]> {
  const app = (await t.qunliao.services.apps.find('acme', 'chat'))!;
  const deadline = Date.now() + timeout;
  for (;;) {
    const where = await t.qunliao.services.fanout.processes(app.uuid, user);
    if (where.length === count) return where;
    if (Date.now() > deadline) throw new Error(`${user} is on ${JSON.stringify(where)}, not on ${count} processes`);
    await sleep(20);
  }
}

/** A redis-server of the test's own on a free port, keeping nothing on disk. */
export class OwnRedis {
  private child: ChildProcess | undefined;
  private constructor(readonly port: number) {}

  static async start(): Promise<OwnRedis> {
    const r = new OwnRedis(await freePort());
    await r.resume();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts it (again) on the same port. */
  async resume(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
      child.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out}`)));
    });
  }

  /** Stops it (SIGKILL: as abrupt as a crash). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

/** A database of its own for servers started as OS processes (they use its public schema). */
export async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `qunliao_cluster_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_URL!);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface ServerProcess {
  child: ChildProcess;
  addr: string;
  output: () => string;
}

/**
 * Where the cluster suites build the server: not dist/, which other suites build at the same time
 * (`npm start`). Under node_modules, so that the built files find the dependencies.
 */
export const BUILD_DIR = path.join(ROOT, 'node_modules/.cache/qunliao-cluster');

/** Builds the server into BUILD_DIR (as `npm run build` does into dist/). */
export async function buildServer(): Promise<void> {
  const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
  const child = spawn(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', BUILD_DIR], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`building the server failed:\n${out}`);
}

/** The built server (`node main.js`, see buildServer) with `env`, answered once it listens. */
export async function spawnServer(env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(BUILD_DIR, 'main.js')], {
    cwd: ROOT,
    env: { ...process.env, QUNLIAO_PORT: String(port), QUNLIAO_HOST: '127.0.0.1', QUNLIAO_LOG_LEVEL: 'warn', QUNLIAO_SCRYPT_COST: '1024', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 60_000);
    const check = () => {
      if (output.includes('serving the REST API on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
  return { child, addr: `http://127.0.0.1:${port}`, output: () => output };
}

export async function stopServer(p: ServerProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return p.child.exitCode;
  const exited = new Promise<number | null>((resolve) => p.child.once('exit', (code) => resolve(code)));
  p.child.kill(signal);
  return exited;
}
