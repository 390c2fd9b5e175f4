// Message recall by the app (message_recall.md). The current path is /messages/msg_recall; the
// PHP SDK (src/Message.php) calls /messages/recall with the same body.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services/index.js';
import { envelope } from '../../http/envelope.js';
import { perSecond } from '../../http/rate-limit.js';

export async function messageRecallRoutes(server: FastifyInstance, { services }: { services: Services }): Promise<void> {
  /** `data` is the page's {msg_id, recalled, from, to, chattype}; `recalled` is "yes" or why not. */
  const recall = async (req: FastifyRequest, reply: FastifyReply) => {
    const data = await services.messageLifecycle.recallRest(req.chatApp, req.body);
    const body = envelope(req, reply, { data });
    delete body.entities;
    return body;
  };
  // Documented rate: 100 calls per second (REFERENCE §2g).
  // POST /messages/msg_recall
  server.post('/messages/msg_recall', { config: { rateLimit: perSecond(100) } }, recall);
  // POST /messages/recall
  server.post('/messages/recall', { config: { rateLimit: perSecond(100) } }, recall);
}
