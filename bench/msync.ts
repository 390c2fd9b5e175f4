// The client-protocol cases of the benchmark (bench/run.ts, section "msync"), on one qunliao of
// their own (issue 12):
//
// - fan-out: one group message at a time to BENCH_FANOUT_MEMBERS (default 1,000) connected
//   members, until the last has it — over msync (raw protobuf clients that answer NOTICE with a
//   pull and acknowledge by key, as the SDK does) and over the JSON /ws (median, p95);
// - 1:1 messages per second: BENCH_PAIRS sender/receiver pairs, every sender keeping
//   BENCH_WINDOW sends in flight, over msync, over the JSON /ws, and as REST sends (autocannon)
//   to receivers connected over msync; every receiver must get every message;
// - REST group sends per second to a BENCH_FANOUT_MEMBERS-member group nobody is connected to
//   against a 2-member group (small, large, large, small): the ratio should stay near 1, since a
//   message is written once whatever the group's size;
// - memory: the server's resident set size per idle connected msync client at
//   BENCH_IDLE_CLIENTS (default 5,000) connections.
//
// Users are seeded straight into SQLite (bench/seed-users.ts); tokens come from the `inherit`
// grant. This process holds every client socket.
import { readFile } from 'node:fs/promises';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type autocannon from 'autocannon';
import WebSocket, { type RawData } from 'ws';
import { Command, NameSpace, pb } from '../src/msync/schema.js';
import {
  APP,
  APP_PATH,
  SECONDS,
  appToken,
  call,
  fmt,
  freePorts,
  load,
  mapLimit,
  percentile,
  positiveInt,
  printTable,
  startQunliao,
  stopChild,
  summarize,
  tempDataDir,
  tooManyFailures,
  type Measurement,
  type Server,
  FANOUT_MEMBERS,
  FANOUT_ROUNDS,
} from './common.js';
import { seedUsers } from './seed-users.js';

const PAIRS = positiveInt('BENCH_PAIRS', 20);
const WINDOW = positiveInt('BENCH_WINDOW', 16);
const IDLE_CLIENTS = positiveInt('BENCH_IDLE_CLIENTS', 5000);
const SETUP_CONCURRENCY = 50;
const ROUND_TIMEOUT_MS = 60_000;
const APP_KEY = `${APP.org}#${APP.app}`;

const userName = (i: number) => `ms${String(i).padStart(6, '0')}`;
const toBuffer = (data: RawData): Buffer => (Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data));

type Obj = Record<string, unknown>;
const enc = (type: keyof typeof pb, body: Obj): Uint8Array => pb[type].encode(pb[type].fromObject(body)).finish();
const msync = (command: number, payload?: Uint8Array): Uint8Array => enc('MSync', payload ? { command, payload } : { command });
const dec = (type: keyof typeof pb, bytes: Uint8Array): Obj => pb[type].decode(bytes) as unknown as Obj;

/** A device talking msync the way the SDK does: NOTICE → pull, batches acknowledged by the next pull's key. */
export class MsyncPeer {
  readonly socket: WebSocket;
  /** Called with the text of every message received. */
  onText: (text: string) => void = () => undefined;
  received = 0;
  private readonly queues: Obj[] = [];
  private pulling: string | undefined;
  private dirty = false;
  private readonly acks = new Map<string, () => void>();
  private metaSeq = 0;
  private provisioned?: () => void;

  constructor(
    readonly username: string,
    url: string,
  ) {
    this.socket = new WebSocket(`${url.replace(/^http/, 'ws')}/websocket`, { perMessageDeflate: false });
    this.socket.on('message', (data) => this.onFrame(toBuffer(data)));
  }

