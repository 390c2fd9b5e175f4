// Chatrooms (REFERENCE §2c: chatroom_manage.md, chatroom_member.md): create, list, details,
// modify, delete, announcement, members and admins. Mutes and lists are in moderation.ts.
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services/index.js';
import { envelope } from '../../http/envelope.js';
import { perSecond } from '../../http/rate-limit.js';
import { roomHandlers } from '../shared/room-handlers.js';
import { roomChangedFields, roomListItem, roomWire } from './present.js';

interface RoomParams {
  chatroom_id: string;
}

const LIMIT = { rateLimit: perSecond(100) };

export async function chatroomsRoutes(server: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const { chatrooms } = services;
  const room = roomHandlers(chatrooms.room, roomWire);

  // POST /chatrooms — data.id
  server.post('/chatrooms', { config: { rateLimit: perSecond(50) } }, async (req, reply) =>
    envelope(req, reply, { data: { id: await chatrooms.create(req.chatApp, req.body, req.principal!) } }),
  );

  // GET /chatrooms?limit=&cursor= — newest first, limit 1..1000 (default 10)
  server.get<{ Querystring: Record<string, string | undefined> }>('/chatrooms', { config: { rateLimit: perSecond(50) } }, async (req, reply) => {
    const page = await chatrooms.list(req.chatApp, req.query);
    const data = page.items.map(roomListItem);
    return envelope(req, reply, { data, cursor: page.cursor, count: data.length, params: true, properties: {} });
  });

  // GET /chatrooms/{id1,id2,…} — details; `data` is always an array
  server.get('/chatrooms/:chatroom_id', { config: LIMIT }, room.details);

  // PUT /chatrooms/{id} — name, description, maxusers (answered as groupname/description/maxusers), or {"newowner"}
  server.put<{ Params: RoomParams }>('/chatrooms/:chatroom_id', { config: LIMIT }, async (req, reply) =>
    envelope(req, reply, { data: roomChangedFields(await chatrooms.modify(req.chatApp, req.params.chatroom_id, req.body, req.principal!)) }),
  );

  // DELETE /chatrooms/{id}
  server.delete('/chatrooms/:chatroom_id', { config: LIMIT }, room.dissolve);

  // GET /chatrooms/{id}/announcement
  server.get('/chatrooms/:chatroom_id/announcement', { config: LIMIT }, room.getAnnouncement);

  // POST /chatrooms/{id}/announcement {"announcement"} — at most 512 characters
  server.post('/chatrooms/:chatroom_id/announcement', { config: LIMIT }, room.setAnnouncement);

  // GET /chatrooms/{id}/users?pagenum=&pagesize= — [{owner}, {member}…]
  server.get('/chatrooms/:chatroom_id/users', { config: LIMIT }, room.listMembers);

  // POST /chatrooms/{id}/users/{username}
  server.post('/chatrooms/:chatroom_id/users/:username', { config: LIMIT }, room.addMember);

  // POST /chatrooms/{id}/users {"usernames": [≤ 60]}
  server.post('/chatrooms/:chatroom_id/users', { config: LIMIT }, room.addMembers);

  // DELETE /chatrooms/{id}/users/{username} or /{u1,u2}
  server.delete('/chatrooms/:chatroom_id/users/:username', { config: LIMIT }, room.removeMembers);

  // GET /chatrooms/{id}/admin
  server.get('/chatrooms/:chatroom_id/admin', { config: LIMIT }, room.listAdmins);

  // POST /chatrooms/{id}/admin {"newadmin"}
  server.post('/chatrooms/:chatroom_id/admin', { config: LIMIT }, room.addAdmin);

  // DELETE /chatrooms/{id}/admin/{username}
  server.delete('/chatrooms/:chatroom_id/admin/:username', { config: LIMIT }, room.removeAdmin);
}
