/**
 * `evaluate-run`: the MMSE of the held-out images through the ONNX sessions that serve requests
 * (same store, same `mmse` with the route's default test-time averaging over the PSF's symmetries, seed
 * EVALUATION_SEED), a Metric row per (run, image set) (upserted:
 * idempotent) and the run's denormalised metric columns. With ground truth: psnr_mmse, psnr_samples
 * (mean of the per-sample PSNRs; each sample's error is taken while decoding) and SSIM; always
 * the GT-free figures. The MMSE and std images are kept for people to look at (libs/storage evaluation-images.ts),
 * written before the metrics so that a succeeded run has them. Then asks once per dataset for the classical baselines.
 */
import { UnrecoverableError } from 'bullmq';
import { defineHandler } from '@divblur/queue';
import { isPlainGaussian, stackImage, type Image } from '@divblur/imaging';
import { DEFAULT_SAMPLES, DEFAULT_SEED, mmse, OnnxInputError, OnnxOptionError, SERVED_DIHEDRAL } from '@divblur/onnx';
import type { InferenceServices } from '../services.ts';
import { evaluationSplitOf, readPsf, readStack, writeEvaluationImages } from '@divblur/storage';
import { meanOf, quality, type Quality } from '../quality.ts';

/** The seed a request gets by default, so that an evaluation scores what the route serves. */
export const EVALUATION_SEED = DEFAULT_SEED;
export const baselinesJobId = (datasetId: string) => `baselines-${datasetId}`;

export const evaluateRunHandler = (services: InferenceServices, samples = DEFAULT_SAMPLES) =>
  defineHandler('evaluate-run', async (data, job) => {
    try {
      return await evaluateRun(services, data.runId, data.modelId, samples);
    } catch (error) {
      // An input or option the ONNX path refuses is refused again on every retry: fail for good at once.
      const final = error instanceof UnrecoverableError || error instanceof OnnxInputError || error instanceof OnnxOptionError
        || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      // The last try failed: the run has no metrics, so it did not succeed; say why on the run.
      if (final) await failEvaluation(services, data.runId, error);
      throw final && !(error instanceof UnrecoverableError) ? new UnrecoverableError((error as Error).message) : error;
    }
  });

/** The run (if still evaluating) failed, with the evaluation's reason: also for a job BullMQ failed itself (stalled too often). */
export async function failEvaluation(services: Pick<InferenceServices, 'db'>, runId: string, error: unknown): Promise<void> {
  await services.db.runs.failEvaluation(runId, `trained, but the evaluation failed: ${(error as Error)?.message ?? String(error)}`);
}

export async function evaluateRun(services: InferenceServices, runId: string, modelId: string, samples = DEFAULT_SAMPLES) {
  const { db, blobs, sessions, queues } = services;
  const started = Date.now();
  const evaluated = await db.models.forEvaluation(modelId);
  if (evaluated === null || evaluated.model.runId !== runId) throw new UnrecoverableError(`model ${modelId} of run ${runId} does not exist`);
  const { model, run, dataset } = evaluated;
  const noisy = await readStack(blobs, dataset.noisyKey);
  const groundTruth = dataset.gtKey === null ? null : await readStack(blobs, dataset.gtKey);
  const psf = run.method === 'divblurring' ? await readPsf(blobs, dataset) : null;
  const noiseSigma = run.noiseSigma ?? dataset.noiseSigma ?? (model.meta as { noiseSigma?: number }).noiseSigma;
  if (!(typeof noiseSigma === 'number' && noiseSigma > 0)) throw new UnrecoverableError(`run ${runId} has no noise σ to judge the data fit by`);
  const split = evaluationSplitOf(model.meta, noisy.count);
  const loaded = await sessions.get(modelId);
  // The report's models are judged by σ as before; a camera model by its own noise model, whose offset is the data's zero.
  const noise = isPlainGaussian(loaded.sampler.noiseModel) ? noiseSigma : loaded.sampler.noiseModel;
  const offset = loaded.sampler.noiseModel.offset;

  const perImage: Quality[] = [];
  const kept: { mmse: Image[]; std: Image[] } = { mmse: [], std: [] };
  for (const index of split.evalIndices) {
    const image = stackImage(noisy, index);
    const truth = groundTruth === null ? undefined : stackImage(groundTruth, index);
    // each sample's MSE against GT + o: the samples keep the data's offset (quality.ts)
    const sampleTruth = truth === undefined || offset === 0 ? truth : { ...truth, data: truth.data.map((v) => v + offset) };
    const out = await mmse(loaded, image, { samples, seed: EVALUATION_SEED, dihedral: SERVED_DIHEDRAL, ...(sampleTruth ? { groundTruth: sampleTruth } : {}) });
    kept.mmse.push({ data: out.mmse, height: out.height, width: out.width });
    kept.std.push({ data: out.std, height: out.height, width: out.width });
    perImage.push(quality({
      noisy: image, mmse: { data: out.mmse, height: out.height, width: out.width }, std: out.std,
      psf, noise, ...(truth ? { groundTruth: truth, sampleMse: out.sampleMse } : {}),
    }));
  }
  const average = (pick: (q: Quality) => number | null) => {
    const values = perImage.map(pick);
    return values.some((v) => v === null) ? null : meanOf(values as number[]);
  };
  const figures = {
    psnrMmse: average((q) => q.psnrMmse), psnrSamples: average((q) => q.psnrSamples), ssim: average((q) => q.ssim),
    discrepancy: average((q) => q.discrepancy), meanStd: average((q) => q.meanStd), samples,
  };
  await writeEvaluationImages(blobs, runId, split.imageSet, kept);
  await db.metrics.recordEvaluation(runId, modelId, split.imageSet, figures, Date.now() - started);
  if (groundTruth !== null && dataset.psfKey !== null) {
    await queues.enqueue({ name: 'compute-baselines', data: { datasetId: dataset.id } }, { jobId: baselinesJobId(dataset.id) });
  }
  services.logger.info({ runId, modelId, imageSet: split.imageSet, images: split.evalIndices.length, ...figures }, 'run evaluated');
  return { imageSet: split.imageSet, ...figures };
}
