/**
 * Which images of a dataset train the model and which are held out for its evaluation. The
 * trainer records its split in the model row's meta (`evaluation`); the inference worker reads it
 * from there (`evaluationSplitOf`) instead of recomputing it, so the two cannot disagree.
 */
import type { Stack } from '@divblur/imaging';

/** The images a model is evaluated on, as recorded in its meta. */
export interface EvaluationSplit {
  readonly imageSet: string;
  readonly evalIndices: number[];
}

export interface ImageSplit extends EvaluationSplit {
  readonly trainIndices: number[];
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

/** The split recorded in a model's meta; all `count` images (image set `all`) when it records none that fits. */
export function evaluationSplitOf(modelMeta: unknown, count: number): EvaluationSplit {
  const recorded = (modelMeta as { evaluation?: Partial<EvaluationSplit> } | null)?.evaluation;
  const indices = recorded?.evalIndices;
  if (typeof recorded?.imageSet === 'string' && Array.isArray(indices) && indices.every((i) => Number.isInteger(i) && i >= 0 && i < count)) {
    return { imageSet: recorded.imageSet, evalIndices: indices };
  }
  return { imageSet: 'all', evalIndices: Array.from({ length: count }, (_, i) => i) };
}
