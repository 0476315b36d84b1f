/** /healthz: the process is up. /readyz: Postgres, Redis and the blob store answer (503 naming those that do not). */
import type { FastifyPluginAsync } from 'fastify';
import type { InferenceServices } from '../services.ts';

export const healthRoutes: FastifyPluginAsync<{ services: InferenceServices }> = async (app, { services }) => {
  app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }));
  app.get('/readyz', { logLevel: 'warn' }, async (_request, reply) => {
    const checks = {
      postgres: () => services.db.ping(),
      redis: () => services.redis.ping(),
      blobStore: () => services.blobs.exists('readyz-probe'),
    };
    const results = await Promise.all(Object.entries(checks).map(async ([name, check]) => {
      try {
        await check();
        return [name, 'ok'] as const;
      } catch (error) {
        return [name, `down: ${(error as Error).message}`] as const;
      }
    }));
    const ready = results.every(([, state]) => state === 'ok');
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks: Object.fromEntries(results) });
  });
};
