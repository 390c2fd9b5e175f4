// The hourly history file (message_historical.md): GET /chatmessages/{time} answers its download
// URL; GET /chatmessages/{time}/download (qunliao's, signed and expiring like the hosted OSS link)
// streams the gzip file.
import { pipeline } from 'node:stream';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services/index.js';
import { envelope } from '../../http/envelope.js';
import { historyUrl } from './present.js';

interface TimeParams {
  time: string;
}

export async function chatmessagesRoutes(server: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const history = services.history;

  // GET /chatmessages/{time} — 10 calls per minute per App Key.
  server.get<{ Params: TimeParams }>('/chatmessages/:time', { config: { rateLimit: { max: 10, timeWindow: 60_000 } } }, async (req, reply) => {
    const link = await history.link(req.chatApp, req.params.time);
    const body = envelope(req, reply, { data: [{ url: historyUrl(req, link) }] });
    // The documented answer has neither `entities` nor `path`.
    delete body.entities;
    delete body.path;
    return body;
  });

  // GET /chatmessages/{time}/download?Expires=&Signature= — the link above; no token (as the hosted OSS URL).
  server.get<{ Params: TimeParams; Querystring: Record<string, string | undefined> }>('/chatmessages/:time/download', async (req, reply) => {
    history.checkLink(req.chatApp, req.params.time, req.query.Expires, req.query.Signature);
    const gzip = pipeline(Readable.from(history.lines(req.chatApp, req.params.time)), createGzip(), (err) => {
      // A client that stops reading ends the stream (and the reading of pages) early: not an error.
      if (err && (err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') req.log.error({ err }, 'streaming a history file');
    });
    return reply
      .type('application/gzip')
      .header('content-disposition', `attachment; filename="${req.params.time}.gz"`)
      .header('cache-control', 'no-store')
      .send(gzip);
  });
}
