/**
 * Prometheus metrics at GET /metrics: requests by route and status, their durations, deconvolution
 * seconds, in-flight and refused deconvolutions, and loaded models. One registry per app instance.
 */
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ConcurrencyLimit } from '../concurrency.ts';

declare module 'fastify' {
  interface FastifyInstance { deconvolutionSeconds: Histogram }
}

async function metrics(app: FastifyInstance, options: { limit: ConcurrencyLimit; loadedModels: () => number }): Promise<void> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'divblur_inference_' });
  const requests = new Counter({
    name: 'divblur_inference_requests_total', help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const, registers: [registry],
  });
  const durations = new Histogram({
    name: 'divblur_inference_request_duration_seconds', help: 'HTTP request duration by route',
    labelNames: ['method', 'route'] as const, buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [registry],
  });
  const deconvolutionSeconds = new Histogram({
    name: 'divblur_inference_deconvolution_seconds', help: 'MMSE deconvolution time per image (encode + all samples)',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers: [registry],
  });
  new Gauge({ name: 'divblur_inference_in_flight', help: 'Deconvolutions running now', registers: [registry], collect() { this.set(options.limit.inFlight); } });
  new Gauge({ name: 'divblur_inference_rejected_total', help: 'Deconvolutions refused with 429', registers: [registry], collect() { this.set(options.limit.rejected); } });
  new Gauge({ name: 'divblur_inference_models_loaded', help: 'Models with ONNX sessions in the cache', registers: [registry], collect() { this.set(options.loadedModels()); } });
  app.decorate('deconvolutionSeconds', deconvolutionSeconds);
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    durations.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', { logLevel: 'warn', schema: { tags: ['health'], summary: 'Prometheus metrics (text exposition format)', response: { 200: { description: 'metrics', content: { 'text/plain': { schema: { type: 'string' } } } } } } }, async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
}

export default fp(metrics, { name: 'metrics' });
