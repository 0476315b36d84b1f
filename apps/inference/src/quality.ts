/**
 * Quality figures of one MMSE estimate x̂ (mean of S posterior samples, per-pixel sample std s):
 * - with ground truth: psnr_mmse = PSNR(GT, x̂); ssim(GT, x̂); psnr_samples = (1/S) Σ_s PSNR(GT, x_s), the
 *   mean of the per-sample PSNRs (the report's table definition), from each sample's MSE against GT
 *   (`mmse(…, { groundTruth })` accumulates them while decoding), with psnr()'s peak max(GT).
 * - always (GT-free): the data-fit discrepancy ‖A x̂ − y‖² / (N σ²) over the N pixels where the
 *   PSF fits inside the image ('valid' mode, no boundary guess; ≈ 1 when x̂ explains y to the noise
 *   level), and the mean posterior std.
 */
import { convolve, psnr, psnrFromMse, ssim, type Image } from '@divblur/imaging';

export interface QualityInput {
  readonly noisy: Image;
  readonly mmse: Image;
  readonly std: Float32Array;
  /** With groundTruth: each sample's MSE against it (`MmseResult.sampleMse`). */
  readonly sampleMse?: ArrayLike<number>;
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
  const { noisy, mmse, std, sampleMse, psf, noiseSigma, groundTruth } = input;
  const discrepancy = dataFitDiscrepancy(noisy, mmse, psf, noiseSigma);
  const meanStd = meanOf(std);
  if (groundTruth === undefined) return { psnrMmse: null, psnrSamples: null, ssim: null, discrepancy, meanStd };
  if (sampleMse === undefined || sampleMse.length === 0) throw new Error('quality: psnr_samples needs each sample\'s MSE against the ground truth');
  const psnrMmse = psnr(groundTruth, mmse);
  // PSNR with the same peak as psnr(): 20 log10(max GT / √MSE).
  let peak = -Infinity;
  for (const value of groundTruth.data) if (value > peak) peak = value;
  let sum = 0;
  for (let s = 0; s < sampleMse.length; s++) sum += psnrFromMse(peak, sampleMse[s]);
  return { psnrMmse, psnrSamples: sum / sampleMse.length, ssim: ssim(groundTruth, mmse), discrepancy, meanStd };
}
