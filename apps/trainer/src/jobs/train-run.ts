/**
 * `train-run`: trains one run (in the sandboxed child, see ../sandbox.ts). Idempotent: a run that
 * already has its model only re-enqueues its evaluation; a retried run resumes from its newest
 * checkpoint, and loss points it re-sends are skipped. Success: model dir → ONNX → blobs → Model
 * row → `evaluate-run`, added to the experiment's flow (see `siblingOptions`). Failure: the run
 * records the message ('queued' while retries remain). The attempt's bookkeeping is
 * ../run-attempt.ts, the training ../run-training.ts.
 */
import { UnrecoverableError, type Job } from 'bullmq';
import { defineHandler } from '@divblur/queue';
import { LossPointWriter } from '../loss-writer.ts';
import { enqueueEvaluation, RunAttempt } from '../run-attempt.ts';
import { trainAndExport } from '../run-training.ts';
import { processServices, type TrainerServices } from '../services.ts';

export const trainRun = defineHandler('train-run', (data, job) => trainRunWith(processServices(), data.runId, job));

export async function trainRunWith(services: TrainerServices, runId: string, job: Job): Promise<{ modelId: string; steps: number }> {
  const { db } = services;
  const log = services.logger.child({ runId, jobId: job.id, attempt: job.attemptsMade + 1 });
  const run = await db.runs.forTraining(runId);
  if (run === null) throw new UnrecoverableError(`run ${runId} does not exist`);
  if (run.status === 'cancelled') {
    log.info('run was cancelled: not training');
    return { modelId: '', steps: run.stepsDone };
  }
  if (run.status === 'succeeded' && run.modelId !== null) {
    await enqueueEvaluation(services, job, runId, run.modelId);
    return { modelId: run.modelId, steps: run.stepsDone };
  }
  if (run.method === 'divblurring' && run.dataset.psfKey === null) {
    await db.runs.fail(runId, 'DivBlurring needs a PSF and the dataset has none: upload one or use method divnoising', true);
    throw new UnrecoverableError('dataset has no PSF');
  }

  const attempt = new RunAttempt(services, run, job, log);
  await attempt.start();
  const losses = new LossPointWriter(db.lossPoints, runId);
  try {
    const outcome = await trainAndExport(services, run, losses, {
      onProgress: (progress) => attempt.progress(progress), reported: () => attempt.reported(), signal: attempt.signal, log,
    });
    if (outcome.aborted) {
      await attempt.cancelled(outcome.steps);
      return { modelId: '', steps: outcome.steps };
    }
    await attempt.succeeded({ steps: outcome.steps, noiseSigma: outcome.noiseSigma, modelId: outcome.model.id, lossPoints: losses.written });
    return { modelId: outcome.model.id, steps: outcome.steps };
  } catch (error) {
    await losses.flush().catch(() => undefined);
    await attempt.failed(error);
    throw error;
  }
}
