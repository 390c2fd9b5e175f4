// Routes under /sdk/ that the web SDK calls with the user's own token (REST.md).
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services/index.js';
import { perSecond } from '../../http/rate-limit.js';
import { moderationHandlers } from '../shared/room-handlers.js';
import { groupWire } from '../chatgroups/present.js';
import { roomWire } from '../chatrooms/present.js';
import { bearerToken } from '../../http/context.js';

const LIMIT = { rateLimit: perSecond(100) };

export async function sdkRoutes(server: FastifyInstance, { services }: { services: Services }): Promise<void> {
  // GET /sdk/users/{username}/token/expires — the web SDK's renewToken(newToken) (client-protocol
  // REST.md): Bearer is the user's new token (Easemob or Agora); the SDK restarts its
  // onTokenWillExpire / onTokenExpired timers from expire_timestamp (ms).
  server.get<{ Params: { username: string } }>('/sdk/users/:username/token/expires', { config: LIMIT }, async (req) => {
    const principal = await services.tokens.verifyUser(req.chatApp, bearerToken(req), req.params.username);
    return { expire_timestamp: principal.expiresAt ?? NEVER_EXPIRES };
  });

  // GET /sdk/chatgroups/{group_id}/mute/{username} — isInGroupMutelist
  server.get('/sdk/chatgroups/:group_id/mute/:username', { config: LIMIT }, moderationHandlers(services.groupModeration, groupWire).isMuted);

  // GET /sdk/chatrooms/{chatroom_id}/mute/{username} — isInChatRoomMutelist
  server.get('/sdk/chatrooms/:chatroom_id/mute/:username', { config: LIMIT }, moderationHandlers(services.chatroomModeration, roomWire).isMuted);
}

/** For a token that never expires (ttl 0): 9999-12-31T23:59:59.999Z, as no real expiry can be later. */
const NEVER_EXPIRES = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
