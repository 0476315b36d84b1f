/**
 * Builds the API (fastify/demo layout): external plugins (multipart, OpenAPI + UI), then app
 * plugins (error handler, metrics, unknown query parameters refused), then one plugin per
 * resource. Bodies are validated without type coercion (libs/http's validator compiler).
 * Everything it talks to comes in `deps`, so tests build it against real servers and call it
 * through `inject`.
 */
import Fastify from 'fastify';
import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { requestChildLogger, type Logger } from '@divblur/config';
import { access, createValidatorCompiler, openApi, strictQuery } from '@divblur/http';
import type { AccessConfig } from '@divblur/config';
import type { ProjectResource } from '@divblur/db';
import type { Redis } from '@divblur/queue';
import errorHandler from './plugins/error-handler.ts';
import metrics, { type MetricsSources } from './plugins/metrics.ts';
import { healthRoutes, type ReadinessChecks } from './routes/health.ts';
import { datasetRoutes } from './routes/datasets.ts';
import { experimentRoutes } from './routes/experiments.ts';
import { runRoutes } from './routes/runs.ts';
import { runImageRoutes } from './routes/run-images.ts';
import { compareRoutes } from './routes/compare.ts';
import { modelRoutes } from './routes/models.ts';
import { deconvolutionRoutes } from './routes/deconvolutions.ts';
import { keyRoutes } from './routes/keys.ts';
import { auditRoutes } from './routes/audit.ts';
import { queueDashboardRoutes, type QueueDashboardDeps } from './routes/queue-dashboard.ts';
import { webPageRoutes } from './routes/web-page.ts';
import { API_ACCESS_POLICY } from './access-policy.ts';
import { NotFoundError } from './lib/errors.ts';
import type { BatchServices } from './deconvolutions/create-batch.ts';
import type { ApiServices } from './services.ts';

export interface ApiLimits {
  /** Largest sweep (runs per experiment) accepted. */
  maxSweepRuns: number;
  /** Largest uploaded file, bytes. */
  maxUploadBytes: number;
}

export const DEFAULT_LIMITS: ApiLimits = { maxSweepRuns: 64, maxUploadBytes: 1024 * 1024 * 1024 };

export interface ApiDeps extends ApiServices {
  logger: Logger;
  readiness: ReadinessChecks;
  metricsSources: MetricsSources;
  limits?: Partial<ApiLimits>;
  /** The batch path's queue, S3 listing and callback signing; without them /v1/deconvolutions is not served. */
  batches?: BatchServices;
  /** API keys, rate limits, CORS (libs/http's access plugin, on deps.db's keys and audit log): every /v1 route needs a key. */
  access: ApiAccess;
  /** The queues to show at /admin/queues (bull-board, admin keys only); without them no dashboard is served. */
  queueDashboard?: QueueDashboardDeps;
}

export interface ApiAccess {
  config: AccessConfig;
  /** Rate-limit counters: a connection that fails fast (createProducerRedis). */
  redis: Redis;
  /** Key prefix of the counters, `<queue prefix>:rate-limit:`. */
  rateLimitNamespace: string;
}

/** The API's 404 of a resource (NotFoundError's), also for another project's: the same body as for none. */
const RESOURCE_NAMES: Record<ProjectResource, string> = { dataset: 'dataset', experiment: 'experiment', run: 'run', model: 'model', batch: 'batch' };

export type ApiApp = Awaited<ReturnType<typeof buildApp>>;

export async function buildApp(deps: ApiDeps) {
  const limits: ApiLimits = { ...DEFAULT_LIMITS, ...deps.limits };
  const app = Fastify({
    loggerInstance: deps.logger,
    childLoggerFactory: requestChildLogger,
    genReqId: () => crypto.randomUUID(),
    requestIdHeader: 'x-request-id',
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(createValidatorCompiler());
  // No route takes plain text: without this a text/plain body would reach a handler as a string, not be a 415.
  app.removeContentTypeParser('text/plain');

  // files: one each of noisy, gt and psf; a fourth part that is a file is refused (413) while streaming.
  await app.register(multipart, { limits: { fileSize: limits.maxUploadBytes, files: 3, fields: 20, fieldSize: 1024 } });
  await app.register(openApi, {
    title: 'divblur API', version: '0.1.0',
    description: 'DivBlurring deconvolution: datasets, experiments and λ sweeps, runs, models, comparisons. '
      + 'Every error is { statusCode, code, error, message, requestId }.',
    tags: ['datasets', 'experiments', 'runs', 'models', 'deconvolutions', 'access', 'health'],
  });

  await app.register(errorHandler);
  // Before every route: its onRoute hook puts the key check on each /v1 route as it is registered.
  await app.register(access, {
    service: 'api', db: deps.db, config: deps.access.config, redis: deps.access.redis, rateLimitNamespace: deps.access.rateLimitNamespace,
    policy: API_ACCESS_POLICY, notFound: (resource, id) => new NotFoundError(RESOURCE_NAMES[resource], id),
  });
  await app.register(strictQuery);
  await app.register(metrics, { sources: deps.metricsSources });

  await app.register(healthRoutes, { checks: deps.readiness });
  const services: ApiServices = { db: deps.db, blobs: deps.blobs, queues: deps.queues, s3Import: deps.s3Import };
  await app.register(datasetRoutes, { prefix: '/v1', services, limits });
  await app.register(experimentRoutes, { prefix: '/v1', services, limits });
  await app.register(runRoutes, { prefix: '/v1', services });
  await app.register(runImageRoutes, { prefix: '/v1', services });
  await app.register(compareRoutes, { prefix: '/v1', services });
  await app.register(modelRoutes, { prefix: '/v1', services });
  if (deps.batches) await app.register(deconvolutionRoutes, { prefix: '/v1', services, batches: deps.batches, limits });
  await app.register(keyRoutes, { prefix: '/v1', services });
  await app.register(auditRoutes, { prefix: '/v1', services });
  if (deps.queueDashboard) await app.register(queueDashboardRoutes, { db: deps.db, dashboard: deps.queueDashboard });
  // The page for scientists: static files, open (they hold no data; the page asks for a key and reads /v1 with it).
  await app.register(webPageRoutes);
  return app;
}
