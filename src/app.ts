// Builds a qunliao server: store, services and the fastify instance with every API family.
import { randomUUID } from 'node:crypto';
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
import { answerClientError, answerNodeLevelRequests, closeAfterAnswerIfUnusable, guardUpgrades, refuseNulInUrl } from './http/connection.js';
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
import { InProcessFanout } from './coord/fanout.js';
import { openBlobStore } from './blobs/open.js';
import { Redis } from 'ioredis';

const ORPHAN_BLOB_AGE_MS = 10 * 60 * 1000;
const EXPIRY_SWEEP_MS = 60 * 60 * 1000;
/** Largest WebSocket frame a client may send (JSON /ws and msync). */
export const MAX_FRAME_BYTES = 64 * 1024;

export interface Qunliao {
  server: FastifyInstance;
  store: Store;
  services: Services;
  /** Credentials of an app created at start because none existed (printed once by main). */
  generatedApp?: AppSeed;
}

export async function createQunliao(config: Config): Promise<Qunliao> {
  const store = await openStore(config.db.kind === 'sqlite' ? { ...config.db, synchronous: config.sqliteSync } : config.db);
  const blobs = openBlobStore(config);
  try {
    // Background failures (storing device positions…) go to the server's log once it exists.
    const logs: { to?: FastifyInstance['log'] } = {};
    const services = createServices(config, store, blobs, new InProcessFanout(), (err, what) => logs.to?.error({ err }, what));
    const generatedApp = await services.apps.ensure(config.apps);
    // Blobs of uploads that never got their metadata row (a crash mid-upload); recent ones may
    // belong to another process's upload in progress.
    await services.blobSweep.removeOrphans(Date.now() - ORPHAN_BLOB_AGE_MS);
    // Attachments past their lifetime and abandoned part uploads, now and every hour.
    await services.blobSweep.removeExpired();
    const server = await buildServer(config, services);
    logs.to = server.log;
    const expiry = setInterval(() => {
      services.blobSweep.removeExpired().catch((err: unknown) => server.log.warn({ err }, 'removing expired attachments'));
    }, EXPIRY_SWEEP_MS).unref();
    server.addHook('onClose', async () => {
      clearInterval(expiry);
      // A broadcast to every user under way is delivered to the end first.
      await services.messages.idle();
      // Device positions written late are flushed before the store goes.
      await services.sessions.flush();
      await store.close();
      await blobs.close?.();
    });
    return { server, store, services, generatedApp };
  } catch (err) {
    await store.close();
    await blobs.close?.();
    throw err;
  }
}

async function buildServer(config: Config, services: Services): Promise<FastifyInstance> {
  const server = Fastify({
    logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    bodyLimit: 1024 * 1024,
    // Long enough for 100 comma-separated group ids or 60 usernames in one path segment.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 8192, querystringParser: parseQueryFirstWins },
    // Errors fastify raises before routing (a badly encoded URL) get the same error body.
    frameworkErrors: (err, req, reply) => {
      closeAfterAnswerIfUnusable(req, reply);
      sendError(reply, new DomainError('badUrl', { reason: err.message }));
    },
    clientErrorHandler: answerClientError,
  });
  server.setErrorHandler(errorHandler);
  server.addHook('onRequest', guardUpgrades);
  server.addHook('onRequest', refuseNulInUrl);
  answerNodeLevelRequests(server);
  // A callback hook rather than an async one: it runs on every answer, and a promise per request costs.
  server.addHook('onSend', (req, reply, payload, done) => {
    reply.header('x-request-id', req.id);
    done(null, payload);
  });
  await registerCors(server, config.cors);
  registerBodyParsers(server);
  registerFallbacks(server);
  registerContext(server, services);
  if (config.rateLimit === 'easemob') {
    const redis = config.redis ? new Redis(config.redis, { maxRetriesPerRequest: 1 }) : undefined;
    if (redis) {
      redis.on('error', (err) => server.log.warn({ err }, 'redis'));
      server.addHook('onClose', async () => {
        redis.disconnect();
      });
    }
    await registerRateLimit(server, redis);
  }
  // Shared-file and attachment uploads; the size limit is applied per request while streaming.
  acceptMultipartBodies(server);
  // Frames over 64 KiB close the connection (1009); docs/realtime.md, docs/client-sdk.md.
  await server.register(websocket, { options: { maxPayload: MAX_FRAME_BYTES } });

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
      await api.register(wsRoutes, { services });
    },
    { prefix: '/:org/:app' },
  );
  // The client SDKs' socket, at the root as on the hosted service.
  await server.register(msyncRoutes, { services });
  return server;
}
