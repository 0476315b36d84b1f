import { test } from 'node:test';
import assert from 'node:assert/strict';
import { modelConfigOf, trainOptionsOf, DEFAULT_CHECKPOINT_EVERY_STEPS } from './run-options.ts';

const images = { data: new Float32Array(4 * 16 * 16), count: 4, height: 16, width: 16 };
const psf = { data: new Float32Array(9).fill(1 / 9), height: 3, width: 3 };
const run = {
  method: 'divblurring' as const, penalty: 'l2' as const, lambda: 0.5, kappa: 0, seed: 7, noiseSigma: null,
  network: { depth: 3, filters: 8, latentChannels: 4, output: 'softplus' },
  training: { steps: 20, batchSize: 4, patchSize: 16, lr: 2e-3, seed: 7 },
};

test('the API network maps to doubling filter widths per level', () => {
  assert.deepEqual(modelConfigOf(run.network), { depth: 3, filters: [8, 16, 32], latentChannels: 4, output: 'softplus' });
  assert.deepEqual(modelConfigOf({ depth: 2, filters: [3, 5], latentChannels: 2 }).filters, [3, 5]);
});

test('train options carry the run parameters, the dataset σ when the run has none, and the PSF only for DivBlurring', () => {
  const options = trainOptionsOf(run, { images, psf, datasetNoiseSigma: 0.03 });
  assert.equal(options.noiseSigma, 0.03);
  assert.equal(options.psf, psf);
  assert.equal(options.steps, 20);
  assert.equal(options.learningRate, 2e-3);
  assert.equal(options.checkpointEverySteps, DEFAULT_CHECKPOINT_EVERY_STEPS);
  assert.equal(trainOptionsOf({ ...run, noiseSigma: 0.1 }, { images, psf, datasetNoiseSigma: 0.03 }).noiseSigma, 0.1);
  assert.equal(trainOptionsOf({ ...run, method: 'divnoising' }, { images, psf, datasetNoiseSigma: null }).psf, null);
  assert.equal('noiseSigma' in trainOptionsOf(run, { images, psf, datasetNoiseSigma: null }), false);
  const byTime = trainOptionsOf({ ...run, training: { minutes: 2, checkpointEverySteps: 5 } }, { images, psf, datasetNoiseSigma: null });
  assert.equal(byTime.minutes, 2);
  assert.equal(byTime.steps, undefined);
  assert.equal(byTime.checkpointEverySteps, 5);
});
