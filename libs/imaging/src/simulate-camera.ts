/**
 * The simulator's `camera` preset: the same filaments and blur as simulate.ts, recorded the way an sCMOS camera
 * records them, in ADU:
 *   λ = P·(PSF ∗ x) + b                                 expected photo-electrons (x: the filaments, max 1)
 *   y = clip(round(α·Poisson(λ) + σ_r·N(0, 1) + o), 0, 2^16 − 1)                  uint16 ADU
 * P photons at the brightest pixel of the object, b background photons, α gain (ADU per electron), σ_r read noise
 * (ADU), o offset (ADU). Ground truth: the object's signal above the offset, α·(P·x + b) in ADU, so that an
 * estimate x̂ in the data's units is scored as PSNR(GT, x̂ − o). Per image: render, blur, then per pixel one
 * Poisson and one normal draw (poisson.ts, random.ts), all from one seeded generator.
 */
import type { Image, Stack } from './image.ts';
import { ParameterError } from './errors.ts';
import { Random } from './random.ts';
import { gaussianPsf } from './psf.ts';
import { poissonDeviate } from './poisson.ts';
import { checkSimulationSize, createFilamentRenderer, DEFAULT_SIMULATION_SIZE } from './simulate.ts';
import type { PoissonGaussianNoise } from './noise-model.ts';

export const UINT16_MAX = 65535;

/** A mid-range sCMOS acquisition (α = 2 ADU/e⁻, σ_r = 3 ADU = 1.5 e⁻, offset 100 ADU) of dataset2's filaments and PSF. */
export const CAMERA_PRESET = {
  fwhmPx: 3.0,
  pixelSizeNm: 25,
  peakPhotons: 100,
  backgroundPhotons: 5,
  gain: 2,
  readNoise: 3,
  offset: 100,
} as const;

export interface CameraSimulationOptions {
  count: number;
  size?: number;
  seed: number;
  peakPhotons?: number;
  backgroundPhotons?: number;
  gain?: number;
  readNoise?: number;
  offset?: number;
}

export interface CameraSimulation {
  /** Integer ADU values (stored as float32), what a uint16 file of the acquisition holds. */
  noisy: Stack;
  readonly dtype: 'uint16';
  /** α·(P·x + b): the object's signal above the offset, ADU. */
  groundTruth: Stack;
  psf: Image;
  /** The true noise model of `noisy`. */
  noiseModel: PoissonGaussianNoise;
  peakPhotons: number;
  backgroundPhotons: number;
  fwhmPx: number;
  pixelSizeNm: number;
}

function checkSetting(name: string, value: number, zeroAllowed: boolean): number {
  if (!Number.isFinite(value) || value < 0 || (!zeroAllowed && value === 0)) {
    throw new ParameterError('CAMERA_SETTING', `${name} must be a finite number ${zeroAllowed ? '≥' : '>'} 0, got ${value}`);
  }
  return value;
}

export function simulateCamera(options: CameraSimulationOptions): CameraSimulation {
  const { count, size = DEFAULT_SIMULATION_SIZE, seed } = options;
  checkSimulationSize(count, size);
  const peakPhotons = checkSetting('peakPhotons', options.peakPhotons ?? CAMERA_PRESET.peakPhotons, false);
  const backgroundPhotons = checkSetting('backgroundPhotons', options.backgroundPhotons ?? CAMERA_PRESET.backgroundPhotons, true);
  const gain = checkSetting('gain', options.gain ?? CAMERA_PRESET.gain, false);
  const readNoise = checkSetting('readNoise', options.readNoise ?? CAMERA_PRESET.readNoise, false);
  const offset = checkSetting('offset', options.offset ?? CAMERA_PRESET.offset, true);
  const random = new Random(seed);
  const psf = gaussianPsf({ fwhmPx: CAMERA_PRESET.fwhmPx });
  const renderer = createFilamentRenderer(random, size, psf);
  const pixels = size * size;
  const groundTruth = new Float32Array(count * pixels);
  const noisy = new Float32Array(count * pixels);
  const blurred = new Float32Array(pixels);
  for (let image = 0; image < count; image++) {
    const truth = groundTruth.subarray(image * pixels, (image + 1) * pixels);
    renderer.next(truth, blurred);
    const out = noisy.subarray(image * pixels, (image + 1) * pixels);
    for (let i = 0; i < pixels; i++) {
      const electrons = poissonDeviate(random, Math.max(peakPhotons * blurred[i] + backgroundPhotons, 0));
      const adu = Math.round(gain * electrons + readNoise * random.normal() + offset);
      out[i] = Math.min(Math.max(adu, 0), UINT16_MAX);
      truth[i] = gain * (peakPhotons * truth[i] + backgroundPhotons);
    }
  }
  const shape = { count, height: size, width: size };
  return {
    noisy: { data: noisy, ...shape },
    dtype: 'uint16',
    groundTruth: { data: groundTruth, ...shape },
    psf,
    noiseModel: { kind: 'poisson_gaussian', gain, readNoise, offset },
    peakPhotons,
    backgroundPhotons,
    fwhmPx: CAMERA_PRESET.fwhmPx,
    pixelSizeNm: CAMERA_PRESET.pixelSizeNm,
  };
}
