// Requests that never reach fastify's routing: the HTTP parser refused them (an unknown method,
// broken framing, headers over the limit) or the client was too slow. They still get the Easemob
// error body, and since the connection cannot be trusted after them, `Connection: close` says that
// the server closes it.
import { STATUS_CODES } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
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

/** Answers on a raw socket with the error body, says `Connection: close`, and closes it. */
function answerAndClose(socket: Socket, code: ErrorCode): void {
  if (socket.destroyed) return;
  const { status, body } = errorBody(code, {}, 0);
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

/**
 * What Node answers itself otherwise, without the error body: CONNECT (no route takes it) and an
 * `Expect` other than `100-continue`, whose body Node would leave on the connection.
 */
export function answerNodeLevelRequests(server: FastifyInstance): void {
  server.server.on('connect', (_req: IncomingMessage, socket: Socket) => answerAndClose(socket, 'methodNotAllowed'));
  server.server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    const { status, body } = errorBody('expectationFailed', { expect: String(req.headers.expect ?? '') }, 0);
    res.writeHead(status, { 'content-type': 'application/json', connection: 'close' }).end(JSON.stringify(body));
    req.socket.destroySoon();
  });
}

/** WebSocket endpoints: the only routes an `Upgrade: websocket` request may reach. */
const WEBSOCKET_ROUTES = new Set(['/:org/:app/ws', '/websocket']);
const WEBSOCKET_KEY = /^[+/0-9A-Za-z]{22}==$/;

/** The connection ends with the answer, and the answer says so. */
function closeAfterAnswer(req: FastifyRequest, reply: FastifyReply): void {
  reply.header('connection', 'close');
  reply.raw.once('finish', () => req.raw.socket.destroySoon());
}

/**
 * A Transfer-Encoding that does not end in chunked leaves the body's length unknown (RFC 9112
 * §6.3): the connection's next bytes cannot be framed.
 */
function unframedBody(req: FastifyRequest): boolean {
  const te = req.headers['transfer-encoding'];
  return te !== undefined && !/(^|,)\s*chunked\s*$/i.test(te);
}

/** A request Node handed over as an upgrade has left the HTTP parser. */
function upgraded(req: FastifyRequest): boolean {
  return (req.raw as IncomingMessage & { upgrade?: boolean }).upgrade === true;
}

/**
 * For an answer given before routing (a badly encoded URL): when the connection cannot carry
 * another request after this one (an upgrade, a body of unknown length), it ends with the answer.
 */
export function closeAfterAnswerIfUnusable(req: FastifyRequest, reply: FastifyReply): void {
  if (upgraded(req) || unframedBody(req)) closeAfterAnswer(req, reply);
}

/**
 * The first onRequest hook, one for every check that needs nothing but the request (a hook costs
 * a little on every request). Every answer carries the request id (`x-request-id`, the caller's
 * own when sent). A request whose framing cannot be trusted is refused and its connection closed.
 * A request Node handed over as an upgrade is answered and its connection closed with the answer
 * (whatever gives it: a refusal here, or the route); one to a route that does not upgrade, or a
 * handshake the WebSocket library would refuse in plain text, is answered here with the error body.
 * A NUL anywhere in the URL (path or query, percent-encoded) is refused before any lookup.
 */
export function guardRequest(req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  reply.header('x-request-id', req.id);
  if (unframedBody(req)) {
    closeAfterAnswer(req, reply);
    return done(new DomainError('badRequest'));
  }
  const refusal = upgraded(req) ? upgradeRefusal(req, reply) : undefined;
  done(refusal ?? (req.url.includes('%00') ? new DomainError('nulCharacter', { where: 'request URL' }) : undefined));
}

/** Why an upgrade request is refused here, if it is; its connection closes with the answer either way. */
function upgradeRefusal(req: FastifyRequest, reply: FastifyReply): DomainError | undefined {
  closeAfterAnswer(req, reply);
  const route = req.routeOptions.url;
  if (route === undefined || !WEBSOCKET_ROUTES.has(route)) return new DomainError('upgradeNotHere');
  const h = req.raw.headers;
  const valid = req.method === 'GET' && String(h.upgrade).toLowerCase() === 'websocket' && WEBSOCKET_KEY.test(String(h['sec-websocket-key'] ?? '')) && ['8', '13'].includes(String(h['sec-websocket-version']));
  return valid ? undefined : new DomainError('badWebSocketHandshake');
}
