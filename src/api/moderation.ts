// Mutes, mute-all, allowlist and blocklist routes, the same for groups and chatrooms
// (seed 003 for chatroom mutes; REFERENCE §2c/§2d for the rest). Mounted by each resource folder.
import type { FastifyInstance } from 'fastify';
import type { ListResult, ModerationService } from '../services/moderation.js';
import { envelope } from '../http/envelope.js';
import { perSecond } from '../http/rate-limit.js';

type RoomParams = Record<string, string>;
type RoomUsersParams = RoomParams & { usernames: string };

const LIMIT = { rateLimit: perSecond(100) };

export function registerModerationRoutes(
  server: FastifyInstance,
  resource: 'chatgroups' | 'chatrooms',
  moderation: ModerationService,
  idKey: 'groupid' | 'chatroomid',
): void {
  // The id parameter keeps the name the resource's other routes use at this position.
  const param = resource === 'chatgroups' ? 'group_id' : 'chatroom_id';
  const base = `/${resource}/:${param}`;
  const withId = (id: string, rows: ListResult[]) => rows.map((r) => ({ ...r, [idKey]: id }));

  // POST /{resource}/{id}/mute {"usernames": [≤ 60], "mute_duration": ms | -1}
  server.post<{ Params: RoomParams }>(`${base}/mute`, { config: LIMIT }, async (req, reply) =>
    envelope(req, reply, { data: await moderation.mute(req.chatApp, req.params[param]!, req.body) }),
  );

  // GET /{resource}/{id}/mute — members whose mute has not expired
  server.get<{ Params: RoomParams }>(`${base}/mute`, { config: LIMIT }, async (req, reply) =>
    envelope(req, reply, { data: await moderation.mutes(req.chatApp, req.params[param]!) }),
  );

  // DELETE /{resource}/{id}/mute/{member} — one name or a comma list ("," or %2C)
  server.delete<{ Params: RoomUsersParams }>(`${base}/mute/:usernames`, { config: LIMIT }, async (req, reply) =>
    envelope(req, reply, { data: await moderation.unmute(req.chatApp, req.params[param]!, req.params.usernames) }),
  );

  // POST /{resource}/{id}/ban — mute all; the body may be empty, or {"mute_duration": -1}
  server.post<{ Params: RoomParams }>(`${base}/ban`, { config: LIMIT }, async (req, reply) => {
    const mute = await moderation.setMuteAll(req.chatApp, req.params[param]!, true);
    // The chatroom page (and recordings) answer with action "put".
    return envelope(req, reply, { action: resource === 'chatrooms' ? 'put' : 'post', data: { mute } });
  });

  // DELETE /{resource}/{id}/ban — unmute all
  server.delete<{ Params: RoomParams }>(`${base}/ban`, { config: LIMIT }, async (req, reply) =>
    envelope(req, reply, { data: { mute: await moderation.setMuteAll(req.chatApp, req.params[param]!, false) } }),
  );

  // GET /{resource}/{id}/white/users
  server.get<{ Params: RoomParams }>(`${base}/white/users`, { config: LIMIT }, async (req, reply) => {
    const data = await moderation.allowlist(req.chatApp, req.params[param]!);
    return envelope(req, reply, { data, count: data.length });
  });

  // POST /{resource}/{id}/white/users/{username} — one user
  server.post<{ Params: RoomUsersParams }>(`${base}/white/users/:usernames`, { config: LIMIT }, async (req, reply) => {
    const [row] = withId(req.params[param]!, await moderation.allow(req.chatApp, req.params[param]!, [req.params.usernames.toLowerCase()]));
    return envelope(req, reply, { data: row });
  });

  // POST /{resource}/{id}/white/users {"usernames": [≤ 60]}
  server.post<{ Params: RoomParams }>(`${base}/white/users`, { config: LIMIT }, async (req, reply) =>
    envelope(req, reply, { data: withId(req.params[param]!, await moderation.allowMany(req.chatApp, req.params[param]!, req.body)) }),
  );

  // DELETE /{resource}/{id}/white/users/{u1,u2}
  server.delete<{ Params: RoomUsersParams }>(`${base}/white/users/:usernames`, { config: LIMIT }, async (req, reply) =>
    envelope(req, reply, { data: withId(req.params[param]!, await moderation.disallow(req.chatApp, req.params[param]!, req.params.usernames)) }),
  );

  // GET /{resource}/{id}/blocks/users
  server.get<{ Params: RoomParams }>(`${base}/blocks/users`, { config: LIMIT }, async (req, reply) => {
    const data = await moderation.blocklist(req.chatApp, req.params[param]!);
    return envelope(req, reply, { data, count: data.length });
  });

  // POST /{resource}/{id}/blocks/users/{username} — one member: removed and kept out
  server.post<{ Params: RoomUsersParams }>(`${base}/blocks/users/:usernames`, { config: LIMIT }, async (req, reply) => {
    const [row] = withId(req.params[param]!, await moderation.block(req.chatApp, req.params[param]!, [req.params.usernames.toLowerCase()], true));
    return envelope(req, reply, { data: row });
  });

  // POST /{resource}/{id}/blocks/users {"usernames": [≤ 60]} — non-members reported in place
  server.post<{ Params: RoomParams }>(`${base}/blocks/users`, { config: LIMIT }, async (req, reply) =>
    envelope(req, reply, { data: withId(req.params[param]!, await moderation.blockMany(req.chatApp, req.params[param]!, req.body)) }),
  );

  // DELETE /{resource}/{id}/blocks/users/{username} or /{u1,u2}
  server.delete<{ Params: RoomUsersParams }>(`${base}/blocks/users/:usernames`, { config: LIMIT }, async (req, reply) => {
    const rows = withId(req.params[param]!, await moderation.unblock(req.chatApp, req.params[param]!, req.params.usernames));
    return envelope(req, reply, { data: req.params.usernames.includes(',') ? rows : rows[0] });
  });
}
