/** /v1/runs: filtered, sorted, keyset-paginated list; one run; its loss curve (JSON, CSV, SVG); its metrics. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ApiServices } from '../services.ts';
import { Cursor, errorResponses, IdParams, PAGE_LIMIT, Page, Uuid } from '../schemas/common.ts';
import { Run, RunStatusSchema } from '../schemas/experiment.ts';
import { Lambda, Method, Penalty } from '@divblur/queue';
import { cursorKeyType, isNullableSort, RUN_SORTS, type LossPointRecord, type RunSortField, type RunStatus } from '@divblur/db';
import { decodeCursor, pageOf } from '../lib/cursor.ts';
import { downsampleMean } from '../lib/downsample.ts';
import { toCsv } from '@divblur/terminal';
import { BadRequestError, ConflictError, NotFoundError } from '../lib/errors.ts';
import { linePlotSvg } from '../svg/line-plot.ts';
import { projectScope } from '@divblur/http';

const RunsQuery = Type.Object({
  experimentId: Type.Optional(Uuid),
  penalty: Type.Optional(Penalty),
  method: Type.Optional(Method),
  status: Type.Optional(RunStatusSchema),
  lambdaMin: Type.Optional(Lambda),
  lambdaMax: Type.Optional(Lambda),
  sort: Type.String({ pattern: `^-?(${RUN_SORTS.join('|')})$`, default: 'created', description: `one of ${RUN_SORTS.join(', ')}; a leading - sorts descending` }),
  limit: Type.Integer({ ...PAGE_LIMIT, description: 'items per page' }),
  cursor: Type.Optional(Cursor),
}, { additionalProperties: false });

const LossQuery = Type.Object({
  format: Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('svg')], { default: 'json' }),
  points: Type.Optional(Type.Integer({ minimum: 2, maximum: 100_000, description: 'downsample to at most this many points (bucket means)' })),
}, { additionalProperties: false });

const LossPoint = Type.Object({
  step: Type.Integer(), total: Type.Number(), data: Type.Union([Type.Number(), Type.Null()]), kl: Type.Union([Type.Number(), Type.Null()]),
  penalty: Type.Union([Type.Number(), Type.Null()]), beta: Type.Union([Type.Number(), Type.Null()]),
});
const OptionalNumber = Type.Union([Type.Number(), Type.Null()]);
const Metric = Type.Object({
  runId: Type.String(), imageSet: Type.String(), psnrMmse: OptionalNumber, psnrSamples: OptionalNumber, ssim: OptionalNumber,
  samples: Type.Integer(), discrepancy: OptionalNumber, meanStd: OptionalNumber, createdAt: Type.String(),
}, { description: 'one evaluation of the run on an image set (PSNR in dB; null without ground truth)' });

const LOSS_FIELDS = ['total', 'data', 'kl', 'penalty', 'beta'] as const;

export const runRoutes: FastifyPluginAsyncTypebox<{ services: ApiServices }> = async (app, { services }) => {
  const { db } = services;

  app.get('/runs', {
    schema: {
      tags: ['runs'], summary: 'Runs, filtered and sorted (default: oldest first), keyset-paginated', querystring: RunsQuery,
      response: { 200: Page(Run), ...errorResponses(400, 404) },
    },
  }, async (request) => {
    const q = request.query;
    if (q.lambdaMin !== undefined && q.lambdaMax !== undefined && q.lambdaMin > q.lambdaMax) {
      throw new BadRequestError('LAMBDA_RANGE', `lambdaMin ${q.lambdaMin} is larger than lambdaMax ${q.lambdaMax}`);
    }
    const descending = q.sort.startsWith('-');
    const sort = q.sort.replace(/^-/, '') as RunSortField;
    const after = q.cursor === undefined ? undefined
      : decodeCursor(q.cursor, q.sort, { type: cursorKeyType(sort) === 'string' ? 'time' : 'number', nullable: isNullableSort(sort) });
    const rows = await db.runs.page({
      filter: {
        experimentId: q.experimentId, penalty: q.penalty, method: q.method, status: q.status as RunStatus | undefined, lambdaMin: q.lambdaMin, lambdaMax: q.lambdaMax,
        projectId: projectScope(request),
      },
      sort, descending, limit: q.limit + 1, after,
    });
    // An unknown experiment is a 404, not an empty list (checked only when the page is empty).
    if (rows.length === 0 && q.experimentId !== undefined && !after && !(await db.experiments.get(q.experimentId))) {
      throw new NotFoundError('experiment', q.experimentId);
    }
    return pageOf(rows, q.limit, (last) => ({ sort: q.sort, key: last.sortKey, id: last.id }));
  });

  app.get('/runs/:id', { schema: { tags: ['runs'], params: IdParams, response: { 200: Run, ...errorResponses(400, 404) } } }, async (request) => {
    const run = await db.runs.get(request.params.id);
    if (!run) throw new NotFoundError('run', request.params.id);
    return run;
  });

  app.get('/runs/:id/loss', {
    schema: {
      tags: ['runs'], summary: 'Loss curve: JSON, CSV or SVG; ?points=N downsamples', params: IdParams, querystring: LossQuery,
      response: {
        200: {
          description: 'the loss per image at each logged step',
          content: {
            'application/json': { schema: Type.Object({ runId: Type.String(), points: Type.Array(LossPoint) }) },
            'text/csv': { schema: Type.String({ description: 'step,total,data,kl,penalty,beta' }) },
            'image/svg+xml': { schema: Type.String({ description: 'the curves as an SVG line plot' }) },
          },
        },
        ...errorResponses(400, 404),
      },
    },
  }, async (request, reply) => {
    const run = await db.runs.get(request.params.id);
    if (!run) throw new NotFoundError('run', request.params.id);
    let points: LossPointRecord[] = await db.lossPoints.list(run.id);
    if (request.query.points !== undefined) points = downsampleMean(points, request.query.points, LOSS_FIELDS);
    if (request.query.format === 'csv') return reply.type('text/csv; charset=utf-8').send(toCsv(['step', ...LOSS_FIELDS], points));
    if (request.query.format === 'svg') {
      const series = (['total', 'data', 'kl', 'penalty'] as const).map((field) => ({
        name: field, points: points.filter((p) => p[field] !== null).map((p) => [p.step, p[field] as number] as const),
      })).filter((s) => s.points.length > 0);
      return reply.type('image/svg+xml').send(linePlotSvg({ title: `loss of run ${run.id.slice(0, 8)} (${run.penalty}, λ=${run.lambda})`, xLabel: 'step', yLabel: 'loss per image', logX: false, series }));
    }
    return { runId: run.id, points };
  });

  app.get('/runs/:id/metrics', {
    schema: {
      tags: ['runs'], summary: 'The run\'s evaluations (PSNR of the MMSE, mean per-sample PSNR, SSIM)', params: IdParams,
      response: { 200: Type.Object({ runId: Type.String(), items: Type.Array(Metric) }), ...errorResponses(400, 404) },
    },
  }, async (request) => {
    const run = await db.runs.get(request.params.id);
    if (!run) throw new NotFoundError('run', request.params.id);
    return { runId: run.id, items: await db.metrics.list(run.id) };
  });

  app.post('/runs/:id/evaluate', {
    schema: {
      tags: ['runs'],
      summary: 'Evaluate a trained run again (its model on the held-out images): a failed run is evaluating again, and succeeded once the new metrics are written; a succeeded run stays succeeded meanwhile',
      params: IdParams,
      response: { 202: Evaluation, ...errorResponses(400, 404, 409, 503) },
    },
  }, async (request, reply) => {
    const runId = request.params.id;
    const reopened = await db.runs.reopenEvaluation(runId);
    if ('refused' in reopened) {
      if (reopened.refused === 'not_found') throw new NotFoundError('run', runId);
      throw new ConflictError('RUN_NOT_EVALUABLE', `run ${runId} is ${reopened.refused}: only a trained run (evaluating, succeeded or failed, with its model) can be evaluated`);
    }
    let evaluation: 'queued' | 'pending';
    try {
      evaluation = await services.queues.enqueueEvaluation(runId, reopened.modelId);
    } catch (error) {
      // No job will evaluate it: a run reopened by this request must not wait as evaluating for ever.
      if (reopened.status === 'evaluating') await db.runs.failEvaluation(runId, `the evaluation could not be queued: ${(error as Error).message}`).catch(() => undefined);
      throw error;
    }
    return reply.status(202).send({ runId, modelId: reopened.modelId, status: reopened.status, evaluation });
  });
};

const Evaluation = Type.Object({
  runId: Type.String(), modelId: Type.String(),
  status: Type.Union([Type.Literal('evaluating'), Type.Literal('succeeded')], { description: 'the run\'s status now' }),
  evaluation: Type.Union([Type.Literal('queued'), Type.Literal('pending')], { description: 'queued: a new evaluation job; pending: one was waiting or running already' }),
}, { description: 'the evaluation is queued; GET /v1/runs/:id shows the outcome' });
