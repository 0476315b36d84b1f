/**
 * The sandboxed processor file of the training queue: BullMQ forks a child process that imports
 * this module and calls its default export per job. Training is CPU-bound and synchronous between
 * steps; in the child it cannot starve the parent's event loop, which keeps renewing the job lock.
 */
import { createProcessor, QUEUE_NAMES } from '@divblur/queue';
import { trainRun } from './jobs/train-run.ts';

export default createProcessor(QUEUE_NAMES.training, [trainRun]);
