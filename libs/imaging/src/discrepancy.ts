/**
 * Choosing the regularisation without ground truth — Morozov's discrepancy principle: take the
 * least regularised estimate whose residual is as large as the noise, ‖A x̂ − y‖² ≈ N σ²
 * (N pixels, σ the noise std; for RL the first iterate below it, for Wiener the balance where it
 * is met) — and, for benchmarks, oracle choices that maximise PSNR against a known GT.
 * With a Poisson–Gaussian noise model (noise-model.ts) each residual is weighted by its own variance:
 * χ² = Σ (A x̂ − y)²/v ≈ N, v = α·max(A x̂ − o, 0) + σ_r² (the estimate's fitted signal).
 */
import type { Image } from './image.ts';
import { ParameterError } from './errors.ts';
import { richardsonLucy } from './richardson-lucy.ts';
import type { NegativeHandling } from './richardson-lucy.ts';
import { wienerSolver } from './wiener.ts';
import { psnr } from './psnr.ts';
import { convolve } from './convolve.ts';
import { checkNoiseModel, noiseVariance, type NoiseModel } from './noise-model.ts';

function checkSigma(noiseSigma: number): void {
  if (!Number.isFinite(noiseSigma) || noiseSigma <= 0) {
    throw new ParameterError('NOISE_SIGMA', `noiseSigma must be a finite number > 0 (estimate it with estimateNoiseSigma), got ${noiseSigma}`);
  }
}

/** The noise the residual is measured against: a Gaussian σ, or a noise model (in the units of the image given). */
export interface DiscrepancyNoise {
  noiseSigma?: number;
  noiseModel?: NoiseModel;
}

/** The Poisson–Gaussian model when the options give one (the residual is then weighted), else the Gaussian σ. */
function weightingOf(options: DiscrepancyNoise): { sigma: number; weighted: NoiseModel | null } {
  const model = options.noiseModel === undefined ? null : checkNoiseModel(options.noiseModel);
  if (model?.kind === 'poisson_gaussian') return { sigma: Number.NaN, weighted: model };
  const sigma = model?.kind === 'gaussian' ? model.sigma : (options.noiseSigma as number);
  checkSigma(sigma);
  return { sigma, weighted: null };
}

/**
 * The data fit of an estimate, GT-free: ‖A x̂ − y‖² / (N σ²), or χ²/N = Σ (A x̂ − y)²/(N v) with a Poisson–Gaussian
 * model, over the N pixels where the PSF fits inside the image ('valid' mode, no boundary guess); ≈ 1 when x̂
 * explains y to the noise level. `psf` null: A = identity.
 */
export function dataFitDiscrepancy(noisy: Image, estimate: Image, psf: Image | null, noise: number | NoiseModel): number {
  const blurred = psf === null ? estimate : convolve(estimate, psf, 'valid');
  const top = (noisy.height - blurred.height) / 2;
  const left = (noisy.width - blurred.width) / 2;
  const model = typeof noise === 'number' ? null : checkNoiseModel(noise);
  const sigma = model === null ? (noise as number) : model.kind === 'gaussian' ? model.sigma : Number.NaN;
  let sum = 0;
  for (let r = 0; r < blurred.height; r++) {
    for (let c = 0; c < blurred.width; c++) {
      const fit = blurred.data[r * blurred.width + c];
      const residual = fit - noisy.data[(r + top) * noisy.width + c + left];
      sum += model?.kind === 'poisson_gaussian' ? (residual * residual) / noiseVariance(model, fit - model.offset) : residual * residual;
    }
  }
  return model?.kind === 'poisson_gaussian' ? sum / blurred.data.length : sum / (blurred.data.length * sigma * sigma);
}

export interface DiscrepancyRichardsonLucy {
  estimate: Image;
  iterations: number;
  /** False when maxIterations ran out before the residual reached N σ² (χ² reached N). */
  reached: boolean;
  /** N σ², or N for the χ² of a Poisson–Gaussian model. */
  targetResidualSquared: number;
}

