// Group shared files (seed 000 "管理群公告与群文件"; the announcement routes are in routes.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../../services/index.js';
import type { GroupFileRow } from '../../store/group-files.js';
import { parseRestrictAccess } from '../../services/group-files.js';
import { fail } from '../../services/errors.js';
import { envelope } from '../../http/envelope.js';
import { perSecond } from '../../http/rate-limit.js';

interface GroupParams {
  group_id: string;
}
interface FileParams extends GroupParams {
  file_id: string;
}

function fileUrl(req: FastifyRequest, row: GroupFileRow): string {
  const app = req.chatApp;
  const url = `${req.protocol}://${req.host}/${app.org_name}/${app.app_name}/chatgroups/${row.group_id}/share_files/${row.file_id}`;
  // As the hosted service does for restricted files, the URL itself carries the share secret.
  return row.restricted === 1 ? `${url}?share-secret=${row.share_secret}` : url;
}

function fileData(req: FastifyRequest, row: GroupFileRow): Record<string, unknown> {
  const data: Record<string, unknown> = {
    file_url: fileUrl(req, row),
    group_id: row.group_id,
    file_name: row.file_name,
    file_owner: row.file_owner,
    created: row.created,
    file_id: row.file_id,
    file_size: row.file_size,
  };
  if (row.restricted === 1) data['share-secret'] = row.share_secret;
  return data;
}

/** SDKs download with `Accept: application/octet-stream` or `*\/*`; only a JSON-only Accept gets metadata. */
function wantsJson(accept: string | undefined): boolean {
  if (!accept) return false;
  const types = accept.split(',').map((t) => t.split(';')[0]!.trim().toLowerCase());
  return types.includes('application/json') && !types.some((t) => t === '*/*' || t === 'application/octet-stream' || t === 'application/*');
}

/** RFC 6266 with an ASCII fallback, so that Chinese file names survive. */
function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export async function groupFilesRoutes(server: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const { groupFiles } = services;

  // GET /chatgroups/{group_id}/share_files?pagenum=&pagesize= — newest first, pagesize 1..1000 (default 1000)
  server.get<{ Params: GroupParams; Querystring: Record<string, string | undefined> }>(
    '/chatgroups/:group_id/share_files',
    { config: { rateLimit: perSecond(100) } },
    async (req, reply) => envelope(req, reply, { data: await groupFiles.list(req.chatApp, req.params.group_id, req.query), params: true }),
  );

  // POST /chatgroups/{group_id}/share_files — multipart part `file`, header restrict-access, ≤ 10 MB
  server.post<{ Params: GroupParams }>('/chatgroups/:group_id/share_files', { config: { rateLimit: perSecond(100) } }, async (req, reply) => {
    const restricted = parseRestrictAccess(req.headers['restrict-access']);
    // Refuse before reading any byte when the group cannot take the file.
    await groupFiles.prepareUpload(req.chatApp, req.params.group_id);
    if (!req.isMultipart()) fail('groupInvalidParameter', { message: 'the file must be sent as multipart/form-data' });
    // One byte over the limit reaches the blob store's own count, which refuses it.
    const part = await req.file({ limits: { fileSize: groupFiles.maxBytes + 1, files: 1 }, throwFileSizeLimit: false });
    const row = await groupFiles.upload(
      req.chatApp,
      req.params.group_id,
      part && { filename: part.filename, mimetype: part.mimetype, stream: part.file },
      restricted,
    );
    return envelope(req, reply, { data: fileData(req, row) });
  });

  // GET /chatgroups/{group_id}/share_files/{file_id} — the bytes, or the metadata for Accept: application/json
  server.get<{ Params: FileParams; Querystring: { 'share-secret'?: string } }>(
    '/chatgroups/:group_id/share_files/:file_id',
    { config: { rateLimit: perSecond(100) } },
    async (req, reply) => {
      const row = await groupFiles.find(req.chatApp, req.params.group_id, req.params.file_id);
      await groupFiles.checkReadAccess(row, req.principal, req.query['share-secret']);
      if (wantsJson(req.headers.accept)) return envelope(req, reply, { data: fileData(req, row) });
      const stream = await groupFiles.open(row);
      return reply
        .type(row.content_type)
        .header('content-length', row.file_size)
        .header('content-disposition', contentDisposition(row.file_name))
        .send(stream);
    },
  );

  // DELETE /chatgroups/{group_id}/share_files/{file_id}
  server.delete<{ Params: FileParams }>('/chatgroups/:group_id/share_files/:file_id', { config: { rateLimit: perSecond(100) } }, async (req, reply) => {
    await groupFiles.delete(req.chatApp, req.params.group_id, req.params.file_id);
    return envelope(req, reply, { data: { group_id: req.params.group_id, file_id: req.params.file_id, result: true } });
  });
}
