/**
 * What a batch asks of every page: one TypeBox schema for the API's validation and OpenAPI, the row the batch keeps,
 * and the worker's and the CLI's reading of it. Every default is the MMSE core's (mmse-core.ts); the tolerance's is
 * a fraction of the page's intensity range (DEFAULT_TOLERANCE_RANGE · range), so that one default fits data of any scale.
 * tfjs- and ONNX-free, so the API imports it as `@divblur/batch/options`.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { Image } from '@divblur/imaging';
import {
  DEFAULT_MEMORY_BUDGET_BYTES, DEFAULT_SAMPLES, DEFAULT_SEED, DEFAULT_TOLERANCE_RANGE, MAX_SAMPLES, SERVED_DIHEDRAL,
} from '@divblur/divblurring/mmse-core';

/** Smallest and largest working-memory budget a batch may set (the tiny models of tests tile at 1 MiB). */
export const MIN_MEMORY_BUDGET_BYTES = 2 ** 20;
export const MAX_MEMORY_BUDGET_BYTES = 64 * 2 ** 30;

export const BatchOptions = Type.Object({
  samples: Type.Integer({ minimum: 1, maximum: MAX_SAMPLES, default: DEFAULT_SAMPLES, description: 'posterior samples per page at most' }),
  tolerance: Type.Union([Type.Number({ exclusiveMinimum: 0 }), Type.Literal('default'), Type.Literal('none')], {
    default: 'default',
    description: 'stop a page once the RMS Monte-Carlo standard error of its MMSE is below this (data units); '
      + `"default": ${DEFAULT_TOLERANCE_RANGE} × the page's intensity range (0.1–99.9 percentiles); "none": always \`samples\``,
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
 * The scale of the default tolerance, data units: the page's intensity range, the 99.9th minus the 0.1th percentile
 * of its values (of a strided sample of at most 65 536 of them), so that neither a hot pixel nor a camera's offset
 * moves it.
 */
export function intensityRange(page: Image): number {
  const stride = Math.max(1, Math.floor(page.data.length / 65_536));
  const sample = new Float32Array(Math.ceil(page.data.length / stride));
  for (let i = 0, j = 0; i < page.data.length; i += stride) sample[j++] = page.data[i];
  sample.sort();
  const at = (q: number) => sample[Math.min(sample.length - 1, Math.round(q * (sample.length - 1)))];
  return at(0.999) - at(0.001);
}

/** The absolute tolerance of the options (data units), or undefined for "always every sample". */
export function resolveTolerance(tolerance: BatchOptions['tolerance'], range: number): number | undefined {
  if (tolerance === 'none') return undefined;
  if (tolerance !== 'default') return tolerance;
  // A flat page gives no scale for the default: spend every sample rather than guess one.
  return range > 0 && Number.isFinite(range) ? DEFAULT_TOLERANCE_RANGE * range : undefined;
}
