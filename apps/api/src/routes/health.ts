/** Liveness (/healthz: the process answers) and readiness (/readyz: Postgres, Redis, blob store). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { READINESS_TIMEOUT_MS, withDeadline } from '@divblur/config';

export type ReadinessChecks = Record<string, () => Promise<void>>;

const CheckResult = Type.Object({ ok: Type.Boolean(), ms: Type.Number(), error: Type.Optional(Type.String()) });
const Readiness = Type.Object({ ok: Type.Boolean(), checks: Type.Record(Type.String(), CheckResult) });

export const healthRoutes: FastifyPluginAsyncTypebox<{ checks: ReadinessChecks; timeoutMs?: number }> = async (app, options) => {
  const timeoutMs = options.timeoutMs ?? READINESS_TIMEOUT_MS;
  app.get('/healthz', { schema: { tags: ['health'], response: { 200: Type.Object({ ok: Type.Boolean() }) } } }, async () => ({ ok: true }));

  app.get('/readyz', { schema: { tags: ['health'], response: { 200: Readiness, 503: Readiness } } }, async (_request, reply) => {
    const entries = await Promise.all(Object.entries(options.checks).map(async ([name, check]) => {
      const started = performance.now();
      try {
        await withDeadline(check(), timeoutMs, name);
        return [name, { ok: true, ms: performance.now() - started }] as const;
      } catch (error) {
        return [name, { ok: false, ms: performance.now() - started, error: (error as Error).message }] as const;
      }
    }));
    const checks = Object.fromEntries(entries);
    const ok = entries.every(([, r]) => r.ok);
    return reply.status(ok ? 200 : 503).send({ ok, checks });
  });
};
