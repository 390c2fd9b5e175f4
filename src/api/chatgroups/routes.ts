// Groups (seed 001 "群组管理"), members and admins (REFERENCE §2d, group_member.md).
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services/index.js';
import { envelope } from '../../http/envelope.js';
import { perSecond } from '../../http/rate-limit.js';
import { changedFields } from '../shared/present-rooms.js';
import { roomHandlers } from '../shared/room-handlers.js';
import { groupListItem, groupWire, userGroupItem } from './present.js';

interface GroupParams {
  group_id: string;
}
type Query = Record<string, string | undefined>;

const LIMIT = { rateLimit: perSecond(100) };

export async function chatgroupsRoutes(server: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const groups = services.groups;
  const room = roomHandlers(groups.room, groupWire);

  // POST /chatgroups — create
  server.post('/chatgroups', { config: LIMIT }, async (req, reply) =>
    envelope(req, reply, { data: { groupid: await groups.create(req.chatApp, req.body, req.principal!) } }),
  );

  // GET /chatgroups?limit=&cursor= — newest first; a limit above 1000 returns 1000
  server.get<{ Querystring: Query }>('/chatgroups', { config: LIMIT }, async (req, reply) => {
    const page = await groups.list(req.chatApp, req.query);
    const data = page.items.map((g) => groupListItem(req.chatApp, g));
    return envelope(req, reply, { data, cursor: page.cursor, count: data.length, params: true });
  });

  // GET /chatgroups/user/{username}?pagesize=&pagenum= — pagesize 1..20 (default 5)
  server.get<{ Params: { username: string }; Querystring: Query }>('/chatgroups/user/:username', { config: { rateLimit: perSecond(50) } }, async (req, reply) => {
    const page = await groups.userGroups(req.chatApp, req.params.username, req.query);
    return envelope(req, reply, { entities: page.items.map(userGroupItem), extra: { total: page.total } });
  });

  // GET /chatgroups/user/{username}/joined_count — the client SDK's getJoinedGroupsCount
  server.get<{ Params: { username: string } }>('/chatgroups/user/:username/joined_count', { config: { rateLimit: perSecond(50) } }, async (req, reply) =>
    envelope(req, reply, { data: await groups.joinedCount(req.chatApp, req.params.username) }),
  );

  // GET /chatgroups/{group_id}/user/{username}/is_joined
  server.get<{ Params: GroupParams & { username: string } }>('/chatgroups/:group_id/user/:username/is_joined', { config: LIMIT }, async (req, reply) =>
    envelope(req, reply, { data: await groups.isJoined(req.chatApp, req.params.group_id, req.params.username) }),
  );

  // GET /chatgroups/{group_id1,group_id2,…} — details of up to 100 groups
  server.get('/chatgroups/:group_id', { config: LIMIT }, room.details);

  // POST /chatgroups/{group_id}/disable
  server.post<{ Params: GroupParams }>('/chatgroups/:group_id/disable', { config: LIMIT }, async (req, reply) =>
    envelope(req, reply, { data: { disabled: await groups.setDisabled(req.chatApp, req.params.group_id, true) }, properties: {} }),
  );

  // POST /chatgroups/{group_id}/enable
  server.post<{ Params: GroupParams }>('/chatgroups/:group_id/enable', { config: LIMIT }, async (req, reply) =>
    envelope(req, reply, { data: { disabled: await groups.setDisabled(req.chatApp, req.params.group_id, false) }, properties: {} }),
  );

  // PUT /chatgroups/{group_id} — modify, or {"newowner"} to transfer ownership
  server.put<{ Params: GroupParams }>('/chatgroups/:group_id', { config: LIMIT }, async (req, reply) =>
    envelope(req, reply, { data: changedFields(await groups.modify(req.chatApp, req.params.group_id, req.body, req.principal!)), properties: {} }),
  );

  // DELETE /chatgroups/{group_id} — dissolve
  server.delete('/chatgroups/:group_id', { config: LIMIT }, room.dissolve);

  // GET /chatgroups/{group_id}/announcement
  server.get('/chatgroups/:group_id/announcement', { config: LIMIT }, room.getAnnouncement);

  // POST /chatgroups/{group_id}/announcement {"announcement"} — at most 512 characters
  server.post('/chatgroups/:group_id/announcement', { config: LIMIT }, room.setAnnouncement);

  // GET /chatgroups/{group_id}/users?pagenum=&pagesize=&joined_time= — pagesize 1..1000 (default 1000)
  server.get('/chatgroups/:group_id/users', { config: LIMIT }, room.listMembers);

  // POST /chatgroups/{group_id}/users/{username} — add one member
  server.post('/chatgroups/:group_id/users/:username', { config: LIMIT }, room.addMember);

  // POST /chatgroups/{group_id}/users {"usernames": [...]} — add up to 60 members
  server.post('/chatgroups/:group_id/users', { config: LIMIT }, room.addMembers);

  // DELETE /chatgroups/{group_id}/users/{username} or /{u1,u2,…} — remove one (object) or many (array)
  server.delete('/chatgroups/:group_id/users/:username', { config: LIMIT }, room.removeMembers);

  // GET /chatgroups/{group_id}/admin
  server.get('/chatgroups/:group_id/admin', { config: LIMIT }, room.listAdmins);

  // POST /chatgroups/{group_id}/admin {"newadmin"}
  server.post('/chatgroups/:group_id/admin', { config: LIMIT }, room.addAdmin);

  // DELETE /chatgroups/{group_id}/admin/{username}
  server.delete('/chatgroups/:group_id/admin/:username', { config: LIMIT }, room.removeAdmin);
}
