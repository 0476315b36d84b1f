/** Training options, their defaults (the report's recipe) and their checks, in one place. */
import { DivblurConfigError } from './errors.ts';
import type { Image, Stack } from './imaging.ts';
import { checkModelConfig, REPORT_MODEL, type ModelConfig } from './architecture.ts';
import { checkPenalty, type PenaltyName } from './penalties.ts';
import type { LrScheduleName } from './schedule.ts';
import type { Checkpoint } from './checkpoint.ts';
import { ALL_TRANSFORMS, transformListProblem } from './data.ts';
import { psfSymmetries } from './symmetry.ts';
import { checkNoiseModel, equivalentNoiseSigma, gaussianNoise, type NoiseModel, type NoiseModelSpec } from './imaging.ts';

export interface TrainOptions {
  /** Noisy (and, for DivBlurring, blurred) training images, data units. */
  readonly images: Stack;
  /** Odd-sized PSF normalised to sum 1; null = DivNoising (A = identity). */
  readonly psf: Image | null;
  /** Gaussian noise σ in data units; absent → estimated from the images. */
  readonly noiseSigma?: number;
  /**
   * The likelihood's noise model (@divblur/imaging noise-model.ts): "estimate" (Poisson–Gaussian, every value
   * from the images), or a kind with what is known (the rest estimated). Absent: the report's Gaussian of σ
   * `noiseSigma`. Camera data in ADU: { kind: 'poisson_gaussian' } or "estimate".
   */
  readonly noiseModel?: NoiseModelSpec;
  readonly penalty?: PenaltyName;
  readonly lambda?: number;
  readonly kappa?: number;
  readonly model?: Partial<ModelConfig>;
  readonly patchSize?: number;
  readonly batchSize?: number;
  /**
   * The dihedral transforms (0..7, data.ts) that augment the patches; default the PSF's own symmetries
   * (symmetry.ts): a turned patch is blurred by the turned PSF, which the likelihood's A matches only then.
   */
  readonly augmentations?: readonly number[];
  /** Budget in steps (default 3000 when minutes is absent). */
  readonly steps?: number;
  /** Budget in wall-clock minutes; total steps are then estimated from the first steps' speed. */
  readonly minutes?: number;
  readonly seed?: number;
  readonly learningRate?: number;
  readonly lrSchedule?: LrScheduleName;
  readonly klHoldFraction?: number;
  readonly klRampFraction?: number;
  /** Free-bits floor, nats per latent channel and latent pixel. */
  readonly freeBitsNats?: number;
  /** KL per input pixel (nats) below which, after warm-up, the posterior counts as collapsed. */
  readonly collapseThreshold?: number;
  /** Steps over which the KL is averaged for the collapse test. */
  readonly collapseWindowSteps?: number;
  readonly maxRestarts?: number;
  readonly checkpointEverySteps?: number;
  readonly resumeFrom?: Checkpoint;
}

/** Patches per step when none is given: the report's. */
export const DEFAULT_BATCH_SIZE = 32;

/** The budget when neither steps nor minutes is given: the report's. */
export const DEFAULT_TRAIN_STEPS = 3000;

/** Every hyper-parameter with its value (what a checkpoint and model.json record). */
export interface Hyperparameters {
  readonly method: 'divblurring' | 'divnoising';
  /** The Gaussian model's σ; for a Poisson–Gaussian one, √v at the training data's mean signal (one σ to show). */
  readonly noiseSigma: number;
  readonly noiseModel: NoiseModel;
  readonly penalty: PenaltyName;
  readonly lambda: number;
  readonly kappa: number;
  readonly model: ModelConfig;
  readonly patchSize: number;
  readonly batchSize: number;
  readonly augmentations: readonly number[];
  readonly steps: number | null;
  readonly minutes: number | null;
  readonly seed: number;
  readonly learningRate: number;
  readonly lrSchedule: LrScheduleName;
  readonly klHoldFraction: number;
  readonly klRampFraction: number;
  readonly freeBitsNats: number;
  readonly collapseThreshold: number;
  readonly collapseWindowSteps: number;
  readonly maxRestarts: number;
  readonly checkpointEverySteps: number;
}

