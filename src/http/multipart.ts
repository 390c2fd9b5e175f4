// Reading multipart/form-data uploads with busboy (@fastify/busboy): the first file part is handed
// over as a stream; other parts are read and dropped; the part's `complete` settles once the whole
// body was read, rejecting when it is malformed (cut short, no closing boundary); a refused upload
// never stalls its keep-alive connection.
import type { Readable } from 'node:stream';
import { Busboy, type BusboyHeaders, type BusboyInstance } from '@fastify/busboy';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, fail } from '../services/errors.js';
import type { UploadedPart } from '../services/uploads.js';

/**
 * Buffer of each part's stream. Above a read's size (64 KB), so that busboy never pauses on a part
 * it skips (no Content-Disposition): @fastify/busboy 3.2 loses the resume of a skipped part that
 * paused and ended within one write, and the body then never finishes.
 */
const PART_BUFFER_BYTES = 256 * 1024;

/** The rest of a refused upload is read and discarded up to this much over the file limit; a longer body closes the connection. */
export const DRAIN_SLACK_BYTES = 1024 * 1024;

/** Text fields kept per body (the client SDK sends two or three beside the file), and bytes kept of each. */
const FIELDS = 20;
const FIELD_BYTES = 1024;

export interface MultipartUpload {
  /** The first file part, or undefined when the body ended without one; rejects for a malformed body. */
  file: Promise<UploadedPart | undefined>;
  /** The error of a malformed or cut-short body, once one was seen. */
  error(): DomainError | undefined;
  /**
   * The text fields read so far (the first value of each name, at most FIELDS of FIELD_BYTES each):
   * all of them once the file part's `complete` has settled, wherever they stood in the body.
   */
  fields(): Record<string, string>;
  /**
   * Stops parsing after a refusal and lets the connection go on: the rest of the body is read and
   * discarded when its declared length is at most `drainMax`, else the reply says
   * `Connection: close` and the socket is closed after it.
   */
  abandon(reply: FastifyReply, drainMax: number): void;
}

/** Requests whose body fastify matched to multipart/form-data (left unread for readMultipart). */
const multipartRequests = new WeakSet<FastifyRequest>();

/**
 * multipart/form-data bodies are left unread for the upload routes to stream (readMultipart). A
 * parser of our own rather than @fastify/multipart: busboy is all the routes use of it, and its
 * request decorations and `onResponse` hook would run on every request of the API.
 */
export function acceptMultipartBodies(server: FastifyInstance): void {
  server.addContentTypeParser('multipart/form-data', (req, _payload, done) => {
    multipartRequests.add(req);
    done(null);
  });
}

/** True when the request's body is multipart/form-data (see acceptMultipartBodies). */
export function isMultipart(req: FastifyRequest): boolean {
  return multipartRequests.has(req);
}

/**
 * Reads a multipart/form-data body with busboy: the first file part is handed over as a stream,
 * other parts are read and dropped, and the part's `complete` settles once the whole body was read
 * (rejecting when it is malformed: cut short, no closing boundary). A body without a usable
 * boundary is refused before a byte is read.
 */
export function readMultipart(req: FastifyRequest, fileSizeLimit: number): MultipartUpload {
  let parser: BusboyInstance;
  try {
    parser = new Busboy({
      headers: req.headers as BusboyHeaders,
      limits: { fileSize: fileSizeLimit, fields: FIELDS, fieldSize: FIELD_BYTES },
      fileHwm: PART_BUFFER_BYTES,
    });
  } catch {
    return fail('multipartMalformed');
  }
  const raw = req.raw;
  let error: DomainError | undefined;
  let first: Readable | undefined;
  let firstEnded = false;
  const fields = new Map<string, string>();
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
  parser.on('field', (name: string, value: string) => {
    if (!fields.has(name)) fields.set(name, value);
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
    fields: () => Object.fromEntries(fields),
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
