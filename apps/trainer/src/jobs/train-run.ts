/**
 * `train-run`: trains one run (in the sandboxed child, see ../sandbox.ts). Idempotent: a run that
 * is evaluating already only re-enqueues its evaluation; a retried run resumes from its newest
 * checkpoint, and loss points it re-sends are skipped. A run that may not train (cancelled, or
 * settled) is left as it is: the start is conditional, and so is every later write. Success:
 * model dir → ONNX → blobs → Model row → evaluating → `evaluate-run`, added to the experiment's
 * flow (see `siblingOptions`). Failure: the run records the message ('queued' while retries
 * remain). The process stopping (`childShutdown`): the attempt stops after its step, keeps its
 * checkpoint, and the job goes back to the queue without using up a try. The attempt's
 * bookkeeping is ../run-attempt.ts, the training ../run-training.ts.
 */
import { UnrecoverableError, WaitingError, type Job } from 'bullmq';
import { defineHandler } from '@divblur/queue';
import { childShutdown, PARENT_GONE } from '../child-lifecycle.ts';
import { LossPointWriter } from '../loss-writer.ts';
import { enqueueEvaluation, RunAttempt } from '../run-attempt.ts';
import { trainAndExport } from '../run-training.ts';
import { processServices, type TrainerServices } from '../services.ts';

export const trainRun = defineHandler('train-run', (data, job, token) => trainRunWith(processServices(), data.runId, job, { token, shutdown: childShutdown }));

export interface TrainRunOptions {
  /** The job's lock token, to hand the job back to the queue when `shutdown` aborts. */
  token?: string;
  /** Aborts when the process stops (the sandbox child's `childShutdown`). */
  shutdown?: AbortSignal;
}

export async function trainRunWith(services: TrainerServices, runId: string, job: Job, options: TrainRunOptions = {}): Promise<{ modelId: string; steps: number }> {
  const { db } = services;
  const log = services.logger.child({ runId, jobId: job.id, attempt: job.attemptsMade + 1 });
  const run = await db.runs.forTraining(runId);
  if (run === null) throw new UnrecoverableError(`run ${runId} does not exist`);
  if (run.status === 'evaluating' && run.modelId !== null) {
    await enqueueEvaluation(services, job, runId, run.modelId);
    return { modelId: run.modelId, steps: run.stepsDone };
  }
  if (run.status !== 'queued' && run.status !== 'training') {
    log.info({ status: run.status }, 'run is not to be trained: left as it is');
    return { modelId: run.modelId ?? '', steps: run.stepsDone };
  }
  if (run.method === 'divblurring' && run.dataset.psfKey === null) {
    await db.runs.fail(runId, 'DivBlurring needs a PSF and the dataset has none: upload one or use method divnoising', true);
    throw new UnrecoverableError('dataset has no PSF');
  }

  const attempt = new RunAttempt(services, run, job, log);
  if (!(await attempt.start())) {
    log.info('run was cancelled before it started: not training');
    return { modelId: '', steps: run.stepsDone };
  }
  const shutdown = options.shutdown;
  const losses = new LossPointWriter(db.lossPoints, runId);
  try {
    const outcome = await trainAndExport(services, run, losses, {
      onProgress: (progress) => attempt.progress(progress), reported: () => attempt.reported(), stillTraining: () => attempt.stillTraining(),
      signal: shutdown ? AbortSignal.any([attempt.signal, shutdown]) : attempt.signal, log,
    });
    if (outcome.aborted && shutdown?.aborted && !attempt.signal.aborted) {
      await attempt.interrupted(outcome.steps, shutdown.reason);
      // With the parent gone there is no one to hand the job to: its lock expires and BullMQ retries it as stalled.
      if (shutdown.reason !== PARENT_GONE) await job.moveToWait(options.token);
      throw new WaitingError();
    }
    if (outcome.aborted) {
      await attempt.cancelled(outcome.steps);
      return { modelId: '', steps: outcome.steps };
    }
    await attempt.trained({ steps: outcome.steps, noiseSigma: outcome.noiseSigma, modelId: outcome.model.id, lossPoints: losses.written });
    return { modelId: outcome.model.id, steps: outcome.steps };
  } catch (error) {
    if (error instanceof WaitingError) throw error;
    await losses.flush().catch(() => undefined);
    await attempt.failed(error);
    throw error;
  }
}
