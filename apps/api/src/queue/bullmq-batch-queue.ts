/**
 * The batch path's queue on libs/queue: a batch's planning job (`deconvolve-batch`, id `batch-<id>`: enqueueing it
 * twice adds nothing) and, for a retry, the new round's flow of its failed pages. The inference workers do the rest.
 */
import { createQueues, enqueueBatchFlow, planBatchJobId, type Queues, type Redis } from '@divblur/queue';

export interface BatchQueue {
  enqueuePlan(batchId: string, modelId: string): Promise<void>;
  enqueueRound(batchId: string, round: number, taskIds: readonly string[]): Promise<void>;
}

export interface BullmqBatchQueue extends BatchQueue {
  readonly queues: Queues;
  /** Closes the queues; the Redis connection is the caller's. */
  close(): Promise<void>;
}

export function createBullmqBatchQueue(redis: Redis, prefix: string): BullmqBatchQueue {
  const queues = createQueues(redis, prefix);
  return {
    queues,
    async enqueuePlan(batchId, modelId) {
      await queues.enqueue({ name: 'deconvolve-batch', data: { batchId, modelId } }, { jobId: planBatchJobId(batchId) });
    },
    async enqueueRound(batchId, round, taskIds) {
      await enqueueBatchFlow(queues.flows, { batchId, round, taskIds });
    },
    close: () => queues.close(),
  };
}
