/** Tiny training problems for the tests (cpu backend, seconds). Not exported by index.ts. */
import { simulateCamera } from '@divblur/imaging';
import { Random, type Image, type Stack } from './imaging.ts';
import type { TrainOptions } from './options.ts';

export const TINY_MODEL = { depth: 2, filters: [4, 6], latentChannels: 3, kernelSize: 3, output: 'linear' as const };

/** Blobs on a dark background plus Gaussian noise, `count` images of side² pixels. */
export function tinyImages(count: number, side: number, seed: number, noiseSigma = 0.1): Stack {
  const random = new Random(seed);
  const data = new Float32Array(count * side * side);
  for (let n = 0; n < count; n++) {
    const cy = random.uniformIn(0, side);
    const cx = random.uniformIn(0, side);
    for (let i = 0; i < side; i++) {
      for (let j = 0; j < side; j++) {
        const signal = Math.exp(-((i - cy) ** 2 + (j - cx) ** 2) / 8);
        data[n * side * side + i * side + j] = signal + noiseSigma * random.normal();
      }
    }
  }
  return { data, count, height: side, width: side };
}

export const BOX_PSF_3: Image = { data: new Float32Array(9).fill(1 / 9), height: 3, width: 3 };

export function tinyOptions(overrides: Partial<TrainOptions> = {}): TrainOptions {
  return {
    images: tinyImages(6, 24, 7),
    psf: BOX_PSF_3,
    noiseSigma: 0.1,
    model: TINY_MODEL,
    patchSize: 16,
    batchSize: 4,
    steps: 12,
    seed: 3,
    ...overrides,
  };
}

/** A tiny camera acquisition (the simulator's camera preset: uint16 ADU, offset 100) for the tiny network. */
export function tinyCameraOptions(overrides: Partial<TrainOptions> = {}): TrainOptions {
  const { noiseSigma: _sigma, ...base } = tinyOptions();
  return { ...base, images: simulateCamera({ count: 12, size: 64, seed: 7 }).noisy, noiseModel: 'estimate', ...overrides };
}

/** ‖a − b‖ / ‖b‖ over flat arrays. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    diff += (a[i] - b[i]) ** 2;
    norm += b[i] ** 2;
  }
  return Math.sqrt(diff / norm);
}
