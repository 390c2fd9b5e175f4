// Group mutes, mute-all, allowlist and blocklist (REFERENCE §2d; group_member.md). The handler
// bodies are shared with chatrooms (../shared/room-handlers.ts); the paths are the groups' own.
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services/index.js';
import { perSecond } from '../../http/rate-limit.js';
import { moderationHandlers } from '../shared/room-handlers.js';
import { groupWire } from './present.js';

const LIMIT = { rateLimit: perSecond(100) };

export async function chatgroupsModerationRoutes(server: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const h = moderationHandlers(services.groupModeration, groupWire);

  // POST /chatgroups/{group_id}/mute {"usernames": [≤ 60], "mute_duration": ms | -1}
  server.post('/chatgroups/:group_id/mute', { config: LIMIT }, h.mute);

  // GET /chatgroups/{group_id}/mute — members whose mute has not expired
  server.get('/chatgroups/:group_id/mute', { config: LIMIT }, h.mutes);

  // DELETE /chatgroups/{group_id}/mute/{member} — one name or a comma list ("," or %2C)
  server.delete('/chatgroups/:group_id/mute/:usernames', { config: LIMIT }, h.unmute);

  // POST /chatgroups/{group_id}/ban — mute all
  server.post('/chatgroups/:group_id/ban', { config: LIMIT }, h.muteAll);

  // DELETE /chatgroups/{group_id}/ban — unmute all
  server.delete('/chatgroups/:group_id/ban', { config: LIMIT }, h.unmuteAll);

  // GET /chatgroups/{group_id}/white/users
  server.get('/chatgroups/:group_id/white/users', { config: LIMIT }, h.allowlist);

  // GET /chatgroups/{group_id}/white/users/{username} — {member, white}: isInGroupAllowlist
  server.get('/chatgroups/:group_id/white/users/:username', { config: LIMIT }, h.allowlistStatus);

  // POST /chatgroups/{group_id}/white/users/{username} — one member
  server.post('/chatgroups/:group_id/white/users/:usernames', { config: LIMIT }, h.allowOne);

  // POST /chatgroups/{group_id}/white/users {"usernames": [≤ 60]}
  server.post('/chatgroups/:group_id/white/users', { config: LIMIT }, h.allowMany);

  // DELETE /chatgroups/{group_id}/white/users/{u1,u2}
  server.delete('/chatgroups/:group_id/white/users/:usernames', { config: LIMIT }, h.disallow);

  // GET /chatgroups/{group_id}/blocks/users
  server.get('/chatgroups/:group_id/blocks/users', { config: LIMIT }, h.blocklist);

  // POST /chatgroups/{group_id}/blocks/users/{username} — one member: removed and kept out
  server.post('/chatgroups/:group_id/blocks/users/:usernames', { config: LIMIT }, h.blockOne);

  // POST /chatgroups/{group_id}/blocks/users {"usernames": [≤ 60]} — non-members reported in place
  server.post('/chatgroups/:group_id/blocks/users', { config: LIMIT }, h.blockMany);

  // DELETE /chatgroups/{group_id}/blocks/users/{username} or /{u1,u2}
  server.delete('/chatgroups/:group_id/blocks/users/:usernames', { config: LIMIT }, h.unblock);
}
