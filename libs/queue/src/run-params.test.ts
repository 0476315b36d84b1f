import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveHyperparameters, type TrainOptions } from '@divblur/divblurring';
import type { Image, NoiseModel, Stack } from '@divblur/imaging';
import { RunParamsError } from './errors.ts';
import { DEFAULT_CHECKPOINT_EVERY_STEPS, type ExperimentSpec } from './experiment-spec.ts';
import { datasetNoiseModelOf, resolveSpec, runParamsFromRow, storedTraining, toTrainOptions, type RunRow } from './run-params.ts';

const images: Stack = { data: new Float32Array(2 * 64 * 64), count: 2, height: 64, width: 64 };
const psf: Image = { data: new Float32Array(25).fill(1 / 25), height: 5, width: 5 };

/** A run row as the API stores it: the spec's run, resolved, with its seed and σ as columns. */
function rowOf(spec: Partial<ExperimentSpec>): RunRow {
  const params = resolveSpec(spec as ExperimentSpec);
  return {
    method: params.method, penalty: params.penalty, lambda: params.lambda, kappa: params.kappa, seed: params.training.seed,
    noiseSigma: typeof params.noiseSigma === 'number' ? params.noiseSigma : null, network: params.network, training: storedTraining(params),
  };
}

/** The trainer's path: a stored row, read back and mapped. */
const optionsOf = (row: RunRow, datasetPsf: Image | null, datasetNoiseSigma: number | null = null, datasetNoiseModel: NoiseModel | null = null) =>
  toTrainOptions(runParamsFromRow(row), { images, psf: datasetPsf, datasetNoiseSigma, datasetNoiseModel });

test('the spec\'s defaults are divblurring\'s defaults (the report\'s recipe)', () => {
  const options: TrainOptions = optionsOf(rowOf({ training: { steps: 3000 } } as never), psf);
  const fromRun = resolveHyperparameters(options, 0.03);
  // The one field whose default differs on purpose: the library checkpoints only when asked, a run always does.
  const fromDefaults = resolveHyperparameters({ images, psf, steps: 3000, checkpointEverySteps: DEFAULT_CHECKPOINT_EVERY_STEPS }, 0.03);
  assert.deepEqual(fromRun, fromDefaults);
  assert.deepEqual(fromRun.model.filters, [32, 64]);
});

test('every resolved field reaches TrainOptions under its own name', () => {
  const spec = {
    method: 'divblurring', penalty: 'positivity_l1', lambda: 0.2, kappa: 3, noiseSigma: 0.05,
    network: { depth: 3, filters: [8, 16, 24], latentChannels: 12, kernelSize: 5, output: 'softplus' },
    training: {
      minutes: 2.5, batchSize: 7, patchSize: 48, learningRate: 3e-4, lrSchedule: 'cosine', klHoldFraction: 0.2,
      klRampFraction: 0.3, freeBitsNats: 0.05, collapseThreshold: 2e-3, collapseWindowSteps: 40, maxRestarts: 1, seed: 9, checkpointEverySteps: 25,
    },
  } as const;
  const options = optionsOf(rowOf(spec as never), psf);
  assert.equal(options.noiseSigma, 0.05);
  const resolved = resolveHyperparameters(options, options.noiseSigma!);
  assert.deepEqual(resolved, {
    method: 'divblurring', noiseSigma: 0.05, noiseModel: { kind: 'gaussian', sigma: 0.05, offset: 0 }, penalty: 'positivity_l1', lambda: 0.2, kappa: 3,
    model: { depth: 3, filters: [8, 16, 24], latentChannels: 12, kernelSize: 5, output: 'softplus' },
    patchSize: 48, batchSize: 7, steps: null, minutes: 2.5, seed: 9, learningRate: 3e-4, lrSchedule: 'cosine',
    klHoldFraction: 0.2, klRampFraction: 0.3, freeBitsNats: 0.05, collapseThreshold: 2e-3, collapseWindowSteps: 40,
    maxRestarts: 1, checkpointEverySteps: 25, augmentations: [0, 1, 2, 3, 4, 5, 6, 7],
  });
});

