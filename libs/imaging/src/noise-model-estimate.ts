/**
 * The Poisson–Gaussian noise model (noise-model.ts) of a noisy stack alone, no calibration frames.
 *
 * 1. Gain α: the mean–variance line v(m) = α·m + c over level sets (Foi et al. 2008, "Practical Poissonian-Gaussian
 *    noise modeling and fitting for single-image raw-data", IEEE TIP 17(10):1737–1754: local means and robust
 *    variances of a high-pass residual over level sets, then a line). Here, per pixel, the residual
 *    z = (d ⊗ d) ∗ y / 6 (d = [1, −2, 1]; unit gain for white noise; blind to the signal's constant, linear and
 *    quadratic terms along either axis), whose variance is Σ w_k² v_k; the local level m is the kernel
 *    (1/3 centre, 1/6 each edge neighbour), which has the same total, the same second moment as the weights w_k²
 *    (so that a curved signal gives m and var z the same level to second order) and is uncorrelated with z.
 *    Level sets: 32 equal-width bins of m, robust variance per bin (MAD with one 3σ-truncation, as noise-sigma.ts),
 *    the line by least squares weighted by n/v² (the variance of a variance estimate ∝ 2v²/n).
 * 2. Offset o and read noise σ_r: the line gives only c = σ_r² − α·o. The Poisson part also skews the noise:
 *    cumulants κ2 = α·s + σ_r², κ3 = α²·s at signal s above the offset (Gaussian read noise adds no κ3), so on the
 *    background, s_b = κ3/α², o = m_b − s_b, σ_r² = κ2 − α·s_b − 1/12 (the rounding of integer data adds 1/12 ADU²).
 *    Background: the quarter of pixels whose 5×5 ring (the 16 pixels at distance 2) is darkest, selected without
 *    looking at the pixel or its 3×3 neighbourhood; moments of z' = y − mean(8 neighbours), whose weights give
 *    κ2(z') = 1.125·κ2 and κ3(z') = 0.984375·κ3 on a flat background (d ⊗ d has Σw³ = 1/6: six times less skew).
 * Given values override the estimate: with the offset given, σ_r² = κ2 − α·(m_b − o); with the read noise given,
 * o = m_b − (κ2 − σ_r²)/α; neither then needs κ3. At most MAX_ESTIMATION_IMAGES images, evenly spaced through the
 * stack, are looked at (2 × 10⁶ pixels of 128²: the statistics hold five float64 per pixel).
 * Measured on the camera preset (noise-model-estimate.test.ts): within 7 % of the true gain and read noise and 1 %
 * of the offset at 50, 100 and 400 photons, 40 images of 128².
 */
import type { Stack } from './image.ts';
import { NoiseModelError } from './errors.ts';
import { assertFinite } from './finite.ts';
import { checkNoiseModel, checkNoiseModelAgainstData, type NoiseModel, type PoissonGaussianNoise } from './noise-model.ts';
import { estimateStackNoiseSigma } from './noise-sigma.ts';

export interface NoiseModelGiven {
  readonly gain?: number;
  readonly readNoise?: number;
  readonly offset?: number;
}

/** What the estimate rests on, for the user to judge it (and the API to show). */
export interface NoiseModelFit {
  /** Intercept c of v = α·m + c (ADU²). */
  readonly intercept: number;
  /** Level sets used by the line: mean level m (ADU), robust variance (ADU²), pixels. */
  readonly levels: ReadonlyArray<{ readonly level: number; readonly variance: number; readonly pixels: number }>;
  /** Background: mean level m_b, variance κ2, third cumulant κ3, pixels. */
  readonly background: { readonly level: number; readonly variance: number; readonly thirdCumulant: number; readonly pixels: number };
  /** The data's median (ADU). */
  readonly median: number;
  /** Which of gain, readNoise, offset were estimated (the rest were given). */
  readonly estimated: ReadonlyArray<'gain' | 'readNoise' | 'offset'>;
}

export interface NoiseModelEstimate {
  readonly model: PoissonGaussianNoise;
  readonly fit: NoiseModelFit;
}

const MAD_TO_SIGMA = 1.482602218505602;
/** Images the estimate looks at, at most. */
export const MAX_ESTIMATION_IMAGES = 128;
/** Fewer pixels than this (2 px in from the borders) cannot support the fit. */
const MIN_ESTIMATION_PIXELS = 20_000;
/** The fitted line must raise the variance by this fraction of the background's over the data's levels. */
const MIN_VARIANCE_RISE = 0.1;
const LEVEL_BINS = 32;
const MIN_BIN_PIXELS = 200;
const BACKGROUND_FRACTION = 0.4;
/** Σw² and Σw³ of z' = y − mean of the 8 neighbours. */
const RING_KAPPA2 = 1 + 8 / 64;
const RING_KAPPA3 = 1 - 8 / 512;

