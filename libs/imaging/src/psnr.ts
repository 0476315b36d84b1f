/**
 * PSNR as the report defines it: 20·log10(max(GT) / √MSE(GT, x̂)), per image (the peak is the
 * ground truth's own maximum, not a fixed data range), and its mean over a stack.
 */
import type { Image, Stack } from './image.ts';
import { stackImage } from './image.ts';
import { ImageValueError } from './errors.ts';

export function checkSameShape(a: { height: number; width: number; data: Float32Array }, b: { height: number; width: number; data: Float32Array }, what: string): void {
  if (a.height !== b.height || a.width !== b.width || a.data.length !== b.data.length) {
    throw new ImageValueError('SHAPE_MISMATCH', `${what}: ground truth is ${a.height}×${a.width} (${a.data.length} values) but the estimate is ${b.height}×${b.width} (${b.data.length} values); they must match`);
  }
}

export function meanSquaredError(groundTruth: Image, estimate: Image): number {
  checkSameShape(groundTruth, estimate, 'meanSquaredError');
  let sum = 0;
  for (let i = 0; i < groundTruth.data.length; i++) {
    const diff = groundTruth.data[i] - estimate.data[i];
    sum += diff * diff;
  }
  return sum / groundTruth.data.length;
}

/** +Infinity when the estimate equals the ground truth. */
export function psnr(groundTruth: Image, estimate: Image): number {
  checkSameShape(groundTruth, estimate, 'psnr');
  let peak = -Infinity;
  for (let i = 0; i < groundTruth.data.length; i++) {
    const value = groundTruth.data[i];
    if (!Number.isFinite(value) || !Number.isFinite(estimate.data[i])) {
      throw new ImageValueError('NOT_FINITE', `psnr: pixel ${i} is not finite (ground truth ${value}, estimate ${estimate.data[i]})`);
    }
    if (value > peak) peak = value;
  }
  return psnrFromMse(peak, meanSquaredError(groundTruth, estimate));
}

/** 20·log10(peak / √mse), the peak being max(GT) > 0: for errors accumulated elsewhere (e.g. per posterior sample). */
export function psnrFromMse(peak: number, mse: number): number {
  if (!(peak > 0)) throw new ImageValueError('PSNR_PEAK', `psnr needs max(ground truth) > 0, got ${peak}`);
  return 20 * Math.log10(peak / Math.sqrt(mse));
}

/** PSNR of each image of the stacks, in order. */
export function psnrPerImage(groundTruth: Stack, estimate: Stack): number[] {
  checkSameShape(groundTruth, estimate, 'psnrPerImage');
  if (groundTruth.count !== estimate.count) throw new ImageValueError('SHAPE_MISMATCH', `psnrPerImage: ${groundTruth.count} ground-truth images but ${estimate.count} estimates`);
  return Array.from({ length: groundTruth.count }, (_, i) => psnr(stackImage(groundTruth, i), stackImage(estimate, i)));
}

/** Mean of the per-image PSNRs (the report's table definition), not the PSNR of the pooled MSE. */
export function meanPsnr(groundTruth: Stack, estimate: Stack): number {
  const values = psnrPerImage(groundTruth, estimate);
  return values.reduce((a, b) => a + b, 0) / values.length;
}
