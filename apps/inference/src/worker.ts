/**
 * The inference queue's worker: evaluations, baselines (and, later, batch deconvolution). ONNX
 * Runtime runs its kernels off the event loop, so the job lock is renewed in-process; one job
 * at a time, so that a job does not compete with itself for the cores.
 */
import type { Worker } from 'bullmq';
import { createWorker, QUEUE_NAMES } from '@divblur/queue';
import type { InferenceServices } from './services.ts';
import { computeBaselinesHandler } from './jobs/compute-baselines.ts';
import { deconvolveBatchHandler } from './jobs/deconvolve-batch.ts';
import { evaluateRunHandler } from './jobs/evaluate-run.ts';

export interface InferenceWorkerOptions {
  /** Posterior samples per evaluated image (default DEFAULT_SAMPLES, as served). */
  evaluationSamples?: number;
}

export function startInferenceWorker(services: InferenceServices, options: InferenceWorkerOptions = {}): Worker {
  const { logger, redis, config } = services;
  const worker = createWorker(QUEUE_NAMES.inference, [
    evaluateRunHandler(services, options.evaluationSamples), computeBaselinesHandler(services), deconvolveBatchHandler(),
  ], { redis, prefix: config.queuePrefix, concurrency: 1, options: { lockDuration: 60_000 } });
  worker.on('failed', (job, error) => logger.warn({ queue: worker.name, job: job?.name, jobId: job?.id, err: error }, 'job failed'));
  worker.on('completed', (job) => logger.info({ queue: worker.name, job: job.name, jobId: job.id }, 'job completed'));
  worker.on('error', (error) => logger.error({ queue: worker.name, err: error }, 'worker error'));
  return worker;
}
