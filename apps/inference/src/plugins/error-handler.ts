/**
 * One error handler: request validation, bad images (imaging / ONNX input errors), bad options,
 * unknown models and overload become a 4xx with a stable `code` and a message that says what is
 * wrong; anything else is a bug: a 500 whose log line (and body) carries the request id.
 */
import fp from 'fastify-plugin';
import type { FastifyError, FastifyInstance } from 'fastify';
import { ImagingError } from '@divblur/imaging';
import { OnnxInputError, OnnxOptionError } from '@divblur/onnx';
import { InferenceError, OverloadedError } from '../errors.ts';

export function statusOf(error: unknown): number {
  if (error instanceof InferenceError) return error.statusCode;
  if (error instanceof ImagingError || error instanceof OnnxInputError || error instanceof OnnxOptionError) return 400;
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation) return 400;
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) return fastifyError.statusCode;
  return 500;
}

async function errorHandler(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((error, request, reply) => {
    const statusCode = statusOf(error);
    const code = (error as { code?: string }).code ?? (statusCode === 500 ? 'INTERNAL' : 'BAD_REQUEST');
    if (statusCode >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code, message: (error as Error).message }, 'request refused');
    if (error instanceof OverloadedError) void reply.header('retry-after', String(error.retryAfterSeconds));
    const message = statusCode >= 500 ? `internal error; quote request id ${request.id}` : (error as Error).message;
    return reply.status(statusCode).send({ statusCode, code, error: statusCode >= 500 ? 'Internal Server Error' : 'Bad Request', message, requestId: request.id });
  });
}

export default fp(errorHandler, { name: 'error-handler' });
