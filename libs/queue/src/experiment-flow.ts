import type { FlowProducer } from 'bullmq';
import { parseJob } from './job-payloads.ts';
import { QUEUE_NAMES } from './queue-names.ts';
import { DEFAULT_JOB_OPTIONS } from './queues.ts';

/** Deterministic job ids make enqueueing an experiment idempotent (BullMQ ids may not contain `:`). */
export const experimentJobId = (experimentId: string) => `experiment-${experimentId}`;
export const trainJobId = (runId: string) => `train-${runId}`;

export interface ExperimentFlow {
  experimentId: string;
  runIds: readonly string[];
  /** Tries per training run (default `DEFAULT_JOB_OPTIONS.attempts`); a retry resumes from the last checkpoint. */
  attempts?: number;
}

/**
 * One flow per experiment: a `finish-experiment` parent and one `train-run` child per run. A child
 * that fails for good does not block the parent (`ignoreDependencyOnFailure`): the parent still
 * runs once every child has finished, one way or the other, and settles the experiment. Adding
 * the same experiment again adds no jobs (the ids are deterministic).
 */
export async function enqueueExperimentFlow(flows: FlowProducer, flow: ExperimentFlow): Promise<void> {
  const parent = parseJob('finish-experiment', { experimentId: flow.experimentId });
  const children = flow.runIds.map((runId) => parseJob('train-run', { runId, experimentId: flow.experimentId }));
  await flows.add({
    name: parent.name,
    queueName: QUEUE_NAMES.experiments,
    data: parent.data,
    opts: { ...DEFAULT_JOB_OPTIONS, jobId: experimentJobId(flow.experimentId) },
    children: children.map((child) => ({
      name: child.name,
      queueName: QUEUE_NAMES.training,
      data: child.data,
      opts: {
        ...DEFAULT_JOB_OPTIONS,
        ...(flow.attempts === undefined ? {} : { attempts: flow.attempts }),
        jobId: trainJobId((child.data as { runId: string }).runId),
        ignoreDependencyOnFailure: true,
      },
    })),
  });
}
