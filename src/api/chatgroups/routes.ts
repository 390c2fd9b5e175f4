// Groups (seed 001 "群组管理"), members and admins (REFERENCE §2d, group_member.md).
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services/index.js';
import { envelope } from '../../http/envelope.js';
import { perSecond } from '../../http/rate-limit.js';
import { registerModerationRoutes } from '../moderation.js';

interface GroupParams {
  group_id: string;
}
interface GroupUserParams extends GroupParams {
  username: string;
}

const GROUPS_PAGE_MAX = 1000;
const USER_GROUPS_PAGE_MAX = 20;
const MEMBERS_PAGE_MAX = 1000;

const pageQuery = (props: Record<string, object>) => ({ type: 'object', properties: props }) as const;

export async function chatgroupsRoutes(server: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const groups = services.groups;

  // POST /chatgroups — create
  server.post('/chatgroups', { config: { rateLimit: perSecond(100) } }, async (req, reply) => {
    const groupid = await groups.create(req.chatApp, req.body);
    return envelope(req, reply, { data: { groupid } });
  });

  // GET /chatgroups?limit=&cursor= — newest first; a limit above 1000 returns 1000
  server.get<{ Querystring: { limit?: number; cursor?: string } }>(
    '/chatgroups',
    {
      schema: { querystring: pageQuery({ limit: { type: 'integer', minimum: 1 }, cursor: { type: 'string', minLength: 1 } }) },
      config: { rateLimit: perSecond(100) },
    },
    async (req, reply) => {
      const page = await groups.list(req.chatApp, Math.min(req.query.limit ?? 10, GROUPS_PAGE_MAX), req.query.cursor);
      return envelope(req, reply, { data: page.items, cursor: page.cursor, count: page.items.length, params: true });
    },
  );

  // GET /chatgroups/user/{username}?pagesize=&pagenum= — pagesize 1..20 (default 5)
  server.get<{ Params: { username: string }; Querystring: { pagesize?: number; pagenum?: number } }>(
    '/chatgroups/user/:username',
    {
      schema: { querystring: pageQuery({ pagesize: { type: 'integer', minimum: 1 }, pagenum: { type: 'integer', minimum: 0 } }) },
      config: { rateLimit: perSecond(50) },
    },
    async (req, reply) => {
      const pagesize = Math.min(req.query.pagesize ?? 5, USER_GROUPS_PAGE_MAX);
      const page = await groups.userGroups(req.chatApp, req.params.username, req.query.pagenum ?? 1, pagesize);
      return envelope(req, reply, { entities: page.items, extra: { total: page.total } });
    },
  );

  // GET /chatgroups/{group_id}/user/{username}/is_joined
  server.get<{ Params: GroupUserParams }>('/chatgroups/:group_id/user/:username/is_joined', { config: { rateLimit: perSecond(100) } }, async (req, reply) =>
    envelope(req, reply, { data: await groups.isJoined(req.chatApp, req.params.group_id, req.params.username) }),
  );

  // GET /chatgroups/{group_id1,group_id2,…} — details of up to 100 groups
  server.get<{ Params: GroupParams }>('/chatgroups/:group_id', { config: { rateLimit: perSecond(100) } }, async (req, reply) => {
    const data = await groups.details(req.chatApp, req.params.group_id);
    return envelope(req, reply, { data, count: data.length, properties: {} });
  });

  // POST /chatgroups/{group_id}/disable
  server.post<{ Params: GroupParams }>('/chatgroups/:group_id/disable', { config: { rateLimit: perSecond(100) } }, async (req, reply) =>
    envelope(req, reply, { data: { disabled: await groups.setDisabled(req.chatApp, req.params.group_id, true) }, properties: {} }),
  );

  // POST /chatgroups/{group_id}/enable
  server.post<{ Params: GroupParams }>('/chatgroups/:group_id/enable', { config: { rateLimit: perSecond(100) } }, async (req, reply) =>
    envelope(req, reply, { data: { disabled: await groups.setDisabled(req.chatApp, req.params.group_id, false) }, properties: {} }),
  );

  // PUT /chatgroups/{group_id} — modify, or {"newowner"} to transfer ownership
  server.put<{ Params: GroupParams }>('/chatgroups/:group_id', { config: { rateLimit: perSecond(100) } }, async (req, reply) =>
    envelope(req, reply, { data: await groups.modify(req.chatApp, req.params.group_id, req.body), properties: {} }),
  );

  // DELETE /chatgroups/{group_id} — dissolve
  server.delete<{ Params: GroupParams }>('/chatgroups/:group_id', { config: { rateLimit: perSecond(100) } }, async (req, reply) => {
    await groups.dissolve(req.chatApp, req.params.group_id);
    return envelope(req, reply, { data: { success: true, groupid: req.params.group_id } });
  });

  // GET /chatgroups/{group_id}/users?pagenum=&pagesize=&joined_time= — pagesize 1..1000 (default 1000)
  server.get<{ Params: GroupParams; Querystring: { pagenum?: number; pagesize?: number; joined_time?: boolean } }>(
    '/chatgroups/:group_id/users',
    {
      schema: {
        querystring: pageQuery({ pagenum: { type: 'integer', minimum: 0 }, pagesize: { type: 'integer', minimum: 1 }, joined_time: { type: 'boolean' } }),
      },
      config: { rateLimit: perSecond(100) },
    },
    async (req, reply) => {
      const pagesize = Math.min(req.query.pagesize ?? MEMBERS_PAGE_MAX, MEMBERS_PAGE_MAX);
      const data = await groups.members(req.chatApp, req.params.group_id, req.query.pagenum ?? 1, pagesize, req.query.joined_time === true);
      return envelope(req, reply, { data, count: data.length, params: true });
    },
  );

  // POST /chatgroups/{group_id}/users/{username} — add one member
  server.post<{ Params: GroupUserParams }>('/chatgroups/:group_id/users/:username', { config: { rateLimit: perSecond(100) } }, async (req, reply) => {
    const user = await groups.addMember(req.chatApp, req.params.group_id, req.params.username);
    return envelope(req, reply, { data: { result: true, groupid: req.params.group_id, action: 'add_member', user } });
  });

  // POST /chatgroups/{group_id}/users {"usernames": [...]} — add up to 60 members
  server.post<{ Params: GroupParams }>('/chatgroups/:group_id/users', { config: { rateLimit: perSecond(100) } }, async (req, reply) => {
    const newmembers = await groups.addMembers(req.chatApp, req.params.group_id, req.body);
    return envelope(req, reply, { data: { newmembers, groupid: req.params.group_id, action: 'add_member' } });
  });

  // DELETE /chatgroups/{group_id}/users/{username} or /{u1,u2,…} — remove one (object) or many (array)
  server.delete<{ Params: GroupUserParams }>('/chatgroups/:group_id/users/:username', { config: { rateLimit: perSecond(100) } }, async (req, reply) => {
    const { group_id: id, username } = req.params;
    if (username.includes(',')) return envelope(req, reply, { data: await groups.removeMembers(req.chatApp, id, username) });
    const user = await groups.removeMember(req.chatApp, id, username);
    return envelope(req, reply, { data: { result: true, action: 'remove_member', user, groupid: id } });
  });

  // GET /chatgroups/{group_id}/admin
  server.get<{ Params: GroupParams }>('/chatgroups/:group_id/admin', { config: { rateLimit: perSecond(100) } }, async (req, reply) => {
    const data = await groups.admins(req.chatApp, req.params.group_id);
    return envelope(req, reply, { data, count: data.length });
  });

  // POST /chatgroups/{group_id}/admin {"newadmin"}
  server.post<{ Params: GroupParams }>('/chatgroups/:group_id/admin', { config: { rateLimit: perSecond(100) } }, async (req, reply) => {
    const newadmin = await groups.addAdmin(req.chatApp, req.params.group_id, req.body);
    return envelope(req, reply, { data: { result: 'success', newadmin } });
  });

  // DELETE /chatgroups/{group_id}/admin/{username}
  server.delete<{ Params: GroupUserParams }>('/chatgroups/:group_id/admin/:username', { config: { rateLimit: perSecond(100) } }, async (req, reply) => {
    const oldadmin = await groups.removeAdmin(req.chatApp, req.params.group_id, req.params.username);
    return envelope(req, reply, { data: { result: 'success', oldadmin } });
  });

  registerModerationRoutes(server, 'chatgroups', services.groupModeration, 'groupid');
}
