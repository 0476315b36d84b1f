/**
 * `deconvolve-batch`: plans a batch. Each queued input is read (an upload or dataset blob, or an s3:// object),
 * decoded (every dtype libs/imaging reads; shape, dtype, pixel size), its pages put as one-page blobs (so that a
 * page job reads one page) and its tasks made: a page, or a tile of a page beyond the memory budget (libs/batch
 * page-tiles.ts). An input that cannot be read or decoded fails alone with its reason; then one flow is added, a
 * `deconvolve-page` child per task under a `finish-batch` parent. Idempotent: a planning that died half way skips
 * what it planned (input status, page blobs, tasks by their unique key) and adds the same flow ids.
 */
import { UnrecoverableError } from 'bullmq';
import { BatchError, decodeInputStack, inputPageKey, pageResultKey, planPageTiles } from '@divblur/batch';
import { encodeTiff, ImagingError, stackImage, toStack } from '@divblur/imaging';
import { sessionPsf } from '@divblur/onnx';
import { defineHandler, enqueueBatchFlow } from '@divblur/queue';
import { BlobNotFoundError, InvalidS3UriError } from '@divblur/storage';
import type { InferenceServices } from '../services.ts';

export const deconvolveBatchHandler = (services: InferenceServices) =>
  defineHandler('deconvolve-batch', (data) => planBatch(services, data.batchId));

/** The input's own fault (a reason for the manifest); anything else is the service's, and the job retries. */
function inputFault(error: unknown): string | null {
  if (error instanceof ImagingError || error instanceof BatchError) return `${error.code}: ${error.message}`;
  if (error instanceof BlobNotFoundError) return `INPUT_NOT_FOUND: ${error.message}`;
  if (error instanceof InvalidS3UriError) return `${error.code}: ${error.message}`;
  return null;
}

/** An input's bytes: an s3:// object, or a blob of the service's store (an upload, a dataset's noisy stack). */
export async function readInputBytes(services: Pick<InferenceServices, 'blobs' | 's3'>, source: string): Promise<Buffer> {
  return source.startsWith('s3://') ? services.s3.read(source) : services.blobs.getBuffer(source);
}

export async function planBatch(services: InferenceServices, batchId: string) {
  const { db, blobs, sessions, queues, logger } = services;
  const batch = await db.batches.get(batchId);
  if (batch === null) throw new UnrecoverableError(`batch ${batchId} does not exist`);
  await db.batches.markRunning(batchId);
  const loaded = await sessions.get(batch.modelId);
  const model = { config: loaded.sampler.config, psf: sessionPsf(loaded) };
  for (const input of await db.batches.inputs(batchId)) {
    if (input.status !== 'queued') continue; // planned before a crash, or failed
    if ((await db.batches.get(batchId))?.status === 'cancelled') break;
    try {
      const decoded = decodeInputStack(await readInputBytes(services, input.source), input.pixelSizeNm);
      const { count, height, width } = decoded.stack;
      const tiles = planPageTiles(height, width, model, batch.options.memoryBudgetBytes);
      for (let page = 0; page < count; page++) {
        const key = inputPageKey(batchId, input.ordinal, page);
        if (!(await blobs.exists(key))) await blobs.put(key, encodeTiff(toStack([stackImage(decoded.stack, page)])), { contentType: 'image/tiff' });
      }
      const tasks = Array.from({ length: count }, (_, page) => tiles.map((tile) => ({
        page, tile: tile.tile, tileCount: tile.tileCount, core: tile.core, window: tile.window,
        resultKey: pageResultKey(batch.output.prefix, input.name, page, tile.tile, tile.tileCount),
      }))).flat();
      await db.batches.planInput(input.id, {
        pageCount: count, height, width, dtype: decoded.dtype, pixelSizeNm: decoded.pixelSizeNm, spacingNm: decoded.spacingNm,
      }, tasks);
      logger.info({ batchId, input: input.name, pages: count, tilesPerPage: tiles.length }, 'batch input planned');
    } catch (error) {
      const reason = inputFault(error);
      if (reason === null) throw error;
      await db.batches.failInput(input.id, reason);
      logger.warn({ batchId, input: input.name, reason }, 'batch input failed');
    }
  }
  const open = (await db.batches.tasks(batchId)).filter((task) => task.status === 'queued' || task.status === 'running');
  await enqueueBatchFlow(queues.flows, { batchId, round: batch.round, taskIds: open.map((task) => task.id) });
  return { tasks: open.length };
}
