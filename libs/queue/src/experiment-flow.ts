import type { FlowProducer, JobsOptions } from 'bullmq';
import { parseJob } from './job-payloads.ts';
import { QUEUE_NAMES } from './queue-names.ts';
import { DEFAULT_JOB_OPTIONS } from './queues.ts';

/** Deterministic job ids make enqueueing an experiment idempotent (BullMQ ids may not contain `:`). */
export const experimentJobId = (experimentId: string) => `experiment-${experimentId}`;
export const trainJobId = (runId: string) => `train-${runId}`;
/** A run's evaluation (added by the trainer to the run's flow, or alone by POST /v1/runs/:id/evaluate). */
export const evaluateJobId = (runId: string) => `evaluate-${runId}`;

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

/** What a running job knows of its flow parent (BullMQ's `job.parent`, also in a sandboxed child). */
export interface FlowMember {
  readonly parent?: { readonly id?: string; readonly queueKey: string };
}

/**
 * Options that make a job added while `running` is processed one more child of `running`'s flow
 * parent: the parent keeps waiting until this job has finished too (a child may add siblings while
 * it runs, as the parent is still waiting for it). So `train-run` hands its `evaluate-run` to the
 * experiment, and `finish-experiment` runs only after the metrics are written. A job without a
 * parent (enqueued on its own) gets no options. A sibling that fails for good does not block the
 * parent, like the runs themselves.
 */
export function siblingOptions(running: FlowMember): JobsOptions {
  const parent = running.parent;
  if (parent?.id === undefined) return {};
  return { parent: { id: parent.id, queue: parent.queueKey }, ignoreDependencyOnFailure: true };
}
