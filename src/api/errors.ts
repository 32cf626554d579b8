/**
 * Every API error is JSON `{ error: { code, message } }`. Validation failures and other client
 * errors keep their 4xx; anything unexpected becomes a 500 whose message says nothing about the
 * internals (the stack goes to the log, never to the client).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { classifyError, ErrorCodes, PortraitError } from '../util/errors.js';

/** The catalogue's codes an API response carries (src/util/errors.ts; docs/errors.md). */
export const API_ERROR_CODES = ['BAD_REQUEST', 'UNAUTHORIZED', 'NOT_FOUND', 'METHOD_NOT_ALLOWED', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'INTERNAL', 'UNAVAILABLE'] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

export interface ErrorBody {
  error: { code: ApiErrorCode; message: string };
}

/** An error a route throws on purpose: its status (the catalogue's) and message go to the client as they are. */
export class ApiError extends PortraitError {
  declare readonly code: ApiErrorCode;
  readonly statusCode: number;
  constructor(code: ApiErrorCode, message: string) {
    super(code, message);
    this.name = 'ApiError';
    this.statusCode = ErrorCodes[code].http;
  }
}

export function errorBody(code: ApiErrorCode, message: string): ErrorBody {
  return { error: { code, message } };
}

export function sendError(reply: FastifyReply, code: ApiErrorCode, message: string): FastifyReply {
  return reply.code(ErrorCodes[code].http).type('application/json; charset=utf-8').send(errorBody(code, message));
}

function codeForStatus(status: number): ApiErrorCode {
  const hit = API_ERROR_CODES.find((c) => ErrorCodes[c].http === status);
  return hit ?? (status >= 500 ? 'INTERNAL' : 'BAD_REQUEST');
}

/** Shorten a message for a client: one line, at most 300 characters, no control characters. */
function clean(message: string): string {
  const one = message.replace(/[\p{Cc}]+/gu, ' ').trim();
  return one.length > 300 ? `${one.slice(0, 297)}...` : one;
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | ApiError | Error, req: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof ApiError) return sendError(reply, err.code, err.message);
    const fe = err as FastifyError;
    if (fe.validation) {
      const where = fe.validationContext ? `${fe.validationContext} ` : '';
      const msg = fe.validation.map((v) => `${where}${(v.instancePath || '').replace(/^\//, '')}${v.instancePath ? ' ' : ''}${v.message ?? 'is invalid'}`).join('; ');
      return sendError(reply, 'BAD_REQUEST', clean(msg));
    }
    const component = classifyError(err).component;
    if (component === 'redis' || component === 'kafka') {
      req.log.warn({ err: err.message }, 'dependency unavailable');
      return sendError(reply, 'UNAVAILABLE', component === 'redis' ? 'the profile store is unavailable; retry later' : 'Kafka is unavailable; retry later');
    }
    const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
    if (status >= 400 && status < 500) return sendError(reply, codeForStatus(status), clean(err.message));
    req.log.error({ err }, 'request failed');
    return sendError(reply, status === 503 ? 'UNAVAILABLE' : 'INTERNAL', 'internal error');
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, 'NOT_FOUND', `no route ${req.method} ${clean(req.url.split('?')[0] ?? '')}`.slice(0, 300)));
}
