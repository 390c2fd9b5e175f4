// Chatroom super admins (chatroom_superadmin.md), the app's own list.
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services/index.js';
import { envelope } from '../../http/envelope.js';
import { perSecond } from '../../http/rate-limit.js';

const LIMIT = { rateLimit: perSecond(100) };

export async function chatroomSuperAdminRoutes(server: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const superAdmins = services.superAdmins;

  // POST /chatrooms/super_admin {"superadmin"}
  server.post('/chatrooms/super_admin', { config: LIMIT }, async (req, reply) => {
    await superAdmins.add(req.chatApp, req.body);
    return envelope(req, reply, { data: { result: 'success', resource: '' } });
  });

  // GET /chatrooms/super_admin?pagenum=&pagesize=
  server.get<{ Querystring: Record<string, string | undefined> }>('/chatrooms/super_admin', { config: LIMIT }, async (req, reply) => {
    const data = await superAdmins.list(req.chatApp, req.query);
    return envelope(req, reply, { data, count: data.length, params: true });
  });

  // DELETE /chatrooms/super_admin/{superadmin}
  server.delete<{ Params: { superadmin: string } }>('/chatrooms/super_admin/:superadmin', { config: LIMIT }, async (req, reply) =>
    envelope(req, reply, { data: { newSuperAdmin: await superAdmins.remove(req.chatApp, req.params.superadmin), resource: '' } }),
  );
}
