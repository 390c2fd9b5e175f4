// The client SDK's removal of its own history with the user's token (client-protocol REST.md
// "History (roaming) and deletion": removeHistoryMessages, deleteAllMessagesAndConversations).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services/index.js';
import { envelope } from '../../http/envelope.js';
import { perSecond } from '../../http/rate-limit.js';

const LIMIT = { config: { rateLimit: perSecond(100) } };
type Req = FastifyRequest<{ Params: { username: string }; Querystring: Record<string, unknown> }>;

export async function sdkRoamingRoutes(server: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const remove = (kind: 'chat' | 'group', byTime: boolean) => async (req: Req, reply: FastifyReply) => {
    await services.roaming.removeHistory(req.chatApp, req.params.username.toLowerCase(), kind, byTime, req.query);
    return envelope(req, reply, { data: { result: 'ok' } });
  };
  // DELETE /sdk/message/roaming/chat/user/{username}?userId=&msgIdList=
  server.delete('/sdk/message/roaming/chat/user/:username', LIMIT, remove('chat', false));
  // DELETE /sdk/message/roaming/group/user/{username}?groupId=&msgIdList=
  server.delete('/sdk/message/roaming/group/user/:username', LIMIT, remove('group', false));
  // DELETE /sdk/message/roaming/chat/user/{username}/time?userId=&delTime=
  server.delete('/sdk/message/roaming/chat/user/:username/time', LIMIT, remove('chat', true));
  // DELETE /sdk/message/roaming/group/user/{username}/time?groupId=&delTime=
  server.delete('/sdk/message/roaming/group/user/:username/time', LIMIT, remove('group', true));

  // POST /sdk/message/roaming/user/{username}/delete/all
  server.post('/sdk/message/roaming/user/:username/delete/all', LIMIT, async (req: Req, reply: FastifyReply) => {
    await services.roaming.removeAll(req.chatApp, req.params.username.toLowerCase());
    return envelope(req, reply, { data: { result: 'ok' } });
  });
}
