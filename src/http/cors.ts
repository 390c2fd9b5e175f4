// CORS for browser apps on other origins (REST.md "Other wire facts"): the web SDK preflights every
// call — JSON Content-Type even on GET, plus Authorization, restrict-access, share-secret and
// X-Requested-With — with GET, POST, PUT and DELETE. Allowed origins are a setting
// (QUNLIAO_CORS_ORIGINS); the hosted service answers `Access-Control-Allow-Origin: *`.
//
// Our own hook rather than @fastify/cors: that plugin builds its options anew on every request
// (`{ ...global, ...route }`, a microsecond on Node 20) and resolves the origin through closures,
// a measurable share of a simple read (docs/bench.md). What qunliao needs is a fixed set of headers.
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Config } from '../config.js';

const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, DELETE, OPTIONS';
const ALLOWED_HEADERS = 'Authorization, Content-Type, Accept, restrict-access, share-secret, X-Requested-With, thumbnail-height, thumbnail-width, x-request-id';
const EXPOSED_HEADERS = 'x-request-id, content-disposition';
/** How long a browser may keep a preflight's answer (seconds). */
const PREFLIGHT_MAX_AGE = '86400';

export function registerCors(server: FastifyInstance, origins: Config['cors'] = '*'): void {
  if (origins === 'off') return;
  const allowed = origins === '*' ? undefined : new Set(origins);

  server.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    if (allowed === undefined) {
      reply.header('access-control-allow-origin', '*');
    } else {
      // The answer depends on the Origin header: caches must keep one per origin.
      reply.header('vary', 'Origin');
      const origin = req.headers.origin;
      if (origin !== undefined && allowed.has(origin)) reply.header('access-control-allow-origin', origin);
    }
    reply.header('access-control-expose-headers', EXPOSED_HEADERS);
    // Every OPTIONS request is answered as a preflight (204, no body), with or without the
    // preflight headers, before any token check: browsers send none with it.
    if (req.method !== 'OPTIONS') return done();
    reply
      .code(204)
      .header('access-control-allow-methods', ALLOWED_METHODS)
      .header('access-control-allow-headers', ALLOWED_HEADERS)
      .header('access-control-max-age', PREFLIGHT_MAX_AGE)
      .header('content-length', '0')
      .send();
  });
  // A route for every path, so that preflights of any path reach the hook above.
  server.options('*', (_req, reply) => {
    reply.code(204).send();
  });
}
