import type { FlowProducer } from 'bullmq';
import { parseJob } from './job-payloads.ts';
import { QUEUE_NAMES } from './queue-names.ts';
import { DEFAULT_JOB_OPTIONS } from './queues.ts';

/**
 * Job ids of a batch (BullMQ ids may not contain `:`). The planning job is one per batch; a flow per round (round 0,
 * then one per `retry`), so that a retry adds new jobs for its pages where the first round's are finished.
 */
export const planBatchJobId = (batchId: string) => `batch-${batchId}`;
export const finishBatchJobId = (batchId: string, round: number) => `batch-finish-${batchId}-r${round}`;
export const pageJobId = (taskId: string, round: number) => `page-${taskId}-r${round}`;
export const batchCallbackJobId = (batchId: string, round: number) => `batch-callback-${batchId}-r${round}`;

export interface BatchFlow {
  batchId: string;
  round: number;
  /** The tasks this round runs (every task of a new batch; the failed ones of a retry). */
  taskIds: readonly string[];
}

/**
 * One flow per round of a batch: a `finish-batch` parent and a `deconvolve-page` child per task, on the inference
 * queue, so that every inference worker sharing Redis takes pages. A page that fails for good does not block the
 * parent (`ignoreDependencyOnFailure`): it runs once every page has finished one way or the other, and settles the
 * batch. Adding the same round again adds nothing (the ids are deterministic).
 */
export async function enqueueBatchFlow(flows: FlowProducer, flow: BatchFlow): Promise<void> {
  const parent = parseJob('finish-batch', { batchId: flow.batchId });
  await flows.add({
    name: parent.name,
    queueName: QUEUE_NAMES.inference,
    data: parent.data,
    opts: { ...DEFAULT_JOB_OPTIONS, jobId: finishBatchJobId(flow.batchId, flow.round) },
    children: flow.taskIds.map((taskId) => {
      const child = parseJob('deconvolve-page', { batchId: flow.batchId, taskId });
      return {
        name: child.name, queueName: QUEUE_NAMES.inference, data: child.data,
        opts: { ...DEFAULT_JOB_OPTIONS, jobId: pageJobId(taskId, flow.round), ignoreDependencyOnFailure: true },
      };
    }),
  });
}
