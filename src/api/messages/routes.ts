// REST message sends (REFERENCE §2e: message_single.md, message_group.md, message_chatroom.md).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services/index.js';
import type { Target } from '../../services/messages.js';
import { envelope } from '../../http/envelope.js';
import { perSecond } from '../../http/rate-limit.js';

export async function messagesRoutes(server: FastifyInstance, { services }: { services: Services }): Promise<void> {
  /** `data` maps each target to its message id; message sends answer without `entities`. */
  const send = (target: Target) => async (req: FastifyRequest, reply: FastifyReply) => {
    const data = await services.messages.sendRest(req.chatApp, target, req.body);
    const body = envelope(req, reply, { data });
    delete body.entities;
    return body;
  };

  // Documented calls per second: 1:1 100/s, groups 20/s, chatrooms 100/s ([EN-EasyIM]).
  // POST /messages/users
  server.post('/messages/users', { config: { rateLimit: perSecond(100) } }, send('users'));
  // POST /messages/chatgroups
  server.post('/messages/chatgroups', { config: { rateLimit: perSecond(20) } }, send('chatgroups'));
  // POST /messages/chatrooms
  server.post('/messages/chatrooms', { config: { rateLimit: perSecond(100) } }, send('chatrooms'));
}
