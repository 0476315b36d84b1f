/**
 * Test-time averaging of the MMSE over the symmetries of the square that the model's PSF shares
 * (libs/divblurring's symmetry.ts): the samples are split over the transforms T_k, each view T_k(y) is deconvolved
 * and turned back, and the per-view means and variances pooled exactly, view by view (Chan et al.'s parallel update;
 * pooled so far: n, x̂, M2; a view: n_k, x̂_k, s_k; δ = x̂_k − x̂):
 *   x̂ ← x̂ + δ n_k/(n + n_k),  M2 ← M2 + (n_k − 1) s_k² + δ² n n_k/(n + n_k),  n ← n + n_k;  s² = M2/(n − 1).
 * The same number of decodes as one view; +0.12 to +0.20 dB on the quality bench (bench/results/quality.md).
 * With a tolerance, each view stops at tolerance·√T, so that the pooled standard error meets the tolerance.
 */
import type { Image } from '@divblur/imaging';
import { dihedral, splitSamples, testTimeTransforms, transformListProblem, undoDihedral } from '@divblur/divblurring/symmetry';
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
  const problem = transformListProblem(transforms);
  if (problem) throw new OnnxOptionError('DIHEDRAL', `dihedral ${problem}`);
  const counts = splitSamples(samples, transforms.length);
  const views = transforms.map((k, t) => ({ k, count: counts[t] })).filter((view) => view.count > 0);
  const pixels = image.height * image.width;
  // Running pooled statistics, merged view by view (Chan et al.): two images in memory, whatever the number of views.
  const mean = new Float64Array(pixels);
  const m2 = new Float64Array(pixels);
  let n = 0;
  const sampleErrors: number[] = [];
  let stoppedEarly = false;
  let plan: MmseResult['plan'] | null = null;
  for (const { k, count } of views) {
    const view = dihedral(image, k);
    const result = await oneView(sessions, view, {
      ...options,
      samples: count,
      seed: viewSeed(options.seed ?? 0, k),
      groundTruth: options.groundTruth && dihedral(options.groundTruth, k),
      tolerance: options.tolerance === undefined ? undefined : options.tolerance * Math.sqrt(views.length),
      minSamples: Math.ceil((options.minSamples ?? 16) / views.length),
      onProgress: options.onProgress && ((viewDone) => options.onProgress!(n + viewDone, samples)),
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
    plan ??= result.plan;
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
    samplesUsed: n, stoppedEarly, plan: plan!,
    ...(options.groundTruth === undefined ? {} : { sampleMse: Float64Array.from(sampleErrors) }),
  };
}
