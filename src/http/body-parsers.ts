// Body parsing with the wire quirks of official SDKs (CLIENTS.md): JSON labelled
// application/x-www-form-urlencoded on /token, Content-Type: application/json on body-less GET and
// DELETE, JSON bodies on DELETE, and bodies with no Content-Type at all.
//
// Before JSON.parse, one pass over the text refuses what no route can use: nesting deeper than
// JSON_MAX_DEPTH (a 10,000-level body would otherwise exhaust the stack) and the escape \u0000
// (PostgreSQL text cannot hold U+0000; both databases refuse it alike). `__proto__` keys are dropped.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError } from '../services/errors.js';

/** Levels of objects and arrays a JSON body may nest; the body itself is level 1. */
export const JSON_MAX_DEPTH = 100;

/** Throws jsonTooDeep or nulCharacter for text that JSON.parse should not see. */
export function screenJson(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) {
        if (text.startsWith('u0000', i + 1)) throw new DomainError('nulCharacter', { where: 'request body' });
        i++;
      } else if (c === 0x22 /* " */) {
        inString = false;
      } else if (c === 0) {
        throw new DomainError('nulCharacter', { where: 'request body' });
      }
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > JSON_MAX_DEPTH) throw new DomainError('jsonTooDeep', { depth, max: JSON_MAX_DEPTH });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
}

function parseJsonText(text: string): unknown {
  if (text.trim() === '') return undefined;
  screenJson(text);
  try {
    return JSON.parse(text, (key, value: unknown) => (key === '__proto__' ? undefined : value));
  } catch (err) {
    throw new DomainError('jsonParse', { parserMessage: (err as Error).message });
  }
}

function parseForm(text: string): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (const [key, value] of new URLSearchParams(text)) {
    if (key.includes('\u0000') || value.includes('\u0000')) throw new DomainError('nulCharacter', { where: 'request body' });
    if (!(key in out)) out[key] = value;
  }
  return out;
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
      done(null, looksLikeJson(body) ? parseJsonText(body) : parseForm(body));
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
