/**
 * `ExperimentQueue` on libs/queue: one flow per experiment (a `finish-experiment` parent on the
 * `experiments` queue, one `train-run` child per run on `training`), with libs/queue's
 * deterministic job ids (`experiment-<id>`, `train-<runId>`), so enqueueing twice adds nothing.
 */
import { createQueues, enqueueExperimentFlow, experimentJobId, trainJobId, type Queues, type Redis } from '@divblur/queue';
import type { ExperimentQueue } from '../services.ts';

export interface BullmqExperimentQueue extends ExperimentQueue {
  readonly queues: Queues;
  depths(): Promise<Record<string, Record<string, number>>>;
  ping(): Promise<void>;
  /** Closes the queues; the Redis connection is the caller's. */
  close(): Promise<void>;
}

export function createBullmqExperimentQueue(redis: Redis, prefix: string): BullmqExperimentQueue {
  const queues = createQueues(redis, prefix);
  return {
    queues,
    async enqueueExperiment(experimentId, runIds) {
      await enqueueExperimentFlow(queues.flows, { experimentId, runIds });
    },
    async cancelExperiment(experimentId, runIds) {
      const training = queues.byName.training;
      for (const runId of runIds) {
        const job = await training.getJob(trainJobId(runId));
        // Waiting jobs go; an active one keeps its lock and stops when it reads status=cancelled.
        if (job && (await job.isWaiting() || await job.isDelayed() || await job.isWaitingChildren())) await job.remove({ removeChildren: true });
      }
      const parent = await queues.byName.experiments.getJob(experimentJobId(experimentId));
      if (parent && !(await parent.isActive())) await parent.remove().catch(() => undefined);
    },
    depths: () => queues.counts(),
    async ping() {
      await redis.ping();
    },
    close: () => queues.close(),
  };
}
