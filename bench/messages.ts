// Message cases of the benchmark (bench/run.ts), on one qunliao of their own:
//
// - REST group send throughput: POST /messages/chatgroups to a group of 100 members none of whom
//   is connected (the message is stored and queued for each of them), and to a group of
//   BENCH_FANOUT_MEMBERS (default 1,000) members all connected over WebSocket (queued for each,
//   pushed to each connection, taken off the queues again);
// - fan-out latency: one message at a time to that group, from just before the POST until the
//   last member's socket received it, BENCH_FANOUT_ROUNDS (default 20) times.
//
// The members are inserted into SQLite with the password hash of one user registered through the
// API (bench/seed-users.ts); the groups are created through the API, the members' tokens come from
// the `inherit` grant (no hashing), and this process holds every member's WebSocket.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type autocannon from 'autocannon';
import WebSocket, { type RawData } from 'ws';
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

const OFFLINE_MEMBERS = 100;
/** Concurrent token requests and WebSocket handshakes while connecting the members. */
const SETUP_CONCURRENCY = 50;
/** How long every member may take to receive one message: a round, or the catch-up after a load run. */
const ROUND_TIMEOUT_MS = 30_000;
const DRAIN_TIMEOUT_MS = 180_000;

const fanName = (i: number) => `fan${String(i).padStart(6, '0')}`;
const offName = (i: number) => `off${String(i).padStart(6, '0')}`;

interface Client {
  username: string;
  socket: WebSocket;
  /** Message frames received so far. */
  frames: number;
  /** The last round whose message this client received. */
  round: number;
}

interface Round {
  id: number;
  tag: string;
  /** performance.now() of each member's receipt, in arrival order. */
  arrivals: number[];
  /** One member's frame, checked against the REST answer afterwards. */
  sample?: string;
  done: () => void;
}

const toBuffer = (data: RawData): Buffer => (Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data));

async function withTimeout<T>(promise: Promise<T>, ms: number, problem: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(problem())), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** The connected members of one group, and rounds of "send one message, wait until all have it". */
class Members {
  readonly clients: Client[] = [];
  closed = 0;
  private current: Round | undefined;
  private rounds = 0;

  constructor(
    private readonly server: Server,
    private readonly appToken: string,
    private readonly groupId: string,
  ) {}

