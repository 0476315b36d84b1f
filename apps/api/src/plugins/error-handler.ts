/**
 * One error handler for the whole API: request validation and typed library errors become a
 * 4xx with a stable `code` and a message that says what is wrong; anything else is a bug, so
 * a 500 whose log line carries the request id (the body carries it too, for the bug report).
 */
import fp from 'fastify-plugin';
import type { FastifyError, FastifyInstance } from 'fastify';
import { ImagingError } from '@divblur/imaging';
import { StorageError } from '@divblur/storage';
import { ApiError } from '../lib/errors.ts';

export interface ErrorBody { statusCode: number; code: string; error: string; message: string; requestId: string }

/**
 * Storage errors reach the API from user-given s3:// URIs: a missing object or bucket and a
 * malformed URI are the client's to fix (400). Blobs the API wrote itself are found by key from a
 * row, so a missing one there is a server-side inconsistency and stays a 5xx.
 */
const STORAGE_CLIENT_ERRORS = new Set(['BLOB_NOT_FOUND', 'S3_URI_INVALID', 'BLOB_KEY_INVALID', 'BLOB_RANGE_INVALID']);

export function statusOf(error: unknown): number {
  if (error instanceof ApiError) return error.statusCode;
  if (error instanceof ImagingError) return 400;
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation) return 400;
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return fastifyError.statusCode;
  }
  if (error instanceof StorageError && STORAGE_CLIENT_ERRORS.has(error.code)) return 400;
  return 500;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request', 404: 'Not Found', 406: 'Not Acceptable', 409: 'Conflict', 413: 'Payload Too Large',
  415: 'Unsupported Media Type', 422: 'Unprocessable Entity', 429: 'Too Many Requests', 500: 'Internal Server Error',
};

interface AjvIssue { instancePath?: string; keyword: string; params?: Record<string, unknown>; message?: string }

/**
 * Ajv reports a value outside a union of literals (penalty, method…) as one "must be equal to
 * constant" per literal plus an anyOf line; say instead which values are allowed, e.g.
 * "body/spec/penalty must be one of none, l1, l2, positivity, positivity_l1 (got 'lasso')".
 */
export function validationMessage(error: { message: string; validation?: unknown; validationContext?: string }): string {
  const issues = (error.validation ?? []) as AjvIssue[];
  const byPath = new Map<string, AjvIssue[]>();
  for (const issue of issues) byPath.set(issue.instancePath ?? '', [...(byPath.get(issue.instancePath ?? '') ?? []), issue]);
  const parts: string[] = [];
  for (const [path, group] of byPath) {
    const allowed = group.filter((i) => i.keyword === 'const').map((i) => String(i.params?.allowedValue));
    const where = `${error.validationContext ?? 'body'}${path}`;
    if (allowed.length > 0 && group.every((i) => i.keyword === 'const' || i.keyword === 'anyOf')) parts.push(`${where} must be one of ${allowed.join(', ')}`);
    else parts.push(...group.filter((i) => i.keyword !== 'anyOf').map((i) => `${where} ${i.message ?? 'is invalid'}`));
  }
  return parts.length > 0 ? parts.join('; ') : error.message;
}

async function errorHandler(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((error, request, reply) => {
    const statusCode = statusOf(error);
    const err = error as Partial<FastifyError> & Error;
    const body: ErrorBody = {
      statusCode,
      code: statusCode === 500 ? 'INTERNAL' : (typeof err.code === 'string' ? err.code : (err.validation ? 'VALIDATION' : 'BAD_REQUEST')),
      error: REASONS[statusCode] ?? 'Error',
      message: statusCode === 500 ? `internal error; quote request id ${request.id}` : (err.validation ? validationMessage(err) : err.message),
      requestId: request.id,
    };
    if (statusCode === 500) request.log.error({ err: error, reqId: request.id }, 'unhandled error');
    else request.log.info({ code: body.code, message: body.message }, 'client error');
    return reply.status(statusCode).send(body);
  });

  app.setNotFoundHandler((request, reply) => reply.status(404).send({
    statusCode: 404, code: 'ROUTE_NOT_FOUND', error: 'Not Found',
    message: `no route ${request.method} ${request.url}`, requestId: request.id,
  } satisfies ErrorBody));
}

export default fp(errorHandler, { name: 'error-handler' });
