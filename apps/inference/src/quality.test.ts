import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convolve, gaussianPsf, psnr, Random } from '@divblur/imaging';
import { dataFitDiscrepancy, quality } from './quality.ts';

function noiseImage(height: number, width: number, sigma: number, seed: number, base?: Float32Array) {
  const random = new Random(seed);
  const data = new Float32Array(height * width);
  for (let i = 0; i < data.length; i++) data[i] = (base?.[i] ?? 0) + sigma * random.normal();
  return { data, height, width };
}

test('the discrepancy of the true image is ≈ 1 and grows for a wrong one', () => {
  const truth = noiseImage(64, 64, 1, 1);
  const psf = gaussianPsf({ fwhmPx: 3 });
  const blurred = convolve(truth, psf, 'same');
  const noisy = noiseImage(64, 64, 0.1, 2, blurred.data);
  const exact = dataFitDiscrepancy(noisy, truth, psf, 0.1);
  assert.ok(Math.abs(exact - 1) < 0.1, `discrepancy ${exact}`);
  const zero = { data: new Float32Array(64 * 64), height: 64, width: 64 };
  assert.ok(dataFitDiscrepancy(noisy, zero, psf, 0.1) > 3);
  // Identity A (DivNoising): the residual of y itself is 0.
  assert.equal(dataFitDiscrepancy(noisy, noisy, null, 0.1), 0);
});

test('psnr_samples is the mean of the per-sample PSNRs (the report\'s definition), not the PSNR of the mean MSE', () => {
  const truth = noiseImage(16, 16, 1, 3);
  for (let i = 0; i < truth.data.length; i++) truth.data[i] = Math.abs(truth.data[i]);
  const random = new Random(4);
  // Samples of very different quality, so that the two definitions differ clearly.
  const samples = [0.05, 0.1, 0.2, 0.4, 0.8].map((noise) => Float32Array.from(truth.data, (v) => v + noise * random.normal()));
  const mean = Float32Array.from(truth.data, (_, i) => samples.reduce((s, x) => s + x[i], 0) / 5);
  const std = Float32Array.from(mean, (m, i) => Math.sqrt(samples.reduce((s, x) => s + (x[i] - m) ** 2, 0) / 4));
  const mmse = { data: mean, height: 16, width: 16 };
  const sampleMse = samples.map((x) => x.reduce((t, v, i) => t + (v - truth.data[i]) ** 2, 0) / x.length);
  const q = quality({ noisy: mmse, mmse, std, sampleMse, psf: null, noise: 0.2, groundTruth: truth });
  assert.equal(q.psnrMmse, psnr(truth, mmse));
  const perSample = samples.map((data) => psnr(truth, { data, height: 16, width: 16 }));
  const expected = perSample.reduce((a, b) => a + b) / 5;
  assert.ok(Math.abs((q.psnrSamples as number) - expected) < 1e-9, `${q.psnrSamples} vs ${expected}`);
  const pooled = 20 * Math.log10(Math.max(...truth.data) / Math.sqrt(sampleMse.reduce((a, b) => a + b) / 5));
  assert.ok((q.psnrSamples as number) - pooled > 1, 'the mean of PSNRs is well above the PSNR of the mean MSE here');
  assert.ok(q.ssim !== null && q.ssim > 0 && q.ssim <= 1);
});

test('without ground truth only the GT-free figures are given', () => {
  const image = noiseImage(16, 16, 1, 5);
  const q = quality({ noisy: image, mmse: image, std: new Float32Array(256).fill(0.5), psf: null, noise: 1 });
  assert.deepEqual(q, { psnrMmse: null, psnrSamples: null, ssim: null, discrepancy: 0, meanStd: 0.5 });
});

test('a camera model\'s estimate keeps the offset: scored above it against GT, its discrepancy weighted by v', async () => {
  const { simulateCamera, stackImage } = await import('@divblur/imaging');
  const camera = simulateCamera({ count: 1, size: 64, seed: 2, peakPhotons: 200 });
  const truth = stackImage(camera.groundTruth, 0);
  const noisy = stackImage(camera.noisy, 0);
  const offset = camera.noiseModel.offset;
  const estimate = { ...truth, data: truth.data.map((v, i) => v + offset + (i % 2 ? 1 : -1)) };
  const q = quality({ noisy, mmse: estimate, std: new Float32Array(64 * 64), sampleMse: [1], psf: camera.psf, noise: camera.noiseModel, groundTruth: truth });
  assert.ok(Math.abs((q.psnrMmse as number) - 20 * Math.log10(Math.max(...truth.data))) < 1e-3, 'an error of ±1 ADU above the offset, not of the offset');
  assert.ok(Math.abs(q.discrepancy - 1) < 0.1, `χ²/N ${q.discrepancy}`);
});
