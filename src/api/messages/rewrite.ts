// Editing a sent text or custom message by the app (message_modify_text_custom.md).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services/index.js';
import { envelope } from '../../http/envelope.js';
import { perSecond } from '../../http/rate-limit.js';

export async function messageRewriteRoutes(server: FastifyInstance, { services }: { services: Services }): Promise<void> {
  // Documented rate: 100 calls per second per app key.
  // PUT /messages/rewrite/{msg_id}
  server.put<{ Params: { msg_id: string } }>(
    '/messages/rewrite/:msg_id',
    { config: { rateLimit: perSecond(100) } },
    async (req: FastifyRequest<{ Params: { msg_id: string } }>, reply: FastifyReply) => {
      await services.messageLifecycle.editRest(req.chatApp, req.params.msg_id, req.body);
      // The page's answer: `data` is "success", no entities.
      const body = envelope(req, reply, { data: 'success' });
      delete body.entities;
      return body;
    },
  );
}
