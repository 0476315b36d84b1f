/**
 * One error handler: request validation, bad images (imaging / ONNX input errors), bad options,
 * unknown models and overload become a 4xx with a stable `code` and a message that says what is
 * wrong, in the API's error shape (libs/http); anything else is a bug: a 500 whose log line (and
 * body) carries the request id. An unknown route is a 404 in the same shape.
 */
import fp from 'fastify-plugin';
import type { FastifyError, FastifyInstance } from 'fastify';
import { asServiceUnavailable, errorBody, ServiceUnavailableError, validationMessage } from '@divblur/http';
import { databaseUnavailableReason } from '@divblur/db';
import { ImagingError } from '@divblur/imaging';
import { OnnxInputError, OnnxOptionError } from '@divblur/onnx';
import { redisUnavailableReason } from '@divblur/queue';
import { InferenceError, OverloadedError } from '../errors.ts';

/** Postgres or Redis down or not answering in time: 503 with Retry-After, not a 500. */
const DEPENDENCIES = { postgres: databaseUnavailableReason, redis: redisUnavailableReason };

export function statusOf(error: unknown): number {
  if (error instanceof InferenceError) return error.statusCode;
  if (error instanceof ServiceUnavailableError) return 503;
  if (error instanceof ImagingError || error instanceof OnnxInputError || error instanceof OnnxOptionError) return 400;
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation) return 400;
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) return fastifyError.statusCode;
  return 500;
}

function codeOf(error: Partial<FastifyError> & Error, statusCode: number): string {
  if (error instanceof ServiceUnavailableError) return error.code;
  if (statusCode >= 500) return 'INTERNAL';
  if (error.validation) return 'VALIDATION';
  return typeof error.code === 'string' ? error.code : 'BAD_REQUEST';
}

async function errorHandler(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((raw, request, reply) => {
    const error = asServiceUnavailable(raw, DEPENDENCIES) ?? raw;
    const statusCode = statusOf(error);
    const err = error as Partial<FastifyError> & Error;
    const code = codeOf(err, statusCode);
    const unavailable = error instanceof ServiceUnavailableError;
    if (unavailable) request.log.warn({ code, message: err.message, err: raw }, 'dependency unavailable');
    else if (statusCode >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code, message: err.message }, 'request refused');
    if (error instanceof OverloadedError || unavailable) void reply.header('retry-after', String(error.retryAfterSeconds));
    const message = statusCode >= 500 && !unavailable ? `internal error; quote request id ${request.id}` : (err.validation ? validationMessage(err) : err.message);
    return reply.status(statusCode).send(errorBody(statusCode, code, message, request.id));
  });

  app.setNotFoundHandler((request, reply) => reply.status(404).send(
    errorBody(404, 'ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`, request.id),
  ));
}

export default fp(errorHandler, { name: 'error-handler' });
