/** Deterministic ids of the jobs the trainer enqueues: enqueueing twice adds one job. libs/queue defines them (the API re-adds evaluations too). */
export { evaluateJobId } from '@divblur/queue';
