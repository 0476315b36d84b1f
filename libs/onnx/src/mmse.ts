/**
 * MMSE deconvolution with ONNX Runtime: encode each tile once (μ, log σ² of q(z|y)), then decode N posterior
 * samples in batches through the sampler graph (z = μ + σ·ε formed in-graph), streaming the per-pixel mean and
 * variance (Welford). MMSE x̂ = (1/N) Σ g(z_s); std map = per-pixel sample std; Monte-Carlo standard error of
 * x̂ = std/√N (reported as RMS and max over pixels). Optional early stop once the RMS standard error < tolerance.
 * Given the ground truth, each sample's MSE against it is accumulated on the way (no sample is kept).
 * This is the decode step of the MMSE core (libs/divblurring/src/mmse-core.ts), which owns the options, their
 * defaults, the views of test-time averaging over the PSF's symmetries and their pooling.
 */
import * as ort from 'onnxruntime-node';
import type { Image } from '@divblur/imaging';
import {
  DEFAULT_MEMORY_BUDGET_BYTES, DEFAULT_MIN_SAMPLES, DEFAULT_SAMPLES, DEFAULT_SEED, defaultContextMargin, mmseOptionProblem, mmseViews,
  pooledMmse, type MmseEstimate, type MmseOptions,
} from '@divblur/divblurring/mmse-core';
import { testTimeTransforms } from '@divblur/divblurring/symmetry';
import type { ModelSessions } from './session.ts';
import { checkImage } from './input.ts';
import { fillNoise } from './noise.ts';
import { cropWindow, planTiles, reflectPad } from './tiled.ts';
import type { TilePlan } from './tiled.ts';
import { WelfordImage } from './welford.ts';
import { SampleSquaredErrors } from './mmse-sample-errors.ts';
import { OnnxOptionError } from './errors.ts';

// The MMSE vocabulary and defaults are the core's; served through this library so that the inference app needs no other.
export {
  DEFAULT_MEMORY_BUDGET_BYTES, DEFAULT_MIN_SAMPLES, DEFAULT_SAMPLES, DEFAULT_SEED, DEFAULT_TOLERANCE_RANGE, MAX_SAMPLES, SERVED_DIHEDRAL,
} from '@divblur/divblurring/mmse-core';
export type { MmseEstimate, MmseOptions } from '@divblur/divblurring/mmse-core';

/** The core's options plus this runtime's knobs. */
export interface OnnxMmseOptions extends MmseOptions {
  readonly maxBatch?: number;
  /** Force tiling with this core size (px), for tests and benchmarks. */
  readonly tileCorePx?: number;
  /** Aborting stops the decoding before its next batch of samples (a client that went away); the call rejects with the reason. */
  readonly signal?: AbortSignal;
}

export interface OnnxMmseResult extends MmseEstimate {
  /** How the image (the first view's, with test-time averaging) met the graphs. */
  readonly plan: TilePlan;
}

interface EncodedTile {
  readonly mu: ort.Tensor;
  readonly logvar: ort.Tensor;
}

/** The PSF the model was trained with (from the graphs' metadata), null without one. */
function psfOf(sessions: ModelSessions): { height: number; width: number; data: number[] } | null {
  return JSON.parse(sessions.encoder.metadata['divblur.psf'] ?? 'null') as { height: number; width: number; data: number[] } | null;
}

/** The model's PSF (normalised to sum 1, as trained) as an image; null for a DivNoising model (A = identity). */
export function sessionPsf(sessions: ModelSessions): Image | null {
  const psf = psfOf(sessions);
  return psf && { height: psf.height, width: psf.width, data: Float32Array.from(psf.data) };
}

/** The transforms `dihedral: true` uses for these sessions: the PSF's symmetries within the training augmentations. */
export function sessionTransforms(sessions: ModelSessions): number[] {
  const psf = psfOf(sessions);
  const training = JSON.parse(sessions.encoder.metadata['divblur.training'] ?? 'null') as Record<string, unknown> | null;
  return testTimeTransforms({ psf: psf && { height: psf.height, width: psf.width, data: Float32Array.from(psf.data) }, training: training ?? {} });
}

/** The MMSE on the core (mmse-core.ts: views, their samples and seeds, pooling), each view decoded by `mmseOneView`. */
export async function mmse(sessions: ModelSessions, image: Image, options: OnnxMmseOptions = {}): Promise<OnnxMmseResult> {
  checkImage(image);
  const views = mmseViews(options.dihedral, () => sessionTransforms(sessions));
  const problem = mmseOptionProblem(options, views);
  if (problem) throw new OnnxOptionError(problem.code, problem.message);
  let plan: TilePlan | null = null;
  const estimate = await pooledMmse(image, options, views, async (view, viewOptions) => {
    const result = await mmseOneView(sessions, view, viewOptions);
    plan ??= result.plan;
    return result;
  });
  return { ...estimate, plan: plan! };
}

