/** /v1/experiments: create (spec + sweep → runs → one BullMQ flow), list, get, cancel. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ApiServices } from '../services.ts';
import type { ApiLimits } from '../app.ts';
import { CreateExperimentBody, CreatedExperiment, Experiment, IdempotencyHeaders } from '../schemas/experiment.ts';
import { ErrorResponse, IdParams, PageQuery } from '../schemas/dataset.ts';
import { expandSweep } from '../lib/sweep.ts';
import { BadRequestError, ConflictError, NotFoundError } from '../lib/errors.ts';
import { canonicalJson } from '../lib/canonical-json.ts';

/**
 * A PSF without all 8 symmetries of the square (a measured one usually, if only from noise) means fewer training
 * augmentations under `augmentations: 'psf'`; say so, and how to choose otherwise.
 */
function augmentationWarnings(meta: Record<string, unknown>, runs: ReturnType<typeof expandSweep>): { warnings?: string[] } {
  const symmetries = meta.psfSymmetries;
  if (!Array.isArray(symmetries) || symmetries.length >= 8) return {};
  if (!runs.some((run) => run.method === 'divblurring' && run.training.augmentations === 'psf')) return {};
  return {
    warnings: [`the dataset's PSF is symmetric under ${symmetries.length} of the 8 turns and mirrors of the square (transforms [${symmetries.join(', ')}]), `
      + `so runs with training.augmentations 'psf' augment their patches with those only. If the optics are symmetric and the PSF's `
      + `asymmetry is measurement noise, set training.augmentations to 'all'`],
  };
}

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
    const { datasetId, spec, sweep } = request.body;
    const dataset = await db.getDataset(datasetId);
    if (!dataset) throw new NotFoundError('dataset', datasetId);
    const runs = expandSweep(spec, sweep, limits.maxSweepRuns);
    const side = Math.min(dataset.height, dataset.width);
    if (spec.training.patchSize > side) {
      throw new BadRequestError('IMAGE_SMALLER_THAN_PATCH', `spec.training.patchSize ${spec.training.patchSize} is larger than the dataset's images (${dataset.height}×${dataset.width} px)`);
    }
    if (runs.some((run) => run.method === 'divblurring') && dataset.psfKey === null) {
      throw new BadRequestError('PSF_MISSING', `dataset ${datasetId} has no PSF; divblurring needs one (upload a psf file, or use method divnoising)`);
    }
    const psfSide = dataset.psfShape === null ? 0 : Math.max(...dataset.psfShape);
    if (runs.some((run) => run.method === 'divblurring') && psfSide >= spec.training.patchSize) {
      throw new BadRequestError('PSF_LARGER_THAN_PATCH', `the dataset's PSF (${dataset.psfShape!.join('×')} px) must be smaller than spec.training.patchSize ${spec.training.patchSize}`);
    }
    const warnings = augmentationWarnings(dataset.meta, runs);
    const idempotencyKey = request.headers['idempotency-key'] ?? null;
    const result = await db.createExperiment({ datasetId, spec, sweep: sweep ?? null, idempotencyKey, runs });
    if (!result.created) {
      const same = result.experiment.datasetId === datasetId && canonicalJson(result.experiment.spec) === canonicalJson(spec)
        && canonicalJson(result.experiment.sweep) === canonicalJson(sweep ?? null);
      if (!same) throw new ConflictError('IDEMPOTENCY_KEY_REUSED', `Idempotency-Key "${idempotencyKey}" was used for experiment ${result.experiment.id} with a different body`);
      return reply.status(200).send({ ...result, ...warnings });
    }
    try {
      await queues.enqueueExperiment(result.experiment.id, result.runs.map((run) => run.id));
    } catch (error) {
      // Rows without jobs would wait forever: take them back, the client may retry.
      await db.deleteExperiment(result.experiment.id);
      throw error;
    }
    return reply.status(201).header('location', `/v1/experiments/${result.experiment.id}`).send({ ...result, ...warnings });
  });

  app.get('/experiments', {
    schema: {
      tags: ['experiments'],
      querystring: Type.Intersect([PageQuery, Type.Object({ datasetId: Type.Optional(Type.String()) })]),
      response: { 200: Type.Object({ items: Type.Array(Experiment), nextCursor: Type.Union([Type.String(), Type.Null()]) }) },
    },
  }, async (request) => {
    const { limit, cursor, datasetId } = request.query;
    const items = await db.listExperiments(limit, cursor, datasetId);
    return { items, nextCursor: items.length === limit ? items[items.length - 1].id : null };
  });

  app.get('/experiments/:id', {
    schema: {
      tags: ['experiments'], params: IdParams,
      response: { 200: Type.Intersect([Experiment, Type.Object({ runStatus: Type.Record(Type.String(), Type.Integer()) })]), 404: ErrorResponse },
    },
  }, async (request) => {
    const experiment = await db.getExperiment(request.params.id);
    if (!experiment) throw new NotFoundError('experiment', request.params.id);
    return { ...experiment, runStatus: await db.runStatusCounts(experiment.id) };
  });

  app.post('/experiments/:id/cancel', {
    schema: {
      tags: ['experiments'], params: IdParams,
      response: { 200: Type.Object({ experiment: Experiment, cancelledRuns: Type.Array(Type.String()) }), 404: ErrorResponse },
    },
  }, async (request) => {
    const experiment = await db.getExperiment(request.params.id);
    if (!experiment) throw new NotFoundError('experiment', request.params.id);
    const cancelledRuns = await db.cancelExperiment(experiment.id);
    await queues.cancelExperiment(experiment.id, cancelledRuns);
    return { experiment: (await db.getExperiment(experiment.id))!, cancelledRuns };
  });
};
