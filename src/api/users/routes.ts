// IM users (REFERENCE §2b): register, get, list, delete, change password, deactivate / activate;
// and the chatrooms a user joined (chatroom_manage.md).
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services/index.js';
import { actionResult, envelope } from '../../http/envelope.js';
import { perSecond } from '../../http/rate-limit.js';
import { joinedRoomItem } from '../chatrooms/present.js';
import { joinedGroupItem } from '../chatgroups/present.js';
import { JOINED_GROUPS_PAGE } from '../../services/groups.js';
import { userEntity } from './present.js';

interface UsernameParams {
  username: string;
}
type Query = Record<string, string | undefined>;

const LIMIT = { rateLimit: perSecond(100) };

export async function usersRoutes(server: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const users = services.users;

  // POST /users — one user (object) or a batch (array, ≤ 60): account_register_authorized_single/_batch.md
  server.post('/users', { config: { rateLimit: perSecond(100) } }, async (req, reply) => {
    const result = await users.register(req.chatApp, req.body);
    return envelope(req, reply, { entities: result.created.map(userEntity), data: result.failed.length > 0 ? result.failed : undefined });
  });

  // GET /users?limit=&cursor= — oldest first: account_detail_obtain_batch.md
  server.get<{ Querystring: Query }>('/users', { config: LIMIT }, async (req, reply) => {
    const page = await users.list(req.chatApp, req.query);
    const entities = page.users.map(userEntity);
    return envelope(req, reply, { entities, count: entities.length, cursor: page.cursor, params: true });
  });

  // GET /users/{username}: account_detail_obtain_single.md
  server.get<{ Params: UsernameParams }>('/users/:username', { config: LIMIT }, async (req, reply) =>
    envelope(req, reply, { entities: [userEntity(await users.get(req.chatApp, req.params.username))], count: 1 }),
  );

  // DELETE /users/{username}: account_delete_single.md
  server.delete<{ Params: UsernameParams }>('/users/:username', { config: LIMIT }, async (req, reply) =>
    envelope(req, reply, { entities: [userEntity(await users.delete(req.chatApp, req.params.username))] }),
  );

  // PUT /users/{username}/password: account_password_change.md
  server.put<{ Params: UsernameParams }>('/users/:username/password', { config: LIMIT }, async (req, reply) => {
    await users.changePassword(req.chatApp, req.params.username, req.body);
    return actionResult(reply, 'set user password');
  });

  // GET /users/{owner_username}/offline_msg_count: message_offline.md (`data` {user: count})
  server.get<{ Params: UsernameParams }>('/users/:username/offline_msg_count', { config: LIMIT }, async (req, reply) => {
    const count = await services.offline.count(req.chatApp, req.params.username);
    return envelope(req, reply, { data: { [req.params.username]: count }, count: 0 });
  });

  // GET /users/{username}/offline_msg_status/{msg_id}: message_offline.md (`data` {msg_id: delivered|undelivered})
  server.get<{ Params: UsernameParams & { msg_id: string } }>('/users/:username/offline_msg_status/:msg_id', { config: LIMIT }, async (req, reply) => {
    const status = await services.offline.status(req.chatApp, req.params.username, req.params.msg_id);
    return envelope(req, reply, { data: { [req.params.msg_id]: status }, count: 0 });
  });

  // POST /users/{username}/deactivate: account_ban.md
  server.post<{ Params: UsernameParams }>('/users/:username/deactivate', { config: LIMIT }, async (req, reply) =>
    actionResult(reply, 'Deactivate user', [userEntity(await users.setActivated(req.chatApp, req.params.username, false))]),
  );

  // POST /users/{username}/activate: account_unban.md
  server.post<{ Params: UsernameParams }>('/users/:username/activate', { config: LIMIT }, async (req, reply) => {
    await users.setActivated(req.chatApp, req.params.username, true);
    return actionResult(reply, 'activate user');
  });

  // GET /users/{username}/joined_chatrooms?pagenum=&pagesize= — no parameters: the latest 500
  server.get<{ Params: UsernameParams; Querystring: Query }>('/users/:username/joined_chatrooms', { config: { rateLimit: perSecond(50) } }, async (req, reply) => {
    const detail = req.query.detail === 'true';
    const data = (await services.chatrooms.joined(req.chatApp, req.params.username, req.query)).map((r) => joinedRoomItem(req.chatApp, r, detail));
    return envelope(req, reply, { data, count: data.length });
  });

  // GET /users/{username}/joined_chatgroups?pagenum=&pagesize= — the client SDK's getJoinedGroups
  server.get<{ Params: UsernameParams; Querystring: Query }>('/users/:username/joined_chatgroups', { config: { rateLimit: perSecond(50) } }, async (req, reply) => {
    const page = await services.groups.userGroups(req.chatApp, req.params.username, req.query, JOINED_GROUPS_PAGE);
    const data = page.items.map(joinedGroupItem);
    return envelope(req, reply, { data, count: data.length, extra: { total: page.total } });
  });
}
