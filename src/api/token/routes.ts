// POST /{org}/{app}/token — app and user tokens (REFERENCE §2a; easemob_app_token.md, easemob_user_token.md,
// Agora generate_app_tokens.md), and the expiry of a user's token as the web SDK's renewToken asks it.
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services/index.js';
import { bearerToken } from '../../http/context.js';
import { perSecond } from '../../http/rate-limit.js';

export async function tokenRoutes(server: FastifyInstance, { services }: { services: Services }): Promise<void> {
  // POST /token
  server.post('/token', { config: { auth: 'none', rateLimit: perSecond(300) } }, async (req) =>
    services.grants.grant(req.chatApp, req.body, bearerToken(req)),
  );

  // GET /sdk/users/{username}/token/expires — the web SDK's renewToken(newToken) (client-protocol
  // REST.md): Bearer is the user's new token (Easemob or Agora); the SDK restarts its
  // onTokenWillExpire / onTokenExpired timers from expire_timestamp (ms).
  server.get<{ Params: { username: string } }>('/sdk/users/:username/token/expires', { config: { auth: 'none', rateLimit: perSecond(100) } }, async (req) => {
    const principal = await services.tokens.verifyUser(req.chatApp, bearerToken(req), req.params.username);
    return { expire_timestamp: principal.expiresAt ?? NEVER_EXPIRES };
  });
}

/** For a token that never expires (ttl 0): 9999-12-31T23:59:59.999Z, as no real expiry can be later. */
const NEVER_EXPIRES = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
