/**
 * A run's resolved parameters: from a spec (defaults filled, cross-field checks the schema cannot
 * express), from a stored run row (what the trainer reads), and onto libs/divblurring's
 * `TrainOptions`. The mapping is 1:1 by name, except `network` → `model` and the method, which
 * TrainOptions expresses by the PSF (`psf: null` is DivNoising).
 */
import { Value } from '@sinclair/typebox/value';
import { Type } from '@sinclair/typebox';
import { RunParamsError } from './errors.ts';
import {
  ExperimentSpec, Kappa, Lambda, Method, Network, NoiseModelSpec, Penalty, Training, type RunNetwork, type RunParams, type RunTraining,
} from './experiment-spec.ts';

export const SPEC_DEFAULTS = { method: 'divblurring', penalty: 'none', lambda: 0, kappa: 0, noiseSigma: 'estimate' } as const;

/** The report's filter counts generalised to any depth: 32·2^level ([32, 64] at depth 2). */
export function defaultFilters(depth: number): number[] {
  return Array.from({ length: depth }, (_, level) => 32 * 2 ** level);
}

/** The problems of a resolved parameter set that the JSON schema cannot see (empty when none). */
export function runParamsProblems(params: Pick<RunParams, 'network' | 'training'> & Partial<Pick<RunParams, 'noiseModel' | 'noiseSigma'>>): string[] {
  const { network, training } = params;
  const problems: string[] = [];
  if (network.filters.length !== network.depth) {
    problems.push(`network.filters lists ${network.filters.length} counts; network.depth ${network.depth} needs one per level`);
  }
  const multiple = 2 ** network.depth;
  if (training.patchSize % multiple !== 0) {
    problems.push(`training.patchSize ${training.patchSize} must be a multiple of 2^depth = ${multiple}`);
  }
  if (training.steps === undefined && training.minutes === undefined) problems.push('training needs steps or minutes');
  if (training.steps !== undefined && training.minutes !== undefined) problems.push('training takes steps or minutes, not both');
  const { noiseModel, noiseSigma } = params as Partial<Pick<RunParams, 'noiseModel' | 'noiseSigma'>>;
  if (typeof noiseSigma === 'number' && noiseModel !== undefined) problems.push('give noiseSigma or noiseModel, not both (a Gaussian noiseModel takes sigma)');
  return problems;
}

/** The spec's run (before any sweep), defaults filled; throws `RunParamsError` naming every problem. */
export function resolveSpec(spec: ExperimentSpec): RunParams {
  const filledNetwork = Value.Default(Network, structuredClone(spec.network ?? {})) as ExperimentSpec['network'];
  const network: RunNetwork = { ...filledNetwork, filters: filledNetwork.filters ?? defaultFilters(filledNetwork.depth) } as RunNetwork;
  const training = Value.Default(Training, structuredClone(spec.training ?? {})) as RunTraining;
  const params: RunParams = {
    method: spec.method ?? SPEC_DEFAULTS.method,
    penalty: spec.penalty ?? SPEC_DEFAULTS.penalty,
    lambda: spec.lambda ?? SPEC_DEFAULTS.lambda,
    kappa: spec.kappa ?? SPEC_DEFAULTS.kappa,
    noiseSigma: spec.noiseSigma ?? SPEC_DEFAULTS.noiseSigma,
    ...(spec.noiseModel === undefined ? {} : { noiseModel: spec.noiseModel }),
    network,
    training,
  };
  const problems = runParamsProblems(params);
  if (problems.length > 0) throw new RunParamsError(problems.join('; '));
  return params;
}

/** A spec from outside the API (`divblur train`'s flags): defaults filled and checked against the schema the API validates with. */
export function parseSpec(value: unknown): ExperimentSpec {
  const spec = Value.Default(ExperimentSpec, structuredClone(value));
  const errors = [...Value.Errors(ExperimentSpec, spec)];
  if (errors.length > 0) {
    throw new RunParamsError(errors.slice(0, 5).map((error) => `${error.path || '/'}: ${error.message}`).join('; '));
  }
  return spec as ExperimentSpec;
}

