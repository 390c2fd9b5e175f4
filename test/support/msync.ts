// A raw msync client for the API suites (and the benchmark): protobuf frames over a `ws` socket,
// built with qunliao's own schema, for what the SDK never sends (bad frames, floods) and for
// checking frames byte by byte. Every decoded frame is kept in arrival order.
import WebSocket, { type RawData } from 'ws';
import { Command, NameSpace, pb } from '../../src/msync/schema.js';

type Obj = Record<string, unknown>;

export interface Received {
  command: number;
  /** The decoded payload by command: Provision, CommSyncDL, CommNotice, CommUnreadDL, Logout. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

const PAYLOAD_TYPE: Record<number, keyof typeof pb> = {
  [Command.SYNC]: 'CommSyncDL',
  [Command.UNREAD]: 'CommUnreadDL',
  [Command.NOTICE]: 'CommNotice',
  [Command.PROVISION]: 'Provision',
  [Command.LOGOUT]: 'Logout',
};

export function encodeMsync(command: number, payload?: Uint8Array, extra: Obj = {}): Uint8Array {
  return pb.MSync.encode(pb.MSync.fromObject({ version: 0, command, ...(payload ? { payload } : {}), ...extra })).finish();
}

export function encode(type: keyof typeof pb, body: Obj): Uint8Array {
  return pb[type].encode(pb[type].fromObject(body)).finish();
}

const toObject = (type: keyof typeof pb, bytes: Uint8Array): Obj =>
  pb[type].toObject(pb[type].decode(bytes), { longs: String, enums: Number, defaults: false, arrays: false }) as Obj;

export function decodeReceived(data: Uint8Array): Received {
  const m = toObject('MSync', data);
  const command = Number(m.command ?? 0);
  const type = PAYLOAD_TYPE[command];
  const payload = m.payload instanceof Uint8Array ? m.payload : new Uint8Array();
  return { command, body: type ? toObject(type, payload) : {} };
}

/** A meta's payload, decoded by its namespace. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function metaBody(meta: Obj): any {
  const bytes = meta.payload instanceof Uint8Array ? meta.payload : new Uint8Array();
  const ns = Number(meta.ns ?? 0);
  const type: keyof typeof pb = ns === NameSpace.CHAT ? 'MessageBody' : ns === NameSpace.MUC ? 'MUCBody' : 'StatisticsBody';
  return toObject(type, bytes);
}

export class MsyncClient {
  readonly frames: Received[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly listeners = new Set<() => void>();
  private metaSeq = 1_000;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: RawData, isBinary) => {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      this.frames.push(isBinary ? decodeReceived(bytes) : { command: -1, body: String(bytes) });
      for (const l of [...this.listeners]) l();
    });
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    this.opened.catch(() => undefined);
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
  }

  static async connect(base: string): Promise<MsyncClient> {
    const c = new MsyncClient(new WebSocket(`${base.replace(/^http/, 'ws')}/websocket`));
    await c.opened;
    return c;
  }

  raw(data: Uint8Array | string): void {
    this.ws.send(data);
  }

  /** PROVISION as the SDK sends it; answers the Provision reply. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async provision(appKey: string, name: string, token: string, resource = `raw_${name}`): Promise<any> {
    const p = encode('Provision', {
      osType: 16,
      version: '4.21.1',
      compressType: [0],
      encryptType: [0],
      deviceUuid: 'raw',
      deviceName: 'raw',
      resource,
      authToken: JSON.stringify({ token: `$t$${token}` }),
      sessionId: `${Date.now()}:`,
      actionVersion: 'v5.2',
    });
    this.raw(
      encodeMsync(Command.PROVISION, p, { guid: { appKey, name, domain: 'easemob.com', clientResource: resource }, auth: `$t$${token}`, encryptType: [0] }),
    );
    return (await this.next((f) => f.command === Command.PROVISION)).body;
  }

  /** Waits for the first frame after those already taken that satisfies `pred`. */
  private taken = 0;
  next(pred: (f: Received) => boolean = () => true, timeout = 5000): Promise<Received> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`timed out waiting for a frame; got ${JSON.stringify(this.frames.slice(this.taken))}`));
      }, timeout);
      const check = () => {
        for (let i = this.taken; i < this.frames.length; i++) {
          if (pred(this.frames[i]!)) {
            this.taken = i + 1;
            clearTimeout(timer);
            this.listeners.delete(check);
            resolve(this.frames[i]!);
            return;
          }
        }
      };
      this.listeners.add(check);
      check();
    });
  }

  unread(): void {
    this.raw(encodeMsync(Command.UNREAD));
  }

  /** A pull of `queue`, acknowledging `key` when given; answers the batch. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async pull(queue: Obj, key?: string | number): Promise<any> {
    this.raw(encodeMsync(Command.SYNC, encode('CommSyncUL', key === undefined ? { queue } : { queue, key: String(key) })));
    return (await this.next((f) => f.command === Command.SYNC && f.body.queue !== undefined && !f.body.metaId)).body;
  }

  /** A text message as the SDK sends it; answers the ack (CommSyncDL with metaId). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async sendText(appKey: string, from: string, to: string, text: string, type: 1 | 2 | 3 = 1): Promise<any> {
    const id = String(++this.metaSeq);
    this.sendTextNoWait(appKey, from, to, text, type, id);
    return (await this.next((f) => f.command === Command.SYNC && f.body.metaId === id)).body;
  }

  sendTextNoWait(appKey: string, from: string, to: string, text: string, type: 1 | 2 | 3 = 1, id = String(++this.metaSeq)): string {
    const body = encode('MessageBody', { type, from: { name: from }, to: { name: to }, contents: [{ type: 0, text }] });
    const domain = type === 1 ? 'easemob.com' : 'conference.easemob.com';
    this.raw(encodeMsync(Command.SYNC, encode('CommSyncUL', { meta: { id, to: { appKey, name: to, domain }, ns: NameSpace.CHAT, payload: body } })));
    return id;
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
  }
}
