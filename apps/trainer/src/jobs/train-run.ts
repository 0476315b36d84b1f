/**
 * `train-run`: trains one run (in the sandboxed child, see ../sandbox.ts). Idempotent: a run that
 * already has its model only re-enqueues its evaluation; a retried run resumes from its newest
 * checkpoint, and loss points it re-sends are skipped. Success: model dir → ONNX → blobs → Model
 * row → `evaluate-run`, added to the experiment's flow (see `siblingOptions`). Failure: the run records the message ('queued' while retries remain).
 */
import { UnrecoverableError, type Job } from 'bullmq';
import { disposeModel, initBackend, trainModel, type Progress } from '@divblur/divblurring';
import { defineHandler, runParamsFromRow, siblingOptions, toTrainOptions } from '@divblur/queue';
import { evaluateJobId } from '../job-ids.ts';
import { backendPreferenceOf } from '../backend-preference.ts';
import { latestCheckpoint, storeCheckpoint } from '../checkpoint-store.ts';
import { readPsf, readStack } from '../dataset-images.ts';
import { selectImages, splitImages } from '../image-split.ts';
import { LossPointWriter } from '../loss-writer.ts';
import { exportToBlobs } from '../model-export.ts';
import { processServices, type TrainerServices } from '../services.ts';

/** How often the run row and the job's progress are refreshed (and a cancellation noticed). */
const PROGRESS_EVERY_MS = 1000;

export const trainRun = defineHandler('train-run', (data, job) => trainRunWith(processServices(), data.runId, job));

export async function trainRunWith(services: TrainerServices, runId: string, job: Job): Promise<{ modelId: string; steps: number }> {
  const { db, blobs, queues, config } = services;
  const log = services.logger.child({ runId, jobId: job.id, attempt: job.attemptsMade + 1 });
  const run = await db.run.findUnique({ where: { id: runId }, include: { experiment: { include: { dataset: true } }, model: true } });
  if (run === null) throw new UnrecoverableError(`run ${runId} does not exist`);
  if (run.status === 'cancelled') {
    log.info('run was cancelled: not training');
    return { modelId: '', steps: run.stepsDone };
  }
  if (run.status === 'succeeded' && run.model !== null) {
    await queues.enqueue({ name: 'evaluate-run', data: { runId, modelId: run.model.id } }, { jobId: evaluateJobId(runId), ...siblingOptions(job) });
    return { modelId: run.model.id, steps: run.stepsDone };
  }
  const dataset = run.experiment.dataset;
  if (run.method === 'divblurring' && dataset.psfKey === null) {
    await failRun(services, runId, 'DivBlurring needs a PSF and the dataset has none: upload one or use method divnoising', true);
    throw new UnrecoverableError('dataset has no PSF');
  }

  const started = Date.now();
  const earlierTrainMs = run.trainMs ?? 0;
  await db.run.update({
    where: { id: runId },
    data: { status: 'running', error: null, attempts: { increment: 1 }, ...(run.startedAt ? {} : { startedAt: new Date() }) },
  });
  await db.experiment.updateMany({ where: { id: run.experimentId, status: 'queued' }, data: { status: 'running', startedAt: new Date() } });
  const losses = new LossPointWriter(db, runId);
  const stop = new AbortController();
  try {
    const backend = await initBackend(backendPreferenceOf(config.backend), (message, fields) => log.info(fields, message));
    const noisy = await readStack(blobs, dataset.noisyKey);
    const psf = await readPsf(blobs, dataset);
    const split = splitImages(noisy.count);
    const resumeFrom = await latestCheckpoint(db, blobs, runId);
    if (resumeFrom) log.info({ step: resumeFrom.step }, 'resuming from checkpoint');
    const options = {
      ...toTrainOptions(runParamsFromRow(run), { images: selectImages(noisy, split.trainIndices), psf, datasetNoiseSigma: dataset.noiseSigma }),
      ...(resumeFrom ? { resumeFrom } : {}),
    };

    let lastReport = 0;
    let reporting: Promise<void> = Promise.resolve();
    const report = (progress: Progress) => {
      const fraction = progress.step / Math.max(1, progress.totalSteps);
      reporting = reporting.then(async () => {
        await job.updateProgress({ step: progress.step, totalSteps: progress.totalSteps, loss: progress.loss.total, etaSeconds: progress.etaSeconds });
        const row = await db.run.update({
          where: { id: runId },
          data: { progress: Math.min(1, fraction), stepsDone: progress.step, trainMs: earlierTrainMs + Date.now() - started },
          select: { status: true },
        });
        if (row.status === 'cancelled') stop.abort();
      }).catch((error) => log.warn({ err: error }, 'progress update failed'));
    };
    const result = await trainModel(options, {
      onProgress: (progress) => {
        const { step, loss } = progress;
        losses.push({ step, total: loss.total, dataTerm: loss.data, kl: loss.kl, penalty: loss.penalty, beta: loss.beta });
        if (Date.now() - lastReport >= PROGRESS_EVERY_MS || step === progress.totalSteps) {
          lastReport = Date.now();
          report(progress);
        }
      },
      // Every point up to the checkpoint's step is stored before the checkpoint: a resume starts after it.
      onCheckpoint: async (checkpoint) => {
        await losses.flush();
        await storeCheckpoint(db, blobs, runId, checkpoint);
      },
      signal: stop.signal,
      log: (message, fields) => log.info(fields, message),
    });
    await losses.flush();
    await reporting;
    if (result.aborted) {
      disposeModel(result.model);
      await db.run.update({ where: { id: runId }, data: { trainMs: earlierTrainMs + Date.now() - started } });
      log.info({ step: result.steps }, 'run cancelled while training');
      return { modelId: '', steps: result.steps };
    }
    let model;
    try {
      model = await exportToBlobs(db, blobs, runId, result.model, {
        evaluation: split, backend: backend.engine, steps: result.steps, resumedFromStep: resumeFrom?.step ?? null, noiseSigma: result.model.noiseSigma,
        collapses: result.collapses.length, trainSeconds: result.trainSeconds,
      });
    } finally {
      disposeModel(result.model);
    }
    await db.run.update({
      where: { id: runId },
      data: {
        status: 'succeeded', progress: 1, stepsDone: result.steps, finishedAt: new Date(), error: null,
        trainMs: earlierTrainMs + Date.now() - started, noiseSigma: result.model.noiseSigma,
      },
    });
    // A sibling in the experiment's flow: the experiment settles only once this run's metrics exist.
    await queues.enqueue({ name: 'evaluate-run', data: { runId, modelId: model.id } }, { jobId: evaluateJobId(runId), ...siblingOptions(job) });
    log.info({ steps: result.steps, modelId: model.id, lossPoints: losses.written }, 'run trained and exported');
    return { modelId: model.id, steps: result.steps };
  } catch (error) {
    await losses.flush().catch(() => undefined);
    const attempts = job.opts.attempts ?? 1;
    const final = error instanceof UnrecoverableError || job.attemptsMade + 1 >= attempts;
    await failRun(services, runId, (error as Error).message, final, earlierTrainMs + Date.now() - started);
    log.error({ err: error, final }, 'training failed');
    throw error;
  }
}

async function failRun(services: TrainerServices, runId: string, message: string, final: boolean, trainMs?: number): Promise<void> {
  await services.db.run.update({
    where: { id: runId },
    data: {
      status: final ? 'failed' : 'queued',
      error: final ? message : `attempt failed, will retry: ${message}`,
      ...(final ? { finishedAt: new Date() } : {}),
      ...(trainMs === undefined ? {} : { trainMs }),
    },
  });
}
