/** /healthz: the process is up. /readyz: Postgres, Redis and the blob store answer (503 naming those that do not). */
import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import { READINESS_TIMEOUT_MS, withDeadline } from '@divblur/config';
import type { InferenceServices } from '../services.ts';

const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not ready')]),
  checks: Type.Record(Type.String(), Type.String({ description: 'ok, or down: why' })),
});

export const healthRoutes: FastifyPluginAsync<{ services: InferenceServices }> = async (app, { services }) => {
  app.get('/healthz', {
    logLevel: 'warn', schema: { tags: ['health'], summary: 'the process answers', response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
  }, async () => ({ status: 'ok' }));
  app.get('/readyz', {
    logLevel: 'warn', schema: { tags: ['health'], summary: 'Postgres, Redis and the blob store answer', response: { 200: Readiness, 503: Readiness } },
  }, async (_request, reply) => {
    const checks = {
      postgres: () => services.db.ping(),
      redis: () => services.redis.ping(),
      blobStore: () => services.blobs.exists('readyz-probe'),
    };
    const results = await Promise.all(Object.entries(checks).map(async ([name, check]) => {
      try {
        await withDeadline<unknown>(check(), READINESS_TIMEOUT_MS, name);
        return [name, 'ok'] as const;
      } catch (error) {
        return [name, `down: ${(error as Error).message}`] as const;
      }
    }));
    const ready = results.every(([, state]) => state === 'ok');
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks: Object.fromEntries(results) });
  });
};
