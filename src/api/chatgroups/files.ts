// Group shared files (seed 000 "管理群公告与群文件"; the announcement routes are in routes.ts).
import type { Readable } from 'node:stream';
import { Busboy, type BusboyHeaders, type BusboyInstance } from '@fastify/busboy';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services/index.js';
import type { GroupFileRow } from '../../store/group-files.js';
import { parseRestrictAccess, type UploadedPart } from '../../services/group-files.js';
import { DomainError, fail } from '../../services/errors.js';
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

/**
 * Buffer of each part's stream. Above a read's size (64 KB), so that busboy never pauses on a part
 * it skips (no Content-Disposition): @fastify/busboy 3.2 loses the resume of a skipped part that
 * paused and ended within one write, and the body then never finishes.
 */
const PART_BUFFER_BYTES = 256 * 1024;

/** The rest of a refused upload is read and discarded up to this much over the file limit; a longer body closes the connection. */
const DRAIN_SLACK_BYTES = 1024 * 1024;

interface MultipartUpload {
  /** The first file part, or undefined when the body ended without one; rejects for a malformed body. */
  file: Promise<UploadedPart | undefined>;
  /** The error of a malformed or cut-short body, once one was seen. */
  error(): DomainError | undefined;
  /**
   * Stops parsing after a refusal and lets the connection go on: the rest of the body is read and
   * discarded when its declared length is at most `drainMax`, else the reply says
   * `Connection: close` and the socket is closed after it.
   */
  abandon(reply: FastifyReply, drainMax: number): void;
}

/**
 * Reads a multipart/form-data body with busboy: the first file part is handed over as a stream,
 * other parts are read and dropped, and the part's `complete` settles once the whole body was read
 * (rejecting when it is malformed: cut short, no closing boundary). A body without a usable
 * boundary is refused before a byte is read.
 */
function readMultipart(req: FastifyRequest, fileSizeLimit: number): MultipartUpload {
  let parser: BusboyInstance;
  try {
    parser = new Busboy({ headers: req.headers as BusboyHeaders, limits: { fileSize: fileSizeLimit }, fileHwm: PART_BUFFER_BYTES });
  } catch {
    return fail('multipartMalformed');
  }
  const raw = req.raw;
  let error: DomainError | undefined;
  let first: Readable | undefined;
  let firstEnded = false;
  let resolveFile!: (part: UploadedPart | undefined) => void;
  let rejectFile!: (err: DomainError) => void;
  const file = new Promise<UploadedPart | undefined>((resolve, reject) => {
    resolveFile = resolve;
    rejectFile = reject;
  });
  let resolveComplete!: () => void;
  let rejectComplete!: (err: DomainError) => void;
  const complete = new Promise<void>((resolve, reject) => {
    resolveComplete = resolve;
    rejectComplete = reject;
  });
  // Nobody waits for these when the upload is refused before they settle.
  file.catch(() => undefined);
  complete.catch(() => undefined);

  const broken = () => {
    if (error) return;
    error = new DomainError('multipartMalformed');
    rejectFile(error);
    rejectComplete(error);
    // A part being written to the blob store stops there, and its temporary file is removed.
    if (first && !firstEnded) first.destroy(error);
  };

  parser.on('file', (_field: string, stream: Readable, filename: string, _encoding: string, mimetype: string) => {
    // Errors of a part (cut short) are reported through `broken`; without a listener they would crash.
    stream.on('error', () => undefined);
    if (first || error) {
      stream.resume();
      return;
    }
    first = stream;
    stream.once('end', () => {
      firstEnded = true;
    });
    resolveFile({ filename, mimetype, stream, complete });
  });
  parser.on('finish', () => {
    if (error) return;
    resolveFile(undefined);
    resolveComplete();
  });
  parser.on('error', broken);
  raw.on('error', broken);
  raw.on('close', () => {
    if (!raw.complete) broken();
  });
  raw.pipe(parser);

  return {
    file,
    error: () => error,
    abandon(reply, drainMax) {
      raw.unpipe(parser);
      if (first && !firstEnded) first.destroy();
      if (raw.complete || raw.destroyed) return;
      const length = Number(req.headers['content-length']);
      if (!(length <= drainMax)) reply.header('connection', 'close');
      raw.resume();
    },
  };
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
    const upload = readMultipart(req, groupFiles.maxBytes + 1);
    let row: GroupFileRow;
    try {
      row = await groupFiles.upload(req.chatApp, req.params.group_id, await upload.file, restricted);
    } catch (err) {
      // Refused (or cut short): whatever the rest of the body holds must not stall the connection.
      upload.abandon(reply, groupFiles.maxBytes + DRAIN_SLACK_BYTES);
      throw upload.error() ?? err;
    }
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
      // The uploader chose the Content-Type: nosniff and `attachment` keep an uploaded HTML file
      // from ever being run as a page of this origin.
      return reply
        .type(row.content_type)
        .header('content-length', row.file_size)
        .header('content-disposition', contentDisposition(row.file_name))
        .header('x-content-type-options', 'nosniff')
        .send(stream);
    },
  );

  // DELETE /chatgroups/{group_id}/share_files/{file_id}
  server.delete<{ Params: FileParams }>('/chatgroups/:group_id/share_files/:file_id', { config: { rateLimit: perSecond(100) } }, async (req, reply) => {
    await groupFiles.delete(req.chatApp, req.params.group_id, req.params.file_id);
    return envelope(req, reply, { data: { group_id: req.params.group_id, file_id: req.params.file_id, result: true } });
  });
}
