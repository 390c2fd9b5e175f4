// Body parsing with the wire quirks of official SDKs (CLIENTS.md): JSON labelled
// application/x-www-form-urlencoded on /token, Content-Type: application/json on body-less GET and
// DELETE, JSON bodies on DELETE, and bodies with no Content-Type at all.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError } from '../services/errors.js';

function parseJsonText(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text, (key, value: unknown) => (key === '__proto__' ? undefined : value));
  } catch (err) {
    throw new DomainError('jsonParse', { message: (err as Error).message });
  }
}

const looksLikeJson = (text: string): boolean => /^\s*[[{]/.test(text);

export function registerBodyParsers(server: FastifyInstance): void {
  server.removeContentTypeParser(['application/json', 'text/plain']);

  server.addContentTypeParser(/^application\/(.+\+)?json/, { parseAs: 'string' }, (_req: FastifyRequest, body: string, done) => {
    try {
      done(null, parseJsonText(body));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  server.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body: string, done) => {
    try {
      done(null, looksLikeJson(body) ? parseJsonText(body) : Object.fromEntries(new URLSearchParams(body)));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  // No or another Content-Type: an empty body is no body; JSON is still JSON (some clients omit the
  // header); anything else is refused as the hosted service does.
  server.addContentTypeParser('*', { parseAs: 'string' }, (_req, body: string, done) => {
    if (body.trim() === '') return done(null, undefined);
    if (!looksLikeJson(body)) return done(new DomainError('unsupportedMediaType'), undefined);
    try {
      done(null, parseJsonText(body));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
