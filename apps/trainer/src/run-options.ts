/**
 * A run row's resolved parameters (as the API wrote them: `network` and `training` JSON) → the
 * options of libs/divblurring's `trainModel`. The network's `filters` is the first level's width,
 * doubled at each level (the report's 32, 64 for depth 2); a list is taken as given.
 */
import type { Image, Stack } from '@divblur/imaging';
import type { Checkpoint, ModelConfig, PenaltyName, TrainOptions } from '@divblur/divblurring';

export interface RunParameters {
  readonly method: 'divblurring' | 'divnoising';
  readonly penalty: PenaltyName;
  readonly lambda: number;
  readonly kappa: number;
  readonly seed: number;
  readonly noiseSigma: number | null;
  readonly network: unknown;
  readonly training: unknown;
}

/** Checkpoint cadence when the run's training settings do not give `checkpointEverySteps`. */
export const DEFAULT_CHECKPOINT_EVERY_STEPS = 100;

type Json = Record<string, unknown>;

const asObject = (value: unknown): Json => (value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Json : {});
const numberOr = <T>(value: unknown, fallback: T): number | T => (typeof value === 'number' && Number.isFinite(value) ? value : fallback);

export function modelConfigOf(network: unknown): Partial<ModelConfig> {
  const n = asObject(network);
  const depth = numberOr(n.depth, 2);
  const filters = Array.isArray(n.filters)
    ? n.filters.map(Number)
    : Array.from({ length: depth }, (_, level) => numberOr(n.filters, 32) * 2 ** level);
  return {
    depth, filters,
    latentChannels: numberOr(n.latentChannels, 64),
    ...(typeof n.kernelSize === 'number' ? { kernelSize: n.kernelSize } : {}),
    ...(n.output === 'softplus' || n.output === 'linear' ? { output: n.output } : {}),
  };
}

export interface TrainInputs {
  readonly images: Stack;
  readonly psf: Image | null;
  /** σ of the dataset when the run has none (null: estimated from the images). */
  readonly datasetNoiseSigma: number | null;
  readonly resumeFrom?: Checkpoint;
}

export function trainOptionsOf(run: RunParameters, inputs: TrainInputs): TrainOptions {
  const t = asObject(run.training);
  const minutes = numberOr(t.minutes, undefined);
  const noiseSigma = run.noiseSigma ?? inputs.datasetNoiseSigma ?? undefined;
  return {
    images: inputs.images,
    psf: run.method === 'divblurring' ? inputs.psf : null,
    ...(noiseSigma === undefined ? {} : { noiseSigma }),
    penalty: run.penalty, lambda: run.lambda, kappa: run.kappa,
    model: modelConfigOf(run.network),
    patchSize: numberOr(t.patchSize, undefined),
    batchSize: numberOr(t.batchSize, undefined),
    ...(minutes === undefined ? { steps: numberOr(t.steps, undefined) } : { minutes }),
    learningRate: numberOr(t.lr, undefined),
    seed: run.seed,
    checkpointEverySteps: numberOr(t.checkpointEverySteps, DEFAULT_CHECKPOINT_EVERY_STEPS),
    ...(inputs.resumeFrom ? { resumeFrom: inputs.resumeFrom } : {}),
  };
}