/**
 * The run columns the mapping reads: a Prisma `Run` row fits (network and training are JSON). The run's noise model,
 * when its spec has one, is stored in the training JSON under `noiseModel` (`storedTraining`), since the row has no
 * column of its own for it.
 */
export interface RunRow {
  method: string;
  penalty: string;
  lambda: number;
  kappa: number;
  seed: number;
  /** σ given in the spec; null when it is to be estimated from the images. */
  noiseSigma: number | null;
  network: unknown;
  training: unknown;
}

const StoredRun = Type.Object({
  method: Method, penalty: Penalty, lambda: Lambda, kappa: Kappa, seed: Type.Integer({ minimum: 0 }),
  network: Type.Required(Network), training: Training,
});

/** The training JSON a run row stores: the resolved training fields, and the noise model when the run has one. */
export function storedTraining(params: Pick<RunParams, 'training' | 'noiseModel'>): object {
  return params.noiseModel === undefined ? params.training : { ...params.training, noiseModel: params.noiseModel };
}

/** A stored run's parameters, checked (defaults filled for JSON written before a field existed); the seed and σ columns win. */
export function runParamsFromRow(run: RunRow): RunParams {
  const { noiseModel, ...training } = (structuredClone(run.training ?? {}) as { noiseModel?: unknown });
  if (noiseModel !== undefined && !Value.Check(NoiseModelSpec, noiseModel)) {
    throw new RunParamsError(`run parameters: training.noiseModel ${JSON.stringify(noiseModel)} is not a noise model`);
  }
  const candidate = {
    method: run.method, penalty: run.penalty, lambda: run.lambda, kappa: run.kappa, seed: run.seed,
    network: Value.Default(Network, structuredClone(run.network ?? {})),
    training: Value.Default(Training, training),
  };
  const network = candidate.network as { depth?: number; filters?: number[] };
  if (network.filters === undefined && typeof network.depth === 'number') network.filters = defaultFilters(network.depth);
  const errors = [...Value.Errors(StoredRun, candidate)];
  if (errors.length > 0) {
    throw new RunParamsError(`run parameters: ${errors.slice(0, 5).map((error) => `${error.path}: ${error.message}`).join('; ')}`);
  }
  const { seed, ...params } = candidate as unknown as RunParams & { seed: number };
  const problems = runParamsProblems(params);
  if (problems.length > 0) throw new RunParamsError(`run parameters: ${problems.join('; ')}`);
  return {
    ...params, training: { ...params.training, seed }, noiseSigma: run.noiseSigma ?? 'estimate',
    ...(noiseModel === undefined ? {} : { noiseModel: noiseModel as NoiseModelSpec }),
  };
}

/**
 * The options of divblurring's `trainModel` for a run (the type is `TrainOptions` there; this
 * package stays free of tfjs, so it is generic in the image types). The caller adds `resumeFrom`,
 * which is about the job, not the run.
 */
export interface RunTrainOptions<TStack, TImage> {
  images: TStack;
  psf: TImage | null;
  noiseSigma?: number;
  noiseModel?: NoiseModelSpec;
  penalty: Penalty;
  lambda: number;
  kappa: number;
  model: { depth: number; filters: number[]; latentChannels: number; kernelSize: number; output: 'linear' | 'softplus' };
  patchSize: number;
  batchSize: number;
  steps?: number;
  minutes?: number;
  seed: number;
  learningRate: number;
  lrSchedule: 'plateau' | 'cosine' | 'constant';
  klHoldFraction: number;
  klRampFraction: number;
  freeBitsNats: number;
  collapseThreshold: number;
  collapseWindowSteps: number;
  maxRestarts: number;
  checkpointEverySteps: number;
  /** Absent: divblurring derives them from the PSF. */
  augmentations?: number[];
}

export type AugmentationChoice = RunTraining['augmentations'];

