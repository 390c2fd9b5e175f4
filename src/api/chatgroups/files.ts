// Group shared files (seed 000 "管理群公告与群文件"; the announcement routes are in routes.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../../services/index.js';
import { parseRestrictAccess } from '../../services/uploads.js';
import { fail } from '../../services/errors.js';
import type { SharedFile } from '../../services/group-files.js';
import { envelope } from '../../http/envelope.js';
import { DRAIN_SLACK_BYTES, isMultipart, readMultipart } from '../../http/multipart.js';
import { perSecond } from '../../http/rate-limit.js';
import { contentDisposition, sharedFileData, sharedFileItem } from './present.js';

interface GroupParams {
  group_id: string;
}
interface FileParams extends GroupParams {
  file_id: string;
}

const LIMIT = { rateLimit: perSecond(100) };

/** The app's base URL as the client reached it (`http://host/org/app`). */
function appBase(req: FastifyRequest): string {
  return `${req.protocol}://${req.host}/${req.chatApp.org_name}/${req.chatApp.app_name}`;
}

/** SDKs download with `Accept: application/octet-stream` or `*\/*`; only a JSON-only Accept gets metadata. */
function wantsJson(accept: string | undefined): boolean {
  if (!accept) return false;
  const types = accept.split(',').map((t) => t.split(';')[0]!.trim().toLowerCase());
  return types.includes('application/json') && !types.some((t) => t === '*/*' || t === 'application/octet-stream' || t === 'application/*');
}

export async function groupFilesRoutes(server: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const { groupFiles } = services;

  // GET /chatgroups/{group_id}/share_files?pagenum=&pagesize= — newest first, pagesize 1..1000 (default 1000)
  server.get<{ Params: GroupParams; Querystring: Record<string, string | undefined> }>('/chatgroups/:group_id/share_files', { config: LIMIT }, async (req, reply) =>
    envelope(req, reply, { data: (await groupFiles.list(req.chatApp, req.params.group_id, req.query)).map(sharedFileItem), params: true }),
  );

  // POST /chatgroups/{group_id}/share_files — multipart part `file`, header restrict-access, ≤ 10 MB
  server.post<{ Params: GroupParams }>('/chatgroups/:group_id/share_files', { config: LIMIT }, async (req, reply) => {
    const restricted = parseRestrictAccess(req.headers['restrict-access']);
    // Refuse before reading any byte when the group cannot take the file.
    await groupFiles.prepareUpload(req.chatApp, req.params.group_id);
    if (!isMultipart(req)) fail('notMultipart');
    // One byte over the limit reaches the blob store's own count, which refuses it.
    const upload = readMultipart(req, groupFiles.maxBytes + 1);
    let file: SharedFile;
    try {
      file = await groupFiles.upload(req.chatApp, req.params.group_id, await upload.file, restricted, req.principal!);
    } catch (err) {
      // Refused (or cut short): whatever the rest of the body holds must not stall the connection.
      upload.abandon(reply, groupFiles.maxBytes + DRAIN_SLACK_BYTES);
      throw upload.error() ?? err;
    }
    return envelope(req, reply, { data: sharedFileData(appBase(req), file) });
  });

  // GET /chatgroups/{group_id}/share_files/{file_id} — the bytes, or the metadata for Accept: application/json
  server.get<{ Params: FileParams; Querystring: { 'share-secret'?: string } }>('/chatgroups/:group_id/share_files/:file_id', { config: LIMIT }, async (req, reply) => {
    const file = await groupFiles.find(req.chatApp, req.params.group_id, req.params.file_id);
    await groupFiles.checkReadAccess(file, req.principal, req.query['share-secret'] ?? headerValue(req.headers['share-secret']));
    if (wantsJson(req.headers.accept)) return envelope(req, reply, { data: sharedFileData(appBase(req), file) });
    const stream = await groupFiles.open(file);
    // The uploader chose the Content-Type: nosniff and `attachment` keep an uploaded HTML file
    // from ever being run as a page of this origin.
    return reply
      .type(file.contentType)
      .header('content-length', file.size)
      .header('content-disposition', contentDisposition(file.name))
      .header('x-content-type-options', 'nosniff')
      .send(stream);
  });

  // DELETE /chatgroups/{group_id}/share_files/{file_id}
  server.delete<{ Params: FileParams }>('/chatgroups/:group_id/share_files/:file_id', { config: LIMIT }, async (req, reply) => {
    await groupFiles.delete(req.chatApp, req.params.group_id, req.params.file_id, req.principal!);
    return envelope(req, reply, { data: { group_id: req.params.group_id, file_id: req.params.file_id, result: true } });
  });
}

/** The web SDK sends the share secret as a header (downloadGroupSharedFile, REST.md). */
function headerValue(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h[0] : h;
}
