// The client SDK's conversation list with the user's own token (client-protocol REST.md
// "Conversations": getServerConversations, getServerPinnedConversations).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services/index.js';
import { envelope } from '../../http/envelope.js';
import { perSecond } from '../../http/rate-limit.js';
import { conversationsWire } from './present.js';

export async function sdkConversationsRoutes(server: FastifyInstance, { services }: { services: Services }): Promise<void> {
  // GET /sdk/user/{username}/user_channels/list?limit=&cursor=&need_mark=&needEmptySession=&is_top=
  server.get<{ Params: { username: string }; Querystring: Record<string, unknown> }>(
    '/sdk/user/:username/user_channels/list',
    { config: { rateLimit: perSecond(100) } },
    async (req: FastifyRequest<{ Params: { username: string }; Querystring: Record<string, unknown> }>, reply: FastifyReply) => {
      const page = await services.roaming.conversations(req.chatApp, req.params.username.toLowerCase(), req.query);
      return envelope(req, reply, { data: conversationsWire(page) });
    },
  );
}
