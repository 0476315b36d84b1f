/**
 * Which images of a dataset train the model and which are held out for its evaluation. The
 * split is recorded in the model row's meta (`evaluation`), so the evaluation reads it from there
 * instead of recomputing it.
 */
import type { Stack } from '@divblur/imaging';

export interface ImageSplit {
  readonly trainIndices: number[];
  readonly evalIndices: number[];
  /** `heldout` when the evaluation images were not trained on; `train` for a one-image dataset. */
  readonly imageSet: 'heldout' | 'train';
}

/** Fraction of the images held out (at least one, as long as one image is left to train on). */
export const HELD_OUT_FRACTION = 0.2;

export function splitImages(count: number): ImageSplit {
  const all = Array.from({ length: count }, (_, i) => i);
  if (count < 2) return { trainIndices: all, evalIndices: all, imageSet: 'train' };
  const heldOut = Math.max(1, Math.round(count * HELD_OUT_FRACTION));
  return { trainIndices: all.slice(0, count - heldOut), evalIndices: all.slice(count - heldOut), imageSet: 'heldout' };
}

export function selectImages(stack: Stack, indices: readonly number[]): Stack {
  const pixels = stack.height * stack.width;
  const data = new Float32Array(indices.length * pixels);
  indices.forEach((index, i) => data.set(stack.data.subarray(index * pixels, (index + 1) * pixels), i * pixels));
  return { data, count: indices.length, height: stack.height, width: stack.width };
}
