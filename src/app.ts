// Builds a qunliao server: store, services and the fastify instance with every API family.
import { randomBytes, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import Fastify, { type FastifyInstance } from 'fastify';
import type { AppSeed, Config } from './config.js';
import { openStore, type Store } from './store/index.js';
import { createServices, type Services } from './services/index.js';
import { registerBodyParsers } from './http/body-parsers.js';
import { registerContext } from './http/context.js';
import { acceptMultipartBodies } from './http/multipart.js';
import { errorHandler, sendError } from './http/errors.js';
import { DomainError } from './services/errors.js';
import { registerRateLimit } from './http/rate-limit.js';
import { registerFallbacks } from './http/routing.js';
import { answerClientError, answerNodeLevelRequests, closeAfterAnswerIfUnusable, guardRequest } from './http/connection.js';
import { parseQueryFirstWins } from './http/query.js';
import { registerCors } from './http/cors.js';
import { tokenRoutes } from './api/token/routes.js';
import { usersRoutes } from './api/users/routes.js';
import { chatgroupsRoutes } from './api/chatgroups/routes.js';
import { chatgroupsModerationRoutes } from './api/chatgroups/moderation.js';
import { chatgroupsJoiningRoutes } from './api/chatgroups/joining.js';
import { publicChatgroupsRoutes } from './api/publicchatgroups/routes.js';
import { sdkRoutes } from './api/sdk/routes.js';
import { sdkChatfilesRoutes } from './api/sdk/chatfiles.js';
import { chatfilesRoutes } from './api/chatfiles/routes.js';
import { groupFilesRoutes } from './api/chatgroups/files.js';
import { threadRoutes } from './api/thread/routes.js';
import { chatroomsRoutes } from './api/chatrooms/routes.js';
import { chatroomsModerationRoutes } from './api/chatrooms/moderation.js';
import { chatroomSuperAdminRoutes } from './api/chatrooms/super-admins.js';
import { messagesRoutes } from './api/messages/routes.js';
import { chatmessagesRoutes } from './api/chatmessages/routes.js';
import { messageRecallRoutes } from './api/messages/recall.js';
import { messageRewriteRoutes } from './api/messages/rewrite.js';
import { messageRoamingRoutes } from './api/users/messageroaming.js';
import { userRoutes } from './api/user/routes.js';
import { sdkConversationsRoutes } from './api/sdk/conversations.js';
import { sdkRoamingRoutes } from './api/sdk/roaming.js';
import { groupAcksRoutes } from './api/chatgroups/acks.js';
import { wsRoutes } from './api/ws/routes.js';
import { msyncRoutes } from './api/websocket/routes.js';
import websocket from '@fastify/websocket';
import { InProcessFanout, type Fanout } from './coord/fanout.js';
import { RedisFanout } from './coord/redis-fanout.js';
import { RedisLink, type CoordLog } from './coord/redis.js';
import { openBlobStore } from './blobs/open.js';
import { drawWorkerNumber, runAlone } from './store/locks.js';
import { setWorker } from './services/ids.js';
import { HealthService } from './services/health.js';
import { healthRoutes } from './api/health/routes.js';

const ORPHAN_BLOB_AGE_MS = 10 * 60 * 1000;
const EXPIRY_SWEEP_MS = 60 * 60 * 1000;
/** Largest WebSocket frame a client may send (JSON /ws and msync). */
export const MAX_FRAME_BYTES = 64 * 1024;
/** RFC 6455's "service restart": the client should reconnect. */
export const SHUTDOWN_CLOSE_CODE = 1012;

export interface Qunliao {
  server: FastifyInstance;
  store: Store;
  services: Services;
  /** GET /health's checks; drain() on SIGTERM. */
  health: HealthService;
  /** Which process this is (presence entries, /health). */
  processName: string;
  /** Credentials of an app created at start because none existed (printed once by main). */
  generatedApp?: AppSeed;
}

export async function createQunliao(config: Config): Promise<Qunliao> {
  const store = await openStore(config.db.kind === 'sqlite' ? { ...config.db, synchronous: config.sqliteSync, locking: config.sqliteLocking, readCache: config.sqliteReadCache } : config.db);
  const blobs = openBlobStore(config);
  // Background failures (storing device positions…) go to the server's log once it exists.
  const logs: { to?: FastifyInstance['log'] } = {};
  const coordLog: CoordLog = {
    info: (msg) => logs.to?.info(msg),
    warn: (err, msg) => logs.to?.warn({ err }, msg),
  };
  // Several processes share live delivery, presence, kicks and rate limits through Redis.
  const link = config.redis ? new RedisLink(config.redis, () => coordLog) : undefined;
  let fanout: Fanout | undefined;
  try {
    if (link) await link.connected();
    // A worker number for message ids, from a counter every process shares (services/ids.ts):
    // the database's sequence on PostgreSQL (what the processes share for certain), else Redis.
    const drawn = store.dialect === 'postgres' ? await drawWorkerNumber(store.db, store.dialect) : link?.up ? await link.commands.incr('qunliao:workers') : undefined;
    if (drawn !== undefined) setWorker(drawn);
    // Unique even for several servers in one OS process (tests): presence entries and what a
    // process publishes are told apart by it.
    const processName = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    const reportError = (err: unknown, what: string) => logs.to?.error({ err }, what);
    fanout = link ? new RedisFanout(link, reportError, processName) : new InProcessFanout();
    const services = createServices(config, store, blobs, fanout, reportError);
    const health = new HealthService(store, link, processName);
    const generatedApp = await services.apps.ensure(config.apps);
    // Blobs of uploads that never got their metadata row (a crash mid-upload); recent ones may
    // belong to another process's upload in progress. One process at a time sweeps.
    await runAlone(store.db, store.dialect, 'blob-sweep', () => services.blobSweep.removeOrphans(Date.now() - ORPHAN_BLOB_AGE_MS));
    // Attachments past their lifetime and abandoned part uploads, now and every hour.
    const removeExpired = () => runAlone(store.db, store.dialect, 'blob-expiry', () => services.blobSweep.removeExpired());
    await removeExpired();
    const server = await buildServer(config, services, health, link);
    logs.to = server.log;
    const expiry = setInterval(() => {
      removeExpired().catch((err: unknown) => server.log.warn({ err }, 'removing expired attachments'));
    }, EXPIRY_SWEEP_MS).unref();
    const liveFanout = fanout;
    server.addHook('onClose', async () => {
      clearInterval(expiry);
      // A broadcast to every user under way is delivered to the end first.
      await services.messages.idle();
      // Device positions written late are flushed before the store goes; the devices are released
      // (Redis) so that they continue on another process at once.
      await services.sessions.closeAll();
      await services.sessions.flush();
      await liveFanout.close();
      await link?.close();
      await store.close();
      await blobs.close?.();
    });
    return { server, store, services, health, processName, generatedApp };
  } catch (err) {
    await fanout?.close();
    await link?.close();
    await store.close();
    await blobs.close?.();
    throw err;
  }
}

async function buildServer(config: Config, services: Services, health: HealthService, link: RedisLink | undefined): Promise<FastifyInstance> {
  const server = Fastify({
    logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    bodyLimit: 1024 * 1024,
    // Long enough for 100 comma-separated group ids or 60 usernames in one path segment.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 8192, querystringParser: parseQueryFirstWins },
    // Errors fastify raises before routing (a badly encoded URL) get the same error body.
    frameworkErrors: (err, req, reply) => {
      reply.header('x-request-id', req.id);
      closeAfterAnswerIfUnusable(req, reply);
      sendError(reply, new DomainError('badUrl', { reason: err.message }));
    },
    clientErrorHandler: answerClientError,
  });
  server.setErrorHandler(errorHandler);
  // A callback hook rather than an async one: it runs on every request, and a promise per request costs.
  server.addHook('onRequest', guardRequest);
  answerNodeLevelRequests(server);
  registerCors(server, config.cors);
  registerBodyParsers(server);
  registerFallbacks(server);
  registerContext(server, services);
  // The command connection fails at once while Redis is away: requests are then let through
  // (skipOnError), and RedisLink logs the outage once.
  if (config.rateLimit === 'easemob') await registerRateLimit(server, link?.commands);
  // Shared-file and attachment uploads; the size limit is applied per request while streaming.
  acceptMultipartBodies(server);
  // The WebSocket routes in a context of their own: the plugin's hooks then run for them only, not
  // on every REST request (each hook costs a little on each). Frames over 64 KiB close the
  // connection (1009); docs/realtime.md, docs/client-sdk.md.
  await server.register(async (sockets) => {
    await sockets.register(websocket, {
      options: { maxPayload: MAX_FRAME_BYTES },
      // At shutdown every socket is closed with 1012 (service restart): the SDKs and /ws clients
      // reconnect, through the load balancer to another process, and continue where they stopped.
      // (`this`: the instance the plugin is registered on, wherever that is.)
      preClose(done) {
        for (const client of this.websocketServer.clients) client.close(SHUTDOWN_CLOSE_CODE, 'server restarting');
        this.websocketServer.close();
        done();
      },
    });
    await sockets.register(wsRoutes, { services, prefix: '/:org/:app' });
    // The client SDKs' socket, at the root as on the hosted service.
    await sockets.register(msyncRoutes, { services });
    // Where the sockets are, for whoever holds the server (tests, shutdown).
    server.decorate('websocketServer', sockets.websocketServer);
  });

  await server.register(
    async (api) => {
      await api.register(tokenRoutes, { services });
      await api.register(usersRoutes, { services });
      await api.register(chatgroupsRoutes, { services });
      await api.register(chatgroupsModerationRoutes, { services });
      await api.register(chatgroupsJoiningRoutes, { services });
      await api.register(publicChatgroupsRoutes, { services });
      await api.register(sdkRoutes, { services });
      await api.register(sdkChatfilesRoutes, { services });
      await api.register(groupFilesRoutes, { services });
      await api.register(threadRoutes, { services });
      await api.register(chatroomsRoutes, { services });
      await api.register(chatroomsModerationRoutes, { services });
      await api.register(chatroomSuperAdminRoutes, { services });
      await api.register(messagesRoutes, { services });
      await api.register(chatmessagesRoutes, { services });
      await api.register(messageRecallRoutes, { services });
      await api.register(messageRewriteRoutes, { services });
      await api.register(messageRoamingRoutes, { services });
      await api.register(userRoutes, { services });
      await api.register(sdkConversationsRoutes, { services });
      await api.register(sdkRoamingRoutes, { services });
      await api.register(groupAcksRoutes, { services });
      await api.register(chatfilesRoutes, { services });
    },
    { prefix: '/:org/:app' },
  );
  await server.register(healthRoutes, { health });
  return server;
}
