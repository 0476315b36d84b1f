/**
 * The inference HTTP app: request ids (X-Request-Id honoured or a UUID, echoed back, on every log
 * line through request.log), its OpenAPI document at /docs, error handler, unknown query
 * parameters refused, metrics, health, the deconvolve route. Bodies are validated without type
 * coercion, query numbers must be written as numbers (libs/http, as in the API).
 */
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { requestChildLogger } from '@divblur/config';
import { access, createValidatorCompiler, openApi, strictQuery } from '@divblur/http';
import { INFERENCE_ACCESS_POLICY } from './access-policy.ts';
import { ModelNotFoundError } from './errors.ts';
import { ConcurrencyLimit } from './concurrency.ts';
import errorHandler from './plugins/error-handler.ts';
import metrics from './plugins/metrics.ts';
import { deconvolveRoutes } from './routes/deconvolve.ts';
import { healthRoutes } from './routes/health.ts';
import type { InferenceServices } from './services.ts';

export interface InferenceAppOptions {
  /** Deconvolutions at once before 429 (default 2: each uses every core through ONNX Runtime). */
  maxInFlight?: number;
  /** Largest request body, bytes (default 256 MiB). */
  bodyLimitBytes?: number;
}

export type InferenceApp = Awaited<ReturnType<typeof buildInferenceApp>>;

export async function buildInferenceApp(services: InferenceServices, options: InferenceAppOptions = {}) {
  const limit = new ConcurrencyLimit(options.maxInFlight ?? 2);
  const bodyLimitBytes = options.bodyLimitBytes ?? 256 * 1024 ** 2;
  const app = Fastify({
    loggerInstance: services.logger,
    childLoggerFactory: requestChildLogger,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    bodyLimit: bodyLimitBytes,
  });
  app.setValidatorCompiler(createValidatorCompiler());
  // No route takes plain text: without this a text/plain body would reach a handler as a string, not be a 415.
  app.removeContentTypeParser('text/plain');
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  await app.register(openApi, {
    title: 'divblur inference', version: '0.1.0',
    description: 'MMSE deconvolution of one image with a trained DivBlurring model (ONNX Runtime). '
      + 'Every error is { statusCode, code, error, message, requestId }.',
    tags: ['deconvolve', 'health'],
  });
  await app.register(errorHandler);
  // API keys, rate limits and CORS on every /v1 route (libs/http's access plugin, configured by services.config.access).
  await app.register(access, {
    service: 'inference', db: services.db, config: services.config.access, redis: services.rateLimitRedis,
    rateLimitNamespace: `${services.config.queuePrefix}-rate-limit:`, policy: INFERENCE_ACCESS_POLICY,
    // Only models are named by id here: another project's reads as a model that does not exist.
    notFound: (_resource, id) => new ModelNotFoundError(id),
  });
  await app.register(strictQuery);
  await app.register(metrics, { limit, loadedModels: () => services.sessions.size });
  await app.register(healthRoutes, { services });
  await app.register(deconvolveRoutes, { services, limit, bodyLimitBytes });
  return app;
}
