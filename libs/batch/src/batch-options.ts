/**
 * What a batch asks of every page: one TypeBox schema for the API's validation and OpenAPI, the row the batch keeps,
 * and the worker's and the CLI's reading of it. Every default is the MMSE core's (mmse-core.ts); the tolerance's is
 * a fraction of the model's noise level (DEFAULT_TOLERANCE_SIGMA · σ), so that one default fits data of any scale.
 * tfjs- and ONNX-free, so the API imports it as `@divblur/batch/options`.
 */
import { Type, type Static } from '@sinclair/typebox';
import { noiseVariance, type Image, type NoiseModel } from '@divblur/imaging';
import {
  DEFAULT_MEMORY_BUDGET_BYTES, DEFAULT_SAMPLES, DEFAULT_SEED, DEFAULT_TOLERANCE_SIGMA, MAX_SAMPLES, SERVED_DIHEDRAL,
} from '@divblur/divblurring/mmse-core';

/** Smallest and largest working-memory budget a batch may set (the tiny models of tests tile at 1 MiB). */
export const MIN_MEMORY_BUDGET_BYTES = 2 ** 20;
export const MAX_MEMORY_BUDGET_BYTES = 64 * 2 ** 30;

export const BatchOptions = Type.Object({
  samples: Type.Integer({ minimum: 1, maximum: MAX_SAMPLES, default: DEFAULT_SAMPLES, description: 'posterior samples per page at most' }),
  tolerance: Type.Union([Type.Number({ exclusiveMinimum: 0 }), Type.Literal('default'), Type.Literal('none')], {
    default: 'default',
    description: 'stop a page once the RMS Monte-Carlo standard error of its MMSE is below this (data units); '
      + `"default": ${DEFAULT_TOLERANCE_SIGMA} × the model's noise σ; "none": always \`samples\``,
  }),
  std: Type.Boolean({ default: false, description: 'also write the per-pixel posterior std stack (float32)' }),
  dihedral: Type.Boolean({ default: SERVED_DIHEDRAL, description: 'test-time averaging over the turns and mirrors the PSF is symmetric under' }),
  memoryBudgetBytes: Type.Integer({
    minimum: MIN_MEMORY_BUDGET_BYTES, maximum: MAX_MEMORY_BUDGET_BYTES, default: DEFAULT_MEMORY_BUDGET_BYTES,
    description: 'working memory of one page\'s decode; a page beyond it is cut into tiles, one job each',
  }),
  seed: Type.Integer({ minimum: 0, maximum: 2 ** 32 - 1, default: DEFAULT_SEED, description: 'noise seed: the same seed gives the same pages' }),
}, { additionalProperties: false, default: {} });
export type BatchOptions = Static<typeof BatchOptions>;

export const OutputDtype = Type.Union([Type.Literal('float32'), Type.Literal('input')], {
  default: 'float32',
  description: 'float32, or "input": the input\'s dtype when it is uint8 or uint16 (the MMSE, in the input\'s units, rounded and clipped to the '
    + 'type\'s range: negative values become 0), float32 for any other input. The std stack is always float32.',
});

export const BatchOutputRequest = Type.Object({
  to: Type.Optional(Type.String({
    minLength: 1, maxLength: 1000,
    description: 'a blob prefix under deconvolutions/ (e.g. "deconvolutions/night-12/"), or s3://<the store\'s bucket>/deconvolutions/…/; '
      + 'default deconvolutions/<batch id>/',
  })),
  dtype: OutputDtype,
}, { additionalProperties: false, default: {} });
export type BatchOutputRequest = Static<typeof BatchOutputRequest>;

/** Where a batch's outputs go, as resolved (output-location.ts) and kept on the batch row. */
export interface BatchOutput {
  /** Blob key prefix, ending in `/`. */
  readonly prefix: string;
  /** The prefix as a URI for people: s3://bucket/prefix/ or file:///…/. */
  readonly uri: string;
  readonly dtype: 'float32' | 'input';
}

/**
 * The noise level that scales the default tolerance, data units: σ of a Gaussian model; for a Poisson–Gaussian one
 * the standard deviation at the page's mean signal, √(α·max(ȳ − o, 0) + σ_r²).
 */
export function noiseScale(noise: NoiseModel, page: Image): number {
  if (noise.kind === 'gaussian') return noise.sigma;
  let sum = 0;
  for (const value of page.data) sum += value;
  return Math.sqrt(noiseVariance(noise, sum / page.data.length - noise.offset));
}

/** The absolute tolerance of the options (data units), or undefined for "always every sample". */
export function resolveTolerance(tolerance: BatchOptions['tolerance'], noiseLevel: number): number | undefined {
  if (tolerance === 'none') return undefined;
  if (tolerance !== 'default') return tolerance;
  // A model without a usable noise level gives no scale for the default: spend every sample rather than guess one.
  return noiseLevel > 0 && Number.isFinite(noiseLevel) ? DEFAULT_TOLERANCE_SIGMA * noiseLevel : undefined;
}
