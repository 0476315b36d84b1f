/**
 * MMSE deconvolution with ONNX Runtime: encode each tile once (μ, log σ² of q(z|y)), then decode N posterior
 * samples in batches through the sampler graph (z = μ + σ·ε formed in-graph), streaming the per-pixel mean and
 * variance (Welford). MMSE x̂ = (1/N) Σ g(z_s); std map = per-pixel sample std; Monte-Carlo standard error of
 * x̂ = std/√N (reported as RMS and max over pixels). Optional early stop once the RMS standard error < tolerance.
 * Given the ground truth, each sample's MSE against it is accumulated on the way (no sample is kept).
 */
import * as ort from 'onnxruntime-node';
import type { Image } from '@divblur/imaging';
import type { ModelSessions } from './session.ts';
import { checkImage } from './input.ts';
import { fillNoise } from './noise.ts';
import { cropWindow, planTiles, reflectPad } from './tiled.ts';
import type { TilePlan } from './tiled.ts';
import { WelfordImage } from './welford.ts';
import { SampleSquaredErrors } from './mmse-sample-errors.ts';
import { OnnxOptionError } from './errors.ts';
import { defaultContextMargin } from '@divblur/divblurring/architecture';
import { dihedralMmse, sessionTransforms } from './mmse-dihedral.ts';

export const DEFAULT_SAMPLES = 100;
export const DEFAULT_MEMORY_BUDGET_BYTES = 1024 ** 3;

export interface MmseOptions {
  /** Posterior samples to average (default 100). */
  readonly samples?: number;
  readonly seed?: number;
  /** Working-memory budget of the decode (bytes); decides whole image vs tiles and the batch size. */
  readonly memoryBudgetBytes?: number;
  /** Stop early once the RMS Monte-Carlo standard error of the MMSE (data units) falls below this. */
  readonly tolerance?: number;
  /** Never stop before this many samples (default 16): the variance estimate needs some. */
  readonly minSamples?: number;
  readonly maxBatch?: number;
  /** Force tiling with this core size (px), for tests and benchmarks. */
  readonly tileCorePx?: number;
  /**
   * The image's ground truth (same shape): each decoded sample's MSE against it is returned as `sampleMse`, for
   * the mean per-sample PSNR, without keeping the samples.
   */
  readonly groundTruth?: Image;
  /**
   * Pixels of reflected context around the image, cropped after (default: the model's PSF radius, capped for
   * small images, the same rule as libs/divblurring's deconvolveMmse). Training constrains g(z) only where
   * the PSF's support lies inside the patch, so the network's output within a PSF radius of an edge is barely
   * trained; with the PSF radius as margin the image's edge pixels are computed as interior ones.
   */
  readonly contextMargin?: number;
  /**
   * Test-time averaging over the symmetries of the square the model's PSF shares (mmse-dihedral.ts), the samples
   * split among them: true = those of the model (all 8 for a Gaussian PSF), a list = exactly those transforms.
   */
  readonly dihedral?: boolean | readonly number[];
  /** Called after each batch with the samples done so far. */
  readonly onProgress?: (samplesDone: number, samplesPlanned: number) => void;
}

export interface MmseResult {
  readonly height: number;
  readonly width: number;
  readonly mmse: Float32Array;
  readonly std: Float32Array;
  /** Monte-Carlo standard error of the MMSE, std/√N: RMS and max over pixels, data units. */
  readonly standardError: { readonly rms: number; readonly max: number };
  readonly samplesUsed: number;
  /** With `groundTruth`: MSE of each sample used against it, in sample order. */
  readonly sampleMse?: Float64Array;
  readonly stoppedEarly: boolean;
  readonly plan: TilePlan;
}

interface EncodedTile {
  readonly mu: ort.Tensor;
  readonly logvar: ort.Tensor;
}

/** The size of the PSF the model was trained with (from the graphs' metadata), null without one. */
function psfOf(sessions: ModelSessions): { height: number; width: number } | null {
  return JSON.parse(sessions.encoder.metadata['divblur.psf'] ?? 'null') as { height: number; width: number } | null;
}

function checkOptions(samples: number, budget: number, tolerance: number | undefined): void {
  if (!Number.isInteger(samples) || samples < 1) throw new OnnxOptionError('SAMPLES', `samples must be an integer ≥ 1, got ${samples}`);
  if (!(budget > 0)) throw new OnnxOptionError('MEMORY_BUDGET', `memoryBudgetBytes must be > 0, got ${budget}`);
  if (tolerance !== undefined && !(tolerance > 0)) throw new OnnxOptionError('TOLERANCE', `tolerance must be > 0, got ${tolerance}`);
}

export async function mmse(sessions: ModelSessions, image: Image, options: MmseOptions = {}): Promise<MmseResult> {
  checkImage(image);
  const samples = options.samples ?? DEFAULT_SAMPLES;
  checkOptions(samples, options.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET_BYTES, options.tolerance);
  const transforms = Array.isArray(options.dihedral) ? options.dihedral : options.dihedral ? sessionTransforms(sessions) : [0];
  if (transforms.length === 1 && transforms[0] === 0) return mmseOneView(sessions, image, options);
  return dihedralMmse(sessions, image, options, transforms, samples, mmseOneView);
}

/** The MMSE of the image as it is (no test-time averaging). */
async function mmseOneView(sessions: ModelSessions, image: Image, options: MmseOptions): Promise<MmseResult> {
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
  const minSamples = Math.min(samples, options.minSamples ?? 16);
  let stoppedEarly = false;
  while (accumulator.count < samples) {
    const batch = Math.min(plan.batchSize, samples - accumulator.count);
    for (let t = 0; t < plan.tiles.length; t++) {
      const tile = plan.tiles[t];
      const latentHeight = tile.inputHeight / cell;
      const latentWidth = tile.inputWidth / cell;
      const size = batch * latent * latentHeight * latentWidth;
      fillNoise(noiseBuffer, { seed: options.seed ?? 0, channels: latent, planeWidth: plan.paddedWidth / cell,
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
