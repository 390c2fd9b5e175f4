// Per-app, per-operation call limits (REFERENCE §2g, "接口频率限制"): each route declares its
// documented calls per second with `config: { rateLimit: perSecond(n) }`. @fastify/rate-limit
// applies them; counters live in src/coord (in-process now; a Redis store shares them between processes).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { Redis } from 'ioredis';
import { DomainError } from '../services/errors.js';
import { InProcessRateLimitStore } from '../coord/rate-limit-store.js';
import type { AppParams } from './context.js';

/** A documented "N calls per second per App Key" limit. */
export function perSecond(max: number): { max: number; timeWindow: number } {
  return { max, timeWindow: 1000 };
}

/**
 * With `redis`, the counters live there (the library's Redis store: one key per app, route and
 * window), shared by every process; if Redis fails, requests are let through rather than refused.
 */
export async function registerRateLimit(server: FastifyInstance, redis?: Redis): Promise<void> {
  await server.register(rateLimit, {
    global: false,
    ...(redis ? { redis, nameSpace: 'qunliao-rl:', skipOnError: true } : { store: InProcessRateLimitStore }),
    // Fixed one-second windows per app and route. The app's uuid (resolved before this hook) keys
    // them, so processes sharing one database share one budget per app.
    keyGenerator: (req: FastifyRequest) => {
      if (req.chatApp) return req.chatApp.uuid;
      const { org, app } = req.params as AppParams;
      return `${org}#${app}`;
    },
    errorResponseBuilder: () => new DomainError('rateLimited'),
    addHeadersOnExceeding: { 'x-ratelimit-limit': true, 'x-ratelimit-remaining': true, 'x-ratelimit-reset': true },
  });
}
