/**
 * `compute-baselines`: the classical deconvolutions of libs/imaging (input, Richardson–Lucy and
 * Wiener, each by the discrepancy principle and by a GT oracle) on the same images the runs are
 * evaluated on (the split recorded by the trainer in a model of the dataset). Once per dataset
 * and image set: existing rows are kept.
 */
import { UnrecoverableError } from 'bullmq';
import { datasetNoiseModelOf, defineHandler } from '@divblur/queue';
import { checkNoiseModel, classicalBaselines, estimateStackNoiseSigma, isPlainGaussian, stackImage, toStack, type NoiseModel } from '@divblur/imaging';
import type { InferenceServices } from '../services.ts';
import { evaluationSplitOf, readPsf, readStack } from '@divblur/storage';

export const BASELINE_MAX_ITERATIONS = 200;

export const computeBaselinesHandler = (services: InferenceServices) =>
  defineHandler('compute-baselines', (data) => computeBaselines(services, data.datasetId));

export async function computeBaselines(services: InferenceServices, datasetId: string) {
  const { db, blobs } = services;
  const dataset = await db.datasets.get(datasetId);
  if (dataset === null) throw new UnrecoverableError(`dataset ${datasetId} does not exist`);
  if (dataset.gtKey === null || dataset.psfKey === null) return { skipped: 'the dataset needs ground truth and a PSF for baselines' };
  const model = await db.models.latestOfDataset(datasetId);
  const noisy = await readStack(blobs, dataset.noisyKey);
  const split = evaluationSplitOf(model?.meta ?? null, noisy.count);
  const existing = await db.baselines.count(datasetId, split.imageSet);
  if (existing > 0) return { imageSet: split.imageSet, computed: 0 };
  const groundTruth = await readStack(blobs, dataset.gtKey);
  const psf = await readPsf(blobs, dataset);
  const pick = (stack: typeof noisy) => toStack(split.evalIndices.map((i) => stackImage(stack, i)));
  // A camera dataset's noise model (resolved at ingest): the baselines then work above its offset, the signal its
  // ground truth holds, with the discrepancy weighted by v; otherwise the report's σ as before.
  const stored = datasetNoiseModelOf(dataset.meta);
  const noiseModel = typeof stored === 'object' && stored !== null && !isPlainGaussian(checkNoiseModel(stored as NoiseModel)) ? stored as NoiseModel : undefined;
  const noiseSigma = dataset.noiseSigma ?? (noiseModel ? undefined : estimateStackNoiseSigma(noisy));
  const scores = classicalBaselines(pick(noisy), pick(groundTruth), psf!, { noiseSigma, noiseModel, maxIterations: BASELINE_MAX_ITERATIONS });
  for (const score of scores) {
    await db.baselines.add({
      datasetId, method: score.method, imageSet: split.imageSet, psnr: score.psnr, ssim: score.ssim,
      params: { perImage: score.parameters.map((p) => (Number.isFinite(p) ? p : null)), maxIterations: BASELINE_MAX_ITERATIONS, noiseSigma: noiseSigma ?? null, ...(noiseModel ? { noiseModel } : {}) },
    });
  }
  services.logger.info({ datasetId, imageSet: split.imageSet, baselines: scores.map((s) => [s.method, s.psnr]) }, 'baselines computed');
  return { imageSet: split.imageSet, computed: scores.length };
}
