// Calls the client SDKs make under /{org}/{app}/sdk (REST.md): the token expiry check of renewToken.
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services/index.js';
import { appPath, bearerToken } from '../../http/context.js';
import { envelope } from '../../http/envelope.js';
import { fail } from '../../services/errors.js';

/** What a token that never expires answers: far enough that no client counts down to it. */
const NEVER_MS = 100 * 365 * 24 * 3600 * 1000;

export async function sdkRoutes(server: FastifyInstance, { services }: { services: Services }): Promise<void> {
  // GET /sdk/users/{username}/token/expires — expire_timestamp (Unix ms) of the bearer, a token of that user
  server.get<{ Params: { username: string } }>('/sdk/users/:username/token/expires', { config: { auth: 'none' } }, async (req, reply) => {
    const principal = await services.tokens.verify(req.chatApp, bearerToken(req));
    if (principal.kind !== 'user' || principal.user.username !== req.params.username.toLowerCase()) {
      fail('adminRequired', { method: 'get', appUuid: req.chatApp.uuid, path: appPath(req) });
    }
    const expireTimestamp = principal.expiresAt === 0 ? Date.now() + NEVER_MS : principal.expiresAt;
    return envelope(req, reply, { extra: { expire_timestamp: expireTimestamp } });
  });
}
