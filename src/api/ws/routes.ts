// GET /{org}/{app}/ws?access_token=<user token> — qunliao's own JSON real-time endpoint
// (docs/realtime.md): a thin codec over the session core (services/sessions), in push mode. The
// token is checked before the upgrade completes.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { Services } from '../../services/index.js';
import { ClientRefusal, fail } from '../../services/errors.js';
import type { Session } from '../../services/sessions/index.js';
import type { LogEntry } from '../../services/sessions/entries.js';
import { JSON_WS_FRAME_ERRORS, jsonWsError } from '../../http/client-errors.js';
import { bearerToken } from '../../http/context.js';
import { sendError } from '../../http/errors.js';
import { DomainError } from '../../services/errors.js';
import { CLOSE, serialFrames } from '../../http/socket-frames.js';

/** Deepest nesting of arrays and objects accepted in a frame (docs/realtime.md). */
export const MAX_FRAME_DEPTH = 64;
/** The device of connections that name none: they share their positions (docs/realtime.md). */
const DEFAULT_RESOURCE = 'ws';
const RESOURCE = /^[A-Za-z0-9_.-]{1,48}$/;

interface SendFrame {
  type?: unknown;
  ref?: unknown;
  chat_type?: unknown;
  to?: unknown;
  msg_type?: unknown;
  body?: unknown;
  ext?: unknown;
}

/** Whether arrays and objects in the JSON text nest deeper than `max` (checked before parsing). */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** Frames already built: a live entry is one object shared by every session it reached. */
const frames = new WeakMap<LogEntry, string>();

function frameOf(entry: LogEntry): string | undefined {
  const cached = frames.get(entry);
  if (cached !== undefined) return cached;
  const frame = entry.message
    ? JSON.stringify({ type: 'message', message: entry.message })
    : entry.event
      ? JSON.stringify({ type: 'event', event: entry.event })
      : entry.signal
        ? JSON.stringify({ type: 'signal', signal: entry.signal })
        : undefined;
  if (frame !== undefined) frames.set(entry, frame);
  return frame;
}

export async function wsRoutes(server: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const { messages, sessions, tokens } = services;

  // GET /{org}/{app}/ws
  server.route<{ Querystring: { access_token?: string; resource?: string } }>({
    method: 'GET',
    url: '/ws',
    // Refused before the upgrade: missing, expired, forged, other-app and app tokens (Easemob or Agora).
    preValidation: async (req) => {
      const principal = await tokens.verifyUser(req.chatApp, req.query.access_token ?? bearerToken(req));
      const resource = req.query.resource;
      if (resource !== undefined && !RESOURCE.test(resource)) fail('wsResourceInvalid');
      req.principal = principal;
    },
    // A plain GET (no Upgrade header): a documented error, not an empty 404.
    handler: async (_req, reply) => sendError(reply, new DomainError('websocketRequired')),
    wsHandler: (socket: WebSocket, req: FastifyRequest<{ Querystring: { access_token?: string; resource?: string } }>) => {
      const app = req.chatApp;
      const user = req.principal!.kind === 'user' ? req.principal!.user : undefined;
      if (!user) return socket.close(CLOSE.internal, 'no user');
      const origin = `ws-${randomBytes(9).toString('base64url')}`;
      const open = () => socket.readyState === socket.OPEN;
      const reply = (frame: unknown) => {
        if (open()) socket.send(JSON.stringify(frame));
      };

      const session = sessions.open(
        app,
        user,
        { resource: req.query.resource ?? DEFAULT_RESOURCE, origin },
        {
          deliver(entry) {
            if (!open()) return false;
            const frame = frameOf(entry);
            if (frame !== undefined) socket.send(frame);
            return true;
          },
          // Deactivating, deleting or changing the password of the user logs this device out.
          kick: () => socket.close(CLOSE.sessionEnded, 'session ended'),
        },
      );
      const sessionReady: Promise<Session | undefined> = session.ready.then(
        () => session,
        (err: unknown) => {
          req.log.error({ err }, 'opening a websocket session failed');
          socket.close(CLOSE.internal, 'session failed');
          return undefined;
        },
      );
      socket.on('close', () => {
        sessions.close(session).catch((err: unknown) => req.log.error({ err }, 'closing a websocket session failed'));
      });

      serialFrames(
        socket,
        async (data) => {
          if (!(await sessionReady)) return;
          const text = String(data);
          if (nestsDeeperThan(text, MAX_FRAME_DEPTH)) return reply({ type: 'error', ref: null, ...JSON_WS_FRAME_ERRORS.tooDeep(MAX_FRAME_DEPTH) });
          let frame: SendFrame;
          try {
            frame = JSON.parse(text) as SendFrame;
          } catch {
            return reply({ type: 'error', ref: null, ...JSON_WS_FRAME_ERRORS.notJson });
          }
          const ref = frame !== null && typeof frame === 'object' ? (frame.ref ?? null) : null;
          if (frame === null || typeof frame !== 'object' || frame.type !== 'send') {
            return reply({ type: 'error', ref, ...JSON_WS_FRAME_ERRORS.unknownType });
          }
          try {
            const sent = await messages.sendFromClient(
              app,
              { username: user.username, origin },
              {
                chatType: frame.chat_type,
                to: frame.to,
                type: frame.msg_type,
                body: frame.body,
                ext: frame.ext,
              },
            );
            reply({ type: 'ack', ref, msg_id: sent.id });
          } catch (err) {
            if (err instanceof ClientRefusal) return reply({ type: 'error', ref, ...jsonWsError(err) });
            req.log.error({ err }, 'websocket send failed');
            reply({ type: 'error', ref, ...JSON_WS_FRAME_ERRORS.internal });
          }
        },
        (err) => req.log.error({ err }, 'websocket frame failed'),
      );
    },
  });
}