test('augmentations: psf leaves them to the PSF\'s symmetries; all and none force them', () => {
  const comatic: Image = { data: Float32Array.from([0, 0.1, 0, 0.1, 0.4, 0.1, 0.05, 0.2, 0.05]), height: 3, width: 3 };
  const resolve = (augmentations?: string) => resolveHyperparameters(
    optionsOf(rowOf({ training: { steps: 5, ...(augmentations ? { augmentations } : {}) } } as never), comatic), 0.1).augmentations;
  assert.deepEqual(resolve(), [0, 2]); // the default, 'psf'
  assert.deepEqual(resolve('psf'), [0, 2]);
  assert.deepEqual(resolve('all'), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(resolve('none'), [0]);
  // a row stored before the field existed reads as 'psf'
  const old = rowOf({ training: { steps: 5 } } as never);
  delete (old.training as { augmentations?: string }).augmentations;
  assert.deepEqual(resolveHyperparameters(optionsOf(old, comatic), 0.1).augmentations, [0, 2]);
});

test('divnoising trains without the PSF; divblurring refuses a dataset without one', () => {
  const divnoising = optionsOf(rowOf({ method: 'divnoising', training: { steps: 5 } } as never), psf);
  assert.equal(divnoising.psf, null);
  assert.equal(resolveHyperparameters(divnoising, 0.1).method, 'divnoising');
  assert.throws(() => optionsOf(rowOf({ training: { steps: 5 } } as never), null), /needs the dataset's PSF/);
});

test('"estimate" leaves σ out, so divblurring estimates it; the row\'s seed column wins', () => {
  const row = { ...rowOf({ training: { steps: 5, seed: 1 } } as never), seed: 4 };
  const options = optionsOf(row, psf);
  assert.equal('noiseSigma' in options, false);
  assert.equal(options.seed, 4);
  assert.equal(optionsOf(row, psf, 0.07).noiseSigma, 0.07, 'the dataset\'s σ when the run estimates');
  assert.equal(optionsOf({ ...row, noiseSigma: 0.2 }, psf, 0.07).noiseSigma, 0.2, 'the run\'s σ first');
});

test('refuses parameter sets the schema cannot catch, naming each problem', () => {
  const cases: [unknown, RegExp][] = [
    [{ network: { depth: 3, filters: [8, 16] }, training: { steps: 5 } }, /filters lists 2 counts; network.depth 3/],
    [{ network: { depth: 3 }, training: { steps: 5, patchSize: 36 } }, /patchSize 36 must be a multiple of 2\^depth = 8/],
    [{ training: { steps: 5, minutes: 1 } }, /steps or minutes, not both/],
    [{ training: {} }, /needs steps or minutes/],
  ];
  for (const [spec, message] of cases) {
    assert.throws(() => resolveSpec(spec as ExperimentSpec), (error: unknown) => error instanceof RunParamsError && message.test(error.message),
      JSON.stringify(spec));
  }
});

test('a stored row with malformed JSON is refused with the field named; old rows get defaults', () => {
  const row = rowOf({ training: { steps: 5 } } as never);
  assert.throws(() => runParamsFromRow({ ...row, training: { steps: 5, learningRate: 'fast' } }), /\/training\/learningRate/);
  assert.throws(() => runParamsFromRow({ ...row, penalty: 'tv' }), /\/penalty/);
  const legacy = runParamsFromRow({ ...row, network: { depth: 2 }, training: { steps: 5 } });
  assert.deepEqual(legacy.network, { depth: 2, filters: [32, 64], latentChannels: 64, kernelSize: 3, output: 'linear' });
  assert.equal(legacy.training.learningRate, 1e-3);
});

test('a run\'s noise model is stored with its row, read back and mapped; "estimate" takes the dataset\'s estimate', () => {
  const camera: NoiseModel = { kind: 'poisson_gaussian', gain: 2, readNoise: 3, offset: 100 };
  const partial = { kind: 'poisson_gaussian', gain: 1.5 } as const;
  const row = rowOf({ noiseModel: partial, training: { steps: 5 } } as never);
  assert.deepEqual((row.training as { noiseModel: unknown }).noiseModel, partial);
  assert.deepEqual(runParamsFromRow(row).noiseModel, partial);
  const options = optionsOf(row, psf, null, camera);
  assert.deepEqual(options.noiseModel, partial, 'the run\'s own model, the rest estimated on its images');
  assert.equal('noiseSigma' in options, false);
  assert.deepEqual(optionsOf(rowOf({ noiseModel: 'estimate', training: { steps: 5 } } as never), psf, null, camera).noiseModel, camera);
  assert.equal(optionsOf(rowOf({ noiseModel: 'estimate', training: { steps: 5 } } as never), psf).noiseModel, 'estimate');
  // no noise in the run: the dataset's model before its σ; the run's σ before the dataset's model
  assert.deepEqual(optionsOf(rowOf({ training: { steps: 5 } } as never), psf, 0.07, camera).noiseModel, camera);
  const sigmaRun = optionsOf(rowOf({ noiseSigma: 0.2, training: { steps: 5 } } as never), psf, 0.07, camera);
  assert.equal(sigmaRun.noiseSigma, 0.2);
  assert.equal('noiseModel' in sigmaRun, false);
  // rows without one, as before
  assert.equal('noiseModel' in runParamsFromRow(rowOf({ training: { steps: 5 } } as never)), false);
  assert.throws(() => resolveSpec({ noiseSigma: 0.1, noiseModel: 'estimate', training: { steps: 5 } } as never), /noiseSigma or noiseModel, not both/);
  assert.throws(() => runParamsFromRow({ ...row, training: { steps: 5, noiseModel: { kind: 'poisson', gain: 1 } } }), /is not a noise model/);
});

test('a dataset\'s noise model is read from its meta as the API stores it; anything else reads as none', () => {
  const camera = { kind: 'poisson_gaussian', gain: 2, readNoise: 3, offset: 100 };
  assert.deepEqual(datasetNoiseModelOf({ psfSymmetries: [0], noiseModel: camera, noiseModelEstimated: ['gain'] }), camera);
  assert.equal(datasetNoiseModelOf({}), null);
  assert.equal(datasetNoiseModelOf(null), null);
  assert.equal(datasetNoiseModelOf({ noiseModel: { kind: 'poisson_gaussian', gain: -1 } }), null);
});
