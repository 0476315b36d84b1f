/**
 * The sandboxed processor file of the training queue: BullMQ forks a child process that imports
 * this module and calls its default export per job. Training is CPU-bound and synchronous between
 * steps; in the child it cannot starve the parent's event loop, which keeps renewing the job lock.
 * The child stops when the trainer closes and exits when the trainer dies (child-lifecycle.ts).
 */
import type { Job } from 'bullmq';
import { createProcessor, QUEUE_NAMES } from '@divblur/queue';
import { exitIfParentGone, tieToParent } from './child-lifecycle.ts';
import { trainRun } from './jobs/train-run.ts';

tieToParent();
const processor = createProcessor(QUEUE_NAMES.training, [trainRun]);

export default async function trainingProcessor(job: Job, token?: string): Promise<unknown> {
  try {
    return await processor(job, token);
  } finally {
    exitIfParentGone();
  }
}
