// Request context: which app a request is for (from /{org}/{app}/…) and who is calling, checked
// against the route's row of the access table (src/api/access.ts) before the handler runs.
import type { FastifyInstance, FastifyRequest, preHandlerHookHandler } from 'fastify';
import { accessOf, type Access, type RoomRole } from '../api/access.js';
import type { App } from '../services/apps.js';
import { DomainError, fail } from '../services/errors.js';
import type { Principal, UserPrincipal } from '../services/tokens.js';
import type { Services } from '../services/index.js';
import type { Standing } from '../services/access.js';
import { foldUsername } from '../services/usernames.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's row of the access table (src/api/access.ts), set when the route is registered. */
    access?: Access;
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

/** The URL without its query string ("/acme/chat/users/u1"). */
export function urlPath(req: FastifyRequest): string {
  const query = req.url.indexOf('?');
  return query === -1 ? req.url : req.url.slice(0, query);
}

/** The part of the URL after /{org}/{app}, without the query string ("/users/u1"). */
export function appPath(req: FastifyRequest, pathname: string = urlPath(req)): string {
  const { org, app } = req.params as AppParams;
  const prefix = `/${org}/${app}`;
  return pathname.startsWith(prefix) ? pathname.slice(prefix.length) || '/' : pathname;
}

/** What an org or app name can be (config.ts): anything else, empty included, names no app. */
const APP_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export function registerContext(server: FastifyInstance, services: Services): void {
  server.decorateRequest('chatApp', null as unknown as App);
  server.decorateRequest('principal', undefined);

  // Each route's row of the access table, looked up once when the route is registered, and its
  // check as the route's first preHandler: no lookup of the rule per request (fastify's
  // `request.routeOptions` builds a new object on every read).
  server.addHook('onRoute', (route) => {
    const access = accessOf(Array.isArray(route.method) ? route.method[0]! : route.method, route.url);
    route.config = { ...(route.config ?? {}), access };
    const own = route.preHandler === undefined ? [] : Array.isArray(route.preHandler) ? route.preHandler : [route.preHandler];
    route.preHandler = [checkAccess(access), ...own];
  });

  server.addHook('onRequest', (req, _reply, done) => {
    const params = req.params as Partial<AppParams> | undefined;
    // Routes outside /{org}/{app} (the root /websocket) have no app in their path.
    if (params?.org === undefined || params.app === undefined) return done();
    const notFound = () => new DomainError('appNotFound', { org: params.org!, app: params.app!, uri: `${params.org}/${params.app}${appPath(req)}` });
    if (!APP_NAME.test(params.org) || !APP_NAME.test(params.app)) return done(notFound());
    // Most requests find their app in memory: no promise for them.
    const cached = services.apps.cached(params.org, params.app);
    if (cached) {
      req.chatApp = cached;
      return done();
    }
    services.apps.find(params.org, params.app).then((app) => {
      if (!app) return done(notFound());
      req.chatApp = app;
      done();
    }, done);
  });

  function checkAccess(rule: Access): preHandlerHookHandler {
    return function (req, _reply, done) {
      if (!req.chatApp || rule === 'none') return done();
      const token = bearerToken(req);
      // An app token already checked may call every route: most requests of an app server.
      const known = token === undefined ? undefined : services.tokens.knownAppToken(req.chatApp, token);
      if (known) {
        req.principal = known;
        return done();
      }
      authorize(req, rule, token).then(() => done(), done);
    };
  }

  async function authorize(req: FastifyRequest, rule: Exclude<Access, 'none'>, token: string | undefined): Promise<void> {
    if (rule === 'registration' && !token) fail('registrationClosed');
    if (rule === 'optional') {
      const principal = token ? await services.tokens.verify(req.chatApp, token) : undefined;
      req.principal = principal?.kind === 'user' ? withDevice(principal, req.query) : principal;
      return;
    }
    const principal = await services.tokens.verify(req.chatApp, token);
    // The app token may call every route.
    if (principal.kind === 'app') {
      req.principal = principal;
      return;
    }
    req.principal = withDevice(principal, req.query);
    const username = principal.user.username;
    const params = (req.params ?? {}) as Record<string, string | undefined>;
    const refuseUser = (): never => fail('adminRequired', { method: req.method.toLowerCase(), appUuid: req.chatApp.uuid, path: appPath(req) });
    if (rule === 'app' || rule === 'registration') return refuseUser();
    if (rule === 'user') return;
    if (rule === 'superadmin') {
      if (!(await services.access.isSuperAdmin(req.chatApp, username))) fail('callerNotSuperAdmin', { username });
      return;
    }
    const self = rule === 'self' || rule.self === true;
    if (self && foldUsername(params.username ?? '') !== username) return refuseUser();
    if (rule === 'self') return;
    requireRole(await services.access.standing(req.chatApp, params, username), rule.room, username);
  }
}

const RANK: Record<Exclude<Standing, 'no_room'>, number> = { none: 0, member: 1, admin: 2, owner: 3 };
const NEEDED: Record<RoomRole, number> = { member: 1, admin: 2, owner: 3 };

/** A user below the role a route needs in its room is refused; a missing room is left to the handler's 404. */
function requireRole(standing: Standing, role: RoomRole, username: string): void {
  if (standing === 'no_room' || RANK[standing] >= NEEDED[role]) return;
  if (standing === 'none') fail('callerNotMember', { username });
  fail(role === 'owner' ? 'callerNotOwner' : 'callerNotAdmin', { username });
}

/** Longest device resource taken from a query (the SDK's are `webim_web_<ms>` and the like). */
const DEVICE_MAX = 256;

/**
 * The user acting from the device the client SDK names in `resource=` (REST.md "R"): the events of
 * what they do are not sent back to that device. A copy: checked principals are cached.
 */
function withDevice(principal: UserPrincipal, query: unknown): UserPrincipal {
  const resource = (query as Record<string, unknown> | undefined)?.resource;
  if (typeof resource !== 'string' || resource === '' || resource.length > DEVICE_MAX) return principal;
  return Object.assign({}, principal, { device: resource });
}
