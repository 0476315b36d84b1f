/**
 * The DivBlurring objective per image, eq. (3.3) of the report plus a penalty:
 *   L = ‖A g(z) − y‖² / (2σ²)  +  β·KL(q(z|y) ‖ N(0,I))  +  λ R(g(z) − o)
 * A = convolution by the PSF in 'valid' mode: the residual exists only where the PSF's support
 * lies inside the patch, so no boundary condition is assumed. A = identity (psf null) is DivNoising.
 * With a Poisson–Gaussian noise model the data term is poisson-gaussian-likelihood.ts's −log p(y | x); the
 * penalty acts on the signal above the noise model's offset o (0 for the report's Gaussian model).
 * KL in closed form, eq. (1.8): KL = −½ Σ (1 + log σ_z² − μ² − σ_z²), summed over latent entries.
 * Free bits (Kingma et al. 2016): the optimised KL is h·w·Σ_c max(KL_c, floor), KL_c the batch-mean KL
 * of channel c per latent pixel; with floor 0 it equals the batch-mean KL.
 */
import * as tf from '@tensorflow/tfjs';
import type { Image } from './imaging.ts';
import { DivblurConfigError } from './errors.ts';
import type { NoiseModel } from './imaging.ts';
import { penaltyPerImage, type Penalty } from './penalties.ts';
import { poissonGaussianDataTermPerImage } from './poisson-gaussian-likelihood.ts';

/** The PSF as a tfjs filter [kh,kw,1,1], rotated by 180° so that tf.conv2d (a correlation) convolves. */
export function psfFilter(psf: Image): tf.Tensor4D {
  if (psf.height % 2 !== 1 || psf.width % 2 !== 1) {
    throw new DivblurConfigError(`PSF must have odd sides, got ${psf.height}×${psf.width}`);
  }
  const rotated = Float32Array.from(psf.data).reverse(); // rot180 of a row-major image = reversed order
  return tf.tensor4d(rotated, [psf.height, psf.width, 1, 1]);
}

/** A x in 'valid' mode: [N,H,W,1] → [N,H−kh+1,W−kw+1,1]; identity when psf is null. */
export function blurValid(x: tf.Tensor4D, psf: tf.Tensor4D | null): tf.Tensor4D {
  return psf === null ? x : tf.conv2d(x, psf, 1, 'valid');
}

/** y cropped to the pixels where A x is defined in 'valid' mode. */
export function cropToValid(y: tf.Tensor4D, psf: tf.Tensor4D | null): tf.Tensor4D {
  if (psf === null) return y;
  const [kh, kw] = psf.shape;
  const [n, h, w] = y.shape;
  return tf.slice(y, [0, (kh - 1) / 2, (kw - 1) / 2, 0], [n, h - kh + 1, w - kw + 1, 1]);
}

/** ‖A x − y‖² / (2σ²) per image → [N]. */
export function dataTermPerImage(x: tf.Tensor4D, y: tf.Tensor4D, psf: tf.Tensor4D | null, noiseSigma: number): tf.Tensor1D {
  const residual = tf.sub(blurValid(x, psf), cropToValid(y, psf));
  return tf.div(tf.sum(tf.square(residual), [1, 2, 3]), 2 * noiseSigma * noiseSigma) as tf.Tensor1D;
}

/** Closed-form KL(N(μ, σ_z²) ‖ N(0,1)) per latent entry, eq. (1.8): same shape as μ. */
export function klMap(mu: tf.Tensor4D, logvar: tf.Tensor4D): tf.Tensor4D {
  return tf.mul(tf.sub(tf.add(tf.square(mu), tf.exp(logvar)), tf.add(logvar, 1)), 0.5);
}

export interface LossInputs {
  readonly y: tf.Tensor4D;
  readonly x: tf.Tensor4D;
  readonly mu: tf.Tensor4D;
  readonly logvar: tf.Tensor4D;
  readonly psf: tf.Tensor4D | null;
  /** gaussian: the report's ‖A x − y‖²/(2σ²); poisson_gaussian: poisson-gaussian-likelihood.ts. */
  readonly noiseModel: NoiseModel;
  readonly beta: number;
  readonly freeBitsNats: number;
  readonly penalty: Penalty;
  /**
   * Data-parallel training (data-parallel.ts): this call sees one shard of a batch of `batchSize` images, and
   * `sumAcrossShards` adds a vector over every shard (the same sum, in the same order, on each). The terms are then
   * this shard's part of the batch means (the shards' objectives add up to the whole batch's), and free bits uses the
   * whole batch's per-channel KL, so that the shards' gradients add up to the single-process gradient.
   */
  readonly shards?: { readonly batchSize: number; readonly count: number; readonly sumAcrossShards: (values: Float32Array) => Float32Array };
}

/** Batch means of the per-image sums; `objective` is what the optimiser minimises. */
export interface LossTerms {
  readonly objective: tf.Scalar;
  readonly data: tf.Scalar;
  readonly kl: tf.Scalar;
  readonly penalty: tf.Scalar;
}

export function divblurLoss(inputs: LossInputs): LossTerms {
  const { y, x, mu, logvar, psf, noiseModel, beta, freeBitsNats, penalty } = inputs;
  if (noiseModel.kind === 'gaussian' && !(noiseModel.sigma > 0)) throw new DivblurConfigError(`noiseSigma must be > 0, got ${noiseModel.sigma}`);
  const [, latentHeight, latentWidth] = mu.shape;
  const perImage = noiseModel.kind === 'gaussian'
    ? dataTermPerImage(x, y, psf, noiseModel.sigma)
    : poissonGaussianDataTermPerImage(x, y, psf, noiseModel);
  const shards = inputs.shards;
  const batchSize = shards?.batchSize ?? mu.shape[0];
  const batchMean = (perImageValues: tf.Tensor): tf.Scalar => (shards ? tf.div(tf.sum(perImageValues), batchSize) : tf.mean(perImageValues)) as tf.Scalar;
  const data = batchMean(perImage);
  const kls = klMap(mu, logvar);
  const kl = tf.div(tf.sum(kls), batchSize) as tf.Scalar;
  let klOptimised: tf.Scalar = kl;
  if (freeBitsNats > 0 && shards) {
    // h·w·Σ_c max(KL_c, floor) with KL_c the whole batch's mean: its gradient is h·w·[KL_c ≥ floor]·∂KL_c (tfjs's
    // maximum passes the gradient where a ≥ b), of which this shard holds the part of its own images.
    const perLatentEntry = batchSize * latentHeight * latentWidth;
    const local = tf.sum(kls, [0, 1, 2]);
    const whole = shards.sumAcrossShards(local.dataSync() as Float32Array).map((sum) => sum / perLatentEntry);
    const active = tf.tensor1d(whole.map((mean) => (mean >= freeBitsNats ? 1 : 0)));
    const floors = whole.reduce((total, mean) => total + (mean >= freeBitsNats ? 0 : freeBitsNats), 0);
    klOptimised = tf.add(tf.div(tf.sum(tf.mul(local, active)), batchSize), (latentHeight * latentWidth * floors) / shards.count) as tf.Scalar;
  } else if (freeBitsNats > 0) {
    klOptimised = tf.mul(tf.sum(tf.maximum(tf.mean(kls, [0, 1, 2]), freeBitsNats)), latentHeight * latentWidth) as tf.Scalar;
  }
  const penaltyMean = batchMean(penaltyPerImage(penalty, x, noiseModel.offset));
  const objective = tf.add(tf.add(data, tf.mul(klOptimised, beta)), penaltyMean) as tf.Scalar;
  return { objective, data, kl, penalty: penaltyMean };
}
