// The client SDK's history (roaming) call with the user's own token (client-protocol REST.md
// "History (roaming) and deletion": getHistoryMessages), and the one-way conversation deletion of
// the REST API (message_recall.md "单向删除会话").
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services/index.js';
import { envelope } from '../../http/envelope.js';
import { perSecond } from '../../http/rate-limit.js';
import { historyWire } from '../sdk/present.js';

const LIMIT = { rateLimit: perSecond(100) };

export async function messageRoamingRoutes(server: FastifyInstance, { services }: { services: Services }): Promise<void> {
  // POST /users/{username}/messageroaming
  server.post<{ Params: { username: string } }>('/users/:username/messageroaming', { config: LIMIT }, async (req: FastifyRequest<{ Params: { username: string } }>, reply: FastifyReply) => {
    const page = await services.roaming.history(req.chatApp, req.params.username.toLowerCase(), req.body);
    return envelope(req, reply, { data: historyWire(page, `${req.chatApp.org_name}#${req.chatApp.app_name}`) });
  });

  // DELETE /users/{username}/user_channel
  server.delete<{ Params: { username: string } }>('/users/:username/user_channel', { config: LIMIT }, async (req: FastifyRequest<{ Params: { username: string } }>, reply: FastifyReply) => {
    await services.roaming.deleteConversation(req.chatApp, req.params.username.toLowerCase(), req.body);
    return envelope(req, reply, { data: { result: 'ok' } });
  });
}
