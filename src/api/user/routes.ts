// Routes under /user/ (singular) that the web SDK calls with the user's own token (client-protocol
// REST.md "Conversations": deleteConversation).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services/index.js';
import { envelope } from '../../http/envelope.js';
import { perSecond } from '../../http/rate-limit.js';

export async function userRoutes(server: FastifyInstance, { services }: { services: Services }): Promise<void> {
  // DELETE /user/{username}/user_channel — deleteConversation: body {channel, type, delete_roam}.
  server.delete<{ Params: { username: string } }>(
    '/user/:username/user_channel',
    { config: { rateLimit: perSecond(100) } },
    async (req: FastifyRequest<{ Params: { username: string } }>, reply: FastifyReply) => {
      await services.roaming.deleteConversation(req.chatApp, req.params.username.toLowerCase(), req.body);
      return envelope(req, reply, { data: { result: 'ok' } });
    },
  );
}
