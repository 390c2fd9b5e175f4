// IM users (REFERENCE §2b): register, get, list, delete, change password, deactivate / activate.
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services/index.js';
import { actionResult, envelope } from '../../http/envelope.js';
import { perSecond } from '../../http/rate-limit.js';

interface UsernameParams {
  username: string;
}

const USERS_PAGE_MAX = 100;

const listQuery = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1 },
    cursor: { type: 'string', minLength: 1 },
  },
} as const;

export async function usersRoutes(server: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const users = services.users;

  // POST /users — one user (object) or a batch (array, ≤ 60): account_register_authorized_single/_batch.md
  server.post('/users', { config: { auth: 'registration', rateLimit: perSecond(100) } }, async (req, reply) => {
    const result = await users.register(req.chatApp, req.body);
    return envelope(req, reply, { entities: result.created, data: result.failed.length > 0 ? result.failed : undefined });
  });

  // GET /users?limit=&cursor= — oldest first: account_detail_obtain_batch.md
  server.get<{ Querystring: { limit?: number; cursor?: string } }>(
    '/users',
    { schema: { querystring: listQuery }, config: { rateLimit: perSecond(100) } },
    async (req, reply) => {
      // "若实际用户数量超过 100，返回 100 个用户" — a larger limit returns 100.
      const limit = Math.min(req.query.limit ?? 10, USERS_PAGE_MAX);
      const page = await users.list(req.chatApp, limit, req.query.cursor);
      return envelope(req, reply, { entities: page.entities, count: page.entities.length, cursor: page.cursor, params: true });
    },
  );

  // GET /users/{username}: account_detail_obtain_single.md
  server.get<{ Params: UsernameParams }>('/users/:username', { config: { rateLimit: perSecond(100) } }, async (req, reply) => {
    const user = await users.get(req.chatApp, req.params.username);
    return envelope(req, reply, { entities: [user], count: 1 });
  });

  // DELETE /users/{username}: account_delete_single.md
  server.delete<{ Params: UsernameParams }>('/users/:username', { config: { rateLimit: perSecond(100) } }, async (req, reply) => {
    const user = await users.delete(req.chatApp, req.params.username);
    return envelope(req, reply, { entities: [user] });
  });

  // PUT /users/{username}/password: account_password_change.md
  server.put<{ Params: UsernameParams }>('/users/:username/password', { config: { rateLimit: perSecond(100) } }, async (req, reply) => {
    await users.changePassword(req.chatApp, req.params.username, req.body);
    return actionResult(reply, 'set user password');
  });

  // POST /users/{username}/deactivate: account_ban.md
  server.post<{ Params: UsernameParams }>('/users/:username/deactivate', { config: { rateLimit: perSecond(100) } }, async (req, reply) => {
    const user = await users.setActivated(req.chatApp, req.params.username, false);
    return actionResult(reply, 'Deactivate user', [user]);
  });

  // POST /users/{username}/activate: account_unban.md
  server.post<{ Params: UsernameParams }>('/users/:username/activate', { config: { rateLimit: perSecond(100) } }, async (req, reply) => {
    await users.setActivated(req.chatApp, req.params.username, true);
    return actionResult(reply, 'activate user');
  });
}
