// Requests that never reach fastify's routing: the HTTP parser refused them (an unknown method,
// broken framing, headers over the limit) or the client was too slow. They still get the Easemob
// error body, and since the connection cannot be trusted after them, `Connection: close` says that
// the server closes it.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError, type ErrorCode } from '../services/errors.js';
import { errorBody } from './errors.js';

/** How long a refused client may take to read the answer before the socket is destroyed. */
const LINGER_MS = 2000;

function codeFor(err: NodeJS.ErrnoException): ErrorCode {
  if (err.code === 'HPE_HEADER_OVERFLOW') return 'headersTooLarge';
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'requestTimeout';
  return 'badRequest';
}

/** fastify's `clientErrorHandler`. */
export function answerClientError(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  this.log.debug({ err }, 'client error');
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const { status, body } = errorBody(codeFor(err), {}, 0);
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

/** onRequest: a NUL anywhere in the URL (path or query, percent-encoded) is refused before any lookup. */
export async function refuseNulInUrl(req: FastifyRequest): Promise<void> {
  if (req.url.includes('%00')) throw new DomainError('nulCharacter', { where: 'request URL' });
}
