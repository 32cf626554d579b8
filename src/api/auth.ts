/**
 * Bearer-token check for the /v1 routes: `Authorization: Bearer <api.token>` when the token is
 * non-empty. Both sides are hashed before a constant-time compare, so neither the content nor the
 * length of the token leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './errors.js';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** True when `header` carries exactly `Bearer <token>` (scheme case-insensitive). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  const given = m?.[1] ?? '';
  const ok = timingSafeEqual(digest(given), digest(token));
  return ok && m !== null;
}

/** An onRequest hook; undefined when no token is configured (open API). */
export function bearerAuth(token: string): ((req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>) | undefined {
  if (token === '') return undefined;
  return async (req, reply) => {
    if (bearerMatches(req.headers.authorization, token)) return undefined;
    reply.header('WWW-Authenticate', 'Bearer realm="portrait"');
    // returning the reply ends the request here (fastify async hook rule)
    return sendError(reply, 'UNAUTHORIZED', req.headers.authorization ? 'invalid bearer token' : 'missing bearer token (Authorization: Bearer <token>)');
  };
}