export function richardsonLucyByDiscrepancy(
  image: Image, psf: Image, options: DiscrepancyNoise & { maxIterations?: number; negatives?: NegativeHandling },
): DiscrepancyRichardsonLucy {
  const { maxIterations = 500, negatives } = options;
  const { sigma, weighted } = weightingOf(options);
  const marginRows = Math.min((psf.height - 1) >> 1, (image.height - 1) >> 1);
  const marginCols = Math.min((psf.width - 1) >> 1, (image.width - 1) >> 1);
  const pixels = (image.height - 2 * marginRows) * (image.width - 2 * marginCols);
  const target = weighted === null ? pixels * sigma * sigma : pixels;
  const result = richardsonLucy(image, psf, {
    iterations: maxIterations, negatives, stopAtResidualSquared: target, ...(weighted === null ? {} : { residualNoise: weighted }),
  });
  const reached = result.residualSquared.length > result.iterations;
  return { estimate: result.estimate, iterations: result.iterations, reached, targetResidualSquared: target };
}

export interface DiscrepancyWiener {
  estimate: Image;
  balance: number;
  reached: boolean;
  targetResidualSquared: number;
}

/** Bisection on log10(balance) in [minBalance, maxBalance]; the residual grows with the balance. */
export function wienerByDiscrepancy(
  image: Image, psf: Image, options: DiscrepancyNoise & { minBalance?: number; maxBalance?: number },
): DiscrepancyWiener {
  const { minBalance = 1e-8, maxBalance = 1e4 } = options;
  const { sigma, weighted } = weightingOf(options);
  if (!(minBalance > 0) || !(maxBalance > minBalance)) {
    throw new ParameterError('WIENER_BALANCE', `need 0 < minBalance < maxBalance, got ${minBalance}, ${maxBalance}`);
  }
  const solver = wienerSolver(image, psf);
  const n = image.height * image.width;
  const target = weighted === null ? n * sigma * sigma : n;
  // χ² of the circular model's fit, each pixel weighted by its variance at the fitted signal
  const chiSquared = (balance: number): number => {
    const fitted = solver.fitted(balance).data;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += (fitted[i] - image.data[i]) ** 2 / noiseVariance(weighted!, fitted[i] - weighted!.offset);
    return sum;
  };
  const residual = weighted === null ? (balance: number) => solver.residualSquared(balance) : chiSquared;
  let low = Math.log10(minBalance);
  let high = Math.log10(maxBalance);
  if (residual(10 ** low) >= target) return { estimate: solver.estimate(10 ** low), balance: 10 ** low, reached: false, targetResidualSquared: target };
  if (residual(10 ** high) <= target) return { estimate: solver.estimate(10 ** high), balance: 10 ** high, reached: false, targetResidualSquared: target };
  for (let step = 0; step < 50 && high - low > 1e-4; step++) {
    const middle = (low + high) / 2;
    if (residual(10 ** middle) < target) low = middle;
    else high = middle;
  }
  const balance = 10 ** ((low + high) / 2);
  return { estimate: solver.estimate(balance), balance, reached: true, targetResidualSquared: target };
}

/** Oracle: the RL iteration with the best PSNR against GT (for benchmarks, never for serving). */
export function bestRichardsonLucyOnGroundTruth(
  image: Image, psf: Image, groundTruth: Image, options: { maxIterations: number; negatives?: NegativeHandling },
): { estimate: Image; iterations: number; psnr: number; psnrByIteration: number[] } {
  const psnrByIteration: number[] = [];
  let best = { iterations: 0, psnr: -Infinity, data: new Float32Array(0) };
  richardsonLucy(image, psf, {
    iterations: options.maxIterations,
    negatives: options.negatives,
    onIteration: (k, estimate) => {
      const score = psnr(groundTruth, estimate);
      psnrByIteration.push(score);
      if (score > best.psnr) best = { iterations: k, psnr: score, data: Float32Array.from(estimate.data) };
    },
  });
  return { estimate: { data: best.data, height: image.height, width: image.width }, iterations: best.iterations, psnr: best.psnr, psnrByIteration };
}

/** Oracle: the Wiener balance with the best PSNR against GT over a log grid (default 1e−5 … 10, 61 values). */
export function bestWienerOnGroundTruth(
  image: Image, psf: Image, groundTruth: Image, balances: readonly number[] = Array.from({ length: 61 }, (_, i) => 10 ** (-5 + i * 0.1)),
): { estimate: Image; balance: number; psnr: number } {
  const solver = wienerSolver(image, psf);
  let best = { estimate: solver.estimate(balances[0]), balance: balances[0], psnr: -Infinity };
  for (const balance of balances) {
    const estimate = solver.estimate(balance);
    const score = psnr(groundTruth, estimate);
    if (score > best.psnr) best = { estimate, balance, psnr: score };
  }
  return best;
}
