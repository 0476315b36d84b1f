/**
 * Choosing the regularisation without ground truth — Morozov's discrepancy principle: take the
 * least regularised estimate whose residual is as large as the noise, ‖A x̂ − y‖² ≈ N σ²
 * (N pixels, σ the noise std; for RL the first iterate below it, for Wiener the balance where it
 * is met) — and, for benchmarks, oracle choices that maximise PSNR against a known GT.
 */
import type { Image } from './image.ts';
import { ParameterError } from './errors.ts';
import { richardsonLucy } from './richardson-lucy.ts';
import type { NegativeHandling } from './richardson-lucy.ts';
import { wienerSolver } from './wiener.ts';
import { psnr } from './psnr.ts';

function checkSigma(noiseSigma: number): void {
  if (!Number.isFinite(noiseSigma) || noiseSigma <= 0) {
    throw new ParameterError('NOISE_SIGMA', `noiseSigma must be a finite number > 0 (estimate it with estimateNoiseSigma), got ${noiseSigma}`);
  }
}

export interface DiscrepancyRichardsonLucy {
  estimate: Image;
  iterations: number;
  /** False when maxIterations ran out before the residual reached N σ². */
  reached: boolean;
  targetResidualSquared: number;
}

export function richardsonLucyByDiscrepancy(
  image: Image, psf: Image, options: { noiseSigma: number; maxIterations?: number; negatives?: NegativeHandling },
): DiscrepancyRichardsonLucy {
  const { noiseSigma, maxIterations = 500, negatives } = options;
  checkSigma(noiseSigma);
  const marginRows = Math.min((psf.height - 1) >> 1, (image.height - 1) >> 1);
  const marginCols = Math.min((psf.width - 1) >> 1, (image.width - 1) >> 1);
  const target = (image.height - 2 * marginRows) * (image.width - 2 * marginCols) * noiseSigma * noiseSigma;
  const result = richardsonLucy(image, psf, { iterations: maxIterations, negatives, stopAtResidualSquared: target });
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
  image: Image, psf: Image, options: { noiseSigma: number; minBalance?: number; maxBalance?: number },
): DiscrepancyWiener {
  const { noiseSigma, minBalance = 1e-8, maxBalance = 1e4 } = options;
  checkSigma(noiseSigma);
  if (!(minBalance > 0) || !(maxBalance > minBalance)) {
    throw new ParameterError('WIENER_BALANCE', `need 0 < minBalance < maxBalance, got ${minBalance}, ${maxBalance}`);
  }
  const solver = wienerSolver(image, psf);
  const target = image.height * image.width * noiseSigma * noiseSigma;
  let low = Math.log10(minBalance);
  let high = Math.log10(maxBalance);
  if (solver.residualSquared(10 ** low) >= target) return { estimate: solver.estimate(10 ** low), balance: 10 ** low, reached: false, targetResidualSquared: target };
  if (solver.residualSquared(10 ** high) <= target) return { estimate: solver.estimate(10 ** high), balance: 10 ** high, reached: false, targetResidualSquared: target };
  for (let step = 0; step < 50 && high - low > 1e-4; step++) {
    const middle = (low + high) / 2;
    if (solver.residualSquared(10 ** middle) < target) low = middle;
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
