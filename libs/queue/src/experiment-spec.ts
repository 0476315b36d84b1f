/**
 * The experiment spec: one TypeBox schema for the API's request validation, its TS type and
 * OpenAPI, and for the trainer's reading of a run's resolved parameters. Every field has the
 * name, the meaning and the default of the matching field of libs/divblurring's `TrainOptions`
 * (`model` → `network`), so a run maps 1:1 onto `TrainOptions` (`toTrainOptions`, run-params.ts).
 * Defaults are the report's recipe (divblurring's options.ts and REPORT_MODEL); a test checks
 * them against `resolveHyperparameters`.
 */
import { Type, type Static } from '@sinclair/typebox';

export const Method = Type.Union([Type.Literal('divblurring'), Type.Literal('divnoising')], {
  description: 'divblurring: A = convolution with the PSF; divnoising: A = identity (the baseline)',
});
export type Method = Static<typeof Method>;

export const PENALTIES = ['none', 'l1', 'l2', 'positivity', 'positivity_l1'] as const;
export const Penalty = Type.Union([
  Type.Literal('none'), Type.Literal('l1'), Type.Literal('l2'), Type.Literal('positivity'), Type.Literal('positivity_l1'),
], {
  description: 'R(x): none | l1 λΣ|x| | l2 λΣx² | positivity λΣmin(x,0)² | positivity_l1 κΣmin(x,0)² + λΣ|x|',
});
export type Penalty = Static<typeof Penalty>;

/**
 * Upper bounds of the numeric fields: every number a client sends has one, so that a typo
 * (λ = 1e308, steps = 1e12) is a 400 rather than a run that fails at step 0 or trains for ever.
 * λ and κ: the report's positivity weight 1/(2σ²) is 5·10⁵ at σ = 0.001 (data scaled to [0, 1]);
 * a larger weight swamps the data term and overflows float32 losses. Seeds: the runs' seed column is
 * a Postgres integer. Steps: a million is weeks of training here; minutes: a week.
 */
export const SPEC_BOUNDS = {
  weightMax: 1e6,
  noiseSigmaMax: 1e6,
  seedMax: 2 ** 31 - 1,
  stepsMax: 1_000_000,
  minutesMax: 7 * 24 * 60,
  sweepValuesMax: 256,
} as const;

/** λ ≥ 0 weights R(g(z)) in L = ‖Ag(z) − y‖²/(2σ²) + KL + λR(g(z)). */
export const Lambda = Type.Number({ minimum: 0, maximum: SPEC_BOUNDS.weightMax, description: `penalty weight 0 ≤ λ ≤ ${SPEC_BOUNDS.weightMax}` });
export const Kappa = Type.Number({ minimum: 0, maximum: SPEC_BOUNDS.weightMax, description: `0 ≤ κ ≤ ${SPEC_BOUNDS.weightMax}, weight of Σmin(x,0)² in positivity_l1` });
export const Seed = Type.Integer({ minimum: 0, maximum: SPEC_BOUNDS.seedMax, description: 'everything random comes from it' });
export const NoiseSigma = Type.Union(
  [Type.Number({ exclusiveMinimum: 0, maximum: SPEC_BOUNDS.noiseSigmaMax }), Type.Literal('estimate')],
  { description: `noise 0 < σ ≤ ${SPEC_BOUNDS.noiseSigmaMax} in the data's intensity units, or "estimate" (from the data)` },
);

/** Bounds of the noise values: any camera's ADU (uint16 ≤ 65535) and any float scaling fit well inside. */
const NOISE_VALUE_MAX = 1e6;

/**
 * The likelihood's noise model (@divblur/imaging noise-model.ts, divblurring's `TrainOptions.noiseModel`): "estimate"
 * (Poisson–Gaussian, every value from the data) or a kind with the values known, the rest estimated. Camera data
 * in ADU: gain α (ADU per electron), read noise σ_r (ADU), offset o (ADU); v = α·max(Ax − o, 0) + σ_r².
 */
export const NoiseModelSpec = Type.Union([
  Type.Literal('estimate'),
  Type.Object({
    kind: Type.Literal('gaussian'),
    sigma: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: NOISE_VALUE_MAX, description: 'σ > 0, data units; absent: estimated' })),
    offset: Type.Optional(Type.Number({ minimum: -NOISE_VALUE_MAX, maximum: NOISE_VALUE_MAX, description: 'the data\'s zero, data units (default 0): the penalties act on x − offset' })),
  }, { additionalProperties: false }),
  Type.Object({
    kind: Type.Literal('poisson_gaussian'),
    gain: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: NOISE_VALUE_MAX, description: 'α > 0, ADU per electron; absent: estimated' })),
    readNoise: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: NOISE_VALUE_MAX, description: 'σ_r > 0, ADU (a standard deviation); absent: estimated' })),
    offset: Type.Optional(Type.Number({ minimum: -NOISE_VALUE_MAX, maximum: NOISE_VALUE_MAX, description: 'o, ADU: what an unlit pixel reads; absent: estimated' })),
  }, { additionalProperties: false }),
], { description: 'noise model: "estimate" or { kind: gaussian | poisson_gaussian, values known } (the rest estimated from the data); absent: Gaussian of noiseSigma' });
export type NoiseModelSpec = Static<typeof NoiseModelSpec>;

/** Checkpoint cadence of a run (the trainer) and of `divblur train`. */
export const DEFAULT_CHECKPOINT_EVERY_STEPS = 100;

