// A raw HTTP/1.1 client over one keep-alive TCP connection: requests are written byte for byte
// (malformed framing included) and responses are parsed as they arrive, so a test can see what
// `inject` cannot: a connection the server stops answering, closes, or leaves without a reply.
import net from 'node:net';

export interface WireResponse {
  status: number;
  /** Header names in lower case; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
  text: string;
  /** The body parsed as JSON, or undefined. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

/** What waiting for a response came to. */
export type WireOutcome = { kind: 'response'; response: WireResponse } | { kind: 'closed'; partial: string } | { kind: 'timeout'; partial: string };

export class WireConnection {
  private buffer = Buffer.alloc(0);
  private ended = false;
  private waiter: (() => void) | undefined;
  /** Whether the server closed (or reset) the connection. */
  closedByServer = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.waiter?.();
    });
    const onEnd = () => {
      this.ended = true;
      this.closedByServer = true;
      this.waiter?.();
    };
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    // A reset after the server closed is an outcome, not a test error.
    socket.on('error', () => undefined);
  }

  static open(port: number, host = '127.0.0.1'): Promise<WireConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host, () => resolve(new WireConnection(socket)));
      socket.once('error', reject);
    });
  }

  /** Writes bytes; resolves once they are handed to the kernel (or the socket failed). */
  write(data: Buffer | string): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.write(data, () => resolve());
    });
  }

  /**
   * The next response on this connection, within `timeoutMs`; interim 1xx answers (100 Continue)
   * are skipped. `head`: the request was a HEAD, so the response has no body whatever its headers say.
   */
  async next(timeoutMs: number, { head: headOnly = false }: { head?: boolean } = {}): Promise<WireOutcome> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = this.parse(headOnly);
      if (parsed && parsed.status >= 100 && parsed.status < 200 && parsed.status !== 101) continue;
      if (parsed) return { kind: 'response', response: parsed };
      if (this.ended) return { kind: 'closed', partial: this.buffer.toString('latin1').slice(0, 500) };
      const left = deadline - Date.now();
      if (left <= 0) return { kind: 'timeout', partial: this.buffer.toString('latin1').slice(0, 500) };
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  /** Resolves true once the server has closed the connection, false after `timeoutMs`. */
  async waitClosed(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return this.ended;
  }

  close(): void {
    this.socket.destroy();
  }

  /** One complete response from the front of the buffer (Content-Length, chunked, or body up to close). */
  private parse(headOnly: boolean): WireResponse | undefined {
    const headEnd = this.buffer.indexOf('\r\n\r\n');
    if (headEnd < 0) return undefined;
    const head = this.buffer.subarray(0, headEnd).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '')?.[1] ?? 0);
    const headers: Record<string, string> = {};
    for (const line of head.slice(1)) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    const start = headEnd + 4;
    let body: Buffer;
    let consumed: number;
    if (headOnly || (status >= 100 && status < 200) || status === 204 || status === 304) {
      body = Buffer.alloc(0);
      consumed = start;
    } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const chunks: Buffer[] = [];
      let at = start;
      for (;;) {
        const lineEnd = this.buffer.indexOf('\r\n', at);
        if (lineEnd < 0) return undefined;
        const size = parseInt(this.buffer.subarray(at, lineEnd).toString('latin1'), 16);
        if (Number.isNaN(size)) return undefined;
        if (this.buffer.length < lineEnd + 2 + size + 2) return undefined;
        if (size === 0) {
          consumed = lineEnd + 4;
          break;
        }
        chunks.push(this.buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
        at = lineEnd + 2 + size + 2;
      }
      body = Buffer.concat(chunks);
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (this.buffer.length < start + length) return undefined;
      body = this.buffer.subarray(start, start + length);
      consumed = start + length;
    } else {
      // No framing: the body runs to the end of the connection.
      if (!this.ended) return undefined;
      body = this.buffer.subarray(start);
      consumed = this.buffer.length;
    }
    this.buffer = this.buffer.subarray(consumed);
    const text = body.toString('utf8');
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status, headers, body: Buffer.from(body), text, json };
  }
}

/** The bytes of one HTTP/1.1 request; Content-Length is added for a body unless a header says otherwise. */
export function rawRequest(method: string, target: string, headers: Record<string, string>, body?: Buffer | string): Buffer {
  const payload = body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  const lines = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1'];
  const names = Object.keys(headers).map((h) => h.toLowerCase());
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  if (body !== undefined && !names.includes('content-length') && !names.includes('transfer-encoding')) lines.push(`Content-Length: ${payload.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), payload]);
}
