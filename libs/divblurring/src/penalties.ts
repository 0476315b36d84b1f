/**
 * Penalties R(x) on the decoder output x, in the data's own intensity units, summed over the
 * pixels of each image (so λ means what it means in the report's equations); x is the signal above
 * the data's offset (x − o for camera data, where positivity means x ≥ o):
 *   none          0
 *   l1            λ Σ|x|
 *   l2            λ Σ x²
 *   positivity    λ Σ min(x,0)²
 *   positivity_l1 κ Σ min(x,0)² + λ Σ|x|
 */
import * as tf from '@tensorflow/tfjs';
import { DivblurConfigError } from './errors.ts';

export const PENALTIES = ['none', 'l1', 'l2', 'positivity', 'positivity_l1'] as const;
export type PenaltyName = (typeof PENALTIES)[number];

export interface Penalty {
  readonly name: PenaltyName;
  readonly lambda: number;
  /** Weight of the positivity part of positivity_l1; ignored otherwise. */
  readonly kappa: number;
}

export function checkPenalty(penalty: Penalty): Penalty {
  if (!PENALTIES.includes(penalty.name)) {
    throw new DivblurConfigError(`penalty must be one of ${PENALTIES.join('|')}, got ${penalty.name}`);
  }
  for (const key of ['lambda', 'kappa'] as const) {
    if (!Number.isFinite(penalty[key]) || penalty[key] < 0) {
      throw new DivblurConfigError(`penalty ${key} must be finite and ≥ 0, got ${penalty[key]}`);
    }
  }
  return penalty;
}

/** R(x − offset) per image: x [N,H,W,1] → [N]. */
export function penaltyPerImage(penalty: Penalty, output: tf.Tensor4D, offset = 0): tf.Tensor1D {
  // offset 0 adds no op, so the report's Gaussian path computes what it always did
  const x = offset === 0 ? output : tf.sub(output, offset);
  const sum = (t: tf.Tensor): tf.Tensor1D => tf.sum(t, [1, 2, 3]) as tf.Tensor1D;
  const negativeSquared = (): tf.Tensor1D => sum(tf.square(tf.minimum(x, 0)));
  switch (penalty.name) {
    case 'none':
      return tf.zeros([x.shape[0]]);
    case 'l1':
      return tf.mul(sum(tf.abs(x)), penalty.lambda);
    case 'l2':
      return tf.mul(sum(tf.square(x)), penalty.lambda);
    case 'positivity':
      return tf.mul(negativeSquared(), penalty.lambda);
    case 'positivity_l1':
      return tf.add(tf.mul(negativeSquared(), penalty.kappa), tf.mul(sum(tf.abs(x)), penalty.lambda));
  }
}
