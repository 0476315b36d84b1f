/** /v1/experiments: create (spec + sweep → runs → one BullMQ flow), list (newest first), get, cancel. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ApiServices } from '../services.ts';
import type { ApiLimits } from '../app.ts';
import { CreateExperimentBody, CreatedExperiment, Experiment, IdempotencyHeaders } from '../schemas/experiment.ts';
import { errorResponses, IdParams, Page, PageQuery, Uuid } from '../schemas/common.ts';
import { NotFoundError } from '../lib/errors.ts';
import { projectScope } from '@divblur/http';
import { decodeCursor, pageOf } from '../lib/cursor.ts';
import { createExperiment } from '../experiments/create-experiment.ts';

export const experimentRoutes: FastifyPluginAsyncTypebox<{ services: ApiServices; limits: ApiLimits }> = async (app, { services, limits }) => {
  const { db, queues } = services;

  app.post('/experiments', {
    schema: {
      tags: ['experiments'],
      summary: 'Create an experiment; a sweep expands to the cartesian product of its lists (one run each). Idempotency-Key honoured.',
      headers: IdempotencyHeaders, body: CreateExperimentBody,
      response: { 200: CreatedExperiment, 201: CreatedExperiment, ...errorResponses(400, 404, 409, 415) },
    },
  }, async (request, reply) => {
    const result = await createExperiment(services, { ...request.body, idempotencyKey: request.headers['idempotency-key'] ?? null }, limits);
    if (!result.created) return reply.status(200).send(result);
    return reply.status(201).header('location', `/v1/experiments/${result.experiment.id}`).send(result);
  });

  app.get('/experiments', {
    schema: {
      tags: ['experiments'], summary: 'Experiments, newest first (sort=created: oldest first), of one dataset with datasetId',
      querystring: Type.Object({ ...PageQuery.properties, datasetId: Type.Optional(Uuid) }, { additionalProperties: false }),
      response: { 200: Page(Experiment), ...errorResponses(400) },
    },
  }, async (request) => {
    const { limit, cursor, datasetId, sort } = request.query;
    const after = cursor === undefined ? undefined : decodeCursor(cursor, sort, { type: 'time', nullable: false });
    const rows = await db.experiments.list(limit + 1, {
      descending: sort === '-created', datasetId, projectId: projectScope(request), ...(after ? { after: { createdAt: after.key as string, id: after.id } } : {}),
    });
    return pageOf(rows, limit, (last) => ({ sort, key: last.createdAt, id: last.id }));
  });

  app.get('/experiments/:id', {
    schema: {
      tags: ['experiments'], params: IdParams,
      response: { 200: Type.Object({ ...Experiment.properties, runStatus: Type.Record(Type.String(), Type.Integer()) }), ...errorResponses(400, 404) },
    },
  }, async (request) => {
    const experiment = await db.experiments.get(request.params.id);
    if (!experiment) throw new NotFoundError('experiment', request.params.id);
    return { ...experiment, runStatus: await db.runs.statusCounts(experiment.id) };
  });

  app.post('/experiments/:id/cancel', {
    schema: {
      tags: ['experiments'], params: IdParams,
      response: { 200: Type.Object({ experiment: Experiment, cancelledRuns: Type.Array(Type.String()) }), ...errorResponses(400, 404) },
    },
  }, async (request) => {
    const experiment = await db.experiments.get(request.params.id);
    if (!experiment) throw new NotFoundError('experiment', request.params.id);
    const cancelledRuns = await db.experiments.cancel(experiment.id);
    // The cancel is the rows' (final: the trainer refuses to start or continue a cancelled run); removing the waiting
    // jobs only spares the workers a look. With Redis away it is left undone, not the cancel refused.
    await queues.cancelExperiment(experiment.id, cancelledRuns)
      .catch((error: unknown) => request.log.warn({ err: error, experimentId: experiment.id }, 'cancelled; its waiting jobs could not be removed'));
    return { experiment: (await db.experiments.get(experiment.id))!, cancelledRuns };
  });
};
