/**
 * Richardson–Lucy deconvolution (Richardson 1972, JOSA 62(1):55; Lucy 1974, AJ 79:745), the
 * multiplicative update exactly as scikit-image 0.19 `richardson_lucy(image, psf, num_iter,
 * clip=False)`:
 *   x₀ = 0.5,   x_{k+1} = x_k · ( P̃ ∗ ( y / (P ∗ x_k + 1e−12) ) ),   P̃ = P flipped,
 * both convolutions 'same' with zero padding (scipy.signal.convolve(mode='same')).
 * RL assumes y ≥ 0. `negatives`: 'shift' adds c = −min(y) (when min(y) < 0) to y, runs, and
 * subtracts c from the estimate; 'clip' replaces y by max(y, 0).
 */
import type { Image } from './image.ts';
import { ParameterError } from './errors.ts';
import { createConvolver, flipKernel } from './convolve.ts';
import type { ConvolutionMethod } from './convolve.ts';
import { assertFinite } from './finite.ts';
import { noiseVariance, type NoiseModel } from './noise-model.ts';

export type NegativeHandling = 'shift' | 'clip';

/** skimage's guard against division by zero, added to P ∗ x. */
export const RICHARDSON_LUCY_EPSILON = 1e-12;

export interface RichardsonLucyOptions {
  iterations: number;
  negatives?: NegativeHandling;
  /** Convolution path; by default chosen by cost (separable for a Gaussian PSF). */
  method?: ConvolutionMethod;
  /** Constant start value (skimage: 0.5), in the shifted units when negatives = 'shift'. */
  initialValue?: number;
  /**
   * Called after iteration k (1-based) with the estimate in the data's units. The array is
   * reused: copy it to keep it. Return false to stop after this iteration.
   */
  onIteration?: (iteration: number, estimate: Image) => boolean | void;
  /** Stop before iteration k when residualSquared of x_{k−1} ≤ this (discrepancy principle); x_{k−1} is returned. */
  stopAtResidualSquared?: number;
  /**
   * Weigh each residual by 1/v of this model (noise-model.ts) at the fitted signal P ∗ x − o: residualSquared is
   * then χ² = Σ (P ∗ x − y)²/v. Absent: unweighted.
   */
  residualNoise?: NoiseModel;
}

export interface RichardsonLucyResult {
  estimate: Image;
  /** Iterations applied to the returned estimate. */
  iterations: number;
  /**
   * residualSquared[j] = ‖P ∗ x_j − y‖² over the interior pixels (at least the PSF radius from the
   * border, where zero-padded 'same' convolution is the true model), against the ORIGINAL y, for
   * x₀ … x_{iterations−1} (and x_iterations when stopped by residual).
   */
  residualSquared: number[];
  /** How many pixels residualSquared sums over. */
  residualPixels: number;
  /** The constant c added to y by 'shift' (0 otherwise). */
  offset: number;
}

export function richardsonLucy(image: Image, psf: Image, options: RichardsonLucyOptions): RichardsonLucyResult {
  const { iterations, negatives = 'shift', method, initialValue = 0.5, onIteration, stopAtResidualSquared, residualNoise } = options;
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new ParameterError('RL_ITERATIONS', `iterations must be an integer ≥ 1, got ${iterations}`);
  }
  if (negatives !== 'shift' && negatives !== 'clip') {
    throw new ParameterError('RL_NEGATIVES', `negatives must be 'shift' or 'clip', got ${String(negatives)}`);
  }
  if (!(initialValue > 0)) throw new ParameterError('RL_INITIAL', `initialValue must be > 0, got ${initialValue}`);
  assertFinite(image, 'the image to deconvolve');
  const { height, width } = image;
  const n = height * width;
  const observed = new Float32Array(n);
  let offset = 0;
  if (negatives === 'shift') {
    let min = Infinity;
    for (let i = 0; i < n; i++) if (image.data[i] < min) min = image.data[i];
    offset = min < 0 ? -min : 0;
    for (let i = 0; i < n; i++) observed[i] = image.data[i] + offset;
  } else {
    for (let i = 0; i < n; i++) observed[i] = image.data[i] > 0 ? image.data[i] : 0;
  }

  const forward = createConvolver(height, width, psf, 'same', method);
  const adjoint = createConvolver(height, width, flipKernel(psf), 'same', forward.method);
  const estimate = new Float32Array(n).fill(initialValue);
  const blurred = new Float32Array(n);
  const ratio = new Float32Array(n);
  const correction = new Float32Array(n);
  const view = offset === 0 ? estimate : new Float32Array(n);
  const residualSquared: number[] = [];
  const marginRows = Math.min((psf.height - 1) >> 1, (height - 1) >> 1);
  const marginCols = Math.min((psf.width - 1) >> 1, (width - 1) >> 1);
  const residualPixels = (height - 2 * marginRows) * (width - 2 * marginCols);
  let done = 0;

  for (let k = 1; k <= iterations; k++) {
    forward.apply(estimate, blurred);
    for (let i = 0; i < n; i++) ratio[i] = observed[i] / (blurred[i] + RICHARDSON_LUCY_EPSILON);
    let residual = 0;
    for (let r = marginRows; r < height - marginRows; r++) {
      for (let c = marginCols; c < width - marginCols; c++) {
        const fit = blurred[r * width + c] - offset;
        const diff = fit - image.data[r * width + c];
        residual += residualNoise === undefined ? diff * diff : (diff * diff) / noiseVariance(residualNoise, fit - residualNoise.offset);
      }
    }
    residualSquared.push(residual);
    if (stopAtResidualSquared !== undefined && k > 1 && residual <= stopAtResidualSquared) break;
    adjoint.apply(ratio, correction);
    for (let i = 0; i < n; i++) estimate[i] *= correction[i];
    done = k;
    if (onIteration) {
      if (offset !== 0) for (let i = 0; i < n; i++) view[i] = estimate[i] - offset;
      if (onIteration(k, { data: view, height, width }) === false) break;
    }
  }
  if (offset !== 0) for (let i = 0; i < n; i++) estimate[i] -= offset;
  return { estimate: { data: estimate, height, width }, iterations: done, residualSquared, residualPixels, offset };
}
