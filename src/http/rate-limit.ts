// Per-app, per-operation call limits (REFERENCE §2g, "接口频率限制"): each route declares its
// documented calls per second with `config: { rateLimit: perSecond(n) }`. @fastify/rate-limit
// applies them; counters live in src/coord (in-process now; a Redis store shares them between processes).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { DomainError } from '../services/errors.js';
import { InProcessRateLimitStore } from '../coord/rate-limit-store.js';
import type { AppParams } from './context.js';

/** A documented "N calls per second per App Key" limit. */
export function perSecond(max: number): { max: number; timeWindow: number } {
  return { max, timeWindow: 1000 };
}

export async function registerRateLimit(server: FastifyInstance): Promise<void> {
  await server.register(rateLimit, {
    global: false,
    store: InProcessRateLimitStore,
    // Fixed one-second windows keyed by app key; each route has its own counters.
    keyGenerator: (req: FastifyRequest) => {
      const { org, app } = req.params as AppParams;
      return `${org}#${app}`;
    },
    errorResponseBuilder: () => new DomainError('rateLimited'),
    addHeadersOnExceeding: { 'x-ratelimit-limit': true, 'x-ratelimit-remaining': true, 'x-ratelimit-reset': true },
  });
}
