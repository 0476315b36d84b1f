/**
 * SSIM, Wang, Bovik, Sheikh & Simoncelli, "Image quality assessment: from error visibility to
 * structural similarity", IEEE TIP 13(4), 2004, eq. 13:
 *   S = (2 μx μy + C1)(2 σxy + C2) / ((μx² + μy² + C1)(σx² + σy² + C2)),  C1 = (K1 L)², C2 = (K2 L)²
 * with Gaussian-weighted local statistics (σ = 1.5, radius int(3.5σ + 0.5) = 5 → window 11,
 * population covariance), K1 = 0.01, K2 = 0.03, L = max(GT) − min(GT), averaged over the pixels
 * whose window lies inside the image. Matches scikit-image 0.19
 * `structural_similarity(gt, x, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
 * data_range=gt.max()-gt.min())` (fixture test to 1e-4).
 */
import type { Image, Stack } from './image.ts';
import { stackImage } from './image.ts';
import { ImageValueError } from './errors.ts';
import { checkSameShape } from './psnr.ts';

const SIGMA = 1.5;
const RADIUS = Math.floor(3.5 * SIGMA + 0.5);
const K1 = 0.01;
const K2 = 0.03;

function gaussianWeights(): Float64Array {
  const weights = new Float64Array(2 * RADIUS + 1);
  let sum = 0;
  for (let i = -RADIUS; i <= RADIUS; i++) {
    weights[i + RADIUS] = Math.exp((-0.5 * i * i) / (SIGMA * SIGMA));
    sum += weights[i + RADIUS];
  }
  for (let i = 0; i < weights.length; i++) weights[i] /= sum;
  return weights;
}

/** scipy.ndimage 'reflect' (half-sample symmetric): … b a | a b c … */
function reflectIndex(index: number, size: number): number {
  const period = 2 * size;
  let i = ((index % period) + period) % period;
  if (i >= size) i = period - 1 - i;
  return i;
}

/** Separable Gaussian filter (rows then columns) with reflect boundaries, in float64. */
function gaussianFilter(source: Float64Array, height: number, width: number, weights: Float64Array): Float64Array {
  const rows = new Float64Array(height * width);
  const out = new Float64Array(height * width);
  for (let i = 0; i < height; i++) {
    for (let j = 0; j < width; j++) {
      let sum = 0;
      for (let t = -RADIUS; t <= RADIUS; t++) sum += weights[t + RADIUS] * source[i * width + reflectIndex(j + t, width)];
      rows[i * width + j] = sum;
    }
  }
  for (let i = 0; i < height; i++) {
    for (let j = 0; j < width; j++) {
      let sum = 0;
      for (let t = -RADIUS; t <= RADIUS; t++) sum += weights[t + RADIUS] * rows[reflectIndex(i + t, height) * width + j];
      out[i * width + j] = sum;
    }
  }
  return out;
}

/** Mean SSIM of `estimate` against `groundTruth`; `dataRange` defaults to max(GT) − min(GT). */
export function ssim(groundTruth: Image, estimate: Image, dataRange?: number): number {
  checkSameShape(groundTruth, estimate, 'ssim');
  const { height, width } = groundTruth;
  const window = 2 * RADIUS + 1;
  if (height < window || width < window) {
    throw new ImageValueError('SSIM_SIZE', `ssim needs images of at least ${window}×${window} (its Gaussian window), got ${height}×${width}`);
  }
  const n = height * width;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    x[i] = groundTruth.data[i];
    y[i] = estimate.data[i];
    if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) throw new ImageValueError('NOT_FINITE', `ssim: pixel ${i} is not finite`);
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
  }
  const range = dataRange ?? max - min;
  if (!(range > 0)) throw new ImageValueError('SSIM_RANGE', `ssim needs a data range > 0 (ground truth max − min), got ${range}`);
  const weights = gaussianWeights();
  const xx = x.map((v) => v * v);
  const yy = y.map((v) => v * v);
  const xy = x.map((v, i) => v * y[i]);
  const [ux, uy, uxx, uyy, uxy] = [x, y, xx, yy, xy].map((map) => gaussianFilter(map, height, width, weights));
  const c1 = (K1 * range) ** 2;
  const c2 = (K2 * range) ** 2;
  let sum = 0;
  let count = 0;
  for (let i = RADIUS; i < height - RADIUS; i++) {
    for (let j = RADIUS; j < width - RADIUS; j++) {
      const k = i * width + j;
      const vx = uxx[k] - ux[k] * ux[k];
      const vy = uyy[k] - uy[k] * uy[k];
      const vxy = uxy[k] - ux[k] * uy[k];
      sum += ((2 * ux[k] * uy[k] + c1) * (2 * vxy + c2)) / ((ux[k] * ux[k] + uy[k] * uy[k] + c1) * (vx + vy + c2));
      count += 1;
    }
  }
  return sum / count;
}

/** SSIM of each image pair (each with its own GT data range), and their mean. */
export function ssimPerImage(groundTruth: Stack, estimate: Stack): number[] {
  checkSameShape(groundTruth, estimate, 'ssimPerImage');
  return Array.from({ length: groundTruth.count }, (_, i) => ssim(stackImage(groundTruth, i), stackImage(estimate, i)));
}

export function meanSsim(groundTruth: Stack, estimate: Stack): number {
  const values = ssimPerImage(groundTruth, estimate);
  return values.reduce((a, b) => a + b, 0) / values.length;
}
