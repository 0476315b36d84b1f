/**
 * `deconvolve-batch`: whole acquisitions, queued and fanned out — a later issue. The queue's
 * processor needs a handler for every job kind of the inference queue; until then such a job
 * fails at once, without retries, with a message that says so.
 */
import { UnrecoverableError } from 'bullmq';
import { defineHandler } from '@divblur/queue';

export const deconvolveBatchHandler = () => defineHandler('deconvolve-batch', async (data) => {
  throw new UnrecoverableError(`batch deconvolution (batch ${data.batchId}) is not available in this version: use POST /v1/models/${data.modelId}/deconvolve per image`);
});
