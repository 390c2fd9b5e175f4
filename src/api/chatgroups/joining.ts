// Joining and leaving groups from clients (the web SDK's joinGroup, inviteUsersToGroup,
// accept/reject calls and leaveGroup; REST.md "Groups").
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services/index.js';
import { envelope } from '../../http/envelope.js';
import { perSecond } from '../../http/rate-limit.js';
import { inviteRows } from './present.js';

interface GroupParams {
  group_id: string;
}

const LIMIT = { rateLimit: perSecond(100) };

export async function chatgroupsJoiningRoutes(server: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const requests = services.groupRequests;

  // DELETE /chatgroups/{group_id}/quit — the caller leaves (the owner cannot)
  server.delete<{ Params: GroupParams }>('/chatgroups/:group_id/quit', { config: LIMIT }, async (req, reply) => {
    await requests.quit(req.chatApp, req.params.group_id, req.principal!);
    return envelope(req, reply, { data: { result: true } });
  });

  // POST /chatgroups/{group_id}/apply {"message"} — join a public group, or ask to when it is members-only
  server.post<{ Params: GroupParams }>('/chatgroups/:group_id/apply', { config: LIMIT }, async (req, reply) => {
    const { user, outcome } = await requests.apply(req.chatApp, req.params.group_id, req.principal!, req.body);
    return envelope(req, reply, { data: { result: true, action: outcome === 'joined' ? 'join' : 'apply', user, id: req.params.group_id } });
  });

  // POST /chatgroups/{group_id}/apply_verify {"applicant", "verifyResult", "reason"} — the owner or an admin answers
  server.post<{ Params: GroupParams }>('/chatgroups/:group_id/apply_verify', { config: LIMIT }, async (req, reply) => {
    const { user, accepted } = await requests.verifyApplication(req.chatApp, req.params.group_id, req.principal!, req.body);
    return envelope(req, reply, { data: { result: true, action: accepted ? 'apply_accept' : 'apply_decline', user, id: req.params.group_id } });
  });

  // POST /chatgroups/{group_id}/invite {"usernames"} — one row per invitee
  server.post<{ Params: GroupParams }>('/chatgroups/:group_id/invite', { config: LIMIT }, async (req, reply) =>
    envelope(req, reply, { data: inviteRows(await requests.invite(req.chatApp, req.params.group_id, req.principal!, req.body), req.params.group_id) }),
  );

  // POST /chatgroups/{group_id}/invite_verify {"invitee", "verifyResult"} — the invitee answers
  server.post<{ Params: GroupParams }>('/chatgroups/:group_id/invite_verify', { config: LIMIT }, async (req, reply) => {
    const { user, accepted } = await requests.answerInvitation(req.chatApp, req.params.group_id, req.principal!, req.body);
    return envelope(req, reply, { data: { result: true, action: accepted ? 'invite_accept' : 'invite_decline', user, id: req.params.group_id } });
  });
}