/** The spec's augmentation choice as dihedral transform numbers (divblurring's data.ts); undefined ('psf') leaves them to divblurring. */
export function augmentationTransforms(choice: AugmentationChoice): number[] | undefined {
  return choice === 'all' ? [0, 1, 2, 3, 4, 5, 6, 7] : choice === 'none' ? [0] : undefined;
}

/** What a run trains on: the dataset's images (the training split), its PSF, and its σ when the dataset gives one. */
export interface RunTrainInputs<TStack, TImage> {
  readonly images: TStack;
  readonly psf: TImage | null;
  /** σ recorded with the dataset, used when the run's is "estimate"; null or absent: estimated from the images. */
  readonly datasetNoiseSigma?: number | null;
  /**
   * The noise model the dataset was given or estimated at ingest (every value known), used when the run gives no
   * σ and no noise model, or asks for "estimate"; null or absent: none.
   */
  readonly datasetNoiseModel?: NoiseModelSpec | null;
}

/**
 * The noise model a dataset was given or estimated at ingest (the API stores it, resolved, as `meta.noiseModel`), or
 * null: the one reader, for the trainer (`datasetNoiseModel` below) and the baselines.
 */
export function datasetNoiseModelOf(meta: unknown): NoiseModelSpec | null {
  const stored = (meta as { noiseModel?: unknown } | null)?.noiseModel;
  return stored !== undefined && Value.Check(NoiseModelSpec, stored) ? stored : null;
}

/**
 * The one mapping of a run's resolved parameters onto `TrainOptions`, used by the trainer (from a row,
 * through `runParamsFromRow`) and by `divblur train` (from its flags, through `resolveSpec`). A
 * divblurring run needs the dataset's PSF; a divnoising run ignores it. Noise: the run's noise model ("estimate"
 * takes the dataset's estimate when it has one); else the run's σ (the report's Gaussian); else the dataset's noise
 * model; else the dataset's σ; else left out so that divblurring estimates σ from the images.
 */
export function toTrainOptions<TStack, TImage>(params: RunParams, inputs: RunTrainInputs<TStack, TImage>): RunTrainOptions<TStack, TImage> {
  if (params.method === 'divblurring' && inputs.psf === null) {
    throw new RunParamsError('a divblurring run needs the dataset\'s PSF; the dataset has none');
  }
  const { network, training } = params;
  const datasetModel = inputs.datasetNoiseModel ?? undefined;
  const noiseModel = params.noiseModel === 'estimate' && typeof datasetModel === 'object' && datasetModel.kind === 'poisson_gaussian'
    ? datasetModel
    : params.noiseModel ?? (params.noiseSigma === 'estimate' ? datasetModel : undefined);
  const noiseSigma = noiseModel !== undefined ? undefined
    : params.noiseSigma === 'estimate' ? (inputs.datasetNoiseSigma ?? undefined) : params.noiseSigma;
  return {
    images: inputs.images,
    psf: params.method === 'divblurring' ? inputs.psf : null,
    ...(noiseSigma === undefined ? {} : { noiseSigma }),
    ...(noiseModel === undefined ? {} : { noiseModel }),
    penalty: params.penalty,
    lambda: params.lambda,
    kappa: params.kappa,
    model: { depth: network.depth, filters: [...network.filters], latentChannels: network.latentChannels, kernelSize: network.kernelSize, output: network.output },
    patchSize: training.patchSize,
    batchSize: training.batchSize,
    ...(training.steps === undefined ? {} : { steps: training.steps }),
    ...(training.minutes === undefined ? {} : { minutes: training.minutes }),
    seed: training.seed,
    learningRate: training.learningRate,
    lrSchedule: training.lrSchedule,
    klHoldFraction: training.klHoldFraction,
    klRampFraction: training.klRampFraction,
    freeBitsNats: training.freeBitsNats,
    collapseThreshold: training.collapseThreshold,
    collapseWindowSteps: training.collapseWindowSteps,
    maxRestarts: training.maxRestarts,
    checkpointEverySteps: training.checkpointEverySteps,
    ...(training.augmentations === 'psf' ? {} : { augmentations: augmentationTransforms(training.augmentations) }),
  };
}
