// Real WebSocket clients of GET /{org}/{app}/ws for the API suites: a device that keeps every frame
// it receives, and the devices of one listening TestApp, closed after each test.
import { expect } from 'vitest';
import WebSocket from 'ws';
import type { TestApp } from './harness.js';
import { sleep } from './util.js';

export interface Delivered {
  id: string;
  from: string;
  to: string;
  chat_type: string;
  type: string;
  body: Record<string, unknown>;
  ext: Record<string, unknown>;
  timestamp: number;
}

export interface Frame {
  type?: string;
  ref?: unknown;
  msg_id?: string;
  code?: number;
  error?: string;
  error_description?: string;
  message?: Delivered;
  /** Set when the server sent something that is not JSON. */
  unparsable?: string;
}

export type ChatType = 'chat' | 'groupchat' | 'chatroom';

/** How long we wait for a frame that must come, and for one that must not. */
export const WAIT_MS = 5000;
export const QUIET_MS = 300;

let refCounter = 0;
const nextRef = () => `r${++refCounter}`;

/** A connected device: every frame it receives is kept; `waitFor` takes the first unclaimed match. */
export class Client {
  readonly frames: Frame[] = [];
  private readonly claimed = new Set<number>();
  private readonly listeners = new Set<() => boolean>();
  readonly opened: Promise<void>;

