// GET /websocket — the msync endpoint of the official client SDKs (docs/client-sdk.md,
// PROTOCOL.md). At the server root as on the hosted service: the app comes from the PROVISION
// frame's appKey. Each connection is an MsyncConnection (connection.ts).
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { Services } from '../../services/index.js';
import { DomainError } from '../../services/errors.js';
import { sendError } from '../../http/errors.js';
import { MsyncConnection } from './connection.js';

export async function msyncRoutes(server: FastifyInstance, { services }: { services: Services }): Promise<void> {
  // GET /websocket
  server.route({
    method: 'GET',
    url: '/websocket',
    config: { auth: 'none' },
    // A plain GET (no Upgrade header): a documented error.
    handler: async (_req, reply) => sendError(reply, new DomainError('websocketRequired')),
    wsHandler: (socket: WebSocket, req) => new MsyncConnection(socket, services, req.log).start(),
  });
}
