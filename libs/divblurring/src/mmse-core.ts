/**
 * The MMSE's one vocabulary, whichever runtime decodes: its options and results, their defaults, the views of
 * test-time averaging, how the samples split over them, and how the views are pooled. A runtime plugs in its
 * decode step (one view: encode, sample, decode, per-pixel mean and sample std); libs/onnx's `mmse` does so with
 * ONNX Runtime. tfjs-free (data.ts, architecture.ts and errors.ts only), so that the inference process imports it
 * as `@divblur/divblurring/mmse-core` without loading TensorFlow.js.
 *
 * Test-time averaging over the symmetries T_k of the square that the model's PSF shares (symmetry.ts): the
 * samples are split over the views T_k(y), each view is decoded and turned back, and the per-view means and
 * variances are pooled exactly, view by view (Chan et al.'s parallel update; pooled so far: n, x̂, M2; a view:
 * n_k, x̂_k, s_k; δ = x̂_k − x̂):
 *   x̂ ← x̂ + δ n_k/(n + n_k),  M2 ← M2 + (n_k − 1) s_k² + δ² n n_k/(n + n_k),  n ← n + n_k;  s² = M2/(n − 1).
 * The same number of decodes as one view; +0.12 to +0.20 dB on the quality bench (bench/results/quality.md).
 * With a tolerance, each view stops at tolerance·√T, so that the pooled standard error meets the tolerance.
 */
import { dihedral, transformListProblem, undoDihedral } from './data.ts';
import type { Image } from './imaging.ts';

export { defaultContextMargin } from './architecture.ts';

/** Posterior samples averaged when the caller does not say (the report's N). */
export const DEFAULT_SAMPLES = 100;
/** Noise seed when the caller does not say: the same seed gives the same bytes. */
export const DEFAULT_SEED = 0;
/** With a tolerance, never stop before this many samples: the variance estimate behind the standard error needs some. */
export const DEFAULT_MIN_SAMPLES = 16;
/** The most samples one estimate may ask for (the deconvolve route and batches refuse more). */
export const MAX_SAMPLES = 10_000;
/**
 * The batch path's default tolerance, as a fraction of the page's intensity range (its 0.1–99.9 percentile span): a
 * page stops once the RMS Monte-Carlo standard error of its MMSE is below DEFAULT_TOLERANCE_RANGE · range. PSNR
 * measures the error against the image's peak, so the range is the scale at which a Monte-Carlo error costs PSNR, in
 * any units; the noise σ is not (0.07 σ was the most dataset2 allowed, and it left dataset1 at 84 samples).
 * Measured with bench/tolerance.ts: the largest fraction whose MMSE stays within 0.05 dB PSNR of the 100-sample MMSE
 * on the quality bench's test images (bench/results/tolerance.md).
 */
export const DEFAULT_TOLERANCE_RANGE = 0.01;
/** Working memory of the decode (bytes) when the caller does not say. */
export const DEFAULT_MEMORY_BUDGET_BYTES = 1024 ** 3;
/**
 * Whether a served estimate averages over the PSF's symmetries when the caller does not say: the deconvolve
 * route's query, the evaluation job and the CLI do. `mmse` itself averages only when asked, so that tests and
 * benchmarks name their views.
 */
export const SERVED_DIHEDRAL = true;

export interface MmseOptions {
  /** Posterior samples to average (default DEFAULT_SAMPLES), split over the views. */
  readonly samples?: number;
  /** Noise seed (default DEFAULT_SEED). */
  readonly seed?: number;
  /** Working-memory budget of the decode (bytes, default DEFAULT_MEMORY_BUDGET_BYTES); decides whole image vs tiles and the batch size. */
  readonly memoryBudgetBytes?: number;
  /** Stop early once the RMS Monte-Carlo standard error of the MMSE (data units) falls below this. */
  readonly tolerance?: number;
  /** Never stop before this many samples (default DEFAULT_MIN_SAMPLES). */
  readonly minSamples?: number;
  /**
   * Pixels of reflected context around the image, cropped after (default: `defaultContextMargin`, the model's PSF
   * radius capped for small images). Training constrains g(z) only where the PSF's support lies inside the patch,
   * so the network's output within a PSF radius of an edge is barely trained; with the PSF radius as margin the
   * image's edge pixels are computed as interior ones (+0.55 dB on dataset1, bench/results/quality-ablation-margin.json).
   */
  readonly contextMargin?: number;
  /**
   * Test-time averaging over the symmetries of the square the model's PSF shares, the samples split among them:
   * true = those of the model (all 8 for a Gaussian PSF), a list = exactly those transforms, false = none.
   */
  readonly dihedral?: boolean | readonly number[];
  /**
   * The image's ground truth (same shape): each decoded sample's MSE against it is returned as `sampleMse`, for
   * the mean per-sample PSNR, without keeping the samples.
   */
  readonly groundTruth?: Image;
  /** Called after each batch with the samples done so far. */
  readonly onProgress?: (samplesDone: number, samplesPlanned: number) => void;
}

/** The estimate of one image (or of one view, in the view's own geometry, as a decode step returns it). */
export interface MmseEstimate {
  readonly height: number;
  readonly width: number;
  readonly mmse: Float32Array;
  /** Per-pixel sample standard deviation of the samples, √(M2/(n − 1)). */
  readonly std: Float32Array;
  /** Monte-Carlo standard error of the MMSE, std/√N: RMS and max over pixels, data units. */
  readonly standardError: { readonly rms: number; readonly max: number };
  readonly samplesUsed: number;
  /** With `groundTruth`: MSE of each sample used against it, in sample order. */
  readonly sampleMse?: Float64Array;
  readonly stoppedEarly: boolean;
}

