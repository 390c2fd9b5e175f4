// The web SDK's part upload of large attachments (client-protocol REST.md "Attachments / upload":
// files over 7.5 MB), with the user's own token. Any failure of these makes the SDK fall back to
// a single POST /chatfiles.
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services/index.js';
import type { ChatfileOptions } from '../../services/chatfiles.js';
import { parseRestrictAccess } from '../../services/uploads.js';
import { fail } from '../../services/errors.js';
import { thumbnailSide } from '../../services/thumbnails.js';
import { envelope } from '../../http/envelope.js';
import { DRAIN_SLACK_BYTES, isMultipart, readMultipart } from '../../http/multipart.js';
import { perSecond } from '../../http/rate-limit.js';
import { partEntity, partUploadEntity } from '../chatfiles/present.js';
import { uploadAnswer } from '../chatfiles/routes.js';

const LIMIT = { rateLimit: perSecond(100) };

interface UploadParams {
  uuid: string;
}

export async function sdkChatfilesRoutes(server: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const { chatfileParts, chatfiles } = services;

  // POST /sdk/chatfiles/part-upload — begins: entities[0] {uuid, file_upper_limit, part_lower_limit}
  server.post('/sdk/chatfiles/part-upload', { config: LIMIT }, async (req, reply) =>
    envelope(req, reply, { entities: [partUploadEntity(await chatfileParts.begin(req.chatApp, req.principal!))] }),
  );

  // PUT /sdk/chatfiles/part-upload/{uuid} — multipart `part_file` and `part_number` (1-based)
  server.put<{ Params: UploadParams }>('/sdk/chatfiles/part-upload/:uuid', { config: LIMIT }, async (req, reply) => {
    if (!isMultipart(req)) fail('notMultipart');
    const upload = readMultipart(req, chatfiles.maxBytes + 1);
    let part: { partNumber: number; size: number };
    try {
      part = await chatfileParts.putPart(req.chatApp, req.params.uuid, await upload.file, () => upload.fields(), req.principal!);
    } catch (err) {
      upload.abandon(reply, chatfiles.maxBytes + DRAIN_SLACK_BYTES);
      throw upload.error() ?? err;
    }
    return envelope(req, reply, { entities: [partEntity(part)] });
  });

  // POST /sdk/chatfiles/part-upload/{uuid}?restrict-access=&chat-type=&chat-target=[&thumbnail-width=&thumbnail-height=]
  // — completes: answers as POST /chatfiles does
  server.post<{ Params: UploadParams; Querystring: Record<string, string | undefined> }>('/sdk/chatfiles/part-upload/:uuid', { config: LIMIT }, async (req, reply) => {
    const options: ChatfileOptions = {
      restricted: parseRestrictAccess(req.query['restrict-access'] ?? req.headers['restrict-access']),
      thumbnail: () => ({ width: thumbnailSide(req.query['thumbnail-width']), height: thumbnailSide(req.query['thumbnail-height']) }),
    };
    return uploadAnswer(req, reply, await chatfileParts.complete(req.chatApp, req.params.uuid, options, req.principal!));
  });

  // DELETE /sdk/chatfiles/part-upload/{uuid} — aborts: the parts are removed
  server.delete<{ Params: UploadParams }>('/sdk/chatfiles/part-upload/:uuid', { config: LIMIT }, async (req, reply) => {
    await chatfileParts.abort(req.chatApp, req.params.uuid, req.principal!);
    return envelope(req, reply, {});
  });
}
