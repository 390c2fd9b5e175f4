// Chatrooms (REFERENCE §2c: chatroom_manage.md, chatroom_member.md) and their mutes, allowlist and
// blocklist (seed 003; routes shared with groups in ../moderation.ts).
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services/index.js';
import { envelope } from '../../http/envelope.js';
import { perSecond } from '../../http/rate-limit.js';
import { registerModerationRoutes } from '../moderation.js';

interface RoomParams {
  chatroom_id: string;
}
interface RoomUserParams extends RoomParams {
  username: string;
}

const ROOMS_PAGE_MAX = 1000;
const MEMBERS_PAGE_MAX = 1000;
const JOINED_PAGE_MAX = 1000;
const JOINED_DEFAULT = 500;
const LIMIT = { rateLimit: perSecond(100) };

export async function chatroomsRoutes(server: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const { chatrooms } = services;
  const members = chatrooms.members;

  // POST /chatrooms — data.id
  server.post('/chatrooms', { config: { rateLimit: perSecond(50) } }, async (req, reply) =>
    envelope(req, reply, { data: { id: await chatrooms.create(req.chatApp, req.body) } }),
  );

  // GET /chatrooms?limit=&cursor= — newest first, limit 1..1000 (default 10)
  server.get<{ Querystring: { limit?: number; cursor?: string } }>(
    '/chatrooms',
    {
      schema: { querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1 }, cursor: { type: 'string', minLength: 1 } } } },
      config: { rateLimit: perSecond(50) },
    },
    async (req, reply) => {
      const page = await chatrooms.list(req.chatApp, Math.min(req.query.limit ?? 10, ROOMS_PAGE_MAX), req.query.cursor);
      return envelope(req, reply, { data: page.items, cursor: page.cursor, count: page.items.length, params: true, properties: {} });
    },
  );

  // GET /users/{username}/joined_chatrooms?pagenum=&pagesize= — no parameters: the latest 500
  server.get<{ Params: { username: string }; Querystring: { pagenum?: number; pagesize?: number } }>(
    '/users/:username/joined_chatrooms',
    {
      schema: { querystring: { type: 'object', properties: { pagenum: { type: 'integer', minimum: 0 }, pagesize: { type: 'integer', minimum: 1 } } } },
      config: { rateLimit: perSecond(50) },
    },
    async (req, reply) => {
      const paged = req.query.pagenum !== undefined || req.query.pagesize !== undefined;
      const pagesize = paged ? Math.min(req.query.pagesize ?? JOINED_PAGE_MAX, JOINED_PAGE_MAX) : JOINED_DEFAULT;
      const data = await chatrooms.joined(req.chatApp, req.params.username, req.query.pagenum ?? 1, pagesize, !paged);
      return envelope(req, reply, { data, count: data.length });
    },
  );

  // GET /chatrooms/{id1,id2,…} — details; `data` is always an array
  server.get<{ Params: RoomParams }>('/chatrooms/:chatroom_id', { config: LIMIT }, async (req, reply) => {
    const data = await chatrooms.details(req.chatApp, req.params.chatroom_id);
    return envelope(req, reply, { data, count: data.length, properties: {} });
  });

  // PUT /chatrooms/{id} — name, description, maxusers (answered as groupname/description/maxusers), or {"newowner"}
  server.put<{ Params: RoomParams }>('/chatrooms/:chatroom_id', { config: LIMIT }, async (req, reply) =>
    envelope(req, reply, { data: await chatrooms.modify(req.chatApp, req.params.chatroom_id, req.body) }),
  );

  // DELETE /chatrooms/{id}
  server.delete<{ Params: RoomParams }>('/chatrooms/:chatroom_id', { config: LIMIT }, async (req, reply) => {
    await chatrooms.delete(req.chatApp, req.params.chatroom_id);
    return envelope(req, reply, { data: { success: true, id: req.params.chatroom_id } });
  });

  // GET/POST /chatrooms/{id}/announcement (≤ 512 characters)
  server.get<{ Params: RoomParams }>('/chatrooms/:chatroom_id/announcement', { config: LIMIT }, async (req, reply) =>
    envelope(req, reply, { data: { announcement: await members.announcement(req.chatApp, req.params.chatroom_id) } }),
  );
  server.post<{ Params: RoomParams }>('/chatrooms/:chatroom_id/announcement', { config: LIMIT }, async (req, reply) => {
    await members.setAnnouncement(req.chatApp, req.params.chatroom_id, req.body);
    return envelope(req, reply, { data: { id: req.params.chatroom_id, result: true } });
  });

  // GET /chatrooms/{id}/users?pagenum=&pagesize= — [{owner}, {member}…]
  server.get<{ Params: RoomParams; Querystring: { pagenum?: number; pagesize?: number } }>(
    '/chatrooms/:chatroom_id/users',
    {
      schema: { querystring: { type: 'object', properties: { pagenum: { type: 'integer', minimum: 0 }, pagesize: { type: 'integer', minimum: 1 } } } },
      config: LIMIT,
    },
    async (req, reply) => {
      const pagesize = Math.min(req.query.pagesize ?? MEMBERS_PAGE_MAX, MEMBERS_PAGE_MAX);
      const data = await members.members(req.chatApp, req.params.chatroom_id, req.query.pagenum ?? 1, pagesize, false);
      return envelope(req, reply, { data, count: data.length, params: true });
    },
  );

  // POST /chatrooms/{id}/users/{username}
  server.post<{ Params: RoomUserParams }>('/chatrooms/:chatroom_id/users/:username', { config: LIMIT }, async (req, reply) => {
    const user = await members.addMember(req.chatApp, req.params.chatroom_id, req.params.username);
    return envelope(req, reply, { data: { result: true, action: 'add_member', id: req.params.chatroom_id, user } });
  });

  // POST /chatrooms/{id}/users {"usernames": [≤ 60]}
  server.post<{ Params: RoomParams }>('/chatrooms/:chatroom_id/users', { config: LIMIT }, async (req, reply) => {
    const newmembers = await members.addMembers(req.chatApp, req.params.chatroom_id, req.body);
    return envelope(req, reply, { data: { newmembers, action: 'add_member', id: req.params.chatroom_id } });
  });

  // DELETE /chatrooms/{id}/users/{username} or /{u1,u2}
  server.delete<{ Params: RoomUserParams }>('/chatrooms/:chatroom_id/users/:username', { config: LIMIT }, async (req, reply) => {
    const { chatroom_id: id, username } = req.params;
    if (username.includes(',')) {
      const rows = await members.removeMembers(req.chatApp, id, username);
      return envelope(req, reply, { data: rows.map(({ groupid: _g, ...r }) => ({ ...r, id })) });
    }
    const user = await members.removeMember(req.chatApp, id, username);
    return envelope(req, reply, { data: { result: true, action: 'remove_member', user, id } });
  });

  // GET /chatrooms/{id}/admin
  server.get<{ Params: RoomParams }>('/chatrooms/:chatroom_id/admin', { config: LIMIT }, async (req, reply) => {
    const data = await members.admins(req.chatApp, req.params.chatroom_id);
    return envelope(req, reply, { data, count: data.length });
  });

  // POST /chatrooms/{id}/admin {"newadmin"}
  server.post<{ Params: RoomParams }>('/chatrooms/:chatroom_id/admin', { config: LIMIT }, async (req, reply) => {
    const newadmin = await members.addAdmin(req.chatApp, req.params.chatroom_id, req.body);
    return envelope(req, reply, { data: { result: 'success', newadmin } });
  });

  // DELETE /chatrooms/{id}/admin/{username}
  server.delete<{ Params: RoomUserParams }>('/chatrooms/:chatroom_id/admin/:username', { config: LIMIT }, async (req, reply) => {
    const oldadmin = await members.removeAdmin(req.chatApp, req.params.chatroom_id, req.params.username);
    return envelope(req, reply, { data: { result: 'success', oldadmin } });
  });

  registerModerationRoutes(server, 'chatrooms', services.chatroomModeration, 'chatroomid');
}
