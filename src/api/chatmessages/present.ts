// The history file's download URL, shaped like the hosted one (`…?Expires=<s>&Signature=…`).
import type { FastifyRequest } from 'fastify';
import type { HistoryLink } from '../../services/history.js';

export function historyUrl(req: FastifyRequest, link: HistoryLink): string {
  const app = req.chatApp;
  return `${req.protocol}://${req.host}/${app.org_name}/${app.app_name}/chatmessages/${link.hour}/download?Expires=${link.expires}&Signature=${link.signature}`;
}
