import type { JobName } from './job-payloads.ts';

/** One queue per kind of worker, so each process takes only the work it can do. */
export const QUEUE_NAMES = {
  /** apps/trainer: CPU/GPU-heavy training. */
  training: 'training',
  /** apps/inference worker: ONNX evaluation, baselines, batch deconvolution. */
  inference: 'inference',
  /** Flow parents: settle an experiment when its runs are done (cheap; any worker app). */
  experiments: 'experiments',
} as const;
export type QueueKey = keyof typeof QUEUE_NAMES;
export type QueueName = (typeof QUEUE_NAMES)[QueueKey];

/** Which queue each job kind goes to. */
export const QUEUE_OF_JOB: Readonly<Record<JobName, QueueName>> = {
  'train-run': QUEUE_NAMES.training,
  'evaluate-run': QUEUE_NAMES.inference,
  'compute-baselines': QUEUE_NAMES.inference,
  'deconvolve-batch': QUEUE_NAMES.inference,
  'deconvolve-page': QUEUE_NAMES.inference,
  'finish-batch': QUEUE_NAMES.inference,
  'batch-callback': QUEUE_NAMES.inference,
  'finish-experiment': QUEUE_NAMES.experiments,
};

export function jobNamesOf(queueName: QueueName): JobName[] {
  return (Object.keys(QUEUE_OF_JOB) as JobName[]).filter((name) => QUEUE_OF_JOB[name] === queueName);
}