function positive(name: string, value: number, integer = false): number {
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new DivblurConfigError(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${value}`);
  }
  return value;
}

function fraction(name: string, value: number): number {
  if (!(value >= 0 && value <= 1)) throw new DivblurConfigError(`${name} must lie in [0, 1], got ${value}`);
  return value;
}

/**
 * A checkpoint's hyper-parameters with the fields added since it was written: checkpoints before `augmentations`
 * trained with all 8, those before `noiseModel` with the Gaussian of their σ.
 */
export function checkpointHyperparameters(
  stored: Omit<Hyperparameters, 'augmentations' | 'noiseModel'> & { augmentations?: readonly number[]; noiseModel?: NoiseModel },
): Hyperparameters {
  return { ...stored, augmentations: stored.augmentations ?? ALL_TRANSFORMS, noiseModel: stored.noiseModel ?? gaussianNoise(stored.noiseSigma) };
}

/** Mean of the images minus the offset: the signal level at which a Poisson–Gaussian model's σ is quoted. */
function meanSignal(images: Stack, offset: number): number {
  let sum = 0;
  for (const value of images.data) sum += value;
  return sum / images.data.length - offset;
}

/**
 * Fills defaults and checks every option; the noise must be known by now (see train.ts): a σ (the report's
 * Gaussian model) or a resolved noise model.
 */
export function resolveHyperparameters(options: TrainOptions, noise: number | NoiseModel): Hyperparameters {
  const noiseModel = typeof noise === 'number' ? gaussianNoise(noise) : checkNoiseModel(noise);
  const noiseSigma = noiseModel.kind === 'gaussian' ? noiseModel.sigma : equivalentNoiseSigma(noiseModel, meanSignal(options.images, noiseModel.offset));
  const model = checkModelConfig({ ...REPORT_MODEL, ...options.model });
  const penalty = checkPenalty({ name: options.penalty ?? 'none', lambda: options.lambda ?? 0, kappa: options.kappa ?? 0 });
  const patchSize = positive('patchSize', options.patchSize ?? 64, true);
  if (patchSize % 2 ** model.depth !== 0) throw new DivblurConfigError(`patchSize ${patchSize} must be a multiple of ${2 ** model.depth}`);
  if (options.psf && (options.psf.height >= patchSize || options.psf.width >= patchSize)) {
    throw new DivblurConfigError(`PSF ${options.psf.height}×${options.psf.width} must be smaller than the patch (${patchSize})`);
  }
  if (options.steps !== undefined && options.minutes !== undefined) throw new DivblurConfigError('give steps or minutes, not both');
  const lrSchedule = options.lrSchedule ?? 'plateau';
  if (!['plateau', 'cosine', 'constant'].includes(lrSchedule)) throw new DivblurConfigError(`lrSchedule must be plateau|cosine|constant, got ${lrSchedule}`);
  const augmentations = options.augmentations ?? psfSymmetries(options.psf);
  const problem = transformListProblem(augmentations);
  if (problem) throw new DivblurConfigError(`augmentations ${problem}`);
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new DivblurConfigError(`seed must be a non-negative integer, got ${seed}`);
  return {
    method: options.psf ? 'divblurring' : 'divnoising',
    noiseSigma: positive('noiseSigma', noiseSigma),
    noiseModel,
    penalty: penalty.name,
    lambda: penalty.lambda,
    kappa: penalty.kappa,
    model,
    patchSize,
    batchSize: positive('batchSize', options.batchSize ?? DEFAULT_BATCH_SIZE, true),
    augmentations: [...augmentations].sort((a, b) => a - b),
    steps: options.minutes === undefined ? positive('steps', options.steps ?? DEFAULT_TRAIN_STEPS, true) : null,
    minutes: options.minutes === undefined ? null : positive('minutes', options.minutes),
    seed,
    learningRate: positive('learningRate', options.learningRate ?? 1e-3),
    lrSchedule,
    klHoldFraction: fraction('klHoldFraction', options.klHoldFraction ?? 0.05),
    klRampFraction: fraction('klRampFraction', options.klRampFraction ?? 0.1),
    freeBitsNats: fraction('freeBitsNats', options.freeBitsNats ?? 0.01),
    collapseThreshold: options.collapseThreshold ?? 1e-3,
    collapseWindowSteps: positive('collapseWindowSteps', options.collapseWindowSteps ?? 20, true),
    maxRestarts: options.maxRestarts ?? 3,
    checkpointEverySteps: options.checkpointEverySteps ?? 0,
  };
}