  /** Call right after constructing (it waits for the socket to open). */
  async login(token: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
    });
    const done = new Promise<void>((resolve) => (this.provisioned = resolve));
    const provision = enc('Provision', { resource: `bench_${this.username}`, authToken: JSON.stringify({ token: `$t$${token}` }) });
    this.socket.send(
      enc('MSync', {
        command: Command.PROVISION,
        guid: { appKey: APP_KEY, name: this.username, domain: 'easemob.com' },
        auth: `$t$${token}`,
        payload: provision,
      }),
    );
    await done;
    this.socket.send(msync(Command.UNREAD));
  }

  private onFrame(bytes: Buffer): void {
    const m = dec('MSync', bytes);
    const payload = (m.payload as Uint8Array | undefined) ?? new Uint8Array();
    switch (Number(m.command ?? 0)) {
      case Command.PROVISION: {
        const p = dec('Provision', payload) as { status?: { errorCode?: number; reason?: string } };
        if (p.status?.errorCode !== 0) throw new Error(`${this.username}: provision refused: ${p.status?.reason}`);
        this.provisioned?.();
        return;
      }
      case Command.UNREAD:
        for (const q of (dec('CommUnreadDL', payload).unread as Obj[] | undefined) ?? []) this.want(q.queue as Obj);
        return;
      case Command.NOTICE:
        this.want(dec('CommNotice', payload).queue as Obj);
        return;
      case Command.SYNC: {
        const dl = dec('CommSyncDL', payload) as { metaId?: unknown; metas?: Obj[]; nextKey?: unknown; isLast?: boolean; queue?: Obj };
        const metaId = dl.metaId === undefined || dl.metaId === null ? '0' : String(dl.metaId);
        if (metaId !== '0') {
          this.acks.get(metaId)?.();
          this.acks.delete(metaId);
          return;
        }
        for (const meta of dl.metas ?? []) {
          if (Number(meta.ns) !== NameSpace.CHAT) continue;
          const body = dec('MessageBody', meta.payload as Uint8Array) as { contents?: { text?: string }[] };
          this.received++;
          this.onText(body.contents?.[0]?.text ?? '');
        }
        if (!dl.isLast && dl.nextKey !== undefined && dl.queue) return this.pull(dl.queue, String(dl.nextKey));
        this.pulling = undefined;
        if (this.dirty) {
          this.dirty = false;
          this.want(dl.queue ?? {});
        }
        this.next();
        return;
      }
    }
  }

  private want(queue: Obj): void {
    const name = String(queue.name ?? '');
    if (this.pulling === name) {
      this.dirty = true;
      return;
    }
    if (!this.queues.some((q) => q.name === name)) this.queues.push(queue);
    this.next();
  }

  private next(): void {
    if (this.pulling !== undefined) return;
    const queue = this.queues.shift();
    if (queue) this.pull(queue);
  }

  private pull(queue: Obj, key?: string): void {
    this.pulling = String(queue.name ?? '');
    this.socket.send(msync(Command.SYNC, enc('CommSyncUL', key === undefined ? { queue } : { queue, key })));
  }

  /** A 1:1 text message; resolves on its ack. */
  send(to: string, text: string): Promise<void> {
    const id = String(++this.metaSeq);
    const body = enc('MessageBody', { type: 1, from: { name: this.username }, to: { name: to }, contents: [{ type: 0, text }] });
    this.socket.send(
      msync(Command.SYNC, enc('CommSyncUL', { meta: { id, to: { appKey: APP_KEY, name: to, domain: 'easemob.com' }, ns: NameSpace.CHAT, payload: body } })),
    );
    return new Promise((resolve) => this.acks.set(id, resolve));
  }

  close(): void {
    this.socket.terminate();
  }
}

/** A device of the JSON /ws. */
export class WsPeer {
  readonly socket: WebSocket;
  onText: (text: string) => void = () => undefined;
  received = 0;
  private readonly acks = new Map<string, () => void>();
  private refSeq = 0;

  constructor(
    readonly username: string,
    url: string,
    token: string,
  ) {
    this.socket = new WebSocket(`${url.replace(/^http/, 'ws')}${APP_PATH}/ws?access_token=${encodeURIComponent(token)}`, { perMessageDeflate: false });
    this.socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { type?: string; ref?: string; message?: { body?: { msg?: string } } };
      if (frame.type === 'message') {
        this.received++;
        this.onText(frame.message?.body?.msg ?? '');
      } else if (frame.ref !== undefined) {
        this.acks.get(frame.ref)?.();
        this.acks.delete(frame.ref);
      }
    });
  }

  login(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
    });
  }

  send(to: string, text: string): Promise<void> {
    const ref = String(++this.refSeq);
    this.socket.send(JSON.stringify({ type: 'send', ref, chat_type: 'chat', to, msg_type: 'txt', body: { msg: text }, ext: {} }));
    return new Promise((resolve) => this.acks.set(ref, resolve));
  }

  close(): void {
    this.socket.terminate();
  }
}

type Peer = MsyncPeer | WsPeer;

interface Stats {
  min: number;
  median: number;
  p95: number;
  max: number;
}

function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0] ?? 0, median: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), max: sorted[sorted.length - 1] ?? 0 };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, problem: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(problem())), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resident set size of a child process (kB), from /proc. */
async function rssKb(child: ChildProcess): Promise<number> {
  const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
  const line = status.split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.replace(/\D+/g, '') ?? NaN);
}

