// Simulated users of the official web SDK for the API suites: each SdkUser is one SDK instance in
// its own worker thread (worker.mjs), configured for a private deployment as docs/client-sdk.md
// says: `isHttpDNS: false`, `url` = ws://HOST:PORT/websocket, `apiUrl` = http://HOST:PORT. Every
// SDK event is recorded in arrival order; `waitFor` takes the first unclaimed match.
import { Worker } from 'node:worker_threads';

export const SDK_WAIT_MS = 10_000;
export const SDK_QUIET_MS = 400;

export interface SdkEvent {
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  data: any;
}

/** A rejected SDK promise; `value` is what the SDK rejected with ({type, message, …}). */
export class SdkRejection extends Error {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  constructor(readonly value: any) {
    super(`SDK rejected: ${JSON.stringify(value)}`);
  }
}

/** What a promise rejected with (fails the test if it resolved). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function rejection(p: Promise<unknown>): Promise<any> {
  try {
    const value = await p;
    throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
  } catch (err) {
    if (err instanceof SdkRejection) return err.value;
    throw err;
  }
}

export interface SdkOptions {
  /** http://127.0.0.1:PORT of the qunliao under test. */
  base: string;
  appKey: string;
  /** More connection options (heartBeatWait, delivery, deviceId…). */
  options?: Record<string, unknown>;
  /** Keep the SDK's own console logs (debugging). */
  logs?: boolean;
}

export class SdkUser {
  readonly events: SdkEvent[] = [];
  private readonly claimed = new Set<number>();
  private readonly listeners = new Set<() => void>();
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  private nextId = 0;
  private exited = false;

  private constructor(
    readonly name: string,
    private readonly worker: Worker,
  ) {
    worker.on('message', (msg: { id?: number; ok?: boolean; value?: unknown; error?: unknown; event?: string; data?: unknown }) => {
      if (msg.event !== undefined) {
        this.events.push({ name: msg.event, data: msg.data });
        for (const check of [...this.listeners]) check();
        return;
      }
      const p = this.pending.get(msg.id!);
      if (!p) return;
      this.pending.delete(msg.id!);
      if (msg.ok) p.resolve(msg.value);
      else p.reject(new SdkRejection(msg.error));
    });
    worker.on('exit', () => {
      this.exited = true;
      for (const p of this.pending.values()) p.reject(new Error(`${name}: the SDK worker exited`));
      this.pending.clear();
    });
    worker.on('error', (err) => this.events.push({ name: 'workerError', data: String(err) }));
  }

  /** Starts a worker with a fresh SDK connection object for `name` (not logged in yet). */
  static async start(name: string, o: SdkOptions): Promise<SdkUser> {
    const worker = new Worker(new URL('./worker.mjs', import.meta.url));
    const user = new SdkUser(name, worker);
    const url = `${o.base.replace(/^http/, 'ws')}/websocket`;
    await user.rpc('init', { logs: o.logs ?? false, options: { appKey: o.appKey, isHttpDNS: false, url, apiUrl: o.base, ...o.options } });
    return user;
  }

  private rpc(op: string, args: Record<string, unknown>): Promise<unknown> {
    if (this.exited) return Promise.reject(new Error(`${this.name}: the SDK worker has exited`));
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, args });
    });
  }

  /** `connection.open(...)`: `{user, pwd}` (password login over REST) or `{user, accessToken}`. */
  open(credentials: Record<string, unknown>): Promise<unknown> {
    return this.rpc('call', { method: 'open', args: [credentials] });
  }

  /** `message.create(options)` then `connection.send(message)`; answers what send() resolves with. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  send(options: Record<string, unknown>): Promise<any> {
    return this.rpc('send', options);
  }

  /** `connection.modifyMessage` with a message created from `message` (options as for send). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  modify(messageId: string, message: Record<string, unknown>): Promise<any> {
    return this.rpc('modify', { messageId, message });
  }

  /** Any connection method (`joinChatRoom`, `close`, `renewToken`…). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call(method: string, ...args: unknown[]): Promise<any> {
    return this.rpc('call', { method, args });
  }

  /**
   * A callback-only upload method (`uploadGroupSharedFile`, `uploadChatRoomSharedFile`) with a text
   * file: what `onFileUploadComplete` got, or a rejection with what `onFileUploadError` got.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  upload(method: string, params: Record<string, unknown>, filename: string, content: string): Promise<any> {
    return this.rpc('upload', { method, params, filename, content });
  }

  /** A property of the connection object (`logOut`, `clientResource`…). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  get(property: string): Promise<any> {
    return this.rpc('get', { property });
  }

  /** Waits for the first unclaimed event `name` whose data satisfies `pred`. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  waitFor(name: string, pred: (data: any) => boolean = () => true, what = name, timeout = SDK_WAIT_MS): Promise<any> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`${this.name}: timed out waiting for ${what}; events: ${JSON.stringify(this.events.map((e) => [e.name, e.data]))}`));
      }, timeout);
      const check = (): void => {
        for (let i = 0; i < this.events.length; i++) {
          const e = this.events[i]!;
          if (!this.claimed.has(i) && e.name === name && pred(e.data)) {
            this.claimed.add(i);
            clearTimeout(timer);
            this.listeners.delete(check);
            resolve(e.data);
            return;
          }
        }
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Waits until `cond` holds (checked on every event). */
  waitUntil(cond: () => boolean, what: string, timeout = SDK_WAIT_MS): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`${this.name}: timed out waiting for ${what}; ${this.events.length} events: ${JSON.stringify(this.events.map((e) => e.name))}`));
      }, timeout);
      const check = (): void => {
        if (!cond()) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve();
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Events named `name`, in arrival order. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  all(name: string): any[] {
    return this.events.filter((e) => e.name === name).map((e) => e.data);
  }

  /** Texts of the received text messages starting with `prefix`, in arrival order. */
  texts(prefix: string): string[] {
    return this.all('onTextMessage')
      .map((m: { msg?: unknown }) => m.msg)
      .filter((m): m is string => typeof m === 'string' && m.startsWith(prefix));
  }

  /** Waits for the text message `msg`. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  message(msg: string): Promise<any> {
    return this.waitFor('onTextMessage', (m: { msg?: string }) => m.msg === msg, `text message "${msg}"`);
  }

  async terminate(): Promise<void> {
    if (!this.exited) await this.worker.terminate();
  }
}

/** The SDK users of one test file; `closeAll` after each test. */
export class SdkUsers {
  private readonly users: SdkUser[] = [];

  constructor(private readonly options: () => SdkOptions) {}

  async start(name: string, extra: Partial<SdkOptions> = {}): Promise<SdkUser> {
    const user = await SdkUser.start(name, { ...this.options(), ...extra, options: { ...this.options().options, ...extra.options } });
    this.users.push(user);
    return user;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.users.splice(0).map((u) => u.terminate()));
  }
}
