import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bestRichardsonLucyOnGroundTruth, bestWienerOnGroundTruth, richardsonLucyByDiscrepancy, wienerByDiscrepancy } from './discrepancy.ts';
import { simulate } from './simulate.ts';
import { stackImage } from './image.ts';
import { psnr } from './psnr.ts';
import { wienerSolver } from './wiener.ts';
import { ParameterError } from './errors.ts';

const sim = simulate({ preset: 'dataset2', count: 1, size: 64, seed: 21 });
const noisy = stackImage(sim.noisy, 0);
const groundTruth = stackImage(sim.groundTruth, 0);

test('RL by discrepancy stops at the first iterate whose interior residual is ≤ N σ², within 1 dB of the oracle', () => {
  const chosen = richardsonLucyByDiscrepancy(noisy, sim.psf, { noiseSigma: sim.noiseSigma, maxIterations: 100 });
  assert.ok(chosen.reached);
  const oracle = bestRichardsonLucyOnGroundTruth(noisy, sim.psf, groundTruth, { maxIterations: 100 });
  assert.equal(oracle.psnrByIteration.length, 100);
  assert.equal(Math.max(...oracle.psnrByIteration), oracle.psnr);
  assert.ok(Math.abs(psnr(groundTruth, oracle.estimate) - oracle.psnr) < 1e-9);
  assert.ok(psnr(groundTruth, chosen.estimate) > oracle.psnr - 1, `discrepancy ${psnr(groundTruth, chosen.estimate)} vs oracle ${oracle.psnr}`);
  assert.ok(oracle.psnr > psnr(groundTruth, noisy) + 2, 'RL improves on the noisy image');
});

test('Wiener by discrepancy meets ‖A x̂ − y‖² = N σ² and lands within 1 dB of the oracle balance', () => {
  const chosen = wienerByDiscrepancy(noisy, sim.psf, { noiseSigma: sim.noiseSigma });
  assert.ok(chosen.reached);
  const residual = wienerSolver(noisy, sim.psf).residualSquared(chosen.balance);
  assert.ok(Math.abs(residual / chosen.targetResidualSquared - 1) < 1e-3);
  const oracle = bestWienerOnGroundTruth(noisy, sim.psf, groundTruth);
  assert.ok(psnr(groundTruth, chosen.estimate) > oracle.psnr - 1);
});

test('σ ≤ 0 is refused', () => {
  assert.throws(() => wienerByDiscrepancy(noisy, sim.psf, { noiseSigma: 0 }), ParameterError);
  assert.throws(() => richardsonLucyByDiscrepancy(noisy, sim.psf, { noiseSigma: -1 }), ParameterError);
});

test('on camera data the weighted discrepancy of the truth is 1 (χ²/N), where one σ misjudges it; Gaussian: ‖A x − y‖²/(Nσ²)', async () => {
  const { simulateCamera } = await import('./simulate-camera.ts');
  const { dataFitDiscrepancy } = await import('./discrepancy.ts');
  const camera = simulateCamera({ count: 1, size: 96, seed: 4, peakPhotons: 200 });
  const y = stackImage(camera.noisy, 0);
  const truth = stackImage(camera.groundTruth, 0);
  const truthInAdu = { ...truth, data: truth.data.map((v) => v + camera.noiseModel.offset) };
  const chi = dataFitDiscrepancy(y, truthInAdu, camera.psf, camera.noiseModel);
  assert.ok(Math.abs(chi - 1) < 0.03, `χ²/N of the truth ${chi}`);
  // the same residuals against the background's σ: far from 1, because bright pixels are noisier
  const backgroundSigma = Math.sqrt(camera.noiseModel.gain * 10 + 9);
  assert.ok(dataFitDiscrepancy(y, truthInAdu, camera.psf, backgroundSigma) > 1.1);
  // the Gaussian model and its σ are the same figure
  assert.equal(dataFitDiscrepancy(noisy, groundTruth, sim.psf, { kind: 'gaussian', sigma: 0.11, offset: 0 }), dataFitDiscrepancy(noisy, groundTruth, sim.psf, 0.11));
});

test('with a Poisson–Gaussian model RL and Wiener by discrepancy meet χ² = N and stay within 1 dB of their oracles', async () => {
  const { simulateCamera } = await import('./simulate-camera.ts');
  const camera = simulateCamera({ count: 1, size: 64, seed: 6, peakPhotons: 200 });
  const model = { ...camera.noiseModel, offset: 0 };
  const above = { ...stackImage(camera.noisy, 0), data: stackImage(camera.noisy, 0).data.map((v) => v - camera.noiseModel.offset) };
  const truth = stackImage(camera.groundTruth, 0);
  const rl = richardsonLucyByDiscrepancy(above, camera.psf, { noiseModel: model, maxIterations: 200 });
  assert.ok(rl.reached);
  assert.equal(rl.targetResidualSquared, (64 - 2 * ((camera.psf.height - 1) >> 1)) ** 2);
  const rlOracle = bestRichardsonLucyOnGroundTruth(above, camera.psf, truth, { maxIterations: 200 });
  assert.ok(psnr(truth, rl.estimate) > rlOracle.psnr - 1, `RL χ² ${psnr(truth, rl.estimate)} vs oracle ${rlOracle.psnr}`);
  const w = wienerByDiscrepancy(above, camera.psf, { noiseModel: model });
  assert.ok(w.reached);
  assert.equal(w.targetResidualSquared, 64 * 64);
  const wOracle = bestWienerOnGroundTruth(above, camera.psf, truth);
  assert.ok(psnr(truth, w.estimate) > wOracle.psnr - 1, `Wiener χ² ${psnr(truth, w.estimate)} vs oracle ${wOracle.psnr}`);
});
