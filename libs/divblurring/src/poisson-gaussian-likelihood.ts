/**
 * The Poisson–Gaussian data term per image, beside loss.ts's Gaussian one (noise model: @divblur/imaging noise-model.ts):
 *   −log p(y | x) = Σ (y − o − A s)² / (2v) + ½ log v,   v = α·max(A s, 0) + σ_r²,   s = x − o
 * the heteroscedastic Gaussian approximation of y = α·Poisson(A s/α) + N(0, σ_r²) + o (Foi et al. 2008, eq. 4),
 * up to the constant ½ log 2π per pixel. x is in the data's units with the offset o kept (what the decoder
 * outputs); s = x − o is the signal above it. v depends on x, so ½ log v stays in the objective: without it the
 * fit would buy a small (y − A x)²/v by inflating v. 'valid' mode like the Gaussian term (loss.ts). The gradient,
 * by tfjs's autodiff, is tested against finite differences (poisson-gaussian-likelihood.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { PoissonGaussianNoise } from './imaging.ts';
import { blurValid, cropToValid } from './loss.ts';

/** Σ over the valid pixels of (y − o − A s)²/(2v) + ½ log v per image → [N]. */
export function poissonGaussianDataTermPerImage(x: tf.Tensor4D, y: tf.Tensor4D, psf: tf.Tensor4D | null, noise: PoissonGaussianNoise): tf.Tensor1D {
  const fitted = blurValid(tf.sub(x, noise.offset), psf);
  const residual = tf.sub(tf.sub(cropToValid(y, psf), noise.offset), fitted);
  const variance = tf.add(tf.mul(tf.relu(fitted), noise.gain), noise.readNoise * noise.readNoise);
  const perPixel = tf.add(tf.div(tf.square(residual), tf.mul(variance, 2)), tf.mul(tf.log(variance), 0.5));
  return tf.sum(perPixel, [1, 2, 3]) as tf.Tensor1D;
}
