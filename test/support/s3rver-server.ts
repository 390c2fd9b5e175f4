// A child process running s3rver (the S3-compatible test server) on a free port over a directory,
// started by test/support/s3.ts. It prints {"port": n} once listening and exits when its standard
// input closes, so that it never outlives the test process.
//
// s3rver 3.7.1 implements objects, listing, DeleteObjects and multipart upload (initiate, upload
// part, complete) but answers AbortMultipartUpload, ListMultipartUploads and ListParts with
// "MethodNotAllowed" / "NotImplemented". qunliao needs those three (a refused upload aborts its
// multipart upload; the start-up cleanup lists and aborts stale ones), so this file adds them in
// front of s3rver, over s3rver's own on-disk layout (<dir>/<bucket>/._S3rver_uploads/<uploadId>/
// holding `key`, `metadata` and one file per part), following the S3 API reference for the wire.
// Everything else is s3rver as published.
import fs from 'node:fs';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import S3rver from 's3rver';

const [directory, ...buckets] = process.argv.slice(2);
if (!directory || buckets.length === 0) throw new Error('usage: s3rver-server <directory> <bucket>…');

const ACCESS_KEY_ID = 'S3RVER';

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';

interface Ctx {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  headers: IncomingMessage['headers'];
  status: number;
  body: unknown;
  type: string;
  res: ServerResponse;
}

function send(ctx: Ctx, status: number, xml?: string): void {
  ctx.status = status;
  if (xml !== undefined) {
    ctx.type = 'application/xml';
    ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
  } else {
    ctx.body = null;
  }
}

function error(ctx: Ctx, status: number, code: string, message: string): void {
  send(ctx, status, `<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>`);
}

const uploadsDir = (bucket: string) => path.join(directory, bucket, '._S3rver_uploads');

function uploadKey(bucket: string, uploadId: string): string | undefined {
  if (!/^[0-9a-f]+$/.test(uploadId)) return undefined;
  try {
    return fs.readFileSync(path.join(uploadsDir(bucket), uploadId, 'key'), 'utf8');
  } catch {
    return undefined;
  }
}

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** Handles the three missing operations; answers false for everything s3rver handles itself. */
function missingOperations(ctx: Ctx): boolean {
  // Path-style requests: /bucket, /bucket/ or /bucket/key.
  const match = /^\/([^/]+)\/?(.*)$/.exec(ctx.path);
  if (!match) return false;
  const bucket = decodeURIComponent(match[1]!);
  const key = match[2] === '' ? undefined : decodeURIComponent(match[2]!);
  const uploadId = one(ctx.query.uploadId);
  const isAbort = ctx.method === 'DELETE' && key !== undefined && uploadId !== undefined;
  const isListParts = ctx.method === 'GET' && key !== undefined && uploadId !== undefined;
  const isListUploads = ctx.method === 'GET' && key === undefined && 'uploads' in ctx.query;
  if (!isAbort && !isListParts && !isListUploads) return false;

  // Only signed requests with the test key, as s3rver's own routes require.
  if (!String(ctx.headers.authorization ?? '').includes(`Credential=${ACCESS_KEY_ID}/`)) {
    error(ctx, 403, 'AccessDenied', 'Access Denied');
    return true;
  }
  if (!buckets.includes(bucket)) {
    error(ctx, 404, 'NoSuchBucket', 'The specified bucket does not exist');
    return true;
  }

  if (isListUploads) {
    // ListMultipartUploads: every upload in progress under `prefix`, in key order, no paging
    // (the test buckets hold a handful).
    const prefix = one(ctx.query.prefix) ?? '';
    const entries = fs.existsSync(uploadsDir(bucket)) ? fs.readdirSync(uploadsDir(bucket)) : [];
    const uploads = entries
      .map((id) => ({ id, key: uploadKey(bucket, id), initiated: fs.statSync(path.join(uploadsDir(bucket), id, 'metadata')).mtime }))
      .filter((u): u is { id: string; key: string; initiated: Date } => u.key !== undefined && u.key.startsWith(prefix))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.id < b.id ? -1 : 1));
    const items = uploads
      .map((u) => `<Upload><Key>${xmlEscape(u.key)}</Key><UploadId>${u.id}</UploadId><Initiated>${u.initiated.toISOString()}</Initiated><StorageClass>STANDARD</StorageClass></Upload>`)
      .join('');
    send(
      ctx,
      200,
      `<ListMultipartUploadsResult ${NS}><Bucket>${xmlEscape(bucket)}</Bucket><Prefix>${xmlEscape(prefix)}</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>${items}</ListMultipartUploadsResult>`,
    );
    return true;
  }

  if (uploadKey(bucket, uploadId!) !== key) {
    error(ctx, 404, 'NoSuchUpload', 'The specified multipart upload does not exist.');
    return true;
  }
  const dir = path.join(uploadsDir(bucket), uploadId!);
  if (isAbort) {
    // AbortMultipartUpload: the upload and its parts are gone.
    fs.rmSync(dir, { recursive: true, force: true });
    send(ctx, 204);
    return true;
  }
  // ListParts: every uploaded part with its size and upload time, no paging.
  const parts = fs
    .readdirSync(dir)
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .sort((a, b) => a - b)
    .map((n) => {
      const stat = fs.statSync(path.join(dir, String(n)));
      const md5 = fs.readFileSync(path.join(dir, `${n}.md5`), 'utf8').trim();
      return `<Part><PartNumber>${n}</PartNumber><LastModified>${stat.mtime.toISOString()}</LastModified><ETag>"${md5}"</ETag><Size>${stat.size}</Size></Part>`;
    })
    .join('');
  send(
    ctx,
    200,
    `<ListPartsResult ${NS}><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key!)}</Key><UploadId>${uploadId}</UploadId><MaxParts>1000</MaxParts><IsTruncated>false</IsTruncated>${parts}</ListPartsResult>`,
  );
  return true;
}

const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory,
  configureBuckets: buckets.map((name) => ({ name })),
});
// In front of s3rver's own middleware (koa composes the list when the server starts listening).
server.middleware.unshift(async (ctx: Ctx, next: () => Promise<void>) => {
  if (!missingOperations(ctx)) await next();
});
const address = await server.run();
process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
