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
