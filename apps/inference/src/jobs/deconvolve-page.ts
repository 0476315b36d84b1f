/**
 * `deconvolve-page`: one task of a batch, a page or a tile of one (libs/batch page-task.ts), with the batch's options
 * and the model's PSF and noise model. Its result is written once: a task whose result blob exists (a worker died
 * after writing it) is completed from the blob, never recomputed; a cancelled batch's task is skipped, so that a
 * cancel stops new pages within the one each worker is on. A page that cannot be deconvolved (non-finite pixels, an
 * option the model refuses) fails at once with its reason; other errors are retried, and the last try fails the task.
 */
import { UnrecoverableError } from 'bullmq';
import {
  deconvolvePageTask, inputPageKey, intensityRange, readPageStats, resolveTolerance, writePageResult, type PageTile,
} from '@divblur/batch';
import { decodeTiff, ImagingError, stackImage } from '@divblur/imaging';
import { OnnxInputError, OnnxOptionError, sessionPsf } from '@divblur/onnx';
import { defineHandler } from '@divblur/queue';
import type { InferenceServices } from '../services.ts';

export const deconvolvePageHandler = (services: InferenceServices) =>
  defineHandler('deconvolve-page', async (data, job) => {
    try {
      return await deconvolvePage(services, data.taskId);
    } catch (error) {
      const pageFault = error instanceof OnnxInputError || error instanceof OnnxOptionError || error instanceof ImagingError;
      const unrecoverable = pageFault || error instanceof UnrecoverableError;
      if (unrecoverable || job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
        const reason = pageFault ? `${error.code}: ${error.message}` : (error as Error).message;
        await services.db.batches.failTask(data.taskId, reason);
      }
      throw unrecoverable && !(error instanceof UnrecoverableError) ? new UnrecoverableError((error as Error).message) : error;
    }
  });

export async function deconvolvePage(services: InferenceServices, taskId: string) {
  const { db, blobs, batchSessions, logger, workerName } = services;
  const context = await db.batches.task(taskId);
  if (context === null) throw new UnrecoverableError(`batch task ${taskId} does not exist`);
  const { task, input, batch } = context;
  if (task.status === 'succeeded') return { skipped: 'written' };
  if (batch.status === 'cancelled' || task.status === 'cancelled') {
    await db.batches.cancelTask(taskId);
    return { skipped: 'cancelled' };
  }
  const written = await readPageStats(blobs, task.resultKey);
  if (written !== null) {
    await db.batches.completeTask(taskId, written, false, workerName);
    return { skipped: 'found written' };
  }
  if (!(await db.batches.startTask(taskId, workerName))) return { skipped: 'not open' };
  const loaded = await batchSessions.get(batch.modelId);
  // Non-finite pixels are mmse's to refuse, with the row and column, as this page's reason.
  const page = stackImage(decodeTiff(await blobs.getBuffer(inputPageKey(batch.id, input.ordinal, task.page)), { allowNonFinite: true }).stack, 0);
  const noise = loaded.encoder.noiseModel;
  const tile: PageTile = { tile: task.tile, tileCount: task.tileCount, core: task.core, window: task.window };
  const { options } = batch;
  const result = await deconvolvePageTask(loaded, page, tile, {
    samples: options.samples, seed: options.seed, dihedral: options.dihedral, memoryBudgetBytes: options.memoryBudgetBytes,
    tolerance: resolveTolerance(options.tolerance, intensityRange(page)), noise, psf: sessionPsf(loaded),
  });
  await writePageResult(blobs, task.resultKey, result);
  logger.info({ batchId: batch.id, taskId, input: input.name, page: task.page, tile: task.tile, samplesUsed: result.samplesUsed, ms: result.durationMs }, 'page written');
  await db.batches.completeTask(taskId, result, true, workerName);
  return { samplesUsed: result.samplesUsed, standardError: result.standardError };
}
