/** A dataset row's stacks, read from the blob store and decoded (TIFF, float32, data units). */
import { decodeTiff, psfFromImage, stackImage, type Image, type Stack } from '@divblur/imaging';
import type { BlobStore } from '@divblur/storage';

export interface DatasetBlobs {
  readonly noisyKey: string;
  readonly gtKey: string | null;
  readonly psfKey: string | null;
}

export async function readStack(blobs: BlobStore, key: string): Promise<Stack> {
  return decodeTiff(await blobs.getBuffer(key)).stack;
}

/** The PSF normalised to sum 1 (the first page of its TIFF), or null when the dataset has none. */
export async function readPsf(blobs: BlobStore, dataset: DatasetBlobs): Promise<Image | null> {
  if (dataset.psfKey === null) return null;
  return psfFromImage(stackImage(await readStack(blobs, dataset.psfKey), 0));
}
