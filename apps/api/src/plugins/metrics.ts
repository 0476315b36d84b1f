/**
 * Prometheus metrics at GET /metrics: requests (count and duration by route and status), queue
 * depths (read from Redis at scrape time), and job durations (from the deps, at scrape time).
 * One registry per app instance, so tests can build several apps in one process.
 */
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface MetricsSources {
  /** Jobs per queue and state, e.g. `{ train: { waiting: 3, active: 1 } }`. */
  queueDepths(): Promise<Record<string, Record<string, number>>>;
  /** Durations of recently finished jobs, seconds, per job kind (`train`, `evaluate`). */
  jobDurations(): Promise<Record<string, { count: number; sumSeconds: number; maxSeconds: number }>>;
}

declare module 'fastify' {
  interface FastifyInstance { metricsRegistry: Registry }
}

async function metrics(app: FastifyInstance, options: { sources: MetricsSources }): Promise<void> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'divblur_api_' });
  const requests = new Counter({
    name: 'divblur_api_requests_total', help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const, registers: [registry],
  });
  const durations = new Histogram({
    name: 'divblur_api_request_duration_seconds', help: 'HTTP request duration by method and route',
    labelNames: ['method', 'route'] as const, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  new Gauge({
    name: 'divblur_queue_jobs', help: 'Jobs in each queue and state (read at scrape time)',
    labelNames: ['queue', 'state'] as const, registers: [registry],
    async collect() {
      this.reset();
      for (const [queue, states] of Object.entries(await options.sources.queueDepths())) {
        for (const [state, count] of Object.entries(states)) this.set({ queue, state }, count);
      }
    },
  });
  const jobGauge = (name: string, help: string, pick: (d: { count: number; sumSeconds: number; maxSeconds: number }) => number) =>
    new Gauge({
      name, help, labelNames: ['kind'] as const, registers: [registry],
      async collect() {
        this.reset();
        for (const [kind, d] of Object.entries(await options.sources.jobDurations())) this.set({ kind }, pick(d));
      },
    });
  jobGauge('divblur_job_finished_total', 'Finished jobs per kind', (d) => d.count);
  jobGauge('divblur_job_duration_seconds_sum', 'Total duration of finished jobs per kind, s', (d) => d.sumSeconds);
  jobGauge('divblur_job_duration_seconds_max', 'Longest finished job per kind, s', (d) => d.maxSeconds);

  app.decorate('metricsRegistry', registry);
  app.addHook('onResponse', async (request, reply) => {
    // The route pattern (/v1/runs/:id), not the URL, keeps the label set small.
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    durations.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', { schema: { tags: ['health'], summary: 'Prometheus metrics (text exposition format)', response: { 200: { description: 'metrics', content: { 'text/plain': { schema: { type: 'string' } } } } } } }, async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
}

export default fp(metrics, { name: 'metrics' });
