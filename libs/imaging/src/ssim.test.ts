import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ssim, meanSsim } from './ssim.ts';
import { psnr } from './psnr.ts';
import { loadSkimageFixture } from './skimage-fixture.test-helper.ts';
import { ImageValueError } from './errors.ts';

const fixture = loadSkimageFixture();

test('equals skimage structural_similarity(gaussian_weights, σ 1.5, population covariance) to 1e-4', () => {
  const estimate = fixture.image(fixture.raw.rl_clip_30);
  assert.ok(Math.abs(ssim(fixture.groundTruth, estimate) - fixture.raw.ssim_rl_clip_30) < 1e-4);
  assert.ok(Math.abs(ssim(fixture.groundTruth, fixture.noisy) - fixture.raw.ssim_noisy) < 1e-4);
});

test('PSNR equals skimage peak_signal_noise_ratio(data_range = max GT) on the fixture', () => {
  assert.ok(Math.abs(psnr(fixture.groundTruth, fixture.image(fixture.raw.rl_clip_30)) - fixture.raw.psnr_rl_clip_30) < 1e-4);
});

test('identical images score 1, and a stack mean averages per-image SSIMs', () => {
  assert.ok(Math.abs(ssim(fixture.groundTruth, fixture.groundTruth) - 1) < 1e-12);
  const { height, width } = fixture.groundTruth;
  const data = new Float32Array(2 * height * width);
  data.set(fixture.groundTruth.data);
  data.set(fixture.groundTruth.data, height * width);
  const estimates = new Float32Array(data);
  estimates.set(fixture.noisy.data, height * width);
  const mean = meanSsim({ data, count: 2, height, width }, { data: estimates, count: 2, height, width });
  assert.ok(Math.abs(mean - (1 + fixture.raw.ssim_noisy) / 2) < 1e-4);
});

test('images smaller than the 11×11 window and a flat ground truth raise ImageValueError', () => {
  const small = { data: new Float32Array(100).fill(1), height: 10, width: 10 };
  assert.throws(() => ssim(small, small), ImageValueError);
  const flat = { data: new Float32Array(144).fill(1), height: 12, width: 12 };
  assert.throws(() => ssim(flat, flat), /data range/);
});
