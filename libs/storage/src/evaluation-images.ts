/**
 * The held-out images' MMSE and per-pixel std of a run's evaluation, kept so that people can look at them (the API's
 * /v1/runs/:id/images): one float32 TIFF stack per kind, page i the i-th image of the evaluation split (its
 * `evalIndices[i]`), in the data's units, under `runs/<runId>/evaluation/<imageSet>/<kind>.tif` — beside the run's
 * checkpoints (`runs/<runId>/checkpoints/…`). The inference worker writes them before it records the metrics, so a
 * succeeded run has them; a new evaluation replaces them (put is atomic).
 */
import { encodeTiff, toStack, type Image, type Stack } from '@divblur/imaging';
import type { BlobStore } from './blob-store.ts';
import { readStack } from './dataset-images.ts';

export type EvaluationImageKind = 'mmse' | 'std';

export function evaluationImageKey(runId: string, imageSet: string, kind: EvaluationImageKind): string {
  return `runs/${runId}/evaluation/${imageSet}/${kind}.tif`;
}

export async function writeEvaluationImages(
  blobs: BlobStore, runId: string, imageSet: string, images: Readonly<Record<EvaluationImageKind, readonly Image[]>>,
): Promise<void> {
  for (const kind of ['mmse', 'std'] as const) {
    await blobs.put(evaluationImageKey(runId, imageSet, kind), encodeTiff(toStack(images[kind])), { contentType: 'image/tiff' });
  }
}

/** The stack of one kind; throws BlobNotFoundError when the evaluation kept none (not evaluated, or before they were kept). */
export async function readEvaluationImages(blobs: BlobStore, runId: string, imageSet: string, kind: EvaluationImageKind): Promise<Stack> {
  return readStack(blobs, evaluationImageKey(runId, imageSet, kind));
}
