/** GET /v1/experiments/:id/compare: the sweep table as JSON or CSV, or its plot as SVG. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ApiServices } from '../services.ts';
import { IdParams } from '../schemas/dataset.ts';
import type { CompareGroup } from '../lib/compare.ts';
import { compareCsv, compareReport, compareSvg } from '../lib/compare-report.ts';

const CompareQuery = Type.Object({
  x: Type.Optional(Type.Union([Type.Literal('lambda'), Type.Literal('kappa'), Type.Literal('seed')], { description: 'x axis (lambda, kappa: log scale)' })),
  metric: Type.Optional(Type.Union([Type.Literal('psnr_mmse'), Type.Literal('psnr_samples'), Type.Literal('ssim')])),
  groupBy: Type.Optional(Type.Union(['penalty', 'method', 'kappa', 'lambda', 'seed', 'none'].map((g) => Type.Literal(g)))),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('svg')])),
});

export const compareRoutes: FastifyPluginAsyncTypebox<{ services: ApiServices }> = async (app, { services }) => {
  const { db } = services;
  app.get('/experiments/:id/compare', {
    schema: {
      tags: ['experiments'], summary: 'Sweep table (metric vs x, one line per group) with the classical baselines',
      params: IdParams,
      querystring: CompareQuery,
    },
  }, async (request, reply) => {
    const { x = 'lambda', metric = 'psnr_mmse', format = 'json' } = request.query;
    const groupBy = (request.query.groupBy ?? 'penalty') as CompareGroup;
    const report = await compareReport(db, request.params.id, { x, metric, groupBy });
    if (format === 'csv') return reply.type('text/csv; charset=utf-8').send(compareCsv(report));
    if (format === 'svg') return reply.type('image/svg+xml').send(compareSvg(report));
    return report;
  });
};
