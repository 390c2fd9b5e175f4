// The hourly history file (message_historical.md: GET /chatmessages/{time}). `time` is an hour,
// yyyyMMddHH in UTC (the overseas clusters' rule; qunliao has no Beijing-time cluster). The answer is
// a signed, expiring download URL on qunliao itself; the file is made when it is downloaded: every
// message the app stored in that hour, one JSON record per line, gzip-compressed (what the PHP and
// Java SDKs save as `<time>.gz`), read from the database page by page and streamed — never the
// whole hour in memory.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { HistoryRepository, MessageRow, TimeKey } from '../store/history.js';
import type { App } from './apps.js';
import { fail } from './errors.js';

/** Messages read per query while a file is streamed. */
export const HISTORY_PAGE = 1000;
/** How long a download URL works (the hosted example's Expires is 30 minutes after the answer). */
export const HISTORY_LINK_SECONDS = 30 * 60;

const HOUR_MS = 3_600_000;

export interface HistoryLink {
  hour: string;
  /** Unix seconds. */
  expires: number;
  signature: string;
}

/** The hour `time` names, [start, end) in Unix ms; undefined when it is no yyyyMMddHH hour. */
export function parseHour(time: string): { start: number; end: number } | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})$/.exec(time);
  if (!m) return undefined;
  const [year, month, day, hour] = m.slice(1).map(Number) as [number, number, number, number];
  const start = Date.UTC(year, month - 1, day, hour);
  const d = new Date(start);
  // Date.UTC rolls 2024-02-30 over to March: such a day is no day.
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day || d.getUTCHours() !== hour) return undefined;
  return { start, end: start + HOUR_MS };
}

/** A body as the history file shows it: its fields with `type`; custom messages' map also under `v2:customExts`. */
function exportBody(type: string, body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body, type };
  if (type === 'custom' && body.customExts && typeof body.customExts === 'object' && !Array.isArray(body.customExts)) {
    const exts = body.customExts as Record<string, unknown>;
    out['v2:customExts'] = exts;
    // The older list form, one single-key object per entry (message_historical.md "自定义消息").
    out.customExts = Object.entries(exts).map(([k, v]) => ({ [k]: v }));
  }
  return out;
}

/** One record of the file (message_historical.md "历史消息记录的内容"). */
export function historyRecord(r: MessageRow): Record<string, unknown> {
  return {
    msg_id: r.id,
    timestamp: Number(r.timestamp),
    direction: 'outgoing',
    to: r.to_target,
    from: r.from_user,
    chat_type: r.chat_type,
    payload: {
      bodies: [exportBody(r.msg_type, JSON.parse(r.body) as Record<string, unknown>)],
      ext: JSON.parse(r.ext) as unknown,
      from: r.from_user,
      to: r.to_target,
    },
  };
}

export class HistoryService {
  constructor(
    private readonly repo: HistoryRepository,
    private readonly now: () => number = Date.now,
  ) {}

  private hour(app: App, time: string): { start: number; end: number } {
    const range = parseHour(time);
    if (!range) fail('historyTimeInvalid', { appKey: `${app.org_name}#${app.app_name}`, time });
    return range;
  }

  /**
   * The download link of an hour's file. An hour that has not begun → the documented "expired or
   * unstored" 400; an hour without messages → the documented 404. The hour under way answers what
   * is stored so far.
   */
  async link(app: App, time: string): Promise<HistoryLink> {
    const { start, end } = this.hour(app, time);
    const appKey = `${app.org_name}#${app.app_name}`;
    if (start > this.now()) fail('historyUnstored', { appKey, time });
    if (!(await this.repo.any(app.uuid, start, end))) fail('historyNotFound', { appKey, time });
    const expires = Math.floor(this.now() / 1000) + HISTORY_LINK_SECONDS;
    return { hour: time, expires, signature: this.sign(app, time, expires) };
  }

  /** Checks a download link's Expires and Signature; refuses a forged, altered or expired one. */
  checkLink(app: App, time: string, expires: unknown, signature: unknown): void {
    const seconds = typeof expires === 'string' && /^\d{1,12}$/.test(expires) ? Number(expires) : NaN;
    const valid =
      parseHour(time) !== undefined &&
      Number.isSafeInteger(seconds) &&
      seconds * 1000 >= this.now() &&
      typeof signature === 'string' &&
      safeEqual(signature, this.sign(app, time, seconds));
    if (!valid) fail('historyLinkInvalid');
  }

  /** The file's lines, a page of records at a time (the caller gzips them as they come). */
  async *lines(app: App, time: string): AsyncGenerator<string> {
    const { start, end } = this.hour(app, time);
    let after: TimeKey | undefined;
    for (;;) {
      const page = await this.repo.page(app.uuid, start, end, after, HISTORY_PAGE);
      if (page.length === 0) return;
      let chunk = '';
      for (const row of page) chunk += `${JSON.stringify(historyRecord(row))}\n`;
      yield chunk;
      if (page.length < HISTORY_PAGE) return;
      const last = page[page.length - 1]!;
      after = { timestamp: Number(last.timestamp), seq: Number(last.seq) };
    }
  }

  /** HMAC of the link under the app's own signing key (never shared between apps). */
  private sign(app: App, time: string, expires: number): string {
    return createHmac('sha256', Buffer.from(app.token_key, 'base64')).update(`chatmessages\u0000${app.uuid}\u0000${time}\u0000${expires}`).digest('base64url');
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
