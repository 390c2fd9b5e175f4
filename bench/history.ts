// History file case of the benchmark (bench/run.ts, section `history`): exporting an hour of
// BENCH_HISTORY_MESSAGES (default 100,000) messages with GET /chatmessages/{time} and its download.
// The messages are seeded straight into SQLite (one hour, 1:1 and group, ~120-byte bodies); the
// driver asks for the link, downloads the gzip file over HTTP, un-gzips it as it comes and counts
// its lines (each must be a record: the run fails otherwise). It reports the time from asking to
// the last byte, the file's size, and the server's resident memory: before, the highest sampled
// during the download (every 10 ms from /proc), and the kernel's high-water mark (VmHWM).
import { readFile } from 'node:fs/promises';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { APP, APP_PATH, appToken, call, fmt, freePorts, positiveInt, printTable, startQunliao, stopChild, tempDataDir, type Server } from './common.js';
import { appUuidOf, withSeedingDb } from './seed-db.js';

const MESSAGES = positiveInt('BENCH_HISTORY_MESSAGES', 100_000);
const ROUNDS = positiveInt('BENCH_HISTORY_ROUNDS', 3);
/** The exported hour: 2026-01-01 00:00 to 01:00 UTC. */
const HOUR = '2026010100';
const HOUR_START = Date.UTC(2026, 0, 1, 0);

interface HistoryRound {
  seconds: number;
  fileBytes: number;
  lines: number;
  rssBeforeMb: number;
  rssPeakMb: number;
  hwmMb: number;
}

async function statusMb(child: ChildProcess, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
  const line = status.split('\n').find((l) => l.startsWith(`${field}:`));
  return Number(line?.replace(/\D+/g, '') ?? NaN) / 1024;
}

/** Messages spread over the hour, in insertion order that is not time order (as imports make). */
function seedMessages(file: string): { seconds: number } {
  const started = performance.now();
  withSeedingDb(file, (db) => {
    const appUuid = appUuidOf(db, APP.org, APP.app);
    const insert = db.prepare(
      'INSERT INTO messages (app_uuid, id, chat_type, from_user, to_target, msg_type, body, ext, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const text = 'history benchmark message body with some words in it to be about the size of a chat line';
    db.transaction(() => {
      for (let i = 0; i < MESSAGES; i++) {
        // A permutation of the hour's milliseconds (i * 7919 mod 3,600,000 never repeats below 3.6 M).
        const ts = HOUR_START + ((i * 7919) % 3_600_000);
        const group = i % 4 === 0;
        insert.run(
          appUuid,
          `${ts}${String(i).padStart(7, '0')}`,
          group ? 'groupchat' : 'chat',
          `user${i % 1000}`,
          group ? '1795306558598428' : `user${(i + 1) % 1000}`,
          'txt',
          JSON.stringify({ msg: `${text} #${i}` }),
          JSON.stringify({ seq: i }),
          ts,
        );
      }
    })();
  });
  return { seconds: (performance.now() - started) / 1000 };
}

async function exportOnce(server: Server, child: ChildProcess, token: string): Promise<HistoryRound> {
  const rssBeforeMb = await statusMb(child, 'VmRSS');
  let rssPeakMb = rssBeforeMb;
  const sampler = setInterval(() => {
    void statusMb(child, 'VmRSS').then((mb) => (rssPeakMb = Math.max(rssPeakMb, mb)), () => undefined);
  }, 10);
  const started = performance.now();
  try {
    const answer = await call(server, 'GET', `${APP_PATH}/chatmessages/${HOUR}`, undefined, token);
    const url = (answer.data as { url?: string }[] | undefined)?.[0]?.url;
    if (typeof url !== 'string') throw new Error(`the history link answer was ${JSON.stringify(answer)}`);
    const res = await fetch(url);
    if (res.status !== 200 || !res.body) throw new Error(`downloading the history file answered ${res.status}`);
    let fileBytes = 0;
    let lines = 0;
    let tail = '';
    const gunzip = createGunzip();
    const counted = (async () => {
      for await (const chunk of gunzip as AsyncIterable<Buffer>) {
        const text = tail + chunk.toString('utf8');
        const parts = text.split('\n');
        tail = parts.pop() ?? '';
        for (const line of parts) {
          if (!line.startsWith('{"msg_id":')) throw new Error(`not a record: ${line.slice(0, 80)}`);
          lines++;
        }
      }
    })();
    for await (const chunk of Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>)) {
      fileBytes += (chunk as Buffer).length;
      if (!gunzip.write(chunk)) await new Promise((resolve) => gunzip.once('drain', resolve));
    }
    gunzip.end();
    await counted;
    const seconds = (performance.now() - started) / 1000;
    return { seconds, fileBytes, lines, rssBeforeMb, rssPeakMb, hwmMb: await statusMb(child, 'VmHWM') };
  } finally {
    clearInterval(sampler);
  }
}

export async function runHistoryCases(): Promise<{ failed: boolean; json: unknown; print: () => void }> {
  const dir = await tempDataDir('history');
  const [setupPort, port] = await freePorts(2);
  // A first start creates the database and the app; then the messages go straight into SQLite.
  const setup = await startQunliao('qunliao history setup', setupPort!, dir);
  await stopChild(setup);
  const seeded = seedMessages(path.join(dir, 'qunliao.sqlite'));
  console.error(`seeded ${MESSAGES} messages into one hour in ${fmt(seeded.seconds, 2)}s`);

  const server: Server = { name: 'qunliao', url: `http://127.0.0.1:${port}` };
  const child = await startQunliao('qunliao history', port!, dir);
  const rounds: HistoryRound[] = [];
  try {
    const token = await appToken(server);
    for (let i = 0; i < ROUNDS; i++) rounds.push(await exportOnce(server, child, token));
  } finally {
    await stopChild(child);
  }
  const failed = rounds.some((r) => r.lines !== MESSAGES);
  if (failed) console.error(`history export: expected ${MESSAGES} records, got ${rounds.map((r) => r.lines).join(', ')}`);
  const print = () => {
    console.log(`\nHistory file: GET /chatmessages/${HOUR} and its download, ${MESSAGES} messages in the hour`);
    printTable(
      ['round', 'seconds', 'file MB (gzip)', 'records', 'RSS before MB', 'RSS peak MB', 'VmHWM MB'],
      rounds.map((r, i) => [String(i + 1), fmt(r.seconds, 2), fmt(r.fileBytes / 1e6, 2), String(r.lines), fmt(r.rssBeforeMb), fmt(r.rssPeakMb), fmt(r.hwmMb)]),
      1,
    );
  };
  return { failed, json: { messages: MESSAGES, seedSeconds: seeded.seconds, rounds }, print };
}
