// GET /health — for load balancers and orchestrators (issue 16, docs/deploy.md): not an Easemob
// API, so at the server root beside /websocket and outside the app's routes. 200 with the checks
// as JSON when the process can serve; 503 with the same body when its database or Redis is
// unreachable or it is shutting down.
import type { FastifyInstance } from 'fastify';
import type { HealthService } from '../../services/health.js';

export async function healthRoutes(server: FastifyInstance, { health }: { health: HealthService }): Promise<void> {
  // GET /health
  server.route({
    method: 'GET',
    url: '/health',
    handler: async (_req, reply) => {
      const { ok, ...body } = await health.check();
      return reply.code(ok ? 200 : 503).header('cache-control', 'no-store').send(body);
    },
  });
}
