// Chatroom mutes (seed 003 "聊天室禁言"), mute-all, allowlist and blocklist (REFERENCE §2c;
// chatroom_member.md). The handler bodies are shared with groups (../shared/room-handlers.ts).
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services/index.js';
import { perSecond } from '../../http/rate-limit.js';
import { moderationHandlers } from '../shared/room-handlers.js';
import { roomWire } from './present.js';

const LIMIT = { rateLimit: perSecond(100) };

export async function chatroomsModerationRoutes(server: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const h = moderationHandlers(services.chatroomModeration, roomWire);

  // POST /chatrooms/{chatroom_id}/mute {"usernames": [≤ 60], "mute_duration": ms | -1}
  server.post('/chatrooms/:chatroom_id/mute', { config: LIMIT }, h.mute);

  // GET /chatrooms/{chatroom_id}/mute — members whose mute has not expired
  server.get('/chatrooms/:chatroom_id/mute', { config: LIMIT }, h.mutes);

  // DELETE /chatrooms/{chatroom_id}/mute/{member} — one name or a comma list ("," or %2C)
  server.delete('/chatrooms/:chatroom_id/mute/:usernames', { config: LIMIT }, h.unmute);

  // POST /chatrooms/{chatroom_id}/ban — mute all; the body may be empty, or {"mute_duration": -1}
  server.post('/chatrooms/:chatroom_id/ban', { config: LIMIT }, h.muteAll);

  // DELETE /chatrooms/{chatroom_id}/ban — unmute all
  server.delete('/chatrooms/:chatroom_id/ban', { config: LIMIT }, h.unmuteAll);

  // GET /chatrooms/{chatroom_id}/white/users
  server.get('/chatrooms/:chatroom_id/white/users', { config: LIMIT }, h.allowlist);

  // GET /chatrooms/{chatroom_id}/white/users/{username} — {member, white}: isInChatRoomAllowlist
  server.get('/chatrooms/:chatroom_id/white/users/:username', { config: LIMIT }, h.allowlistStatus);

  // POST /chatrooms/{chatroom_id}/white/users/{username} — one member
  server.post('/chatrooms/:chatroom_id/white/users/:usernames', { config: LIMIT }, h.allowOne);

  // POST /chatrooms/{chatroom_id}/white/users {"usernames": [≤ 60]}
  server.post('/chatrooms/:chatroom_id/white/users', { config: LIMIT }, h.allowMany);

  // DELETE /chatrooms/{chatroom_id}/white/users/{u1,u2}
  server.delete('/chatrooms/:chatroom_id/white/users/:usernames', { config: LIMIT }, h.disallow);

  // GET /chatrooms/{chatroom_id}/blocks/users
  server.get('/chatrooms/:chatroom_id/blocks/users', { config: LIMIT }, h.blocklist);

  // POST /chatrooms/{chatroom_id}/blocks/users/{username} — one member: removed and kept out
  server.post('/chatrooms/:chatroom_id/blocks/users/:usernames', { config: LIMIT }, h.blockOne);

  // POST /chatrooms/{chatroom_id}/blocks/users {"usernames": [≤ 60]} — non-members reported in place
  server.post('/chatrooms/:chatroom_id/blocks/users', { config: LIMIT }, h.blockMany);

  // DELETE /chatrooms/{chatroom_id}/blocks/users/{username} or /{u1,u2}
  server.delete('/chatrooms/:chatroom_id/blocks/users/:usernames', { config: LIMIT }, h.unblock);
}
