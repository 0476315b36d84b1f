/** Loads libs/imaging/fixtures/skimage-48.json (made by scripts/make-fixtures.py). Test-only. */
import { readFileSync } from 'node:fs';
import type { Image } from './image.ts';

interface RawFixture {
  height: number;
  width: number;
  psf_size: number;
  ground_truth: number[];
  psf: number[];
  noisy: number[];
  rl_clip_10: number[];
  rl_clip_30: number[];
  rl_shift_30: number[];
  wiener_balances: number[];
  wiener: number[][];
  ssim_rl_clip_30: number;
  ssim_noisy: number;
  psnr_rl_clip_30: number;
}

export function loadSkimageFixture() {
  const raw = JSON.parse(readFileSync(new URL('../fixtures/skimage-48.json', import.meta.url), 'utf8')) as RawFixture;
  const image = (values: number[]): Image => ({ data: Float32Array.from(values), height: raw.height, width: raw.width });
  return {
    raw,
    groundTruth: image(raw.ground_truth),
    noisy: image(raw.noisy),
    psf: { data: Float32Array.from(raw.psf), height: raw.psf_size, width: raw.psf_size } as Image,
    image,
  };
}

/** max |a − b| / max |b|. */
export function relativeMaxError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let error = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    error = Math.max(error, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return error / scale;
}
