/** A dataset's stacks and PSF from the blob store (TIFF → float32, data units). */
import { decodeTiff, psfFromImage, stackImage, type Image, type Stack } from '@divblur/imaging';
import type { BlobStore } from '@divblur/storage';

export async function readStack(blobs: BlobStore, key: string): Promise<Stack> {
  return decodeTiff(await blobs.getBuffer(key)).stack;
}

export async function readPsf(blobs: BlobStore, psfKey: string | null): Promise<Image | null> {
  return psfKey === null ? null : psfFromImage(stackImage(await readStack(blobs, psfKey), 0));
}

/** The images the trainer held out for evaluation, as recorded in the model row's meta. */
export interface EvaluationSplit {
  readonly imageSet: string;
  readonly evalIndices: number[];
}

export function evaluationSplitOf(modelMeta: unknown, count: number): EvaluationSplit {
  const recorded = (modelMeta as { evaluation?: Partial<EvaluationSplit> } | null)?.evaluation;
  const indices = recorded?.evalIndices;
  if (typeof recorded?.imageSet === 'string' && Array.isArray(indices) && indices.every((i) => Number.isInteger(i) && i >= 0 && i < count)) {
    return { imageSet: recorded.imageSet, evalIndices: indices };
  }
  return { imageSet: 'all', evalIndices: Array.from({ length: count }, (_, i) => i) };
}
