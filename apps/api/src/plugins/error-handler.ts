/**
 * One error handler for the whole API: request validation, framework refusals (a body too large,
 * malformed JSON, an unknown media type) and typed library errors become a 4xx with a stable
 * `code` and a message that says what is wrong, in the one error shape of libs/http; anything
 * else is a bug, so a 500 whose log line carries the request id (the body carries it too, for
 * the bug report).
 */
import fp from 'fastify-plugin';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { asServiceUnavailable, errorBody, ServiceUnavailableError, validationMessage } from '@divblur/http';
import { databaseUnavailableReason } from '@divblur/db';
import { ImagingError } from '@divblur/imaging';
import { redisUnavailableReason } from '@divblur/queue';
import { StorageError } from '@divblur/storage';
import { ApiError } from '../lib/errors.ts';

/** Postgres or Redis down or not answering in time: 503 with Retry-After, not a 500. */
export const DEPENDENCIES = { postgres: databaseUnavailableReason, redis: redisUnavailableReason };

/**
 * Storage errors reach the API from user-given s3:// URIs: a missing object or bucket and a
 * malformed URI are the client's to fix (400). Blobs the API wrote itself are found by key from a
 * row, so a missing one there is a server-side inconsistency and stays a 5xx.
 */
const STORAGE_CLIENT_ERRORS = new Set(['BLOB_NOT_FOUND', 'S3_URI_INVALID', 'BLOB_KEY_INVALID', 'BLOB_RANGE_INVALID']);

export function statusOf(error: unknown): number {
  if (error instanceof ApiError) return error.statusCode;
  if (error instanceof ServiceUnavailableError) return 503;
  if (error instanceof ImagingError) return 400;
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation) return 400;
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return fastifyError.statusCode;
  }
  if (error instanceof StorageError && STORAGE_CLIENT_ERRORS.has(error.code)) return 400;
  return 500;
}

function codeOf(error: Partial<FastifyError> & Error, statusCode: number): string {
  if (statusCode === 500) return 'INTERNAL';
  if (error.validation) return 'VALIDATION';
  return typeof error.code === 'string' ? error.code : 'BAD_REQUEST';
}

/** The one error answer (also for a context with an error handler of its own: the queue dashboard's access check). */
export function sendError(raw: unknown, request: FastifyRequest, reply: FastifyReply) {
  const error = asServiceUnavailable(raw, DEPENDENCIES) ?? raw;
  const statusCode = statusOf(error);
  const err = error as Partial<FastifyError> & Error;
  const message = statusCode === 500 ? `internal error; quote request id ${request.id}` : (err.validation ? validationMessage(err) : err.message);
  const body = errorBody(statusCode, codeOf(err, statusCode), message, request.id);
  if (error instanceof ServiceUnavailableError) {
    void reply.header('retry-after', String(error.retryAfterSeconds));
    request.log.warn({ code: body.code, message: body.message, err: raw }, 'dependency unavailable');
  } else if (statusCode === 500) request.log.error({ err: error, reqId: request.id }, 'unhandled error');
  else request.log.info({ code: body.code, message: body.message }, 'client error');
  return reply.status(statusCode).send(body);
}

async function errorHandler(app: FastifyInstance): Promise<void> {
  app.setErrorHandler(sendError);

  app.setNotFoundHandler((request, reply) => reply.status(404).send(
    errorBody(404, 'ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`, request.id),
  ));
}

export default fp(errorHandler, { name: 'error-handler' });
