/**
 * An input's output stack: its pages' results (a page's tiles placed by their cores) in page order, with the
 * input's page count, pixel size and z spacing, as ImageJ writes them (libs/imaging's TIFF writer), so that Fiji and
 * napari open the stack at its scale. Streamed page by page: one page in memory, whatever the stack's length.
 */
import { Readable } from 'node:stream';
import { encodeTiffPages, type OutputDtype } from '@divblur/imaging';
import type { BlobStore } from '@divblur/storage';
import { BatchPlanError } from './errors.ts';
import { manifestCsv, type Manifest } from './manifest.ts';
import type { BatchOutput } from './batch-options.ts';
import { readPageResult } from './page-result.ts';
import type { Rect } from './page-tiles.ts';

export interface OutputStackInput {
  readonly pageCount: number;
  readonly height: number;
  readonly width: number;
  /** The input's sample type, as its decoder names it (`uint16`, `float32`…). */
  readonly dtype: string;
  readonly pixelSizeNm: number | null;
  readonly spacingNm?: number | null;
}

export interface OutputTask {
  readonly page: number;
  readonly core: Rect;
  readonly resultKey: string;
}

/** The MMSE stack's sample type: the input's when asked and it is one of camera data's (uint8, uint16), else float32. */
export function outputDtypeOf(choice: BatchOutput['dtype'], inputDtype: string): OutputDtype {
  return choice === 'input' && (inputDtype === 'uint16' || inputDtype === 'uint8') ? inputDtype : 'float32';
}

/** Keys of an input's output stacks under the output prefix. */
export function outputStackKeys(outputPrefix: string, inputName: string): { mmse: string; std: string } {
  return { mmse: `${outputPrefix}${inputName}.mmse.tif`, std: `${outputPrefix}${inputName}.std.tif` };
}

/** Page by page, the `which` image of each page assembled from its tasks' results. */
async function* assembledPages(blobs: BlobStore, input: OutputStackInput, tasks: readonly OutputTask[], which: 'mmse' | 'std'): AsyncGenerator<Float32Array> {
  const byPage = new Map<number, OutputTask[]>();
  for (const task of tasks) byPage.set(task.page, [...(byPage.get(task.page) ?? []), task]);
  const { height, width } = input;
  for (let page = 0; page < input.pageCount; page++) {
    const parts = byPage.get(page) ?? [];
    const out = new Float32Array(height * width);
    let covered = 0;
    for (const { core, resultKey } of parts) {
      const values = (await readPageResult(blobs, resultKey))[which];
      for (let r = 0; r < core.height; r++) out.set(values.subarray(r * core.width, (r + 1) * core.width), (core.top + r) * width + core.left);
      covered += core.height * core.width;
    }
    if (covered !== height * width) throw new BatchPlanError('PAGE_INCOMPLETE', `page ${page} has results for ${covered} of its ${height * width} pixels`);
    yield out;
  }
}

/** Writes the MMSE stack (and the std stack when `stdKey` is given); returns nothing until both are complete. */
export async function writeOutputStacks(
  blobs: BlobStore, keys: { mmse: string; std: string | null }, input: OutputStackInput, tasks: readonly OutputTask[], dtype: OutputDtype,
): Promise<void> {
  const shape = { count: input.pageCount, height: input.height, width: input.width };
  const metadata = {
    ...(input.pixelSizeNm === null ? {} : { pixelSizeNm: input.pixelSizeNm }),
    ...(input.spacingNm === null || input.spacingNm === undefined ? {} : { spacingNm: input.spacingNm }),
  };
  const write = (key: string, which: 'mmse' | 'std', pageDtype: OutputDtype) =>
    blobs.put(key, Readable.from(encodeTiffPages(shape, assembledPages(blobs, input, tasks, which), { ...metadata, dtype: pageDtype })), { contentType: 'image/tiff' });
  await write(keys.mmse, 'mmse', dtype);
  if (keys.std !== null) await write(keys.std, 'std', 'float32');
}

/** `<prefix>manifest.json` (the manifest under `header`'s fields) and `<prefix>manifest.csv`, beside the outputs. */
export async function writeManifestFiles(blobs: BlobStore, prefix: string, header: Record<string, unknown>, manifest: Manifest): Promise<void> {
  await blobs.put(`${prefix}manifest.json`, Buffer.from(JSON.stringify({ ...header, ...manifest }, null, 1)), { contentType: 'application/json' });
  await blobs.put(`${prefix}manifest.csv`, Buffer.from(manifestCsv(manifest)), { contentType: 'text/csv' });
}
