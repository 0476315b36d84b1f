/**
 * The noise model of an acquisition, in the data's own units (ADU for a camera):
 *   gaussian          y = A x + n,  n ~ N(0, σ²)                                   v = σ²
 *   poisson_gaussian  y = α·Poisson(s/α) + N(0, σ_r²) + o,  s = A x − o ≥ 0      v = α·max(s, 0) + σ_r²
 * α: gain (ADU per electron), σ_r: read noise (ADU, a standard deviation), o: offset (the camera's dark level,
 * ADU). v is the model's variance (Foi et al. 2008, IEEE TIP 17(10):1737, eq. 4): the discrepancy principle and
 * the batch manifest weigh residuals by it; training's likelihood is the shifted Poisson of the same mean and variance
 * (libs/divblurring poisson-gaussian-likelihood.ts). Images x stay in the data's units with the offset kept: the estimate of the
 * signal above the offset is x − o. `offset` on the Gaussian model (default 0) moves only the penalties' zero.
 * One definition for the library and its callers: the likelihood (libs/divblurring loss.ts), the discrepancy
 * principle (discrepancy.ts), the model format (libs/divblurring model-format.ts) and the API.
 */
import { NoiseModelError } from './errors.ts';

export const NOISE_MODEL_KINDS = ['gaussian', 'poisson_gaussian'] as const;
export type NoiseModelKind = (typeof NOISE_MODEL_KINDS)[number];

export interface GaussianNoise {
  readonly kind: 'gaussian';
  /** σ > 0, data units. */
  readonly sigma: number;
  /** The data's zero (data units); 0 unless the data carry an offset. */
  readonly offset: number;
}

export interface PoissonGaussianNoise {
  readonly kind: 'poisson_gaussian';
  /** α > 0, ADU per electron (photo-electron). */
  readonly gain: number;
  /** σ_r > 0, ADU (a standard deviation; the variance is σ_r²). */
  readonly readNoise: number;
  /** o, ADU: what a pixel reads without light. */
  readonly offset: number;
}

export type NoiseModel = GaussianNoise | PoissonGaussianNoise;

/** The model of the report: Gaussian of σ, zero offset. */
export function gaussianNoise(sigma: number): GaussianNoise {
  return { kind: 'gaussian', sigma, offset: 0 };
}

/** True for the report's model (what a model.json without a noise model means). */
export function isPlainGaussian(model: NoiseModel): model is GaussianNoise {
  return model.kind === 'gaussian' && model.offset === 0;
}

function positiveFinite(value: unknown, code: string, what: string, hint: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new NoiseModelError(code, `${what} must be a finite number > 0, got ${String(value)}: ${hint}`);
  }
}

/** The model's values in their domains (typed errors naming what would be right); returns the model. */
export function checkNoiseModel(model: NoiseModel): NoiseModel {
  const kind = (model as { kind?: unknown }).kind;
  if (kind !== 'gaussian' && kind !== 'poisson_gaussian') {
    throw new NoiseModelError('NOISE_KIND', `noise model kind must be one of ${NOISE_MODEL_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
  }
  if (typeof model.offset !== 'number' || !Number.isFinite(model.offset)) {
    throw new NoiseModelError('NOISE_OFFSET', `noise offset must be a finite number (data units), got ${String(model.offset)}`);
  }
  if (model.kind === 'gaussian') {
    positiveFinite(model.sigma, 'NOISE_SIGMA', 'noise sigma', 'the standard deviation of the noise in data units');
  } else {
    positiveFinite(model.gain, 'NOISE_GAIN', 'gain', 'ADU per electron, e.g. 0.5–5 for sCMOS cameras, higher for EMCCDs');
    positiveFinite(model.readNoise, 'NOISE_READ_NOISE', 'readNoise', 'the read noise standard deviation in ADU, e.g. 1–10');
  }
  return model;
}

/** Per-pixel noise variance v at signal s = A x − o above the offset (data units²). */
export function noiseVariance(model: NoiseModel, signalAboveOffset: number): number {
  if (model.kind === 'gaussian') return model.sigma * model.sigma;
  return model.gain * Math.max(signalAboveOffset, 0) + model.readNoise * model.readNoise;
}

/** One σ standing for the model where one is needed (a Gaussian model's σ; √v at `signalAboveOffset` otherwise). */
export function equivalentNoiseSigma(model: NoiseModel, signalAboveOffset: number): number {
  return Math.sqrt(noiseVariance(model, signalAboveOffset));
}

/**
 * Checks a model against the data it is to describe: the offset is the level of unlit pixels, so it cannot lie
 * above the data's median (most pixels of a fluorescence image are background, at offset + background).
 */
export function checkNoiseModelAgainstData(model: NoiseModel, median: number): void {
  checkNoiseModel(model);
  if (model.offset > median) {
    throw new NoiseModelError('NOISE_OFFSET',
      `noise offset ${model.offset} lies above the data's median ${median}: the offset is the level of unlit pixels, at or below the darkest background (give one ≤ ${median}, or let it be estimated)`);
  }
}
