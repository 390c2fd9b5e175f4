// CORS for browser apps on other origins (REST.md "Other wire facts"): the web SDK preflights every
// call — JSON Content-Type even on GET, plus Authorization, restrict-access, share-secret and
// X-Requested-With — with GET, POST, PUT and DELETE. Allowed origins are a setting
// (QUNLIAO_CORS_ORIGINS); the hosted service answers `Access-Control-Allow-Origin: *`.
import type { FastifyInstance } from 'fastify';
import cors from '@fastify/cors';
import type { Config } from '../config.js';

const ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'Accept', 'restrict-access', 'share-secret', 'X-Requested-With', 'thumbnail-height', 'thumbnail-width', 'x-request-id'];

export async function registerCors(server: FastifyInstance, origins: Config['cors'] = '*'): Promise<void> {
  if (origins === 'off') return;
  await server.register(cors, {
    origin: origins === '*' ? '*' : origins,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: ['x-request-id', 'content-disposition'],
    maxAge: 86_400,
    // An OPTIONS without the preflight headers is answered like one (204, no body), never with a text error.
    strictPreflight: false,
  });
}
