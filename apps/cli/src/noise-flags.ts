/**
 * `divblur train`'s noise flags → the noise of the experiment spec. The kind: --noise when given; else
 * Poisson–Gaussian when --gain or --read-noise is, or when the data are integers (a camera's ADU: uint8/16/32);
 * else the report's Gaussian. A Poisson–Gaussian model (or a Gaussian one with an offset) is resolved here, on the
 * whole stack, so that what was estimated is printed before training starts and recorded as given in the model.
 */
import { ParameterError, resolveNoiseModel, type NoiseModel, type Stack } from '@divblur/imaging';

export const NOISE_KINDS = ['gaussian', 'poisson_gaussian'] as const;

export interface NoiseFlags {
  noise?: string; sigma?: number; gain?: number; readNoise?: number; offset?: number;
}

const INTEGER_DTYPES = new Set(['uint8', 'uint16', 'uint32', 'int8', 'int16', 'int32']);

export function noiseKindOf(flags: NoiseFlags, sourceDtype: string): 'gaussian' | 'poisson_gaussian' {
  const camera = flags.gain !== undefined || flags.readNoise !== undefined;
  if (flags.noise !== undefined) {
    if (!(NOISE_KINDS as readonly string[]).includes(flags.noise)) {
      throw new ParameterError('UNKNOWN_NOISE', `--noise must be one of ${NOISE_KINDS.join(', ')}, got '${flags.noise}'`);
    }
    if (flags.noise === 'gaussian' && camera) throw new ParameterError('NOISE_FLAGS', '--gain and --read-noise belong to --noise poisson_gaussian');
    if (flags.noise === 'poisson_gaussian' && flags.sigma !== undefined) throw new ParameterError('NOISE_FLAGS', '--sigma belongs to --noise gaussian');
    return flags.noise as 'gaussian' | 'poisson_gaussian';
  }
  if (camera) {
    if (flags.sigma !== undefined) throw new ParameterError('NOISE_FLAGS', 'give --sigma (Gaussian noise) or --gain/--read-noise (Poisson–Gaussian), not both');
    return 'poisson_gaussian';
  }
  return flags.sigma === undefined && INTEGER_DTYPES.has(sourceDtype) ? 'poisson_gaussian' : 'gaussian';
}

/** One line saying the model and which values came from the data. */
export function describeNoiseModel(model: NoiseModel, estimated: readonly string[]): string {
  const values = model.kind === 'gaussian'
    ? `Gaussian, σ ${model.sigma.toPrecision(4)}, offset ${model.offset}`
    : `Poisson–Gaussian, gain ${model.gain.toPrecision(4)} ADU/e⁻, read noise ${model.readNoise.toPrecision(4)} ADU, offset ${model.offset.toPrecision(5)} ADU`;
  return estimated.length === 0 ? `noise model (given): ${values}` : `noise model estimated from the data: ${values} (estimated: ${estimated.join(', ')})`;
}

/**
 * The spec's noise for these flags on `stack`: the report's path ({ noiseSigma? }, σ estimated later as before) for a
 * Gaussian without offset; otherwise the resolved model, printed through `log`.
 */
export function noiseOfFlags(flags: NoiseFlags, stack: Stack, sourceDtype: string, log: (line: string) => void): { noiseSigma?: number } | { noiseModel: NoiseModel } {
  const kind = noiseKindOf(flags, sourceDtype);
  if (kind === 'gaussian' && flags.offset === undefined) return flags.sigma === undefined ? {} : { noiseSigma: flags.sigma };
  const spec = kind === 'gaussian'
    ? { kind, ...(flags.sigma === undefined ? {} : { sigma: flags.sigma }), offset: flags.offset }
    : { kind, gain: flags.gain, readNoise: flags.readNoise, offset: flags.offset };
  const { model, estimated } = resolveNoiseModel(stack, spec);
  log(describeNoiseModel(model, estimated));
  return { noiseModel: model };
}
