/**
 * Quality figures of one MMSE estimate x̂ (mean of S posterior samples, per-pixel sample std s):
 * - with ground truth: psnr_mmse = PSNR(GT, x̂); ssim(GT, x̂); psnr_samples from the sample-averaged
 *   MSE, (1/S) Σ_s MSE(GT, x_s) = MSE(GT, x̂) + mean_pixels(s²·(S−1)/S) (the exact bias–variance split).
 *   Note: the report averages per-sample PSNRs instead; by Jensen this figure is ≤ that one.
 * - always (GT-free): the data-fit discrepancy ‖A x̂ − y‖² / (N σ²) over the N pixels where the
 *   PSF fits inside the image ('valid' mode, no boundary guess; ≈ 1 when x̂ explains y to the noise
 *   level), and the mean posterior std.
 */
import { convolve, psnr, ssim, type Image } from '@divblur/imaging';

export interface QualityInput {
  readonly noisy: Image;
  readonly mmse: Image;
  readonly std: Float32Array;
  readonly samples: number;
  /** Null: A = identity (DivNoising). */
  readonly psf: Image | null;
  readonly noiseSigma: number;
  readonly groundTruth?: Image;
}

export interface Quality {
  readonly psnrMmse: number | null;
  readonly psnrSamples: number | null;
  readonly ssim: number | null;
  readonly discrepancy: number;
  readonly meanStd: number;
}

export function dataFitDiscrepancy(noisy: Image, estimate: Image, psf: Image | null, noiseSigma: number): number {
  const blurred = psf === null ? estimate : convolve(estimate, psf, 'valid');
  const top = (noisy.height - blurred.height) / 2;
  const left = (noisy.width - blurred.width) / 2;
  let sum = 0;
  for (let r = 0; r < blurred.height; r++) {
    for (let c = 0; c < blurred.width; c++) {
      const residual = blurred.data[r * blurred.width + c] - noisy.data[(r + top) * noisy.width + c + left];
      sum += residual * residual;
    }
  }
  return sum / (blurred.data.length * noiseSigma * noiseSigma);
}

export function meanOf(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}

export function quality(input: QualityInput): Quality {
  const { noisy, mmse, std, samples, psf, noiseSigma, groundTruth } = input;
  const discrepancy = dataFitDiscrepancy(noisy, mmse, psf, noiseSigma);
  const meanStd = meanOf(std);
  if (groundTruth === undefined) return { psnrMmse: null, psnrSamples: null, ssim: null, discrepancy, meanStd };
  const psnrMmse = psnr(groundTruth, mmse);
  const mseMmse = (groundTruth.data.length === 0 ? 0 : meanSquared(groundTruth.data, mmse.data));
  let variance = 0;
  for (let i = 0; i < std.length; i++) variance += std[i] * std[i];
  variance = (variance / std.length) * ((samples - 1) / samples);
  // PSNR with the same peak as psnr(): 20 log10(max GT / √MSE).
  const peakDb = psnrMmse + 10 * Math.log10(mseMmse);
  const psnrSamples = peakDb - 10 * Math.log10(mseMmse + variance);
  return { psnrMmse, psnrSamples, ssim: ssim(groundTruth, mmse), discrepancy, meanStd };
}

function meanSquared(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  return sum / a.length;
}
