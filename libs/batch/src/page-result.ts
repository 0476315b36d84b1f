/**
 * A job's result in the blob store: `<key>.json` (its figures) and then `<key>.tif` (the core's MMSE, and its std as
 * a second page), each put atomically. The TIFF is the commit point: a job that finds it never computes again (a
 * worker killed after the put and before its row was updated is taken over by one that reads the figures back).
 */
import { decodeTiff, encodeTiff, type Stack } from '@divblur/imaging';
import type { BlobStore } from '@divblur/storage';
import type { PageTaskResult, PageTaskStats } from './page-task.ts';

/** Keys of page `page`'s results (tile `tile` of `tileCount`) of the input named `inputName`, under the output prefix. */
export function pageResultKey(outputPrefix: string, inputName: string, page: number, tile: number, tileCount: number): string {
  const name = `p${String(page).padStart(4, '0')}${tileCount > 1 ? `-t${String(tile).padStart(3, '0')}` : ''}`;
  return `${outputPrefix}pages/${inputName}/${name}`;
}

export async function writePageResult(blobs: BlobStore, key: string, result: PageTaskResult): Promise<void> {
  const { mmse, std, ...stats } = result;
  await blobs.put(`${key}.json`, Buffer.from(JSON.stringify(stats)), { contentType: 'application/json' });
  const { height, width } = result.core;
  const pages: Stack = { data: new Float32Array(2 * height * width), count: 2, height, width };
  pages.data.set(mmse, 0);
  pages.data.set(std, height * width);
  await blobs.put(`${key}.tif`, encodeTiff(pages), { contentType: 'image/tiff' });
}

/** The figures of a result that was written, or null when its TIFF is not there. */
export async function readPageStats(blobs: BlobStore, key: string): Promise<PageTaskStats | null> {
  if (!(await blobs.exists(`${key}.tif`))) return null;
  return JSON.parse((await blobs.getBuffer(`${key}.json`)).toString('utf8')) as PageTaskStats;
}

/** A written result's MMSE and std over its core. */
export async function readPageResult(blobs: BlobStore, key: string): Promise<{ mmse: Float32Array; std: Float32Array }> {
  const { stack } = decodeTiff(await blobs.getBuffer(`${key}.tif`));
  const pixels = stack.height * stack.width;
  return { mmse: stack.data.subarray(0, pixels), std: stack.data.subarray(pixels, 2 * pixels) };
}
