/** GET /v1/experiments/:id/compare: the sweep table as JSON or CSV, or its plot as SVG. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ApiServices } from '../services.ts';
import { IdParams } from '../schemas/dataset.ts';
import { baselineRows, compareTable, type CompareGroup } from '../lib/compare.ts';
import { NotFoundError } from '../lib/errors.ts';
import { toCsv } from '../lib/csv.ts';
import { linePlotSvg } from '../svg/line-plot.ts';

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
    const experiment = await db.getExperiment(request.params.id);
    if (!experiment) throw new NotFoundError('experiment', request.params.id);
    const runs = await db.listRuns({ filter: { experimentId: experiment.id }, sort: 'created', descending: false, limit: 10_000 });
    const rows = compareTable(runs, x, metric, groupBy);
    const baselines = baselineRows(await db.baselines(experiment.datasetId), metric);
    if (format === 'csv') {
      const table = [
        ...rows.map((r) => ({ kind: 'run', group: r.group, [x]: r.x, [metric]: r.value, runs: r.runs, finished: r.finished })),
        ...baselines.map((b) => ({ kind: 'baseline', group: b.method, [x]: null, [metric]: b.value, runs: null, finished: null })),
      ];
      return reply.type('text/csv; charset=utf-8').send(toCsv(['kind', 'group', x, metric, 'runs', 'finished'], table));
    }
    if (format === 'svg') {
      const groups = [...new Set(rows.map((r) => r.group))];
      const series = groups.map((group) => ({
        name: groupBy === 'none' ? metric : `${groupBy}=${group}`,
        points: rows.filter((r) => r.group === group && r.value !== null).map((r) => [r.x, r.value as number] as const),
      }));
      const svg = linePlotSvg({
        title: `${metric} vs ${x}, experiment ${experiment.id.slice(0, 8)}`, xLabel: x, yLabel: metric === 'ssim' ? 'SSIM' : `${metric} (dB)`,
        logX: x !== 'seed', series,
        horizontalLines: baselines.filter((b) => b.value !== null).map((b) => ({ name: b.method, y: b.value as number })),
      });
      return reply.type('image/svg+xml').send(svg);
    }
    return { experimentId: experiment.id, x, metric, groupBy, rows, baselines };
  });
};
