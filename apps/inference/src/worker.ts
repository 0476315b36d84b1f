/**
 * The inference queue's worker: evaluations, baselines, batch deconvolution (plan, pages, finish, callback). ONNX
 * Runtime runs its kernels off the event loop, so the job lock is renewed in-process; one job
 * at a time, so that a job does not compete with itself for the cores.
 */
import type { Worker } from 'bullmq';
import { createWorker, QUEUE_NAMES } from '@divblur/queue';
import type { InferenceServices } from './services.ts';
import { computeBaselinesHandler } from './jobs/compute-baselines.ts';
import { batchCallbackHandler } from './jobs/batch-callback.ts';
import { deconvolveBatchHandler } from './jobs/deconvolve-batch.ts';
import { deconvolvePageHandler } from './jobs/deconvolve-page.ts';
import { evaluateRunHandler, failEvaluation } from './jobs/evaluate-run.ts';
import { finishBatchHandler } from './jobs/finish-batch.ts';

export interface InferenceWorkerOptions {
  /** Posterior samples per evaluated image (default DEFAULT_SAMPLES, as served). */
  evaluationSamples?: number;
}

export function startInferenceWorker(services: InferenceServices, options: InferenceWorkerOptions = {}): Worker {
  const { logger, redis, config } = services;
  const worker = createWorker(QUEUE_NAMES.inference, [
    evaluateRunHandler(services, options.evaluationSamples), computeBaselinesHandler(services), deconvolveBatchHandler(services),
    deconvolvePageHandler(services), finishBatchHandler(services), batchCallbackHandler(services),
  ], {
    redis, prefix: config.queuePrefix, concurrency: 1,
    // A dead worker's job is taken over once its lock expires, at the next stalled check (as often as the lock, at most 30 s).
    options: { lockDuration: config.inferenceJobLockMs, stalledInterval: Math.min(30_000, config.inferenceJobLockMs) },
  });
  worker.on('failed', (job, error) => {
    logger.warn({ queue: worker.name, job: job?.name, jobId: job?.id, err: error }, 'job failed');
    // An evaluation whose worker died twice is failed by BullMQ's stalled check, not by the handler: the run must say so too.
    const final = job !== undefined && (job.finishedOn !== undefined || job.attemptsMade >= (job.opts.attempts ?? 1));
    if (job?.name === 'evaluate-run' && final) {
      failEvaluation(services, (job.data as { runId: string }).runId, error)
        .catch((failure) => logger.warn({ err: failure, jobId: job.id }, 'could not mark the run failed'));
    }
    // Likewise a batch page: its task must not stay "running" in the manifest.
    if (job?.name === 'deconvolve-page' && final) {
      services.db.batches.failTask((job.data as { taskId: string }).taskId, error.message)
        .catch((failure) => logger.warn({ err: failure, jobId: job.id }, 'could not mark the batch page failed'));
    }
  });
  worker.on('completed', (job) => logger.info({ queue: worker.name, job: job.name, jobId: job.id }, 'job completed'));
  worker.on('error', (error) => logger.error({ queue: worker.name, err: error }, 'worker error'));
  return worker;
}