/** Rounds of "POST one group message, wait until every member has it" (ms until the last). */
async function fanoutRounds(server: Server, adminToken: string, groupId: string, peers: Peer[], rounds: number): Promise<number[]> {
  const lasts: number[] = [];
  for (let i = 0; i <= rounds; i++) {
    const tag = `bench-fanout-${randomUUID()}`;
    let got = 0;
    const all = new Promise<void>((resolve) => {
      for (const p of peers) {
        p.onText = (text) => {
          if (text === tag && ++got === peers.length) resolve();
        };
      }
    });
    const started = performance.now();
    await call(server, 'POST', `${APP_PATH}/messages/chatgroups`, { from: 'admin', to: [groupId], type: 'txt', body: { msg: tag } }, adminToken);
    await withTimeout(all, ROUND_TIMEOUT_MS, () => `only ${got} of ${peers.length} members received the fan-out message`);
    // Round 0 warms up (first pulls, JIT); it is not counted.
    if (i > 0) lasts.push(performance.now() - started);
  }
  for (const p of peers) p.onText = () => undefined;
  return lasts;
}

/** Senders keep WINDOW sends in flight to their receivers for SECONDS; answers acknowledged messages per second. */
async function oneToOne(senders: Peer[], receivers: Peer[]): Promise<{ perSecond: number; sent: number; received: number }> {
  const before = receivers.reduce((n, r) => n + r.received, 0);
  let sent = 0;
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    senders.flatMap((sender, i) =>
      Array.from({ length: WINDOW }, async () => {
        while (performance.now() < deadline) {
          await sender.send(receivers[i]!.username, 'bench 1:1');
          sent++;
        }
      }),
    ),
  );
  const elapsed = (performance.now() - started) / 1000;
  await withTimeout(
    (async () => {
      while (receivers.reduce((n, r) => n + r.received, 0) - before < sent) await new Promise((r) => setTimeout(r, 20));
    })(),
    ROUND_TIMEOUT_MS,
    () => `the receivers got ${receivers.reduce((n, r) => n + r.received, 0) - before} of ${sent} messages`,
  );
  return { perSecond: sent / elapsed, sent, received: receivers.reduce((n, r) => n + r.received, 0) - before };
}

