import { FlowProducer, Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { parseJob, type JobPayload } from './job-payloads.ts';
import { QUEUE_NAMES, QUEUE_OF_JOB, type QueueKey, type QueueName } from './queue-names.ts';

/** Retries with exponential backoff; finished jobs kept a while for inspection, then trimmed. */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 5_000 },
  removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
  removeOnFail: { age: 30 * 24 * 3600 },
};

export interface Queues {
  readonly prefix: string;
  readonly byName: Readonly<Record<QueueName, Queue>>;
  readonly flows: FlowProducer;
  /** Validates the payload and adds it to the queue its kind belongs to. */
  enqueue(job: JobPayload, options?: JobsOptions): Promise<string>;
  /** Jobs per state of every queue (for /metrics and /readyz). */
  counts(): Promise<Record<QueueName, Record<string, number>>>;
  close(): Promise<void>;
}

/** Every queue of the system and a FlowProducer, all under one key `prefix` (tests use their own). */
export function createQueues(redis: Redis, prefix: string): Queues {
  const byName = Object.fromEntries(
    (Object.keys(QUEUE_NAMES) as QueueKey[]).map((key) => {
      const name = QUEUE_NAMES[key];
      return [name, new Queue(name, { connection: redis, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS })];
    }),
  ) as Record<QueueName, Queue>;
  const flows = new FlowProducer({ connection: redis, prefix });
  // Their 'error' events are the connection's (Redis away), which its owner logs; a Queue without a listener prints each to stderr.
  for (const queue of Object.values(byName)) queue.on('error', () => undefined);
  flows.on('error', () => undefined);
  return {
    prefix,
    byName,
    flows,
    async enqueue(job, options) {
      const payload = parseJob(job.name, job.data);
      const added = await byName[QUEUE_OF_JOB[payload.name]].add(payload.name, payload.data, options);
      return String(added.id);
    },
    async counts() {
      const entries = await Promise.all(Object.values(byName).map(async (queue) =>
        [queue.name, await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'waiting-children', 'prioritized')] as const));
      return Object.fromEntries(entries) as Record<QueueName, Record<string, number>>;
    },
    async close() {
      await flows.close();
      await Promise.all(Object.values(byName).map((queue) => queue.close()));
    },
  };
}