  async connect(tokens: string[], usernames: string[]): Promise<void> {
    const wsUrl = this.server.url.replace(/^http/, 'ws');
    await mapLimit(usernames, SETUP_CONCURRENCY, async (username, i) => {
      const socket = new WebSocket(`${wsUrl}${APP_PATH}/ws?access_token=${encodeURIComponent(tokens[i] ?? '')}`, { perMessageDeflate: false });
      const client: Client = { username, socket, frames: 0, round: 0 };
      socket.on('message', (data) => this.onFrame(client, data));
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
        socket.once('unexpected-response', (_req, res) => reject(new Error(`${username}: the upgrade answered ${res.statusCode}`)));
      });
      socket.on('close', () => this.closed++);
      this.clients.push(client);
    });
  }

  private onFrame(client: Client, data: RawData): void {
    client.frames++;
    const round = this.current;
    if (!round || client.round === round.id) return;
    const frame = toBuffer(data);
    if (!frame.includes(round.tag)) return;
    client.round = round.id;
    round.arrivals.push(performance.now());
    round.sample ??= frame.toString();
    if (round.arrivals.length === this.clients.length) round.done();
  }

  frameCounts(): number[] {
    return this.clients.map((c) => c.frames);
  }

  /**
   * POSTs one message to the group and waits until every member received it. Times from just
   * before the POST (ms): its answer, the first member's receipt and the last one's.
   */
  async round(timeoutMs: number): Promise<{ restMs: number; firstMs: number; lastMs: number }> {
    const id = ++this.rounds;
    const tag = `bench-round-${id}-${randomUUID()}`;
    let round: Round | undefined;
    const all = new Promise<void>((resolve) => {
      round = { id, tag, arrivals: [], done: resolve };
    });
    this.current = round;
    const r = round!;
    try {
      const started = performance.now();
      const res = await fetch(`${this.server.url}${APP_PATH}/messages/chatgroups`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.appToken}` },
        body: JSON.stringify({ from: 'admin', to: [this.groupId], type: 'txt', body: { msg: tag } }),
      });
      const text = await res.text();
      const answered = performance.now();
      if (!res.ok) throw new Error(`POST /messages/chatgroups → ${res.status}: ${text}`);
      const msgId = (JSON.parse(text) as { data?: Record<string, unknown> }).data?.[this.groupId];
      await withTimeout(
        all,
        timeoutMs,
        () => `only ${r.arrivals.length} of ${this.clients.length} members received message ${tag} within ${timeoutMs / 1000}s (${this.closed} sockets closed)`,
      );
      const delivered = JSON.parse(r.sample ?? '{}') as { type?: unknown; message?: { id?: unknown; to?: unknown; chat_type?: unknown } };
      if (delivered.type !== 'message' || delivered.message?.id !== msgId || delivered.message?.to !== this.groupId || delivered.message?.chat_type !== 'groupchat') {
        throw new Error(`message ${String(msgId)} was delivered as ${r.sample}`);
      }
      return { restMs: answered - started, firstMs: (r.arrivals[0] ?? NaN) - started, lastMs: (r.arrivals[r.arrivals.length - 1] ?? NaN) - started };
    } finally {
      this.current = undefined;
    }
  }

  close(): void {
    for (const c of this.clients) c.socket.terminate();
  }
}

interface SendResult extends Measurement {
  case: string;
  members: number;
  connected: number;
  /** Frames each connected member received for the run (min and max over members); 0 when none is connected. */
  framesPerMemberMin: number;
  framesPerMemberMax: number;
  /** Messages the server accepted (2xx). */
  accepted: number;
}

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

/** Runs the message cases; `print` shows their tables. */
export async function runMessageCases(): Promise<{ failed: boolean; json: unknown; print: () => void }> {
  const started = performance.now();
  const dir = await tempDataDir('messages');
  // Room for a fan-out group bigger than the default 10,000 members.
  const env = { QUNLIAO_GROUP_MAX_USERS: String(Math.max(10_000, FANOUT_MEMBERS)) };
  const fanNames = Array.from({ length: FANOUT_MEMBERS }, (_, i) => fanName(i));
  const offNames = Array.from({ length: OFFLINE_MEMBERS }, (_, i) => offName(i));

  // One user through the API (one scrypt hash), the rest straight into SQLite with its hash.
  const [setupPort, port] = await freePorts(2);
  const setupServer: Server = { name: 'qunliao', url: `http://127.0.0.1:${setupPort}` };
  const setupChild = await startQunliao('qunliao messages setup', setupPort!, dir, env);
  await call(setupServer, 'POST', `${APP_PATH}/users`, { username: fanName(0), password: 'pw' }, await appToken(setupServer));
  await stopChild(setupChild);
  const seeded = seedUsers(path.join(dir, 'qunliao.sqlite'), { org: APP.org, app: APP.app, template: fanName(0), usernames: [...fanNames.slice(1), ...offNames] });
  console.error(`seeded ${seeded.users} users into the messages app in ${fmt(seeded.seconds, 2)}s`);

  const server: Server = { name: 'qunliao', url: `http://127.0.0.1:${port}` };
  const child = await startQunliao('qunliao messages', port!, dir, env);
  const token = await appToken(server);
  const createGroup = async (names: string[]): Promise<string> => {
    const [owner, ...members] = names;
    const { data } = await call(
      server,
      'POST',
      `${APP_PATH}/chatgroups`,
      { groupname: `bench ${names.length}`, public: true, owner, members, maxusers: Math.max(200, names.length) },
      token,
    );
    const id = (data as { groupid?: unknown } | undefined)?.groupid;
    if (typeof id !== 'string') throw new Error(`creating a group answered ${JSON.stringify(data)}`);
    return id;
  };
  const offlineGroup = await createGroup(offNames);
  const fanoutGroup = await createGroup(fanNames);

  console.error(`getting ${FANOUT_MEMBERS} user tokens and connecting ${FANOUT_MEMBERS} WebSockets…`);
  const tokenStarted = performance.now();
  const tokens = await mapLimit(fanNames, SETUP_CONCURRENCY, async (username) => {
    const { access_token: userToken } = await call(server, 'POST', `${APP_PATH}/token`, { grant_type: 'inherit', username }, token);
    if (typeof userToken !== 'string') throw new Error(`no token for ${username}`);
    return userToken;
  });
  const tokenSeconds = (performance.now() - tokenStarted) / 1000;
  const connectStarted = performance.now();
  const members = new Members(server, token, fanoutGroup);
  const results: SendResult[] = [];
  let failed = false;
  const fanout: { restMs: number; firstMs: number; lastMs: number }[] = [];
  let connectSeconds = 0;
  let prepareSeconds = 0;
  try {
    await members.connect(tokens, fanNames);
    connectSeconds = (performance.now() - connectStarted) / 1000;
    // Every member is subscribed and done with its queue once each has received a message sent now.
    await members.round(DRAIN_TIMEOUT_MS);
    prepareSeconds = (performance.now() - started) / 1000;
    console.error(`connected in ${fmt(connectSeconds, 1)}s (tokens ${fmt(tokenSeconds, 1)}s), every member receives`);

    const sendTo = (groupId: string): autocannon.Request => ({
      method: 'POST',
      path: `${APP_PATH}/messages/chatgroups`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ from: 'admin', to: [groupId], type: 'txt', body: { msg: 'hi' } }),
    });

    console.error('warming up the messages app…');
    await load(server.url, { duration: Math.min(SECONDS, 3), requests: [sendTo(offlineGroup), sendTo(fanoutGroup)] });
    await members.round(DRAIN_TIMEOUT_MS);

    const sendCases = [
      { name: `POST messages/chatgroups, ${OFFLINE_MEMBERS} members offline`, groupId: offlineGroup, members: OFFLINE_MEMBERS, connected: 0 },
      { name: `POST messages/chatgroups, ${FANOUT_MEMBERS} members connected`, groupId: fanoutGroup, members: FANOUT_MEMBERS, connected: FANOUT_MEMBERS },
    ];
    for (const c of sendCases) {
      console.error(`running "${c.name}" for ${SECONDS}s…`);
      const before = members.frameCounts();
      const run = await load(server.url, { requests: [sendTo(c.groupId)] });
      // Wait until the members have caught up with everything sent during the run.
      await members.round(DRAIN_TIMEOUT_MS);
      const m = summarize([run]);
      // Frames of this run per member: everything since `before`, less the catch-up round's one.
      const deltas = members.frameCounts().map((n, i) => n - (before[i] ?? 0) - 1);
      const accepted = run.result['2xx'];
      const result: SendResult = {
        case: c.name,
        members: c.members,
        connected: c.connected,
        ...m,
        accepted,
        framesPerMemberMin: c.connected > 0 ? Math.min(...deltas) : 0,
        framesPerMemberMax: c.connected > 0 ? Math.max(...deltas) : 0,
      };
      results.push(result);
      if (tooManyFailures(`"${c.name}"`, m)) failed = true;
      // Every accepted message reaches every member; a request the run ended on may have been sent
      // without its answer being counted, hence "at least".
      if (c.connected > 0 && result.framesPerMemberMin < accepted) {
        console.warn(`WARNING: "${c.name}": a member received ${result.framesPerMemberMin} messages of the ${accepted} the server accepted`);
        failed = true;
      }
      if (c.connected === 0 && Math.max(...deltas) > 0) {
        console.warn(`WARNING: "${c.name}": members of the other group received ${Math.max(...deltas)} of its messages`);
        failed = true;
      }
    }

    console.error(`measuring fan-out to ${FANOUT_MEMBERS} connected members, ${FANOUT_ROUNDS} rounds…`);
    for (let i = 0; i < FANOUT_ROUNDS; i++) fanout.push(await members.round(ROUND_TIMEOUT_MS));
  } finally {
    members.close();
    await stopChild(child);
  }

  const rest = stats(fanout.map((r) => r.restMs));
  const first = stats(fanout.map((r) => r.firstMs));
  const last = stats(fanout.map((r) => r.lastMs));
  const setup = {
    usersSeeded: seeded.users,
    seedSeconds: seeded.seconds,
    tokenSeconds,
    connectSeconds,
    /** From an empty data dir to every member connected and receiving. */
    prepareSeconds,
    /** The whole messages part, measuring included. */
    totalSeconds: (performance.now() - started) / 1000,
  };

  const print = () => {
    console.log(
      `\nREST group sends: one ${SECONDS}s run each, ${FANOUT_MEMBERS} WebSockets open in the driver throughout ` +
        `(members of the second group). "frames/member" is what each connected member received during the run (min–max).\n`,
    );
    printTable(
      ['case', 'members', 'connected', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'accepted', 'frames/member'],
      results.map((r) => [
        r.case,
        String(r.members),
        String(r.connected),
        fmt(r.reqPerSec),
        fmt(r.p50MsExact, 2),
        fmt(r.p99MsExact, 2),
        String(r.non2xx + r.errors),
        String(r.accepted),
        r.connected > 0 ? `${r.framesPerMemberMin}–${r.framesPerMemberMax}` : '',
      ]),
      1,
    );
    console.log(
      `\nFan-out: one message at a time to ${FANOUT_MEMBERS} connected members, ${FANOUT_ROUNDS} rounds; ms from just before the POST.\n`,
    );
    const rows: [string, Stats][] = [
      ['REST answer', rest],
      ['first member received', first],
      ['last member received', last],
    ];
    printTable(
      ['until', 'min', 'median', 'p95', 'max'],
      rows.map(([label, s]) => [label, ...[s.min, s.median, s.p95, s.max].map((v) => fmt(v, 2))]),
      1,
    );
  };

  const json = {
    members: { offline: OFFLINE_MEMBERS, fanout: FANOUT_MEMBERS },
    setup,
    sends: results,
    fanout: { members: FANOUT_MEMBERS, rounds: FANOUT_ROUNDS, restMs: rest, firstMs: first, lastMs: last, roundsMs: fanout },
  };
  return { failed, json, print };
}
