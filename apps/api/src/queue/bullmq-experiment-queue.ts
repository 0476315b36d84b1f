/**
 * `ExperimentQueue` on BullMQ: one flow per experiment — a parent job (`experiment`, finalised
 * when every run is done) with one `train-run` child per run. Job ids are the experiment and run
 * ids, so enqueueing twice adds nothing. Payloads carry ids, not data (workers read the rows).
 * To be replaced by libs/queue's flow helper when it lands (same names and payloads).
 */
import { FlowProducer, Queue, type ConnectionOptions } from 'bullmq';
import type { ExperimentQueue } from '../services.ts';

export const QUEUE_NAMES = { experiments: 'experiments', train: 'train' } as const;

export interface BullmqExperimentQueue extends ExperimentQueue {
  depths(): Promise<Record<string, Record<string, number>>>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function createBullmqExperimentQueue(connection: ConnectionOptions, prefix: string): BullmqExperimentQueue {
  const flows = new FlowProducer({ connection, prefix });
  const queues = Object.fromEntries(Object.values(QUEUE_NAMES).map((name) => [name, new Queue(name, { connection, prefix })]));
  return {
    async enqueueExperiment(experimentId, runIds) {
      await flows.add({
        name: 'experiment', queueName: QUEUE_NAMES.experiments, data: { experimentId }, opts: { jobId: experimentId },
        children: runIds.map((runId) => ({
          name: 'train-run', queueName: QUEUE_NAMES.train, data: { runId },
          opts: { jobId: runId, attempts: 3, backoff: { type: 'exponential', delay: 5000 }, removeDependencyOnFailure: true },
        })),
      });
    },
    async cancelExperiment(experimentId, runIds) {
      const train = queues[QUEUE_NAMES.train];
      for (const runId of runIds) {
        const job = await train.getJob(runId);
        // Waiting jobs go; an active one keeps its lock and stops when it reads status=cancelled.
        if (job && (await job.isWaiting() || await job.isDelayed() || await job.isWaitingChildren())) await job.remove({ removeChildren: true });
      }
      const parent = await queues[QUEUE_NAMES.experiments].getJob(experimentId);
      if (parent && !(await parent.isActive())) await parent.remove().catch(() => undefined);
    },
    async depths() {
      const out: Record<string, Record<string, number>> = {};
      for (const [name, queue] of Object.entries(queues)) {
        out[name] = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'waiting-children', 'prioritized');
      }
      return out;
    },
    async ping() {
      // One Redis round trip (a ping would need the raw client, which the Queue keeps private).
      await queues[QUEUE_NAMES.train].getJobCounts('waiting');
    },
    async close() {
      await flows.close();
      await Promise.all(Object.values(queues).map((q) => q.close()));
    },
  };
}
