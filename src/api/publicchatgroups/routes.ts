// GET /publicchatgroups — the public groups a client may join (the web SDK's getPublicGroups).
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services/index.js';
import { envelope } from '../../http/envelope.js';
import { perSecond } from '../../http/rate-limit.js';
import { publicGroupItem } from '../chatgroups/present.js';

export async function publicChatgroupsRoutes(server: FastifyInstance, { services }: { services: Services }): Promise<void> {
  // GET /publicchatgroups?limit=&cursor= — newest first
  server.get<{ Querystring: Record<string, string | undefined> }>('/publicchatgroups', { config: { rateLimit: perSecond(100) } }, async (req, reply) => {
    const page = await services.groups.publicGroups(req.chatApp, req.query);
    const data = page.items.map(publicGroupItem);
    return envelope(req, reply, { data, count: data.length, cursor: page.cursor });
  });
}
