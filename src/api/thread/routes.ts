// Threads (子区; seed 002 and group_thread.md), thread members (REFERENCE §4), and what the client
// SDK calls with a user's token (REST.md "Threads").
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services/index.js';
import type { ThreadPageQuery } from '../../services/threads.js';
import { envelope } from '../../http/envelope.js';
import { perSecond } from '../../http/rate-limit.js';
import { cursorProperties, threadDetail, threadItem } from './present.js';

interface ThreadParams {
  thread_id: string;
}
interface ThreadUserParams extends ThreadParams {
  username: string;
}

const LIMIT = { rateLimit: perSecond(100) };

export async function threadRoutes(server: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const threads = services.threads;

  // POST /thread {"group_id", "name", "msg_id", "owner"}
  server.post('/thread', { config: LIMIT }, async (req, reply) =>
    envelope(req, reply, { data: { thread_id: await threads.create(req.chatApp, req.body, req.principal!) } }),
  );

  // GET /thread/{thread_id} — the thread with its member count
  server.get<{ Params: ThreadParams }>('/thread/:thread_id', { config: LIMIT }, async (req, reply) =>
    envelope(req, reply, { data: threadDetail(await threads.detail(req.chatApp, req.params.thread_id)) }),
  );

  // PUT /thread/{thread_id} {"name"}
  server.put<{ Params: ThreadParams }>('/thread/:thread_id', { config: LIMIT }, async (req, reply) =>
    envelope(req, reply, { data: { name: await threads.rename(req.chatApp, req.params.thread_id, req.body, req.principal!) } }),
  );

  // DELETE /thread/{thread_id}
  server.delete<{ Params: ThreadParams }>('/thread/:thread_id', { config: LIMIT }, async (req, reply) => {
    await threads.delete(req.chatApp, req.params.thread_id);
    return envelope(req, reply, { data: { status: 'ok' } });
  });

  // GET /thread?limit=&cursor=&sort= — every thread of the app
  server.get<{ Querystring: ThreadPageQuery }>('/thread', { config: LIMIT }, async (req, reply) => {
    const page = await threads.listApp(req.chatApp, req.query);
    return envelope(req, reply, { entities: page.items, properties: cursorProperties(page.cursor) });
  });

  // GET /threads/user/{username}?limit=&cursor=&sort=
  server.get<{ Params: { username: string }; Querystring: ThreadPageQuery }>('/threads/user/:username', { config: LIMIT }, async (req, reply) => {
    const page = await threads.listJoined(req.chatApp, req.params.username, undefined, req.query);
    return envelope(req, reply, { entities: page.items.map(threadItem), properties: cursorProperties(page.cursor) });
  });

  // GET /threads/chatgroups/{group_id}/user/{username}?limit=&cursor=&sort=
  server.get<{ Params: { group_id: string; username: string }; Querystring: ThreadPageQuery }>(
    '/threads/chatgroups/:group_id/user/:username',
    { config: LIMIT },
    async (req, reply) => {
      const page = await threads.listJoined(req.chatApp, req.params.username, req.params.group_id, req.query);
      return envelope(req, reply, { entities: page.items.map(threadItem), properties: cursorProperties(page.cursor) });
    },
  );

  // GET /threads/chatgroups/{group_id}?limit=&cursor= — the threads of a group
  server.get<{ Params: { group_id: string }; Querystring: ThreadPageQuery }>('/threads/chatgroups/:group_id', { config: LIMIT }, async (req, reply) => {
    const page = await threads.listOfGroup(req.chatApp, req.params.group_id, req.query);
    return envelope(req, reply, { entities: page.items.map(threadItem), properties: cursorProperties(page.cursor) });
  });

  // GET /thread/{thread_id}/users?limit=&cursor=
  server.get<{ Params: ThreadParams; Querystring: ThreadPageQuery }>('/thread/:thread_id/users', { config: LIMIT }, async (req, reply) => {
    const page = await threads.members(req.chatApp, req.params.thread_id, req.query);
    return envelope(req, reply, { data: { affiliations: page.items }, properties: cursorProperties(page.cursor) });
  });

  // POST /thread/{thread_id}/users {"usernames": [≤ 10]}
  server.post<{ Params: ThreadParams }>('/thread/:thread_id/users', { config: LIMIT }, async (req, reply) => {
    await threads.addMembers(req.chatApp, req.params.thread_id, req.body);
    return envelope(req, reply, { data: { status: 'ok' } });
  });

  // DELETE /thread/{thread_id}/users {"usernames": [≤ 10]} — a JSON body on DELETE, as SDKs send it
  server.delete<{ Params: ThreadParams }>('/thread/:thread_id/users', { config: LIMIT }, async (req, reply) =>
    envelope(req, reply, { entities: await threads.removeMembers(req.chatApp, req.params.thread_id, req.body) }),
  );

  // DELETE /thread/{thread_id}/users/{username} — one member (removeChatThreadMember)
  server.delete<{ Params: ThreadUserParams }>('/thread/:thread_id/users/:username', { config: LIMIT }, async (req, reply) =>
    envelope(req, reply, { data: await threads.removeMember(req.chatApp, req.params.thread_id, req.params.username, req.principal!) }),
  );

  // POST /thread/{thread_id}/user/{username}/join — the caller joins (joinChatThread)
  server.post<{ Params: ThreadUserParams }>('/thread/:thread_id/user/:username/join', { config: LIMIT }, async (req, reply) =>
    envelope(req, reply, { data: { detail: threadDetail(await threads.join(req.chatApp, req.params.thread_id, req.principal!)) } }),
  );

  // DELETE /thread/{thread_id}/user/{username}/quit — the caller leaves (leaveChatThread)
  server.delete<{ Params: ThreadUserParams }>('/thread/:thread_id/user/:username/quit', { config: LIMIT }, async (req, reply) =>
    envelope(req, reply, { data: { result: await threads.quit(req.chatApp, req.params.thread_id, req.principal!) } }),
  );
}
