/**
 * The Poisson–Gaussian data term per image, beside loss.ts's Gaussian one (noise model: @divblur/imaging noise-model.ts).
 * y = α·Poisson(A s/α) + N(0, σ_r²) + o in ADU, s = x − o the signal above the offset (x is what the decoder outputs,
 * in the data's units with the offset kept). The read noise is taken as a shifted Poisson in electrons (Snyder, Hammoud
 * & White 1993, "Image recovery from data acquired with a charge-coupled-device camera", JOSA A 10(5)): with
 * c = σ_r²/α², y′ = (y − o)/α + c ~ Poisson(μ), μ = max(A s, 0)/α + c, which has the model's mean and variance
 * (α² μ = α·A s + σ_r² = v). The term is half the Poisson deviance, −log p(y′ | μ) less what depends on y alone:
 *   D = Σ μ − y′ + y′ log(y′/μ)   (+ (A s)²/(2σ_r²) where A s < 0)
 * ≥ 0, 0 at A s = y − o, ≈ (y − o − A s)²/(2v) for large counts, so that like the Gaussian term it reads ≈ ½ a pixel
 * at the noise level. Its score in A s is −(y − o − A s)/v: the 1/v weighting of the heteroscedastic Gaussian
 * (Foi et al. 2008, eq. 4) without that form's ½ log v and ∂v/∂x terms, which add gradient noise and pull the fit
 * where it misses (bench/results/camera-levels.md, 600 steps: 26.06 dB with the heteroscedastic Gaussian, 26.75 dB
 * with this). y′ < 0 (read noise below the offset) counts as 0. Where A s < 0 (a linear output can go below the offset)
 * μ stays at c and the quadratic term, the read noise's own Gaussian, pulls A s back. 'valid' mode like the Gaussian
 * term (loss.ts). The gradient, by tfjs's autodiff, is tested against finite differences
 * (poisson-gaussian-likelihood.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { PoissonGaussianNoise } from './imaging.ts';
import { blurValid, cropToValid } from './loss.ts';

/** Σ over the valid pixels of μ − y′ + y′ log(y′/μ) (+ (A s)²/(2σ_r²) where A s < 0) per image → [N]. */
export function poissonGaussianDataTermPerImage(x: tf.Tensor4D, y: tf.Tensor4D, psf: tf.Tensor4D | null, noise: PoissonGaussianNoise): tf.Tensor1D {
  const readVariance = noise.readNoise * noise.readNoise;
  const shift = readVariance / (noise.gain * noise.gain);
  const fitted = blurValid(tf.sub(x, noise.offset), psf);
  const mu = tf.add(tf.div(tf.relu(fitted), noise.gain), shift);
  const counts = tf.relu(tf.add(tf.div(tf.sub(cropToValid(y, psf), noise.offset), noise.gain), shift));
  // y′ log(y′/μ), the ratio first (it is near 1: no cancellation in float32), and 0 log 0 = 0: the floor only acts
  // where y′ = 0, and there the product is 0
  const deviance = tf.add(tf.sub(mu, counts), tf.mul(counts, tf.log(tf.div(tf.maximum(counts, 1e-30), mu))));
  const below = tf.div(tf.square(tf.relu(tf.neg(fitted))), 2 * readVariance);
  return tf.sum(tf.add(deviance, below), [1, 2, 3]) as tf.Tensor1D;
}