function median(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort();
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Variance of values about their mean, leaving out those beyond 5 robust σ of the median (leaks of the signal into the
 * residual): plain moments, because a median of integer data's residuals moves in steps of 1/6 ADU.
 */
function clippedVariance(values: Float64Array): number {
  const center = median(values);
  const limit = 5 * MAD_TO_SIGMA * median(values.map((v) => Math.abs(v - center)));
  let n = 0, sum = 0, squares = 0;
  for (const v of values) {
    if (limit > 0 && Math.abs(v - center) > limit) continue;
    n++; sum += v; squares += v * v;
  }
  const mean = sum / n;
  return (squares - n * mean * mean) / (n - 1);
}

interface PixelStatistics {
  /** d ⊗ d high-pass, unit gain. */
  readonly z: Float64Array;
  /** Local level matched to z. */
  readonly level: Float64Array;
  /** Mean of the 16 pixels at distance 2. */
  readonly ring: Float64Array;
  /** y − mean of the 8 neighbours. */
  readonly centred: Float64Array;
  /** The pixel itself. */
  readonly value: Float64Array;
}

/** The images looked at: all, or MAX_ESTIMATION_IMAGES evenly spaced. */
function estimationImages(count: number): number[] {
  const used = Math.min(count, MAX_ESTIMATION_IMAGES);
  return Array.from({ length: used }, (_, i) => Math.floor((i * count) / used));
}

/** The statistics of every pixel at least 2 px from its image's border, over `images`. */
function pixelStatistics(stack: Stack, images: readonly number[]): PixelStatistics {
  const { data, height, width } = stack;
  const n = images.length * (height - 4) * (width - 4);
  const out = { z: new Float64Array(n), level: new Float64Array(n), ring: new Float64Array(n), centred: new Float64Array(n), value: new Float64Array(n) };
  let k = 0;
  for (const image of images) {
    const base = image * height * width;
    const at = (r: number, c: number) => data[base + r * width + c];
    for (let r = 2; r < height - 2; r++) {
      for (let c = 2; c < width - 2; c++) {
        const centre = at(r, c);
        const edges = at(r - 1, c) + at(r + 1, c) + at(r, c - 1) + at(r, c + 1);
        const corners = at(r - 1, c - 1) + at(r - 1, c + 1) + at(r + 1, c - 1) + at(r + 1, c + 1);
        let ring = 0;
        for (let j = -2; j <= 2; j++) ring += at(r - 2, c + j) + at(r + 2, c + j);
        for (let i = -1; i <= 1; i++) ring += at(r + i, c - 2) + at(r + i, c + 2);
        out.z[k] = (4 * centre - 2 * edges + corners) / 6;
        out.level[k] = centre / 3 + edges / 6;
        out.ring[k] = ring / 16;
        out.centred[k] = centre - (edges + corners) / 8;
        out.value[k] = centre;
        k++;
      }
    }
  }
  return out;
}

/** Weighted least squares v = α·m + c over the level sets, weights n/v². */
function fitLine(levels: NoiseModelFit['levels']): { slope: number; intercept: number } {
  let sw = 0, sm = 0, sv = 0, smm = 0, smv = 0;
  for (const { level, variance, pixels } of levels) {
    const w = pixels / (variance * variance);
    sw += w; sm += w * level; sv += w * variance; smm += w * level * level; smv += w * level * variance;
  }
  const slope = (sw * smv - sm * sv) / (sw * smm - sm * sm);
  return { slope, intercept: (sv - slope * sm) / sw };
}

function levelSets(stats: PixelStatistics, low: number, high: number): NoiseModelFit['levels'] {
  const width = (high - low) / LEVEL_BINS;
  const members: number[][] = Array.from({ length: LEVEL_BINS }, () => []);
  for (let i = 0; i < stats.ring.length; i++) {
    const bin = Math.floor((stats.ring[i] - low) / width);
    if (bin >= 0 && bin < LEVEL_BINS) members[bin].push(i);
  }
  return members.filter((m) => m.length >= MIN_BIN_PIXELS).map((m) => {
    const z = Float64Array.from(m, (i) => stats.z[i]);
    let level = 0;
    for (const i of m) level += stats.level[i];
    return { level: level / m.length, variance: clippedVariance(z), pixels: m.length };
  });
}

function backgroundMoments(stats: PixelStatistics): NoiseModelFit['background'] {
  const threshold = Float64Array.from(stats.ring).sort()[Math.floor(BACKGROUND_FRACTION * stats.ring.length)];
  let n = 0, level = 0, mean = 0;
  for (let i = 0; i < stats.ring.length; i++) {
    if (stats.ring[i] > threshold) continue;
    n++; level += stats.value[i]; mean += stats.centred[i];
  }
  level /= n;
  mean /= n;
  let m2 = 0, m3 = 0;
  for (let i = 0; i < stats.ring.length; i++) {
    if (stats.ring[i] > threshold) continue;
    const d = stats.centred[i] - mean;
    m2 += d * d; m3 += d * d * d;
  }
  const k2 = m2 / (n - 1);
  const k3 = (n * m3) / ((n - 1) * (n - 2));
  return { level, variance: k2 / RING_KAPPA2, thirdCumulant: k3 / RING_KAPPA3, pixels: n };
}

const isIntegerValued = (values: Float64Array): boolean => values.every((v) => Number.isInteger(v));

/**
 * Estimates gain, read noise and offset from `stack` (ADU); `given` values are kept as they are. Throws
 * `NoiseModelError` when the stack cannot support an estimate or the noise does not follow the model.
 */
export function estimateNoiseModel(stack: Stack, given: NoiseModelGiven = {}): NoiseModelEstimate {
  if (stack.height < 16 || stack.width < 16) {
    throw new NoiseModelError('NOISE_FIT_SIZE', `noise model estimation needs images of at least 16×16 pixels, got ${stack.height}×${stack.width}`);
  }
  assertFinite(stack, 'the stack whose noise model is estimated');
  const images = estimationImages(stack.count);
  const interior = images.length * (stack.height - 4) * (stack.width - 4);
  if (interior < MIN_ESTIMATION_PIXELS) {
    throw new NoiseModelError('NOISE_FIT_SIZE',
      `noise model estimation needs at least ${MIN_ESTIMATION_PIXELS} pixels (e.g. 2 images of 128²), the stack has ${interior} away from its borders: give gain, readNoise and offset`);
  }
  const stats = pixelStatistics(stack, images);
  const sortedRings = Float64Array.from(stats.ring).sort();
  const quantile = (q: number) => sortedRings[Math.min(sortedRings.length - 1, Math.floor(q * sortedRings.length))];
  const dataMedian = medianOfStack(stack);
  const background = backgroundMoments(stats);
  const levels = levelSets(stats, quantile(0.001), quantile(0.999));
  const estimated: Array<'gain' | 'readNoise' | 'offset'> = [];
  let gain = given.gain;
  let intercept = Number.NaN;
  if (gain === undefined) {
    if (levels.length < 3) {
      throw new NoiseModelError('NOISE_FIT_FAILED',
        `the data span too few intensity levels (${levels.length} with ≥ ${MIN_BIN_PIXELS} pixels) to fit how the noise grows with the signal: give the gain, or use the Gaussian noise model`);
    }
    const line = fitLine(levels);
    gain = line.slope;
    intercept = line.intercept;
    estimated.push('gain');
    const rise = gain * (levels[levels.length - 1].level - levels[0].level);
    if (!(gain > 0) || rise < MIN_VARIANCE_RISE * background.variance) {
      throw new NoiseModelError('NOISE_FIT_FAILED',
        `the noise does not grow with the signal (fitted gain ${gain.toPrecision(3)} ADU/e⁻): the data are not Poisson–Gaussian; use the Gaussian noise model { kind: "gaussian" } (σ ≈ ${Math.sqrt(Math.max(background.variance, 0)).toPrecision(3)})`);
    }
  }
  const quantisation = isIntegerValued(stats.value) ? 1 / 12 : 0;
  let { offset, readNoise } = given;
  if (offset === undefined && readNoise === undefined) {
    const signal = Math.max(background.thirdCumulant / (gain * gain), 0);
    offset = background.level - signal;
    readNoise = Math.sqrt(background.variance - gain * signal - quantisation);
    estimated.push('readNoise', 'offset');
  } else if (readNoise === undefined) {
    readNoise = Math.sqrt(background.variance - gain * Math.max(background.level - offset!, 0) - quantisation);
    estimated.push('readNoise');
  } else if (offset === undefined) {
    // σ_r² above the whole background variance (with room for its estimation error) cannot be the data's read noise
    if (readNoise * readNoise > 1.25 * background.variance) {
      throw new NoiseModelError('NOISE_FIT_FAILED',
        `read noise ${readNoise} ADU (variance ${(readNoise * readNoise).toPrecision(3)} ADU²) exceeds the noise of the data's background (variance ${background.variance.toPrecision(3)} ADU²): the noise model does not fit the data; give a read noise ≤ ${Math.sqrt(background.variance).toPrecision(3)} ADU, or let it be estimated`);
    }
    offset = background.level - Math.max(background.variance - readNoise * readNoise - quantisation, 0) / gain;
    estimated.push('offset');
  }
  if (!(readNoise! > 0)) {
    throw new NoiseModelError('NOISE_FIT_FAILED',
      `the background's noise (variance ${background.variance.toPrecision(3)} ADU² at level ${background.level.toPrecision(5)}) leaves no read noise for gain ${gain.toPrecision(3)}${given.offset === undefined ? '' : ` and offset ${given.offset}`}: the noise model does not fit the data; give the read noise, or check the gain and offset`);
  }
  const model: PoissonGaussianNoise = { kind: 'poisson_gaussian', gain, readNoise: readNoise!, offset: offset! };
  checkNoiseModelAgainstData(model, dataMedian);
  return { model, fit: { intercept, levels, background, median: dataMedian, estimated } };
}

/**
 * How a caller asks for a noise model: "estimate" (Poisson–Gaussian, every value from the data), or a kind with
 * the values it knows (the rest estimated; a Gaussian model's offset defaults to 0, its σ to estimateStackNoiseSigma).
 */
export type NoiseModelSpec =
  | 'estimate'
  | { readonly kind: 'gaussian'; readonly sigma?: number; readonly offset?: number }
  | { readonly kind: 'poisson_gaussian'; readonly gain?: number; readonly readNoise?: number; readonly offset?: number };

export interface ResolvedNoiseModel {
  readonly model: NoiseModel;
  /** The values that came from the data; empty when all were given. */
  readonly estimated: readonly string[];
}

/** The spec's model for `stack`: given values checked and kept, missing ones estimated (typed errors otherwise). */
export function resolveNoiseModel(stack: Stack, spec: NoiseModelSpec): ResolvedNoiseModel {
  const asked = spec === 'estimate' ? { kind: 'poisson_gaussian' as const } : spec;
  let known: number | undefined;
  const median = () => (known ??= medianOfStack(stack));
  if (asked.kind === 'gaussian') {
    const offset = asked.offset ?? 0;
    if (asked.sigma !== undefined) checkNoiseModel({ kind: 'gaussian', sigma: asked.sigma, offset });
    const sigma = asked.sigma ?? estimateStackNoiseSigma(stack);
    if (!(sigma > 0)) throw new NoiseModelError('NOISE_FIT_FAILED', 'the noise σ could not be estimated (noise-free images?): give it');
    const model: NoiseModel = { kind: 'gaussian', sigma, offset };
    checkNoiseModelAgainstData(model, median());
    return { model, estimated: asked.sigma === undefined ? ['sigma'] : [] };
  }
  if (asked.kind !== 'poisson_gaussian') {
    throw new NoiseModelError('NOISE_KIND', `noise model kind must be gaussian or poisson_gaussian, got ${JSON.stringify((asked as { kind: unknown }).kind)}`);
  }
  const { gain, readNoise, offset } = asked;
  // Given values are checked before anything is estimated from them, placeholders standing in for the others.
  checkNoiseModelAgainstData({ kind: 'poisson_gaussian', gain: gain ?? 1, readNoise: readNoise ?? 1, offset: offset ?? -Number.MAX_VALUE }, median());
  if (gain !== undefined && readNoise !== undefined && offset !== undefined) {
    return { model: { kind: 'poisson_gaussian', gain, readNoise, offset }, estimated: [] };
  }
  const { model, fit } = estimateNoiseModel(stack, { gain, readNoise, offset });
  return { model, estimated: fit.estimated };
}

/** The median of (at most MAX_ESTIMATION_IMAGES evenly spaced images of) the stack. */
function medianOfStack(stack: Stack): number {
  const pixels = stack.height * stack.width;
  const images = estimationImages(stack.count);
  const values = new Float64Array(images.length * pixels);
  images.forEach((image, i) => values.set(stack.data.subarray(image * pixels, (image + 1) * pixels), i * pixels));
  return median(values);
}