/** The MMSE of the image as it is (no test-time averaging). */
async function mmseOneView(sessions: ModelSessions, image: Image, options: OnnxMmseOptions): Promise<OnnxMmseResult> {
  const samples = options.samples ?? DEFAULT_SAMPLES;
  const memoryBudgetBytes = options.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET_BYTES;
  const { groundTruth } = options;
  if (groundTruth !== undefined && (groundTruth.height !== image.height || groundTruth.width !== image.width)) {
    throw new OnnxOptionError('GROUND_TRUTH', `groundTruth is ${groundTruth.height}×${groundTruth.width}, the image ${image.height}×${image.width}`);
  }
  const margin = options.contextMargin ?? defaultContextMargin(psfOf(sessions), image.height, image.width, 2 ** sessions.sampler.config.depth);
  if (!Number.isInteger(margin) || margin < 0 || margin >= Math.min(image.height, image.width) - 4) {
    throw new OnnxOptionError('CONTEXT_MARGIN', `contextMargin must be an integer in [0, ${Math.min(image.height, image.width) - 4}) for a ${image.height}×${image.width} image, got ${margin}`);
  }
  const { config } = sessions.sampler;
  const cell = 2 ** config.depth;
  const latent = config.latentChannels;
  const plan = planTiles(image.height + 2 * margin, image.width + 2 * margin, config,
    { memoryBudgetBytes, samples, maxBatch: options.maxBatch, tileCorePx: options.tileCorePx });
  const padded = reflectPad(image, plan.paddedHeight, plan.paddedWidth, margin);

  const encoded: EncodedTile[] = [];
  for (const tile of plan.tiles) {
    const window = cropWindow(padded, plan.paddedWidth, tile.inputTop, tile.inputLeft, tile.inputHeight, tile.inputWidth);
    const y = new ort.Tensor('float32', window, [1, 1, tile.inputHeight, tile.inputWidth]);
    const out = await sessions.encoder.session.run({ y });
    encoded.push({ mu: out.mu as ort.Tensor, logvar: out.logvar as ort.Tensor });
  }

  const accumulator = new WelfordImage(plan.paddedHeight, plan.paddedWidth);
  const sampleErrors = groundTruth === undefined ? null : new SampleSquaredErrors(groundTruth, margin);
  const noiseBuffer = new Float32Array(plan.batchSize * latent * Math.max(...plan.tiles.map((t) => t.inputHeight * t.inputWidth)) / (cell * cell));
  const minSamples = Math.min(samples, options.minSamples ?? DEFAULT_MIN_SAMPLES);
  let stoppedEarly = false;
  while (accumulator.count < samples) {
    options.signal?.throwIfAborted();
    const batch = Math.min(plan.batchSize, samples - accumulator.count);
    for (let t = 0; t < plan.tiles.length; t++) {
      const tile = plan.tiles[t];
      const latentHeight = tile.inputHeight / cell;
      const latentWidth = tile.inputWidth / cell;
      const size = batch * latent * latentHeight * latentWidth;
      fillNoise(noiseBuffer, { seed: options.seed ?? DEFAULT_SEED, channels: latent, planeWidth: plan.paddedWidth / cell,
        top: tile.inputTop / cell, left: tile.inputLeft / cell, height: latentHeight, width: latentWidth }, accumulator.count, batch);
      const eps = new ort.Tensor('float32', noiseBuffer.subarray(0, size), [batch, latent, latentHeight, latentWidth]);
      const out = await sessions.sampler.session.run({ mu: encoded[t].mu, logvar: encoded[t].logvar, eps });
      const x = out.x as ort.Tensor;
      const core = { top: tile.coreTop, left: tile.coreLeft, height: tile.coreHeight, width: tile.coreWidth,
        rowOffset: tile.coreTop - tile.inputTop, columnOffset: tile.coreLeft - tile.inputLeft };
      accumulator.addRegion(x.data as Float32Array, batch, tile.inputHeight * tile.inputWidth, tile.inputWidth, core);
      sampleErrors?.addRegion(accumulator.count, x.data as Float32Array, batch, tile.inputHeight * tile.inputWidth, tile.inputWidth, core);
      x.dispose();
    }
    accumulator.commit(batch);
    options.onProgress?.(accumulator.count, samples);
    if (options.tolerance !== undefined && accumulator.count >= minSamples && accumulator.count < samples
      && accumulator.standardError().rms < options.tolerance) {
      stoppedEarly = true;
      break;
    }
  }
  for (const { mu, logvar } of encoded) {
    mu.dispose();
    logvar.dispose();
  }

  const { height, width } = image;
  const mean = cropWindow(accumulator.mean, plan.paddedWidth, margin, margin, height, width);
  const std = cropWindow(accumulator.std(), plan.paddedWidth, margin, margin, height, width);
  return {
    height, width, mmse: mean, std, standardError: accumulator.standardError(), samplesUsed: accumulator.count, stoppedEarly, plan,
    ...(sampleErrors === null ? {} : { sampleMse: sampleErrors.meanSquaredErrors(accumulator.count) }),
  };
}
