/**
 * A dataset's images as stored by the API's ingest: TIFF blobs decoded to float32 stacks in the
 * data's units. One reader for the trainer and the inference worker, so both see the same pixels
 * and the same normalised PSF.
 */
import { decodeTiff, psfFromImage, stackImage, type Image, type Stack } from '@divblur/imaging';
import type { BlobStore } from './blob-store.ts';

export async function readStack(blobs: BlobStore, key: string): Promise<Stack> {
  return decodeTiff(await blobs.getBuffer(key)).stack;
}

/** The PSF normalised to sum 1 (the first page of its TIFF), or null when the dataset has none. */
export async function readPsf(blobs: BlobStore, dataset: { readonly psfKey: string | null }): Promise<Image | null> {
  if (dataset.psfKey === null) return null;
  return psfFromImage(stackImage(await readStack(blobs, dataset.psfKey), 0));
}
