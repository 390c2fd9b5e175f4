// Unknown paths answer 404 and known paths with the wrong method 405, both with an error body.
// A second, method-less router over every registered path tells the two apart.
import type { FastifyInstance } from 'fastify';
import FindMyWay from 'find-my-way';
import { DomainError } from '../services/errors.js';
import { sendError } from './errors.js';

export function registerFallbacks(server: FastifyInstance): void {
  const paths = FindMyWay({ ignoreTrailingSlash: true, maxParamLength: 8192 });
  const seen = new Set<string>();
  server.addHook('onRoute', (route) => {
    // Paths of the same shape with other parameter names (`…/white/users/:username` and
    // `…/white/users/:usernames`) are one path to this router.
    const shape = route.url.replace(/:[^/]+/g, ':');
    if (seen.has(shape)) return;
    seen.add(shape);
    paths.on('GET', route.url, () => undefined);
  });
  server.setNotFoundHandler((req, reply) => {
    const pathname = req.url.split('?')[0] ?? '/';
    sendError(reply, new DomainError(paths.find('GET', pathname) ? 'methodNotAllowed' : 'routeNotFound'));
  });
}
