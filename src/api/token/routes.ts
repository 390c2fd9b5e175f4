// POST /{org}/{app}/token — app and user tokens (REFERENCE §2a; easemob_app_token.md, easemob_user_token.md,
// Agora generate_app_tokens.md).
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services/index.js';
import { bearerToken } from '../../http/context.js';
import { perSecond } from '../../http/rate-limit.js';
import { grantBody } from './present.js';

export async function tokenRoutes(server: FastifyInstance, { services }: { services: Services }): Promise<void> {
  // POST /token
  server.post('/token', { config: { rateLimit: perSecond(300) } }, async (req) =>
    grantBody(req.chatApp, await services.grants.grant(req.chatApp, req.body, bearerToken(req))),
  );
}
