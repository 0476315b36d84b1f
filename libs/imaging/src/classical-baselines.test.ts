import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate } from './simulate.ts';
import { classicalBaselines } from './classical-baselines.ts';

test('deconvolution baselines beat the input, and oracles beat their discrepancy-principle choices', () => {
  const sim = simulate({ preset: 'dataset1', count: 2, size: 48, seed: 3 });
  const scores = classicalBaselines(sim.noisy, sim.groundTruth, sim.psf, { noiseSigma: sim.noiseSigma, maxIterations: 60 });
  const by = Object.fromEntries(scores.map((s) => [s.method, s]));
  assert.deepEqual(Object.keys(by).sort(), ['input', 'rl_discrepancy', 'rl_oracle', 'wiener_discrepancy', 'wiener_oracle']);
  for (const method of ['rl_oracle', 'wiener_oracle', 'rl_discrepancy'] as const) {
    assert.ok(by[method].psnr > by.input.psnr, `${method} ${by[method].psnr} should beat the input ${by.input.psnr}`);
  }
  assert.ok(by.rl_oracle.psnr >= by.rl_discrepancy.psnr - 1e-9);
  assert.ok(by.wiener_oracle.psnr >= by.wiener_discrepancy.psnr - 1e-9);
  assert.equal(by.rl_oracle.estimates.count, 2);
  assert.ok(by.rl_oracle.parameters.every((k) => Number.isInteger(k) && k >= 1 && k <= 60));
  assert.ok(by.input.ssim < by.rl_oracle.ssim);
});

test('on camera data with its noise model the baselines work above the offset and RL beats the input by far', async () => {
  const { simulateCamera } = await import('./simulate-camera.ts');
  const camera = simulateCamera({ count: 2, size: 48, seed: 3 });
  const scores = classicalBaselines(camera.noisy, camera.groundTruth, camera.psf, { noiseModel: camera.noiseModel, maxIterations: 60 });
  const by = Object.fromEntries(scores.map((s) => [s.method, s]));
  // the input row scores y − o against the signal above the offset
  const { meanPsnr } = await import('./psnr.ts');
  const above = { ...camera.noisy, data: camera.noisy.data.map((v) => v - camera.noiseModel.offset) };
  assert.ok(Math.abs(by.input.psnr - meanPsnr(camera.groundTruth, above)) < 1e-9);
  assert.ok(by.rl_oracle.psnr > by.input.psnr + 1, `RL ${by.rl_oracle.psnr} vs input ${by.input.psnr}`);
  assert.ok(by.rl_discrepancy.psnr > by.input.psnr);
  assert.ok(by.wiener_oracle.psnr >= by.wiener_discrepancy.psnr - 1e-9);
});
