/** /v1/experiments: create (spec + sweep → runs → one BullMQ flow), list, get, cancel. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ApiServices } from '../services.ts';
import type { ApiLimits } from '../app.ts';
import { CreateExperimentBody, CreatedExperiment, Experiment, IdempotencyHeaders } from '../schemas/experiment.ts';
import { ErrorResponse, IdParams, PageQuery } from '../schemas/dataset.ts';
import { NotFoundError } from '../lib/errors.ts';
import { createExperiment } from '../experiments/create-experiment.ts';

export const experimentRoutes: FastifyPluginAsyncTypebox<{ services: ApiServices; limits: ApiLimits }> = async (app, { services, limits }) => {
  const { db, queues } = services;

  app.post('/experiments', {
    schema: {
      tags: ['experiments'],
      summary: 'Create an experiment; a sweep expands to the cartesian product of its lists (one run each). Idempotency-Key honoured.',
      headers: IdempotencyHeaders, body: CreateExperimentBody,
      response: { 200: CreatedExperiment, 201: CreatedExperiment, 400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse },
    },
  }, async (request, reply) => {
    const result = await createExperiment(services, { ...request.body, idempotencyKey: request.headers['idempotency-key'] ?? null }, limits);
    if (!result.created) return reply.status(200).send(result);
    return reply.status(201).header('location', `/v1/experiments/${result.experiment.id}`).send(result);
  });

  app.get('/experiments', {
    schema: {
      tags: ['experiments'],
      querystring: Type.Intersect([PageQuery, Type.Object({ datasetId: Type.Optional(Type.String()) })]),
      response: { 200: Type.Object({ items: Type.Array(Experiment), nextCursor: Type.Union([Type.String(), Type.Null()]) }) },
    },
  }, async (request) => {
    const { limit, cursor, datasetId } = request.query;
    const items = await db.experiments.list(limit, cursor, datasetId);
    return { items, nextCursor: items.length === limit ? items[items.length - 1].id : null };
  });

  app.get('/experiments/:id', {
    schema: {
      tags: ['experiments'], params: IdParams,
      response: { 200: Type.Intersect([Experiment, Type.Object({ runStatus: Type.Record(Type.String(), Type.Integer()) })]), 404: ErrorResponse },
    },
  }, async (request) => {
    const experiment = await db.experiments.get(request.params.id);
    if (!experiment) throw new NotFoundError('experiment', request.params.id);
    return { ...experiment, runStatus: await db.runs.statusCounts(experiment.id) };
  });

  app.post('/experiments/:id/cancel', {
    schema: {
      tags: ['experiments'], params: IdParams,
      response: { 200: Type.Object({ experiment: Experiment, cancelledRuns: Type.Array(Type.String()) }), 404: ErrorResponse },
    },
  }, async (request) => {
    const experiment = await db.experiments.get(request.params.id);
    if (!experiment) throw new NotFoundError('experiment', request.params.id);
    const cancelledRuns = await db.experiments.cancel(experiment.id);
    await queues.cancelExperiment(experiment.id, cancelledRuns);
    return { experiment: (await db.experiments.get(experiment.id))!, cancelledRuns };
  });
};
