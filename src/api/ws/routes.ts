// GET /{org}/{app}/ws?access_token=<user token> — qunliao's real-time endpoint (docs/realtime.md).
// Users receive messages as JSON frames and send their own; the token is checked before the
// upgrade completes.
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { Services } from '../../services/index.js';
import { SendRefused } from '../../services/messages.js';

interface SendFrame {
  type?: unknown;
  ref?: unknown;
  chat_type?: unknown;
  to?: unknown;
  msg_type?: unknown;
  body?: unknown;
  ext?: unknown;
}

export async function wsRoutes(server: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const { messages, fanout, tokens } = services;

  server.get<{ Querystring: { access_token?: string } }>(
    '/ws',
    {
      websocket: true,
      // Refused before the upgrade: missing, expired, forged, other-app and app tokens.
      preValidation: async (req) => {
        const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
        // An Easemob user token or an Agora Chat user token (services/tokens.ts).
        req.principal = await tokens.verifyUser(req.chatApp, req.query.access_token ?? bearer);
      },
    },
    (socket: WebSocket, req) => {
      const app = req.chatApp;
      const username = req.principal!.kind === 'user' ? req.principal!.user.username : '';
      const open = () => socket.readyState === socket.OPEN;
      const send = (frame: string) => {
        if (open()) socket.send(frame);
      };

      // Live messages wait behind the ones queued while the user was offline. The catch-up also
      // remembers what it sent, so that nothing could go out twice.
      let draining = true;
      const backlog: string[] = [];
      const device = (frame: string): boolean => {
        if (!open()) return false;
        if (draining) backlog.push(frame);
        else socket.send(frame);
        return true;
      };
      // Deactivating, deleting or changing the password of the user logs this device out.
      const unsubscribe = fanout.subscribe(app.uuid, username, device, () => socket.close(4001, 'session ended'));
      socket.on('close', unsubscribe);

      // Frames of one connection are handled one after another: order per conversation holds.
      let chain: Promise<void> = Promise.resolve();
      socket.on('message', (data) => {
        chain = chain.then(() => handle(String(data)));
      });

      const handle = async (text: string): Promise<void> => {
        let frame: SendFrame;
        try {
          frame = JSON.parse(text) as SendFrame;
        } catch {
          return send(JSON.stringify({ type: 'error', ref: null, code: 500, error: 'message_invalid', error_description: 'frame is not JSON' }));
        }
        const ref = frame !== null && typeof frame === 'object' ? (frame.ref ?? null) : null;
        if (frame === null || typeof frame !== 'object' || frame.type !== 'send') {
          return send(JSON.stringify({ type: 'error', ref, code: 500, error: 'message_invalid', error_description: 'unknown frame type' }));
        }
        try {
          const msgId = await messages.sendFromClient(app, username, frame as Required<SendFrame>, device);
          send(JSON.stringify({ type: 'ack', ref, msg_id: msgId }));
        } catch (err) {
          if (err instanceof SendRefused) {
            return send(JSON.stringify({ type: 'error', ref, code: err.code, error: err.error, error_description: err.description }));
          }
          req.log.error({ err }, 'websocket send failed');
          send(JSON.stringify({ type: 'error', ref, code: 1, error: 'internal', error_description: 'the message could not be sent' }));
        }
      };

      void (async () => {
        const sent = new Set<string>();
        try {
          // Deliveries that decided this user was offline before this device subscribed are
          // storing their queue entries: read the queue only once they have.
          await messages.settled();
          while (open()) {
            const { ids, frames, seqs } = await messages.pending(app, username);
            if (seqs.length === 0) break;
            frames.forEach(send);
            ids.forEach((id) => sent.add(id));
            // Only once sent; a connection that closed meanwhile leaves them for the next one.
            if (open()) await messages.acknowledge(app, username, seqs);
          }
        } catch (err) {
          req.log.error({ err }, 'delivering queued messages failed');
        } finally {
          draining = false;
          for (const frame of backlog.splice(0)) {
            const id = (JSON.parse(frame) as { message?: { id?: string } }).message?.id;
            if (id === undefined || !sent.has(id)) send(frame);
          }
        }
      })();
    },
  );
}
