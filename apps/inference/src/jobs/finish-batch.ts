/**
 * `finish-batch`: the parent of a batch's flow, run once every page has finished one way or the other. Each input
 * whose pages all succeeded gets its output stacks (libs/batch output-stack.ts: page order, the input's page count,
 * pixel size and z spacing, ImageJ metadata; the MMSE in float32 or the input's dtype, the std in float32); an input
 * with a failed page fails, saying how many and why. Then the manifest (JSON and CSV) beside the outputs, the batch's
 * status (succeeded: every input did; cancelled; else failed) and its summary, and, when asked, the callback job.
 * A succeeded batch's per-page input copies are deleted (a failed one keeps them for its retry).
 */
import { UnrecoverableError } from 'bullmq';
import {
  batchProgress, inputPagesPrefix, manifestOf, outputDtypeOf, outputStackKeys, pageStatus, writeManifestFiles, writeOutputStacks,
} from '@divblur/batch';
import type { BatchInputRecord, BatchRecord, BatchTaskRecord } from '@divblur/db';
import { batchCallbackJobId, defineHandler } from '@divblur/queue';
import type { InferenceServices } from '../services.ts';
import { CALLBACK_JOB_OPTIONS } from './batch-callback.ts';

export const finishBatchHandler = (services: InferenceServices) =>
  defineHandler('finish-batch', (data) => finishBatch(services, data.batchId));

type Task = BatchTaskRecord & { inputOrdinal: number };

/** An input's status from its pages, and the output stacks of one whose pages all succeeded. */
async function settleInput(services: InferenceServices, batch: BatchRecord, input: BatchInputRecord, tasks: readonly Task[]): Promise<void> {
  const { db, blobs } = services;
  const pages = new Map<number, Task[]>();
  for (const task of tasks) pages.set(task.page, [...(pages.get(task.page) ?? []), task]);
  const statuses = [...pages.values()].map((tiles) => pageStatus(tiles.map((t) => t.status)));
  const failed = [...pages.values()].filter((tiles) => pageStatus(tiles.map((t) => t.status)) === 'failed');
  if (failed.length > 0) {
    const first = failed[0].find((t) => t.error !== null);
    await db.batches.finishInput(input.id, 'failed', { error: `${failed.length} of ${pages.size} pages failed; page ${failed[0][0].page}: ${first?.error ?? 'failed'}` });
    return;
  }
  // The flow's parent runs once every page job has finished: a page still open here was cancelled.
  if (statuses.some((status) => status !== 'succeeded')) {
    const done = statuses.filter((status) => status === 'succeeded').length;
    await db.batches.finishInput(input.id, 'cancelled', { error: `cancelled with ${done} of ${pages.size} pages done` });
    return;
  }
  const keys = outputStackKeys(batch.output.prefix, input.name);
  const stdKey = batch.options.std ? keys.std : null;
  await writeOutputStacks(blobs, { mmse: keys.mmse, std: stdKey }, {
    pageCount: input.pageCount!, height: input.height!, width: input.width!, dtype: input.dtype!, pixelSizeNm: input.pixelSizeNm, spacingNm: input.spacingNm,
  }, tasks.map((t) => ({ page: t.page, core: t.core, resultKey: t.resultKey })), outputDtypeOf(batch.output.dtype, input.dtype!));
  await db.batches.finishInput(input.id, 'succeeded', { outputKey: keys.mmse, stdKey });
}

export async function finishBatch(services: InferenceServices, batchId: string) {
  const { db, blobs, queues, logger } = services;
  const batch = await db.batches.get(batchId);
  if (batch === null) throw new UnrecoverableError(`batch ${batchId} does not exist`);
  const tasks = await db.batches.tasks(batchId);
  for (const input of await db.batches.inputs(batchId)) {
    if (input.status === 'queued') await db.batches.finishInput(input.id, 'cancelled', { error: 'cancelled before it was read' });
    else if (input.status === 'running') await settleInput(services, batch, input, tasks.filter((task) => task.inputId === input.id));
  }
  const inputs = await db.batches.inputs(batchId);
  const manifest = manifestOf(inputs, tasks);
  const { prefix, uri } = batch.output;
  await writeManifestFiles(blobs, prefix, { batchId, modelId: batch.modelId, options: batch.options }, manifest);
  // Read again: a cancel may have come while the stacks were written.
  const cancelled = (await db.batches.get(batchId))?.status === 'cancelled';
  const status = cancelled ? 'cancelled' : inputs.every((input) => input.status === 'succeeded') ? 'succeeded' : 'failed';
  const failedInputs = inputs.filter((input) => input.status === 'failed');
  const error = failedInputs.length === 0 ? null : `${failedInputs.length} of ${inputs.length} inputs failed: ${failedInputs.map((input) => `${input.name}: ${input.error}`).join('; ')}`;
  const progress = batchProgress(inputs, tasks);
  const summary = JSON.stringify({
    batchId, status, modelId: batch.modelId, pages: progress.pages, error,
    inputs: progress.inputs.map((input) => ({ name: input.name, status: input.status, error: input.error, pages: input.pages, output: input.outputKey && blobs.uri(input.outputKey) })),
    manifest: { json: `${uri}manifest.json`, csv: `${uri}manifest.csv` }, output: uri, settledAt: new Date().toISOString(),
  });
  await db.batches.settle(batchId, status, summary, error);
  // The input pages were the page jobs' copies; a succeeded batch has no page left to retry (uploads are kept).
  if (status === 'succeeded') await blobs.deletePrefix(inputPagesPrefix(batchId));
  if (batch.callbackUrl !== null) {
    await queues.enqueue({ name: 'batch-callback', data: { batchId } }, { ...CALLBACK_JOB_OPTIONS, jobId: batchCallbackJobId(batchId, batch.round) });
  }
  logger.info({ batchId, status, pages: progress.pages }, 'batch settled');
  return { status, pages: progress.pages };
}