export async function runMsyncCases(): Promise<{ failed: boolean; json: unknown; print: () => void }> {
  const started = performance.now();
  const dir = await tempDataDir('msync');
  const env = { QUNLIAO_GROUP_MAX_USERS: String(Math.max(10_000, FANOUT_MEMBERS)) };
  // Users: the fan-out members (also the idle clients), the offline group's members, the pairs.
  const idle = Math.max(IDLE_CLIENTS, FANOUT_MEMBERS);
  const fan = Array.from({ length: FANOUT_MEMBERS }, (_, i) => userName(i));
  const offline = Array.from({ length: FANOUT_MEMBERS }, (_, i) => userName(idle + i));
  const pairs = Array.from({ length: 2 * PAIRS }, (_, i) => userName(idle + FANOUT_MEMBERS + i));
  const everyone = [...Array.from({ length: idle }, (_, i) => userName(i)), ...offline, ...pairs];

  const [setupPort, port] = await freePorts(2);
  const setupServer: Server = { name: 'qunliao', url: `http://127.0.0.1:${setupPort}` };
  const setupChild = await startQunliao('qunliao msync setup', setupPort!, dir, env);
  await call(setupServer, 'POST', `${APP_PATH}/users`, { username: everyone[0], password: 'pw' }, await appToken(setupServer));
  await stopChild(setupChild);
  const seeded = seedUsers(path.join(dir, 'qunliao.sqlite'), { org: APP.org, app: APP.app, template: everyone[0]!, usernames: everyone.slice(1) });
  console.error(`seeded ${seeded.users + 1} users into the msync app in ${fmt(seeded.seconds, 2)}s`);

  const server: Server = { name: 'qunliao', url: `http://127.0.0.1:${port}` };
  const child = await startQunliao('qunliao msync', port!, dir, env);
  const admin = await appToken(server);
  const createGroup = async (names: string[]): Promise<string> => {
    const [owner, ...members] = names;
    const { data } = await call(
      server,
      'POST',
      `${APP_PATH}/chatgroups`,
      { groupname: `bench ${names.length}`, public: true, owner, members: members.slice(0, 99), maxusers: Math.max(200, names.length) },
      admin,
    );
    const id = (data as { groupid?: unknown } | undefined)?.groupid;
    if (typeof id !== 'string') throw new Error(`creating a group answered ${JSON.stringify(data)}`);
    for (let i = 99; i < members.length; i += 60)
      await call(server, 'POST', `${APP_PATH}/chatgroups/${id}/users`, { usernames: members.slice(i, i + 60) }, admin);
    return id;
  };
  const tokens = new Map<string, string>();
  const tokenOf = async (username: string) => {
    let t = tokens.get(username);
    if (!t) {
      const { access_token: userToken } = await call(server, 'POST', `${APP_PATH}/token`, { grant_type: 'inherit', username }, admin);
      tokens.set(username, (t = String(userToken)));
    }
    return t;
  };
  const connectMsync = (names: string[]) =>
    mapLimit(names, SETUP_CONCURRENCY, async (name) => {
      const token = await tokenOf(name);
      const peer = new MsyncPeer(name, server.url);
      await peer.login(token);
      return peer;
    });
  const connectWs = (names: string[]) =>
    mapLimit(names, SETUP_CONCURRENCY, async (name) => {
      const peer = new WsPeer(name, server.url, await tokenOf(name));
      await peer.login();
      return peer;
    });

  let failed = false;
  const sendRuns: { case: string; members: number; m: Measurement }[] = [];
  let ratio = 0;
  const fanout: Record<'msync' | 'ws', Stats> = { msync: stats([]), ws: stats([]) };
  const throughput: Record<'msync' | 'ws' | 'rest', number> = { msync: 0, ws: 0, rest: 0 };
  const memory = { clients: 0, rssBeforeKb: 0, rssAfterKb: 0, perClientKb: 0 };
  try {
    const fanGroup = await createGroup(fan);
    const largeOffline = await createGroup(offline);
    const smallOffline = await createGroup(offline.slice(0, 2));

    // REST sends to a group nobody is connected to: 2 members against FANOUT_MEMBERS.
    const sendTo = (groupId: string): autocannon.Request => ({
      method: 'POST',
      path: `${APP_PATH}/messages/chatgroups`,
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ from: 'admin', to: [groupId], type: 'txt', body: { msg: 'hi' } }),
    });
    console.error('warming up…');
    await load(server.url, { duration: Math.min(SECONDS, 3), requests: [sendTo(smallOffline), sendTo(largeOffline)] });
    const runsOf: Record<'small' | 'large', Measurement[]> = { small: [], large: [] };
    for (const size of ['small', 'large', 'large', 'small'] as const) {
      console.error(`REST sends to the ${size} offline group for ${SECONDS}s…`);
      const m = summarize([await load(server.url, { requests: [sendTo(size === 'small' ? smallOffline : largeOffline)] })]);
      runsOf[size].push(m);
      if (tooManyFailures(`REST sends, ${size} group`, m)) failed = true;
    }
    const avg = (ms: Measurement[]) => ms.reduce((s, m) => s + m.reqPerSec, 0) / ms.length;
    for (const size of ['small', 'large'] as const) {
      const m = runsOf[size];
      sendRuns.push({
        case: `POST messages/chatgroups, ${size === 'small' ? 2 : FANOUT_MEMBERS} members, none connected`,
        members: size === 'small' ? 2 : FANOUT_MEMBERS,
        m: { ...m[0]!, reqPerSec: avg(m) },
      });
    }
    ratio = avg(runsOf.large) / avg(runsOf.small);

    // Fan-out over msync, then over the JSON /ws, to the same members.
    console.error(`connecting ${FANOUT_MEMBERS} msync clients…`);
    const msyncMembers = await connectMsync(fan);
    fanout.msync = stats(await fanoutRounds(server, admin, fanGroup, msyncMembers, FANOUT_ROUNDS));
    msyncMembers.forEach((p) => p.close());
    console.error(`connecting ${FANOUT_MEMBERS} /ws clients…`);
    const wsMembers = await connectWs(fan);
    fanout.ws = stats(await fanoutRounds(server, admin, fanGroup, wsMembers, FANOUT_ROUNDS));
    wsMembers.forEach((p) => p.close());

    // 1:1 messages per second.
    const senders = pairs.slice(0, PAIRS);
    const receivers = pairs.slice(PAIRS);
    for (const protocol of ['msync', 'ws'] as const) {
      console.error(`1:1 over ${protocol}, ${PAIRS} pairs × ${WINDOW} in flight, ${SECONDS}s…`);
      const connect = protocol === 'msync' ? connectMsync : connectWs;
      const [s, r] = [await connect(senders), await connect(receivers)];
      throughput[protocol] = (await oneToOne(s, r)).perSecond;
      [...s, ...r].forEach((p) => p.close());
    }
    console.error(`1:1 as REST sends to receivers connected over msync, ${SECONDS}s…`);
    const restReceivers = await connectMsync(receivers);
    let pick = 0;
    const restRun = await load(server.url, {
      connections: PAIRS,
      requests: [
        {
          method: 'POST',
          path: `${APP_PATH}/messages/users`,
          headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
          setupRequest: (req) => ({
            ...req,
            body: JSON.stringify({ from: senders[pick % PAIRS], to: [receivers[pick++ % PAIRS]], type: 'txt', body: { msg: 'bench 1:1' } }),
          }),
        },
      ],
    });
    const restM = summarize([restRun]);
    if (tooManyFailures('REST 1:1 sends', restM)) failed = true;
    throughput.rest = restM.reqPerSec;
    const accepted = restRun.result['2xx'];
    await withTimeout(
      (async () => {
        while (restReceivers.reduce((n, r) => n + r.received, 0) < accepted) await new Promise((r) => setTimeout(r, 20));
      })(),
      ROUND_TIMEOUT_MS,
      () => `the receivers got ${restReceivers.reduce((n, r) => n + r.received, 0)} of ${accepted} REST messages`,
    );
    restReceivers.forEach((p) => p.close());

    // Memory per idle msync client.
    await new Promise((r) => setTimeout(r, 1000));
    memory.rssBeforeKb = await rssKb(child);
    console.error(`connecting ${idle} idle msync clients…`);
    const idlers = await connectMsync(Array.from({ length: idle }, (_, i) => userName(i)));
    await new Promise((r) => setTimeout(r, 2000));
    memory.rssAfterKb = await rssKb(child);
    memory.clients = idlers.length;
    memory.perClientKb = (memory.rssAfterKb - memory.rssBeforeKb) / idlers.length;
    idlers.forEach((p) => p.close());
  } finally {
    await stopChild(child);
  }

  const print = () => {
    console.log(`\nClient protocols (issue 12): one qunliao, SQLite; ${((performance.now() - started) / 1000).toFixed(0)}s in all.\n`);
    printTable(
      ['REST group sends, nobody connected', 'members', 'req/s', 'p50 ms', 'p99 ms'],
      sendRuns.map((r) => [r.case, String(r.members), fmt(r.m.reqPerSec), fmt(r.m.p50MsExact, 2), fmt(r.m.p99MsExact, 2)]),
      1,
    );
    console.log(`large/small: ${fmt(ratio, 3)} (near 1: a message is written once, whatever the group's size)\n`);
    printTable(
      [`fan-out to ${FANOUT_MEMBERS} connected members, ms until the last`, 'min', 'median', 'p95', 'max'],
      (['msync', 'ws'] as const).map((p) => [
        p === 'msync' ? 'msync (NOTICE, pull, ack)' : 'JSON /ws (push)',
        ...[fanout[p].min, fanout[p].median, fanout[p].p95, fanout[p].max].map((v) => fmt(v, 1)),
      ]),
      1,
    );
    console.log('');
    printTable(
      [`1:1 messages/s, ${PAIRS} pairs`, 'msgs/s', 'vs msync'],
      (['msync', 'ws', 'rest'] as const).map((p) => [
        p === 'rest' ? 'REST sends (receivers on msync)' : p === 'ws' ? 'JSON /ws' : 'msync',
        fmt(throughput[p]),
        fmt(throughput[p] / Math.max(throughput.msync, 1e-9), 2),
      ]),
      1,
    );
    console.log(
      `\nMemory: ${memory.clients} idle msync clients: RSS ${fmt(memory.rssBeforeKb / 1024, 1)} → ${fmt(memory.rssAfterKb / 1024, 1)} MiB, ${fmt(memory.perClientKb, 1)} KiB per client\n`,
    );
  };
  const json = {
    sends: sendRuns.map((r) => ({ case: r.case, members: r.members, ...r.m })),
    sendRatioLargeSmall: ratio,
    fanoutMs: fanout,
    oneToOnePerSecond: throughput,
    memory,
    rounds: FANOUT_ROUNDS,
    pairs: PAIRS,
    window: WINDOW,
  };
  return { failed, json, print };
}
