/**
 * Quality figures of one MMSE estimate x̂ (mean of S posterior samples, per-pixel sample std s):
 * - with ground truth: psnr_mmse = PSNR(GT, x̂ − o); ssim(GT, x̂ − o); psnr_samples = (1/S) Σ_s PSNR(GT, x_s − o), the
 *   mean of the per-sample PSNRs (the report's table definition), from each sample's MSE against GT + o
 *   (`mmse(…, { groundTruth })` accumulates them while decoding), with psnr()'s peak max(GT). o is the noise model's
 *   offset (0 for the report's Gaussian model): a camera dataset's ground truth is the signal above it.
 * - always (GT-free): the data-fit discrepancy of libs/imaging (`dataFitDiscrepancy`: ‖A x̂ − y‖² / (N σ²), or
 *   χ²/N with each residual weighted by its Poisson–Gaussian variance v; 'valid' mode; ≈ 1 when x̂ explains y to the
 *   noise level), and the mean posterior std.
 */
import { dataFitDiscrepancy, psnr, psnrFromMse, ssim, type Image, type NoiseModel } from '@divblur/imaging';

export { dataFitDiscrepancy };

export interface QualityInput {
  readonly noisy: Image;
  /** In the data's units (offset kept). */
  readonly mmse: Image;
  readonly std: Float32Array;
  /** With groundTruth: each sample's MSE against GT + o (`MmseResult.sampleMse`). */
  readonly sampleMse?: ArrayLike<number>;
  /** Null: A = identity (DivNoising). */
  readonly psf: Image | null;
  /** The report's σ, or the model's noise model (its offset is the data's zero). */
  readonly noise: number | NoiseModel;
  /** The signal above the offset. */
  readonly groundTruth?: Image;
}

export interface Quality {
  readonly psnrMmse: number | null;
  readonly psnrSamples: number | null;
  readonly ssim: number | null;
  readonly discrepancy: number;
  readonly meanStd: number;
}

export function meanOf(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}

export function quality(input: QualityInput): Quality {
  const { noisy, mmse, std, sampleMse, psf, noise, groundTruth } = input;
  const discrepancy = dataFitDiscrepancy(noisy, mmse, psf, noise);
  const meanStd = meanOf(std);
  if (groundTruth === undefined) return { psnrMmse: null, psnrSamples: null, ssim: null, discrepancy, meanStd };
  if (sampleMse === undefined || sampleMse.length === 0) throw new Error('quality: psnr_samples needs each sample\'s MSE against the ground truth');
  const offset = typeof noise === 'number' ? 0 : noise.offset;
  const signal = offset === 0 ? mmse : { ...mmse, data: mmse.data.map((v) => v - offset) };
  const psnrMmse = psnr(groundTruth, signal);
  // PSNR with the same peak as psnr(): 20 log10(max GT / √MSE).
  let peak = -Infinity;
  for (const value of groundTruth.data) if (value > peak) peak = value;
  let sum = 0;
  for (let s = 0; s < sampleMse.length; s++) sum += psnrFromMse(peak, sampleMse[s]);
  return { psnrMmse, psnrSamples: sum / sampleMse.length, ssim: ssim(groundTruth, signal), discrepancy, meanStd };
}
