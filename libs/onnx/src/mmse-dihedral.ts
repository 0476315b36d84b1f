/**
 * Test-time averaging of the MMSE over the symmetries of the square that the model's PSF shares
 * (libs/divblurring's symmetry.ts): the samples are split over the transforms T_k, each view T_k(y) is deconvolved
 * and turned back, and the per-view means and variances pooled exactly (Chan et al.'s parallel update):
 *   n = Σ n_k,  x̂ = Σ n_k x̂_k / n,  M2 = Σ [(n_k − 1) s_k² + n_k (x̂_k − x̂)²],  s² = M2 / (n − 1).
 * The same number of decodes as one view; +0.12 to +0.20 dB on the quality bench (bench/results/quality.md).
 * With a tolerance, each view stops at tolerance·√T, so that the pooled standard error meets the tolerance.
 */
import type { Image } from '@divblur/imaging';
import { dihedral, splitSamples, testTimeTransforms, undoDihedral } from '@divblur/divblurring/symmetry';
import type { ModelSessions } from './session.ts';
import type { MmseOptions, MmseResult } from './mmse.ts';
import { OnnxOptionError } from './errors.ts';

/** The transforms `dihedral: true` uses for these sessions: the PSF's symmetries within the training augmentations. */
export function sessionTransforms(sessions: ModelSessions): number[] {
  const metadata = sessions.encoder.metadata;
  const psf = JSON.parse(metadata['divblur.psf'] ?? 'null') as { height: number; width: number; data: number[] } | null;
  const training = JSON.parse(metadata['divblur.training'] ?? 'null') as Record<string, unknown> | null;
  return testTimeTransforms({ psf: psf && { height: psf.height, width: psf.width, data: Float32Array.from(psf.data) }, training: training ?? {} });
}

/** Each view's own noise stream; the identity keeps the caller's seed. */
export function viewSeed(seed: number, k: number): number {
  return k === 0 ? seed : (seed + Math.imul(k, 0x632be5ab)) >>> 0;
}

export async function dihedralMmse(
  sessions: ModelSessions, image: Image, options: MmseOptions, transforms: readonly number[], samples: number,
  oneView: (sessions: ModelSessions, image: Image, options: MmseOptions) => Promise<MmseResult>,
): Promise<MmseResult> {
  if (transforms.length === 0 || !transforms.every((k) => Number.isInteger(k) && k >= 0 && k < 8) || new Set(transforms).size !== transforms.length) {
    throw new OnnxOptionError('DIHEDRAL', `dihedral must list distinct transforms among 0..7, got [${transforms.join(', ')}]`);
  }
  const counts = splitSamples(samples, transforms.length);
  const views = transforms.map((k, t) => ({ k, count: counts[t] })).filter((view) => view.count > 0);
  const pixels = image.height * image.width;
  const results: Array<{ n: number; mean: Float32Array; std: Float32Array; result: MmseResult }> = [];
  let done = 0;
  for (const { k, count } of views) {
    const view = dihedral(image, k);
    const result = await oneView(sessions, view, {
      ...options,
      samples: count,
      seed: viewSeed(options.seed ?? 0, k),
      groundTruth: options.groundTruth && dihedral(options.groundTruth, k),
      tolerance: options.tolerance === undefined ? undefined : options.tolerance * Math.sqrt(views.length),
      minSamples: Math.ceil((options.minSamples ?? 16) / views.length),
      onProgress: options.onProgress && ((viewDone) => options.onProgress!(done + viewDone, samples)),
    });
    done += result.samplesUsed;
    const back = (data: Float32Array) => undoDihedral({ data, height: result.height, width: result.width }, k).data;
    results.push({ n: result.samplesUsed, mean: back(result.mmse), std: back(result.std), result });
  }
  const n = results.reduce((sum, r) => sum + r.n, 0);
  const mmse = new Float32Array(pixels);
  const std = new Float32Array(pixels);
  let squaredErrorSum = 0;
  let squaredErrorMax = 0;
  for (let i = 0; i < pixels; i++) {
    let mean = 0;
    for (const r of results) mean += r.n * r.mean[i];
    mean /= n;
    let m2 = 0;
    for (const r of results) m2 += (r.n - 1) * r.std[i] * r.std[i] + r.n * (r.mean[i] - mean) ** 2;
    const variance = n > 1 ? m2 / (n - 1) : 0;
    mmse[i] = mean;
    std[i] = Math.sqrt(variance);
    squaredErrorSum += variance / n;
    squaredErrorMax = Math.max(squaredErrorMax, variance / n);
  }
  const sampleMse = options.groundTruth === undefined ? undefined : Float64Array.from(results.flatMap((r) => Array.from(r.result.sampleMse!)));
  return {
    height: image.height, width: image.width, mmse, std,
    standardError: n > 1 ? { rms: Math.sqrt(squaredErrorSum / pixels), max: Math.sqrt(squaredErrorMax) } : { rms: Infinity, max: Infinity },
    samplesUsed: n,
    stoppedEarly: results.some((r) => r.result.stoppedEarly),
    plan: results[0].result.plan,
    ...(sampleMse === undefined ? {} : { sampleMse }),
  };
}