/** An option out of its domain; each runtime throws it as its own typed error (`code` is stable). */
export interface MmseOptionProblem {
  readonly code: 'SAMPLES' | 'MEMORY_BUDGET' | 'TOLERANCE' | 'DIHEDRAL';
  readonly message: string;
}

/** The views `dihedral` asks for: a list as given, true → the model's own (`modelViews`, read only then), else the identity. */
export function mmseViews(dihedralOption: MmseOptions['dihedral'], modelViews: () => readonly number[]): readonly number[] {
  return Array.isArray(dihedralOption) ? dihedralOption : dihedralOption ? modelViews() : [0];
}

/** What is wrong with the options (the first problem), or null. */
export function mmseOptionProblem(options: MmseOptions, views: readonly number[]): MmseOptionProblem | null {
  const samples = options.samples ?? DEFAULT_SAMPLES;
  const budget = options.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET_BYTES;
  const { tolerance } = options;
  if (!Number.isInteger(samples) || samples < 1) return { code: 'SAMPLES', message: `samples must be an integer ≥ 1, got ${samples}` };
  if (!(budget > 0)) return { code: 'MEMORY_BUDGET', message: `memoryBudgetBytes must be > 0, got ${budget}` };
  if (tolerance !== undefined && !(tolerance > 0)) return { code: 'TOLERANCE', message: `tolerance must be > 0, got ${tolerance}` };
  const problem = transformListProblem(views);
  return problem === null ? null : { code: 'DIHEDRAL', message: `dihedral ${problem}` };
}

/** Splits `samples` over `parts` views as evenly as possible (the first ones get the remainder). */
export function splitSamples(samples: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(samples / parts) + (i < samples % parts ? 1 : 0));
}

/** Each view's own noise stream; the identity keeps the caller's seed. */
export function viewSeed(seed: number, k: number): number {
  return k === 0 ? seed : (seed + Math.imul(k, 0x632be5ab)) >>> 0;
}

/**
 * The MMSE of `image` over `views` (checked by `mmseOptionProblem`): the identity alone is one decode of the image
 * as it is; otherwise each view T_k(y) is decoded with its share of the samples, its own seed and the tolerance
 * scaled by √T, turned back, and merged into the pooled mean and M2 as it finishes (two images of state, whatever
 * the number of views).
 */
export async function pooledMmse<O extends MmseOptions>(
  image: Image, options: O, views: readonly number[], decodeView: (view: Image, options: O) => Promise<MmseEstimate>,
): Promise<MmseEstimate> {
  if (views.length === 1 && views[0] === 0) return decodeView(image, options);
  const samples = options.samples ?? DEFAULT_SAMPLES;
  const counts = splitSamples(samples, views.length);
  const shares = views.map((k, t) => ({ k, count: counts[t] })).filter((view) => view.count > 0);
  const pixels = image.height * image.width;
  const mean = new Float64Array(pixels);
  const m2 = new Float64Array(pixels);
  let n = 0;
  const sampleErrors: number[] = [];
  let stoppedEarly = false;
  for (const { k, count } of shares) {
    const result = await decodeView(dihedral(image, k), {
      ...options,
      samples: count,
      seed: viewSeed(options.seed ?? DEFAULT_SEED, k),
      groundTruth: options.groundTruth && dihedral(options.groundTruth, k),
      tolerance: options.tolerance === undefined ? undefined : options.tolerance * Math.sqrt(shares.length),
      minSamples: Math.ceil((options.minSamples ?? DEFAULT_MIN_SAMPLES) / shares.length),
      onProgress: options.onProgress && ((viewDone: number) => options.onProgress!(n + viewDone, samples)),
    });
    const back = (data: Float32Array) => undoDihedral({ data, height: result.height, width: result.width }, k).data;
    const [viewMean, viewStd] = [back(result.mmse), back(result.std)];
    const nView = result.samplesUsed;
    const total = n + nView;
    for (let i = 0; i < pixels; i++) {
      const delta = viewMean[i] - mean[i];
      mean[i] += (delta * nView) / total;
      m2[i] += (nView - 1) * viewStd[i] * viewStd[i] + (delta * delta * n * nView) / total;
    }
    n = total;
    if (result.sampleMse) sampleErrors.push(...result.sampleMse);
    stoppedEarly ||= result.stoppedEarly;
  }
  const mmse = new Float32Array(pixels);
  const std = new Float32Array(pixels);
  let squaredErrorSum = 0;
  let squaredErrorMax = 0;
  for (let i = 0; i < pixels; i++) {
    const variance = n > 1 ? m2[i] / (n - 1) : 0;
    mmse[i] = mean[i];
    std[i] = Math.sqrt(variance);
    squaredErrorSum += variance / n;
    squaredErrorMax = Math.max(squaredErrorMax, variance / n);
  }
  return {
    height: image.height, width: image.width, mmse, std,
    standardError: n > 1 ? { rms: Math.sqrt(squaredErrorSum / pixels), max: Math.sqrt(squaredErrorMax) } : { rms: Infinity, max: Infinity },
    samplesUsed: n, stoppedEarly,
    ...(options.groundTruth === undefined ? {} : { sampleMse: Float64Array.from(sampleErrors) }),
  };
}
