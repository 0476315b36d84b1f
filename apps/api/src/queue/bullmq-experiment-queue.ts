/**
 * `ExperimentQueue` on libs/queue: one flow per experiment (a `finish-experiment` parent on the
 * `experiments` queue, one `train-run` child per run on `training`), with libs/queue's
 * deterministic job ids (`experiment-<id>`, `train-<runId>`, `evaluate-<runId>`), so enqueueing
 * twice adds nothing. Every call fails fast while Redis is away: at once when the connection is
 * not ready (BullMQ would otherwise wait for it), and within QUEUE_DEADLINE_MS when Redis does not
 * answer (the connection should be `createProducerRedis`'s, which bounds each command too).
 */
import { withDeadline } from '@divblur/config';
import {
  assertRedisReady, createQueues, enqueueExperimentFlow, evaluateJobId, experimentJobId, trainJobId, type Queues, type Redis,
} from '@divblur/queue';
import type { ExperimentQueue } from '../services.ts';

/** The longest any one queue call of a request may take (the request answers 503 after it). */
export const QUEUE_DEADLINE_MS = 1500;

export interface BullmqExperimentQueue extends ExperimentQueue {
  readonly queues: Queues;
  depths(): Promise<Record<string, Record<string, number>>>;
  ping(): Promise<void>;
  /** Closes the queues; the Redis connection is the caller's. */
  close(): Promise<void>;
}

export function createBullmqExperimentQueue(redis: Redis, prefix: string): BullmqExperimentQueue {
  const queues = createQueues(redis, prefix);
  // async: a connection that is not ready rejects like any other failure (callers .catch it).
  const call = async <T>(work: () => Promise<T>): Promise<T> => {
    assertRedisReady(redis);
    return withDeadline(work(), QUEUE_DEADLINE_MS, 'redis');
  };
  return {
    queues,
    enqueueExperiment: (experimentId, runIds) => call(() => enqueueExperimentFlow(queues.flows, { experimentId, runIds })),
    cancelExperiment: (experimentId, runIds) => call(async () => {
      const training = queues.byName.training;
      for (const runId of runIds) {
        const job = await training.getJob(trainJobId(runId));
        // Waiting jobs go; an active one keeps its lock and stops when it reads status=cancelled.
        if (job && (await job.isWaiting() || await job.isDelayed() || await job.isWaitingChildren())) await job.remove({ removeChildren: true });
      }
      const parent = await queues.byName.experiments.getJob(experimentJobId(experimentId));
      if (parent && !(await parent.isActive())) await parent.remove().catch(() => undefined);
    }),
    enqueueEvaluation: (runId, modelId) => call(async () => {
      const jobId = evaluateJobId(runId);
      const inference = queues.byName.inference;
      const state = await inference.getJobState(jobId);
      if (state === 'waiting' || state === 'active' || state === 'delayed' || state === 'prioritized' || state === 'waiting-children') return 'pending';
      // A finished evaluation keeps its id for a week (removeOnComplete): take it away, or adding the id again adds nothing.
      if (state === 'completed' || state === 'failed') await (await inference.getJob(jobId))?.remove();
      await queues.enqueue({ name: 'evaluate-run', data: { runId, modelId } }, { jobId });
      return 'queued';
    }),
    depths: () => call(() => queues.counts()),
    ping: () => call(async () => { await redis.ping(); }),
    close: () => queues.close(),
  };
}