export const LR_SCHEDULES = ['plateau', 'cosine', 'constant'] as const;
/** Which turns and mirrors of the square augment the training patches (libs/divblurring/src/symmetry.ts). */
export const Augmentations = Type.Union([Type.Literal('psf'), Type.Literal('all'), Type.Literal('none')], {
  default: 'psf',
  description: 'psf: those the PSF is symmetric under (all 8 for a Gaussian); all: all 8, for a PSF known to be symmetric whose measurement is not; none',
});

export const LrSchedule = Type.Union([Type.Literal('plateau'), Type.Literal('cosine'), Type.Literal('constant')], {
  default: 'plateau',
  description: 'plateau: ×0.5 after 10 windows of 100 steps without a better mean; cosine; constant',
});

/** divblurring's `ModelConfig`; `filters` (one count per level) defaults to 32·2^level, i.e. [32, 64] at depth 2. */
export const Network = Type.Object(
  {
    depth: Type.Integer({ minimum: 1, maximum: 4, default: 2, description: 'encoder/decoder levels (2×2 pooling each)' }),
    filters: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 512 }), {
      minItems: 1, maxItems: 4, description: 'conv filters per level, one per depth level; default 32·2^level',
    })),
    latentChannels: Type.Integer({ minimum: 1, maximum: 512, default: 64 }),
    kernelSize: Type.Union([Type.Literal(1), Type.Literal(3), Type.Literal(5), Type.Literal(7)], { default: 3, description: 'conv kernel side, odd' }),
    output: Type.Union([Type.Literal('linear'), Type.Literal('softplus')], {
      default: 'linear', description: 'softplus makes the estimate positive by construction',
    }),
  },
  { additionalProperties: false, default: {} },
);

/** divblurring's `TrainOptions` budget, batch and optimiser fields, same names and defaults. */
export const Training = Type.Object(
  {
    steps: Type.Optional(Type.Integer({ minimum: 1, maximum: SPEC_BOUNDS.stepsMax, description: 'stop after this many optimiser steps' })),
    minutes: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: SPEC_BOUNDS.minutesMax, description: 'or stop after this wall time (not both)' })),
    batchSize: Type.Integer({ minimum: 1, maximum: 1024, default: 32 }),
    patchSize: Type.Integer({ minimum: 8, maximum: 1024, default: 64, description: 'square patch side, px; a multiple of 2^depth' }),
    learningRate: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 1e-3, description: 'Adam learning rate' }),
    lrSchedule: LrSchedule,
    klHoldFraction: Type.Number({ minimum: 0, maximum: 1, default: 0.05, description: 'β = 0 for this fraction of the steps' }),
    klRampFraction: Type.Number({ minimum: 0, maximum: 1, default: 0.1, description: 'then β ramps linearly to 1 over this fraction' }),
    freeBitsNats: Type.Number({ minimum: 0, maximum: 1, default: 0.01, description: 'free-bits floor, nats per latent channel and pixel' }),
    collapseThreshold: Type.Number({ minimum: 0, maximum: 10, default: 1e-3, description: 'KL per pixel (nats) below which the run restarts' }),
    collapseWindowSteps: Type.Integer({ minimum: 1, maximum: 10_000, default: 20, description: 'steps over which the KL is averaged for the collapse test' }),
    maxRestarts: Type.Integer({ minimum: 0, maximum: 10, default: 3 }),
    augmentations: Augmentations,
    checkpointEverySteps: Type.Integer({
      minimum: 1, maximum: SPEC_BOUNDS.stepsMax, default: DEFAULT_CHECKPOINT_EVERY_STEPS,
      description: 'a checkpoint every this many steps (and at the end): a killed run resumes from the last one',
    }),
    seed: Type.Integer({ minimum: 0, maximum: SPEC_BOUNDS.seedMax, default: 0, description: 'everything random comes from it' }),
  },
  { additionalProperties: false, default: {} },
);

export const ExperimentSpec = Type.Object(
  {
    method: Type.Optional(Method),
    penalty: Type.Optional(Penalty),
    lambda: Type.Optional(Lambda),
    kappa: Type.Optional(Kappa),
    noiseSigma: Type.Optional(NoiseSigma),
    noiseModel: Type.Optional(NoiseModelSpec),
    network: Network,
    training: Training,
  },
  { additionalProperties: false },
);
export type ExperimentSpec = Static<typeof ExperimentSpec>;

/** Lists whose cartesian product gives the runs; a missing key keeps the spec's value. A value twice would train the same run twice. */
const sweepList = { minItems: 1, maxItems: SPEC_BOUNDS.sweepValuesMax, uniqueItems: true } as const;
export const Sweep = Type.Object(
  {
    lambda: Type.Optional(Type.Array(Lambda, sweepList)),
    kappa: Type.Optional(Type.Array(Kappa, sweepList)),
    penalty: Type.Optional(Type.Array(Penalty, sweepList)),
    method: Type.Optional(Type.Array(Method, sweepList)),
    seed: Type.Optional(Type.Array(Seed, sweepList)),
  },
  { additionalProperties: false },
);
export type Sweep = Static<typeof Sweep>;

export type RunNetwork = Required<Static<typeof Network>>;
export type RunTraining = Static<typeof Training>;

/** The fully resolved parameters of one run (stored on the run row; what the trainer trains). */
export interface RunParams {
  method: Method;
  penalty: Penalty;
  lambda: number;
  kappa: number;
  noiseSigma: number | 'estimate';
  /** Absent: the Gaussian of noiseSigma (or the dataset's noise model, when it has one). */
  noiseModel?: NoiseModelSpec;
  network: RunNetwork;
  training: RunTraining;
}
