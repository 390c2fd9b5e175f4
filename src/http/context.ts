// Request context: which app a request is for (from /{org}/{app}/…) and who is calling.
// Routes declare their authentication in `config.auth`; the default is the app (admin) token.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { App } from '../services/apps.js';
import { DomainError, fail } from '../services/errors.js';
import type { Principal } from '../services/tokens.js';
import type { Services } from '../services/index.js';

/**
 * - `admin`: an app token is required (every admin REST operation);
 * - `registration`: `POST /users`; without a token the documented "registration is not open" 401;
 * - `optional`: any valid token (app or user) or none; the service decides (shared-file downloads);
 * - `none`: no token is checked by the plumbing (the token endpoint).
 */
export type AuthMode = 'admin' | 'registration' | 'optional' | 'none';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthMode;
  }
  interface FastifyRequest {
    chatApp: App;
    principal: Principal | undefined;
  }
}

export interface AppParams {
  org: string;
  app: string;
}

export function bearerToken(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : header.trim() || undefined;
}

/** The part of the URL after /{org}/{app}, without the query string ("/users/u1"). */
export function appPath(req: FastifyRequest): string {
  const { org, app } = req.params as AppParams;
  const pathname = req.url.split('?')[0] ?? '';
  const prefix = `/${org}/${app}`;
  return pathname.startsWith(prefix) ? pathname.slice(prefix.length) || '/' : pathname;
}

export function registerContext(server: FastifyInstance, services: Services): void {
  server.decorateRequest('chatApp', null as unknown as App);
  server.decorateRequest('principal', undefined);

  server.addHook('onRequest', async (req) => {
    const params = req.params as Partial<AppParams> | undefined;
    if (!params?.org || !params.app) return;
    const app = await services.apps.find(params.org, params.app);
    if (!app) {
      throw new DomainError('appNotFound', { org: params.org, app: params.app, uri: `${params.org}/${params.app}${appPath(req)}` });
    }
    req.chatApp = app;
  });

  server.addHook('preHandler', async (req) => {
    if (!req.chatApp) return;
    const mode = req.routeOptions.config.auth ?? 'admin';
    if (mode === 'none') return;
    const token = bearerToken(req);
    if (mode === 'registration' && !token) fail('registrationClosed');
    if (mode === 'optional') {
      req.principal = token ? await services.tokens.verify(req.chatApp, token) : undefined;
      return;
    }
    const principal = await services.tokens.verify(req.chatApp, token);
    if (principal.kind !== 'app') {
      fail('adminRequired', { method: req.method.toLowerCase(), appUuid: req.chatApp.uuid, path: appPath(req) });
    }
    req.principal = principal;
  });
}
