// The Easemob success envelope, built in one place. Key order follows the hosted responses:
// action, application, path, uri, entities, data, timestamp, duration, organization,
// applicationName, then count / cursor / params / properties where an operation shows them.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { appPath, urlPath } from './context.js';
import { allQueryValues } from './query.js';

export interface EnvelopeFields {
  action?: string;
  entities?: unknown[];
  data?: unknown;
  count?: number;
  cursor?: string;
  /** Echo the query string as `params` ({"limit": ["2"]}). */
  params?: boolean;
  properties?: Record<string, unknown>;
  /** Extra top-level fields some operations show (e.g. `total`). */
  extra?: Record<string, unknown>;
}

/** The default `action` of each method, without a new lower-cased string per answer. */
const ACTIONS = new Map(['GET', 'POST', 'PUT', 'DELETE', 'PATCH'].map((m) => [m, m.toLowerCase()]));

export function envelope(req: FastifyRequest, reply: FastifyReply, fields: EnvelopeFields): Record<string, unknown> {
  const app = req.chatApp;
  const pathname = urlPath(req);
  const body: Record<string, unknown> = {
    action: fields.action ?? ACTIONS.get(req.method) ?? req.method.toLowerCase(),
    application: app.uuid,
    path: appPath(req, pathname),
    uri: `${req.protocol}://${req.host}${pathname}`,
    entities: fields.entities ?? [],
  };
  if (fields.data !== undefined) body.data = fields.data;
  body.timestamp = Date.now();
  body.duration = Math.floor(reply.elapsedTime);
  body.organization = app.org_name;
  body.applicationName = app.app_name;
  if (fields.count !== undefined) body.count = fields.count;
  if (fields.cursor !== undefined) body.cursor = fields.cursor;
  if (fields.params) body.params = allQueryValues(req.url);
  if (fields.properties !== undefined) body.properties = fields.properties;
  return Object.assign(body, fields.extra);
}

/** The short form some user operations answer with: `{action, [entities], timestamp, duration}`. */
export function actionResult(reply: FastifyReply, action: string, entities?: unknown[]): Record<string, unknown> {
  const body: Record<string, unknown> = { action };
  if (entities) body.entities = entities;
  body.timestamp = Date.now();
  body.duration = Math.floor(reply.elapsedTime);
  return body;
}
