/**
 * The experiment spec: one TypeBox schema used for request validation, the TS type and OpenAPI.
 * Defaults are the report's (depth 2, 3×3 convs, latent 64, batch 32, Adam lr 1e-3).
 * Proposed to move to libs/queue once the job payloads there reference it.
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
  description: 'R(x): none | l1 Σ|x| | l2 Σx² | positivity Σmin(x,0)² | positivity_l1 κΣmin(x,0)² + λΣ|x|',
});
export type Penalty = Static<typeof Penalty>;

/** λ ≥ 0 weights R(g(z)) in L = ‖Ag(z) − y‖²/(2σ²) + KL + λR(g(z)). */
export const Lambda = Type.Number({ minimum: 0, description: 'penalty weight λ ≥ 0' });
export const Kappa = Type.Number({ minimum: 0, description: 'κ ≥ 0, weight of Σmin(x,0)² in positivity_l1' });
export const NoiseSigma = Type.Union(
  [Type.Number({ exclusiveMinimum: 0 }), Type.Literal('estimate')],
  { description: 'noise σ > 0 in the data\'s intensity units, or "estimate" (from the data)' },
);

export const Network = Type.Object(
  {
    depth: Type.Integer({ minimum: 1, maximum: 4, default: 2 }),
    filters: Type.Integer({ minimum: 1, maximum: 256, default: 32 }),
    latentChannels: Type.Integer({ minimum: 1, maximum: 256, default: 64 }),
    output: Type.Union([Type.Literal('linear'), Type.Literal('softplus')], { default: 'linear' }),
  },
  { additionalProperties: false, default: {} },
);

export const Training = Type.Object(
  {
    steps: Type.Optional(Type.Integer({ minimum: 1, description: 'stop after this many optimiser steps' })),
    minutes: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'or stop after this wall time' })),
    batchSize: Type.Integer({ minimum: 1, maximum: 1024, default: 32 }),
    patchSize: Type.Integer({ minimum: 8, maximum: 1024, default: 64, description: 'square patch side, px' }),
    lr: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 1e-3, description: 'Adam learning rate' }),
    seed: Type.Integer({ minimum: 0, default: 0 }),
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
    network: Network,
    training: Training,
  },
  { additionalProperties: false },
);
export type ExperimentSpec = Static<typeof ExperimentSpec>;

/** Lists whose cartesian product gives the runs; a missing key keeps the spec's value. */
export const Sweep = Type.Object(
  {
    lambda: Type.Optional(Type.Array(Lambda, { minItems: 1 })),
    kappa: Type.Optional(Type.Array(Kappa, { minItems: 1 })),
    penalty: Type.Optional(Type.Array(Penalty, { minItems: 1 })),
    method: Type.Optional(Type.Array(Method, { minItems: 1 })),
    seed: Type.Optional(Type.Array(Type.Integer({ minimum: 0 }), { minItems: 1 })),
  },
  { additionalProperties: false },
);
export type Sweep = Static<typeof Sweep>;

/** The fully resolved parameters of one run (what a trainer job receives). */
export interface RunParams {
  method: Method;
  penalty: Penalty;
  lambda: number;
  kappa: number;
  noiseSigma: number | 'estimate';
  network: { depth: number; filters: number; latentChannels: number; output: 'linear' | 'softplus' };
  training: { steps?: number; minutes?: number; batchSize: number; patchSize: number; lr: number; seed: number };
}
