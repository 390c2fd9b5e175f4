// Routes under /sdk/ that the web SDK calls with the user's own token (REST.md).
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services/index.js';
import { perSecond } from '../../http/rate-limit.js';
import { moderationHandlers } from '../shared/room-handlers.js';
import { groupWire } from '../chatgroups/present.js';
import { roomWire } from '../chatrooms/present.js';

const LIMIT = { rateLimit: perSecond(100) };

export async function sdkRoutes(server: FastifyInstance, { services }: { services: Services }): Promise<void> {
  // GET /sdk/chatgroups/{group_id}/mute/{username} — isInGroupMutelist
  server.get('/sdk/chatgroups/:group_id/mute/:username', { config: LIMIT }, moderationHandlers(services.groupModeration, groupWire).isMuted);

  // GET /sdk/chatrooms/{chatroom_id}/mute/{username} — isInChatRoomMutelist
  server.get('/sdk/chatrooms/:chatroom_id/mute/:username', { config: LIMIT }, moderationHandlers(services.chatroomModeration, roomWire).isMuted);
}
