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

test('psnr_samples is the PSNR of the sample-averaged MSE: MSE(x̂) plus the biased sample variance', () => {
  const truth = noiseImage(16, 16, 1, 3);
  for (let i = 0; i < truth.data.length; i++) truth.data[i] = Math.abs(truth.data[i]);
  const random = new Random(4);
  const samples = Array.from({ length: 5 }, () => Float32Array.from(truth.data, (v) => v + 0.2 * random.normal()));
  const mean = Float32Array.from(truth.data, (_, i) => samples.reduce((s, x) => s + x[i], 0) / 5);
  const std = Float32Array.from(mean, (m, i) => Math.sqrt(samples.reduce((s, x) => s + (x[i] - m) ** 2, 0) / 4));
  const mmse = { data: mean, height: 16, width: 16 };
  const q = quality({ noisy: mmse, mmse, std, samples: 5, psf: null, noiseSigma: 0.2, groundTruth: truth });
  assert.equal(q.psnrMmse, psnr(truth, mmse));
  const pooled = samples.reduce((s, x) => s + x.reduce((t, v, i) => t + (v - truth.data[i]) ** 2, 0) / x.length, 0) / 5;
  const peak = Math.max(...truth.data);
  assert.ok(Math.abs((q.psnrSamples as number) - 20 * Math.log10(peak / Math.sqrt(pooled))) < 1e-3);
  assert.ok((q.psnrSamples as number) < (q.psnrMmse as number));
  assert.ok(q.ssim !== null && q.ssim > 0 && q.ssim <= 1);
});

test('without ground truth only the GT-free figures are given', () => {
  const image = noiseImage(16, 16, 1, 5);
  const q = quality({ noisy: image, mmse: image, std: new Float32Array(256).fill(0.5), samples: 10, psf: null, noiseSigma: 1 });
  assert.deepEqual(q, { psnrMmse: null, psnrSamples: null, ssim: null, discrepancy: 0, meanStd: 0.5 });
});
