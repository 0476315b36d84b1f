/**
 * `divblur deconvolve --in <folder>`: every TIFF of a folder through the batch engine the inference workers run
 * (libs/batch: a page, or the tiles of a page beyond the memory budget, per task; the same options, defaults, seeds
 * and figures), one page after another, with a progress bar over pages. Each result is put under <out>/pages/ as it
 * is made, and a page whose result is there is skipped: a run stopped half way resumes where it was. Then the same
 * outputs as a batch: <name>.mmse.tif (and <name>.std.tif) with the input's page count and pixel size, and
 * manifest.json / manifest.csv. A file that cannot be read is reported in the manifest and the others go on.
 */
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BATCH_SESSION_OPTIONS, decodeInputStack, deconvolvePageTask, intensityRange, manifestOf, outputDtypeOf, outputStackKeys, pageResultKey, planPageTiles, readPageStats,
  resolveTolerance, uniqueStems, writeManifestFiles, writeOutputStacks, writePageResult, BatchError,
  type BatchOptions, type ManifestInputRecord, type ManifestTaskRecord, type OutputTask,
} from '@divblur/batch';
import { ImageValueError, ImagingError, stackImage, type OutputDtype } from '@divblur/imaging';
import { exportModel, loadModelSessions, OnnxInputError, releaseModelSessions, sessionPsf } from '@divblur/onnx';
import { LocalBlobStore } from '@divblur/storage';
import { createProgress } from '@divblur/terminal';

export interface DeconvolveFolderArgs {
  model: string; in: string; out: string;
  options: BatchOptions;
  /** float32, "input" (the input's uint8/uint16), or a type to force. */
  dtype: 'float32' | 'input' | OutputDtype;
}

const TIFF = /\.tiff?$/i;

export async function deconvolveFolder(args: DeconvolveFolderArgs): Promise<{ pages: number; skipped: number; failedInputs: number }> {
  const files = (await readdir(args.in, { withFileTypes: true })).filter((entry) => entry.isFile() && TIFF.test(entry.name)).map((entry) => entry.name).sort();
  if (files.length === 0) throw new ImageValueError('NO_TIFFS', `${args.in} holds no .tif or .tiff file`);
  await mkdir(args.out, { recursive: true });
  const blobs = new LocalBlobStore(args.out);
  const names = uniqueStems(files);
  const exportDir = await mkdtemp(join(tmpdir(), 'divblur-onnx-'));
  const sessions = await loadModelSessions(args.model, (await exportModel(args.model, exportDir)).dir, BATCH_SESSION_OPTIONS);
  const model = { config: sessions.sampler.config, psf: sessionPsf(sessions) };
  const noise = sessions.encoder.noiseModel;
  const inputs: ManifestInputRecord[] = [];
  const tasks: ManifestTaskRecord[] = [];
  let pagesDone = 0;
  let skipped = 0;
  // Page counts come with each file; the bar's total grows as files are read.
  let total = 0;
  const progress = createProgress('deconvolve', 0, 'page {page} of {file}');
  try {
    for (const [ordinal, file] of files.entries()) {
      const name = names[ordinal];
      let decoded;
      try {
        decoded = decodeInputStack(await readFile(join(args.in, file)));
      } catch (error) {
        if (!(error instanceof ImagingError)) throw error;
        inputs.push({ ordinal, name, status: 'failed', error: `${error.code}: ${error.message}`, pageCount: null, outputKey: null, stdKey: null });
        continue;
      }
      const { count, height, width } = decoded.stack;
      total += count;
      progress.setTotal(total);
      const tiles = planPageTiles(height, width, model, args.options.memoryBudgetBytes);
      const outputs: OutputTask[] = [];
      let failure: string | null = null;
      for (let page = 0; page < count; page++) {
        const image = stackImage(decoded.stack, page);
        const tolerance = resolveTolerance(args.options.tolerance, intensityRange(image));
        for (const tile of tiles) {
          const resultKey = pageResultKey('', name, page, tile.tile, tile.tileCount);
          let stats = await readPageStats(blobs, resultKey);
          let error: string | null = null;
          if (stats === null) {
            try {
              const result = await deconvolvePageTask(sessions, image, tile, {
                samples: args.options.samples, seed: args.options.seed, dihedral: args.options.dihedral, memoryBudgetBytes: args.options.memoryBudgetBytes,
                tolerance, noise, psf: model.psf,
              });
              await writePageResult(blobs, resultKey, result);
              stats = result;
            } catch (caught) {
              if (!(caught instanceof OnnxInputError || caught instanceof BatchError)) throw caught;
              error = `${caught.code}: ${caught.message}`;
              failure ??= `page ${page}: ${error}`;
            }
          } else {
            skipped += 1;
          }
          tasks.push({
            inputOrdinal: ordinal, page, tile: tile.tile, core: tile.core, status: error === null ? 'succeeded' : 'failed', error, resultKey,
            samplesUsed: stats?.samplesUsed ?? null, standardError: stats?.standardError ?? null, discrepancy: stats?.discrepancy ?? null,
            discrepancyPixels: stats?.discrepancyPixels ?? null, meanStd: stats?.meanStd ?? null, durationMs: stats?.durationMs ?? null,
          });
          outputs.push({ page, core: tile.core, resultKey });
        }
        pagesDone += 1;
        progress.update(pagesDone, { page: `${page + 1}/${count}`, file });
      }
      if (failure !== null) {
        inputs.push({ ordinal, name, status: 'failed', error: failure, pageCount: count, outputKey: null, stdKey: null });
        continue;
      }
      const keys = outputStackKeys('', name);
      const stdKey = args.options.std ? keys.std : null;
      const dtype = args.dtype === 'float32' || args.dtype === 'input' ? outputDtypeOf(args.dtype, decoded.dtype) : args.dtype;
      await writeOutputStacks(blobs, { mmse: keys.mmse, std: stdKey }, { pageCount: count, height, width, dtype: decoded.dtype, pixelSizeNm: decoded.pixelSizeNm, spacingNm: decoded.spacingNm }, outputs, dtype);
      inputs.push({ ordinal, name, status: 'succeeded', error: null, pageCount: count, outputKey: keys.mmse, stdKey });
    }
    await writeManifestFiles(blobs, '', { model: args.model, options: args.options }, manifestOf(inputs, tasks));
  } finally {
    progress.stop();
    await releaseModelSessions(sessions);
    await rm(exportDir, { recursive: true, force: true });
  }
  return { pages: pagesDone, skipped, failedInputs: inputs.filter((input) => input.status === 'failed').length };
}
