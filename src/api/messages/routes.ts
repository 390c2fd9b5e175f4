// REST message sends (REFERENCE §2e: message_single.md, message_group.md, message_chatroom.md).
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services/index.js';
import type { Target } from '../../services/messages.js';
import { envelope } from '../../http/envelope.js';
import { perSecond } from '../../http/rate-limit.js';

/** Documented calls per second: 1:1 100/s, groups 20/s, chatrooms 100/s ([EN-EasyIM]). */
const SENDS: [Target, number][] = [
  ['users', 100],
  ['chatgroups', 20],
  ['chatrooms', 100],
];

export async function messagesRoutes(server: FastifyInstance, { services }: { services: Services }): Promise<void> {
  for (const [target, calls] of SENDS) {
    // POST /messages/users | /messages/chatgroups | /messages/chatrooms — data maps each target to a message id
    server.post(`/messages/${target}`, { config: { rateLimit: perSecond(calls) } }, async (req, reply) => {
      const data = await services.messages.sendRest(req.chatApp, target, req.body);
      const body = envelope(req, reply, { data });
      // Message sends answer without `entities`.
      delete body.entities;
      return body;
    });
  }
}