  constructor(
    readonly user: string,
    readonly ws: WebSocket,
  ) {
    ws.on('message', (data) => {
      let frame: Frame;
      try {
        frame = JSON.parse(String(data)) as Frame;
      } catch {
        frame = { unparsable: String(data) };
      }
      this.frames.push(frame);
      for (const check of [...this.listeners]) check();
    });
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused with HTTP ${res.statusCode}`)));
    });
    // Once open, a late socket error must not become an unhandled rejection.
    this.opened.catch(() => undefined);
  }

  waitFor(pred: (f: Frame) => boolean, what: string, timeout = WAIT_MS): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`${this.user}: timed out waiting for ${what}; received ${JSON.stringify(this.frames)}`));
      }, timeout);
      const check = (): boolean => {
        for (let i = 0; i < this.frames.length; i++) {
          if (!this.claimed.has(i) && pred(this.frames[i]!)) {
            this.claimed.add(i);
            clearTimeout(timer);
            this.listeners.delete(check);
            resolve(this.frames[i]!);
            return true;
          }
        }
        return false;
      };
      if (check()) return;
      this.listeners.add(check);
    });
  }

  /** Waits until `cond` holds (checked on every frame received). */
  waitUntil(cond: () => boolean, what: string, timeout = WAIT_MS): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`${this.user}: timed out waiting for ${what}; received ${this.frames.length} frames`));
      }, timeout);
      const check = (): boolean => {
        if (!cond()) return false;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve();
        return true;
      };
      if (check()) return;
      this.listeners.add(check);
    });
  }

  /** Pipelines txt sends without waiting; answers once every one has its ack or error, in send order. */
  async sendMany(chatType: ChatType, to: string, msgs: string[]): Promise<Frame[]> {
    const refs = msgs.map(() => nextRef());
    msgs.forEach((msg, i) => this.ws.send(JSON.stringify({ type: 'send', ref: refs[i], chat_type: chatType, to, msg_type: 'txt', body: { msg }, ext: {} })));
    const wanted = new Set(refs);
    const answers = new Map<unknown, Frame>();
    let seen = 0;
    await this.waitUntil(() => {
      for (; seen < this.frames.length; seen++) {
        const f = this.frames[seen]!;
        if ((f.type === 'ack' || f.type === 'error') && wanted.has(f.ref as string)) answers.set(f.ref, f);
      }
      return answers.size === refs.length;
    }, `answers to ${refs.length} sends`, 30_000);
    return refs.map((r) => answers.get(r)!);
  }

  /** Waits for the delivered message whose body.msg is `msg`. */
  async message(msg: string): Promise<Delivered> {
    const f = await this.waitFor((x) => x.type === 'message' && x.message?.body.msg === msg, `message "${msg}"`);
    return f.message!;
  }

  /** Every message received so far, in arrival order. */
  messages(): Delivered[] {
    return this.frames.filter((f) => f.type === 'message').map((f) => f.message!);
  }

  /** The txt bodies received so far whose text starts with `prefix`, in arrival order. */
  texts(prefix: string): string[] {
    return this.messages()
      .map((m) => m.body.msg)
      .filter((m): m is string => typeof m === 'string' && m.startsWith(prefix));
  }

  /** Sends a raw frame (no ref added). */
  raw(text: string): void {
    this.ws.send(text);
  }

  /** Sends a frame with a fresh ref and answers the ack or error carrying that ref. */
  async request(frame: Record<string, unknown>): Promise<Frame> {
    const ref = nextRef();
    this.ws.send(JSON.stringify({ ...frame, ref }));
    return this.waitFor((f) => f.ref === ref && (f.type === 'ack' || f.type === 'error'), `answer to ${ref}`);
  }

  /** A txt send; answers the ack or error frame. */
  say(chatType: ChatType, to: string, msg: string, ext: Record<string, unknown> = {}): Promise<Frame> {
    return this.request({ type: 'send', chat_type: chatType, to, msg_type: 'txt', body: { msg }, ext });
  }

  /** A txt send that must be acknowledged; answers the message id. */
  async sayOk(chatType: ChatType, to: string, msg: string): Promise<string> {
    const answer = await this.say(chatType, to, msg);
    expect(answer, JSON.stringify(answer)).toMatchObject({ type: 'ack' });
    expect(answer.msg_id).toMatch(/^\d+$/);
    return answer.msg_id!;
  }

  /** Nothing whose body.msg starts with `prefix` arrives within a short quiet period. */
  async expectNothing(prefix: string): Promise<void> {
    await sleep(QUIET_MS);
    expect(this.texts(prefix), `${this.user} must not receive "${prefix}…"`).toEqual([]);
  }
}

/**
 * The devices of one TestApp listening on a real port (MAIN's endpoint). Call `closeAll` after each
 * test.
 */
export class Devices {
  private readonly clients: Client[] = [];

  private constructor(
    private readonly t: TestApp,
    /** ws://…/acme/chat/ws */
    readonly base: string,
    private readonly appUuid: string,
  ) {}

  /** Makes `t` listen on a free port. */
  static async listen(t: TestApp): Promise<Devices> {
    const addr = await t.qunliao.server.listen({ port: 0, host: '127.0.0.1' });
    return Devices.at(t, addr);
  }

  /** Devices of a `t` that already listens at `addr` (http://127.0.0.1:PORT). */
  static async at(t: TestApp, addr: string): Promise<Devices> {
    const appUuid = (await t.qunliao.services.apps.find('acme', 'chat'))!.uuid;
    return new Devices(t, `${addr.replace('http', 'ws')}/acme/chat/ws`, appUuid);
  }

  /** A device of `user` opening `url` (not awaited: see `opened`). */
  open(user: string, url: string): Client {
    const c = new Client(user, new WebSocket(url));
    this.clients.push(c);
    return c;
  }

  /** A connected device of `user` (password 'pw'). */
  async connect(user: string): Promise<Client> {
    const c = this.open(user, `${this.base}?access_token=${encodeURIComponent(await this.t.userToken(user))}`);
    await c.opened;
    return c;
  }

  /**
   * Closes a device and waits until the server has let go of it, so that what is sent next finds
   * the user offline (when it was their last device). Polls the server's fan-out: the only
   * observable "the server saw the close" there is.
   */
  async disconnect(c: Client): Promise<void> {
    await new Promise<void>((resolve) => {
      if (c.ws.readyState === WebSocket.CLOSED) return resolve();
      c.ws.once('close', () => resolve());
      c.ws.close();
    });
    const stillOthers = this.clients.some((o) => o !== c && o.user === c.user && o.ws.readyState === WebSocket.OPEN);
    if (!stillOthers) {
      const deadline = Date.now() + WAIT_MS;
      while (this.t.qunliao.services.fanout.isOnline(this.appUuid, c.user)) {
        if (Date.now() > deadline) throw new Error(`${c.user} still online after closing`);
        await sleep(10);
      }
    }
  }

  /** Closes every device opened so far (for afterEach). */
  async closeAll(): Promise<void> {
    const closing = this.clients.splice(0).map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.ws.readyState === WebSocket.CLOSED) return resolve();
          c.ws.once('close', () => resolve());
          if (c.ws.readyState === WebSocket.CONNECTING) c.ws.terminate();
          else c.ws.close();
        }),
    );
    await Promise.all(closing);
  }
}
