// Who read a group message (client-protocol REST.md "Groups": getGroupMsgReadUser), from the
// group read acks of members (services/message-lifecycle.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services/index.js';
import { envelope } from '../../http/envelope.js';
import { perSecond } from '../../http/rate-limit.js';

type Req = FastifyRequest<{ Params: { group_id: string; msg_id: string }; Querystring: Record<string, unknown> }>;

export async function groupAcksRoutes(server: FastifyInstance, { services }: { services: Services }): Promise<void> {
  // GET /chatgroups/{group_id}/acks/{msg_id}?limit=&key=
  server.get('/chatgroups/:group_id/acks/:msg_id', { config: { rateLimit: perSecond(100) } }, async (req: Req, reply: FastifyReply) => {
    const r = await services.messageLifecycle.groupReaders(req.chatApp, req.params.group_id, req.params.msg_id, req.query);
    // The fields the SDK's typings name: {ackmid, is_last, next_key, timestamp, total, userlist}.
    return envelope(req, reply, { data: { ackmid: r.msgId, is_last: r.isLast, next_key: r.nextKey, timestamp: r.timestamp, total: r.total, userlist: r.readers } });
  });
}
