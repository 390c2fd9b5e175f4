// REST message sends (REFERENCE §2e: message_single.md, message_group.md, message_chatroom.md;
// broadcast_to_all_users.md, broadcast_to_online_users.md, broadcast_to_chatrooms.md; the legacy
// POST /messages of the Java SDK 1.x; message_import.md).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services/index.js';
import type { BroadcastScope, Target } from '../../services/messages.js';
import { envelope } from '../../http/envelope.js';
import { perSecond } from '../../http/rate-limit.js';

export async function messagesRoutes(server: FastifyInstance, { services }: { services: Services }): Promise<void> {
  /** `data` maps each target to its message id; message sends answer without `entities`. */
  const send = (target: Target) => async (req: FastifyRequest, reply: FastifyReply) => {
    const data = await services.messages.sendRest(req.chatApp, target, req.body);
    const body = envelope(req, reply, { data });
    delete body.entities;
    return body;
  };

  // Documented calls per second: 1:1 100/s, groups 20/s, chatrooms 100/s ([EN-EasyIM]).
  // POST /messages/users
  server.post('/messages/users', { config: { rateLimit: perSecond(100) } }, send('users'));
  // POST /messages/chatgroups
  server.post('/messages/chatgroups', { config: { rateLimit: perSecond(20) } }, send('chatgroups'));
  // POST /messages/chatrooms
  server.post('/messages/chatrooms', { config: { rateLimit: perSecond(100) } }, send('chatrooms'));
  // Targeted sends: 100 calls/s ([EN-EasyIM] rate table).
  // POST /messages/chatgroups/users
  server.post('/messages/chatgroups/users', { config: { rateLimit: perSecond(100) } }, send('chatgroups/users'));
  // POST /messages/chatrooms/users
  server.post('/messages/chatrooms/users', { config: { rateLimit: perSecond(100) } }, send('chatrooms/users'));

  // POST /messages — legacy: `data` maps each target to "success".
  server.post('/messages', { config: { rateLimit: perSecond(100) } }, async (req, reply) => {
    const body = envelope(req, reply, { data: await services.messages.sendLegacy(req.chatApp, req.body) });
    delete body.entities;
    return body;
  });

  /** Imports answer `data: {msg_id}` with `entities: []` (message_import.md). */
  const importOne = (kind: 'users' | 'chatgroups') => async (req: FastifyRequest, reply: FastifyReply) =>
    envelope(req, reply, { data: { msg_id: await services.messages.importMessage(req.chatApp, kind, req.body) } });
  // POST /messages/users/import
  server.post('/messages/users/import', { config: { rateLimit: perSecond(100) } }, importOne('users'));
  // POST /messages/chatgroups/import
  server.post('/messages/chatgroups/import', { config: { rateLimit: perSecond(100) } }, importOne('chatgroups'));

  /** Broadcasts answer `data: {id}` (the broadcast id, a number) without `entities`. */
  const broadcast = (scope: BroadcastScope) => async (req: FastifyRequest, reply: FastifyReply) => {
    const id = await services.messages.broadcast(req.chatApp, scope, req.body);
    const body = envelope(req, reply, { data: { id } });
    delete body.entities;
    return body;
  };
  // Documented limits: all users 1 per 30 minutes, online users 1 per minute, chatrooms 10 per
  // minute (the daily quotas are not modelled; docs/compat.md).
  // POST /messages/broadcast
  server.post('/messages/broadcast', { config: { rateLimit: { max: 1, timeWindow: 30 * 60_000 } } }, broadcast('all'));
  // POST /messages/users/broadcast
  server.post('/messages/users/broadcast', { config: { rateLimit: { max: 1, timeWindow: 60_000 } } }, broadcast('online'));
  // POST /messages/chatrooms/broadcast
  server.post('/messages/chatrooms/broadcast', { config: { rateLimit: { max: 10, timeWindow: 60_000 } } }, broadcast('chatrooms'));
}
