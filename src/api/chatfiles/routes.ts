// Message attachments: upload and download (docs/rest message_upload_file.md,
// message_download_file.md, message_download_thumbnail.md; the web SDK's calls in client-protocol
// REST.md "Attachments / upload"). The part upload of large files is in src/api/sdk/chatfiles.ts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services/index.js';
import type { Chatfile, ChatfileOptions } from '../../services/chatfiles.js';
import { parseRestrictAccess } from '../../services/uploads.js';
import { fail } from '../../services/errors.js';
import { thumbnailSide } from '../../services/thumbnails.js';
import { envelope } from '../../http/envelope.js';
import { DRAIN_SLACK_BYTES, isMultipart, readMultipart } from '../../http/multipart.js';
import { perSecond } from '../../http/rate-limit.js';
import { contentDisposition } from '../chatgroups/present.js';
import { chatfileEntity, chatfilesUri } from './present.js';

const LIMIT = { rateLimit: perSecond(100) };

type Query = Record<string, string | undefined>;

/** A header or query flag (`thumbnail: true`, `?thumbnail=true`): true or 1. */
export function flag(value: string | string[] | undefined): boolean {
  const v = (Array.isArray(value) ? value[0] : value)?.trim().toLowerCase();
  return v === 'true' || v === '1';
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** An upload answer: the envelope with the file in `entities` and the /chatfiles URL as `uri`. */
export function uploadAnswer(req: FastifyRequest, reply: FastifyReply, file: Chatfile): Record<string, unknown> {
  const body = envelope(req, reply, { entities: [chatfileEntity(file)] });
  body.uri = chatfilesUri(req);
  return body;
}

export async function chatfilesRoutes(server: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const { chatfiles } = services;

  // POST /chatfiles — multipart part `file` (≤ 10 MB); headers restrict-access, thumbnail-width,
  // thumbnail-height (the web SDK sends the two sizes as form fields, and ?chat-type=&chat-target=)
  server.post<{ Querystring: Query }>('/chatfiles', { config: LIMIT }, async (req, reply) => {
    const restricted = parseRestrictAccess(req.headers['restrict-access']);
    if (!isMultipart(req)) fail('notMultipart');
    // One byte over the limit reaches the blob store's own count, which refuses it.
    const upload = readMultipart(req, chatfiles.maxBytes + 1);
    const options: ChatfileOptions = {
      restricted,
      thumbnail: () => {
        const fields = upload.fields();
        return {
          width: thumbnailSide(first(req.headers['thumbnail-width']) ?? fields['thumbnail-width']),
          height: thumbnailSide(first(req.headers['thumbnail-height']) ?? fields['thumbnail-height']),
        };
      },
    };
    let file: Chatfile;
    try {
      file = await chatfiles.upload(req.chatApp, await upload.file, options, req.principal!);
    } catch (err) {
      // Refused (or cut short): whatever the rest of the body holds must not stall the connection.
      upload.abandon(reply, chatfiles.maxBytes + DRAIN_SLACK_BYTES);
      throw upload.error() ?? err;
    }
    return uploadAnswer(req, reply, file);
  });

  // GET /chatfiles/{file_uuid} — the bytes; `thumbnail: true` (or ?thumbnail=true) the thumbnail;
  // share-secret header or ?share-secret= for a restricted file; ?em-redirect and ?vframe are accepted
  server.get<{ Params: { file_uuid: string }; Querystring: Query }>('/chatfiles/:file_uuid', { config: LIMIT }, async (req, reply) => {
    const file = await chatfiles.find(req.chatApp, req.params.file_uuid);
    chatfiles.checkReadAccess(file, req.principal, first(req.headers['share-secret']) ?? req.query['share-secret']);
    const bytes = await chatfiles.open(file, flag(req.headers.thumbnail) || flag(req.query.thumbnail));
    // Always the bytes, whatever Accept says (the web SDK's combine download asks for JSON). The
    // uploader chose the Content-Type: nosniff and `attachment` keep an uploaded HTML file from
    // ever being run as a page of this origin (<img>, <audio> and <video> ignore the disposition).
    return reply
      .type(bytes.contentType)
      .header('content-length', bytes.size)
      .header('content-disposition', contentDisposition(file.name))
      .header('x-content-type-options', 'nosniff')
      .send(bytes.stream);
  });
}
