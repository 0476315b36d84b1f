/**
 * POST /v1/experiments without the HTTP: the spec and sweep checked against the dataset and
 * expanded to resolved runs, written with them in one transaction (`storeExperiment`), then
 * enqueued as one flow (`createExperiment`). An Idempotency-Key seen before gives back the first
 * experiment if the body is the same (and adds its flow if that never happened), and is refused
 * (409) if not; a failed enqueue takes the rows back. Tests make their experiments with
 * `storeExperiment`, so their rows are the API's rows.
 */
import type { CreatedExperiment, DatasetRecord, NewExperiment, Repositories } from '@divblur/db';
import type { ExperimentSpec, RunParams, Sweep } from '@divblur/queue';
import type { ApiLimits } from '../app.ts';
import type { ExperimentQueue } from '../services.ts';
import { canonicalJson } from '../lib/canonical-json.ts';
import { BadRequestError, ConflictError, NotFoundError } from '../lib/errors.ts';
import { expandSweep } from '../lib/sweep.ts';

export interface ExperimentRequest {
  datasetId: string;
  spec: ExperimentSpec;
  sweep?: Sweep;
  /** The client's Idempotency-Key header, or null. */
  idempotencyKey: string | null;
}

export type StoredExperiment = CreatedExperiment & { warnings?: string[] };

/**
 * A PSF without all 8 symmetries of the square (a measured one usually, if only from noise) means fewer training
 * augmentations under `augmentations: 'psf'`; say so, and how to choose otherwise.
 */
function augmentationWarnings(meta: Record<string, unknown>, runs: readonly RunParams[]): { warnings?: string[] } {
  const symmetries = meta.psfSymmetries;
  if (!Array.isArray(symmetries) || symmetries.length >= 8) return {};
  if (!runs.some((run) => run.method === 'divblurring' && run.training.augmentations === 'psf')) return {};
  return {
    warnings: [`the dataset's PSF is symmetric under ${symmetries.length} of the 8 turns and mirrors of the square (transforms [${symmetries.join(', ')}]), `
      + `so runs with training.augmentations 'psf' augment their patches with those only. If the optics are symmetric and the PSF's `
      + `asymmetry is measurement noise, set training.augmentations to 'all'`],
  };
}

/** The experiment's rows for this dataset, or the 400 that says why the dataset cannot train them. */
function planExperiment(dataset: DatasetRecord, request: ExperimentRequest, maxSweepRuns: number): NewExperiment {
  const { spec, sweep } = request;
  const runs = expandSweep(spec, sweep, maxSweepRuns);
  const side = Math.min(dataset.height, dataset.width);
  if (spec.training.patchSize > side) {
    throw new BadRequestError('IMAGE_SMALLER_THAN_PATCH', `spec.training.patchSize ${spec.training.patchSize} is larger than the dataset's images (${dataset.height}×${dataset.width} px)`);
  }
  if (runs.some((run) => run.method === 'divblurring') && dataset.psfKey === null) {
    throw new BadRequestError('PSF_MISSING', `dataset ${request.datasetId} has no PSF; divblurring needs one (upload a psf file, or use method divnoising)`);
  }
  const psfSide = dataset.psfShape === null ? 0 : Math.max(...dataset.psfShape);
  if (runs.some((run) => run.method === 'divblurring') && psfSide >= spec.training.patchSize) {
    throw new BadRequestError('PSF_LARGER_THAN_PATCH', `the dataset's PSF (${dataset.psfShape!.join('×')} px) must be smaller than spec.training.patchSize ${spec.training.patchSize}`);
  }
  return { datasetId: request.datasetId, spec, sweep: sweep ?? null, idempotencyKey: request.idempotencyKey, runs };
}

/** Checks, expands and writes the experiment and its runs; nothing is enqueued. */
export async function storeExperiment(db: Repositories, request: ExperimentRequest, limits: Pick<ApiLimits, 'maxSweepRuns'>): Promise<StoredExperiment> {
  const dataset = await db.datasets.get(request.datasetId);
  if (!dataset) throw new NotFoundError('dataset', request.datasetId);
  const planned = planExperiment(dataset, request, limits.maxSweepRuns);
  const warnings = augmentationWarnings(dataset.meta, planned.runs);
  const result = await db.experiments.create(planned);
  if (!result.created) {
    const first = result.experiment;
    const same = first.datasetId === planned.datasetId && canonicalJson(first.spec) === canonicalJson(planned.spec)
      && canonicalJson(first.sweep) === canonicalJson(planned.sweep);
    // The first experiment is not named: Idempotency-Keys are the lab's, and it may be another project's.
    if (!same) throw new ConflictError('IDEMPOTENCY_KEY_REUSED', `Idempotency-Key "${request.idempotencyKey}" was used before with a different body: send a new key for a new request`);
  }
  return { ...result, ...warnings };
}

/**
 * `storeExperiment`, then one flow for a new experiment (a parent, a child per run), so that its
 * rows and its flow exist together or not at all:
 * - the flow added: the experiment is marked enqueued;
 * - the enqueue failed (Redis down: a 503 within QUEUE_DEADLINE_MS): the rows are taken back, and
 *   the client's retry makes them again; should that delete fail too, they stay marked not
 *   enqueued, and the reconciler (reconcile-experiments.ts) or the client's retry adds the flow;
 * - a retry with the Idempotency-Key of an experiment whose flow was never added adds it now.
 */
export async function createExperiment(
  services: { db: Repositories; queues: ExperimentQueue }, request: ExperimentRequest, limits: Pick<ApiLimits, 'maxSweepRuns'>,
): Promise<StoredExperiment> {
  const stored = await storeExperiment(services.db, request, limits);
  const { experiment } = stored;
  if (!stored.created && (experiment.enqueuedAt !== null || experiment.status !== 'queued')) return stored;
  const runIds = stored.runs.map((run) => run.id);
  try {
    await services.queues.enqueueExperiment(experiment.id, runIds);
  } catch (error) {
    // Rows without jobs would wait forever: take back the ones this request made. A retry's rows are its first request's.
    if (stored.created) await services.db.experiments.delete(experiment.id).catch(() => undefined);
    throw error;
  }
  // Were this to fail (Postgres gone this instant), the flow exists and the reconciler marks it later.
  await services.db.experiments.markEnqueued(experiment.id).catch(() => undefined);
  return { ...stored, experiment: { ...experiment, enqueuedAt: new Date().toISOString() } };
}
