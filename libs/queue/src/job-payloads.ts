import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { JobPayloadError } from './errors.ts';
import './formats.ts';

/**
 * Every job of the system as one discriminated union `{ name, data }`: a handler is typed by its
 * name, and a payload is validated on enqueue and again when a worker takes it. Jobs carry ids,
 * never data (the rows and blobs hold that).
 */
const Id = Type.String({ format: 'uuid', description: 'a UUID' });

function job<N extends string, D extends TSchema>(name: N, data: D) {
  return Type.Object({ name: Type.Literal(name), data }, { additionalProperties: false });
}

/** Train one run (trainer). */
export const TrainRunJob = job('train-run', Type.Object({ runId: Id, experimentId: Id }, { additionalProperties: false }));
/** Evaluate a trained run's model on the dataset's held-out images (inference worker). */
export const EvaluateRunJob = job('evaluate-run', Type.Object({ runId: Id, modelId: Id }, { additionalProperties: false }));
/** Classical baselines (Richardson–Lucy, Wiener) of a dataset, once (inference worker). */
export const ComputeBaselinesJob = job('compute-baselines', Type.Object({ datasetId: Id }, { additionalProperties: false }));
/** Parent of an experiment's flow: runs when every child run has finished; settles the experiment. */
export const FinishExperimentJob = job('finish-experiment', Type.Object({ experimentId: Id }, { additionalProperties: false }));
/** Plan a batch deconvolution: read its inputs, make a task per page (or tile), add its flow (inference worker). */
export const DeconvolveBatchJob = job('deconvolve-batch', Type.Object({ batchId: Id, modelId: Id }, { additionalProperties: false }));
/** One page, or one tile of a page, of a batch (inference worker; a child of the batch's flow). */
export const DeconvolvePageJob = job('deconvolve-page', Type.Object({ batchId: Id, taskId: Id }, { additionalProperties: false }));
/** Parent of a batch's flow: runs when every page has; writes the output stacks and the manifest, settles the batch. */
export const FinishBatchJob = job('finish-batch', Type.Object({ batchId: Id }, { additionalProperties: false }));
/** POST of a settled batch's summary to its callback URL, signed, retried with backoff (inference worker). */
export const BatchCallbackJob = job('batch-callback', Type.Object({ batchId: Id }, { additionalProperties: false }));

export const JobPayload = Type.Union([
  TrainRunJob, EvaluateRunJob, ComputeBaselinesJob, FinishExperimentJob, DeconvolveBatchJob, DeconvolvePageJob, FinishBatchJob, BatchCallbackJob,
]);
export type JobPayload = Static<typeof JobPayload>;
export type JobName = JobPayload['name'];
export type JobData<N extends JobName> = Extract<JobPayload, { name: N }>['data'];

export const JOB_NAMES: readonly JobName[] = JobPayload.anyOf.map((member) => member.properties.name.const);

/** Checks a job's name and data against the union; throws `JobPayloadError` naming what is wrong. */
export function parseJob(name: string, data: unknown): JobPayload {
  const member = JobPayload.anyOf.find((candidate) => candidate.properties.name.const === name);
  if (member === undefined) throw new JobPayloadError(`unknown job "${name}"; known: ${JOB_NAMES.join(', ')}`);
  const payload = { name, data };
  const errors = [...Value.Errors(member, payload)];
  if (errors.length > 0) {
    const detail = errors.slice(0, 5).map((error) => `${error.path || '/'}: ${error.message}`).join('; ');
    throw new JobPayloadError(`invalid "${name}" job: ${detail}`);
  }
  return payload as JobPayload;
}
