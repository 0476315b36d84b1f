/** Deterministic ids of the jobs the trainer enqueues: enqueueing twice adds one job. */
export const evaluateJobId = (runId: string) => `evaluate-${runId}`;
