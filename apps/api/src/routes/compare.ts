/** GET /v1/experiments/:id/compare: the sweep table as JSON or CSV, or its plot as SVG. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ApiServices } from '../services.ts';
import { errorResponses, IdParams } from '../schemas/common.ts';
import { COMPARE_METRICS, type CompareGroup } from '../lib/compare.ts';
import { compareCsv, compareReport, compareSvg } from '../lib/compare-report.ts';

const CompareQuery = Type.Object({
  x: Type.Optional(Type.Union([Type.Literal('lambda'), Type.Literal('kappa'), Type.Literal('seed')], { description: 'x axis (lambda, kappa: log scale)' })),
  metric: Type.Optional(Type.Union(COMPARE_METRICS.map((m) => Type.Literal(m)), { description: 'psnr_mmse, psnr_samples, ssim (with ground truth); discrepancy, mean_std (GT-free)' })),
  groupBy: Type.Optional(Type.Union(['penalty', 'method', 'kappa', 'lambda', 'seed', 'none'].map((g) => Type.Literal(g)))),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('svg')])),
}, { additionalProperties: false });

const OptionalNumber = Type.Union([Type.Number(), Type.Null()]);
const CompareReport = Type.Object({
  experimentId: Type.String(), x: Type.String(), metric: Type.String(), groupBy: Type.String(),
  rows: Type.Array(Type.Object({
    group: Type.String(), x: Type.Number(), value: OptionalNumber, runs: Type.Integer(), finished: Type.Integer(), runIds: Type.Array(Type.String()),
  }, { description: 'one (group, x) cell: the metric averaged over its finished runs' })),
  baselines: Type.Array(Type.Object({ method: Type.String(), value: OptionalNumber }, { description: 'a classical baseline of the dataset' })),
  recommendations: Type.Array(Type.Object({
    group: Type.String(), rule: Type.Literal('discrepancy_principle'), target: Type.Number({ description: 'the discrepancy aimed at: 1' }),
    runId: Type.Union([Type.String(), Type.Null()]), lambda: OptionalNumber, x: OptionalNumber, discrepancy: OptionalNumber,
    distance: OptionalNumber, value: OptionalNumber,
    bracketed: Type.Boolean({ description: 'false: every discrepancy lies on one side of 1 (extend the sweep)' }),
    candidates: Type.Array(Type.Object({ runId: Type.String(), lambda: Type.Number(), x: Type.Number(), discrepancy: Type.Number(), value: OptionalNumber })),
  }, {
    description: 'per group, the run the data alone supports (no ground truth): Morozov\'s discrepancy principle, the run whose held-out '
      + '‖A x̂ − y‖²/(Nσ²) (χ²/N for a camera noise model) is closest to 1; with the figures it weighed',
  })),
});

export const compareRoutes: FastifyPluginAsyncTypebox<{ services: ApiServices }> = async (app, { services }) => {
  const { db } = services;
  app.get('/experiments/:id/compare', {
    schema: {
      tags: ['experiments'], summary: 'Sweep table (metric vs x, one line per group) with the classical baselines',
      params: IdParams,
      querystring: CompareQuery,
      response: {
        200: {
          description: 'the sweep table (json), the same as CSV, or its plot (svg)',
          content: {
            'application/json': { schema: CompareReport },
            'text/csv': { schema: Type.String({ description: 'kind,group,<x>,<metric>,runs,finished' }) },
            'image/svg+xml': { schema: Type.String({ description: 'metric vs x, one line per group, baselines as horizontal lines' }) },
          },
        },
        ...errorResponses(400, 404),
      },
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
