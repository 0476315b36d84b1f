import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend.ts';
import { loadCheckpoint, saveCheckpoint, type Checkpoint } from './checkpoint.ts';
import { createTrainer, PosteriorCollapseError, trainModel } from './train.ts';
import { disposeModel } from './trained-model.ts';
import { tinyCameraOptions, tinyOptions } from './test-fixtures.ts';

before(async () => {
  await initBackend('wasm'); // the fallback path with conv.ts gradients; 7× faster than 'cpu' here
});

test('checkpoint → resume (through files) continues the same loss sequence as an uninterrupted run', async () => {
  const options = tinyOptions({ steps: 10, klHoldFraction: 0.1, klRampFraction: 0.3 });
  const straight = await trainModel(options);
  disposeModel(straight.model);

  const first = createTrainer(options);
  const firstLosses = Array.from({ length: 4 }, () => first.train(first.nextBatch()).total);
  const dir = await mkdtemp(join(tmpdir(), 'divblur-checkpoint-'));
  try {
    await saveCheckpoint(dir, first.checkpoint());
    first.dispose();
    const resumed = await trainModel({ ...options, resumeFrom: await loadCheckpoint(dir) });
    disposeModel(resumed.model);
    const sequence = [...firstLosses, ...resumed.history.map((p) => p.total)];
    assert.equal(sequence.length, 10);
    assert.deepEqual(sequence, straight.history.map((p) => p.total));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('training lowers the loss and reports β, per-pixel terms and progress', async () => {
  const progress: number[] = [];
  const result = await trainModel(tinyOptions({ steps: 40, learningRate: 5e-3, freeBitsNats: 0.05 }), { onProgress: (p) => progress.push(p.step) });
  disposeModel(result.model);
  assert.deepEqual(progress, Array.from({ length: 40 }, (_, i) => i + 1));
  const mean = (points: typeof result.history) => points.reduce((a, p) => a + p.data, 0) / points.length;
  assert.ok(mean(result.history.slice(-10)) < mean(result.history.slice(0, 10)), 'data term should fall');
  assert.equal(result.history[0].beta, 0);
  assert.equal(result.history[39].beta, 1);
  assert.equal(result.collapses.length, 0);
});

test('collapse detection fires on a forced-collapse configuration and restarts under new seeds', async () => {
  // σ huge: the data term is ~0, so only the KL is minimised and q(z|y) → N(0, I)
  const forced = tinyOptions({
    noiseSigma: 1e4, steps: 150, learningRate: 0.05, freeBitsNats: 0, klHoldFraction: 0, klRampFraction: 0,
    collapseWindowSteps: 5, maxRestarts: 1,
  });
  const logged: unknown[] = [];
  await assert.rejects(trainModel(forced, { log: (_m, fields) => logged.push(fields) }), (error: unknown) => {
    assert.ok(error instanceof PosteriorCollapseError);
    assert.equal(error.collapses.length, 2);
    assert.deepEqual(error.collapses.map((c) => c.seed), [3, 1003]);
    assert.ok(error.collapses.every((c) => c.klPerPixel < 1e-3 && c.step < 150));
    return true;
  });
  assert.equal(logged.filter((fields) => !('shards' in (fields as object))).length, 2); // the collapses; the layout line apart
});

test('no tensor leak: tf.memory().numTensors is flat over many steps', () => {
  const trainer = createTrainer(tinyOptions({ steps: 200 }));
  trainer.train(trainer.nextBatch());
  const before = tf.memory().numTensors;
  for (let i = 0; i < 30; i++) trainer.train(trainer.nextBatch());
  assert.equal(tf.memory().numTensors, before);
  trainer.dispose();
});

test('no tensor leak: trainModel leaves only the returned model\'s parameters, also after a collapse restart and on resume', async () => {
  const before = tf.memory().numTensors;
  const checkpoints: Checkpoint[] = [];
  const trained = await trainModel(tinyOptions({ steps: 6, checkpointEverySteps: 3 }), { onCheckpoint: (c) => { checkpoints.push(c); } });
  assert.equal(tf.memory().numTensors - before, Object.keys(trained.model.params).length, 'the model\'s parameters and nothing else');
  disposeModel(trained.model);
  assert.equal(tf.memory().numTensors, before);
  const resumed = await trainModel({ ...tinyOptions({ steps: 6 }), resumeFrom: checkpoints[0] });
  disposeModel(resumed.model);
  assert.equal(tf.memory().numTensors, before, 'resume');
  const forced = tinyOptions({
    noiseSigma: 1e4, steps: 60, learningRate: 0.05, freeBitsNats: 0, klHoldFraction: 0, klRampFraction: 0, collapseWindowSteps: 5, maxRestarts: 1,
  });
  await assert.rejects(trainModel(forced), PosteriorCollapseError);
  assert.equal(tf.memory().numTensors, before, 'collapse restarts');
});

test('σ is estimated from the images when not given', () => {
  const trainer = createTrainer(tinyOptions({ noiseSigma: undefined }));
  const sigma = trainer.hyperparameters.noiseSigma;
  trainer.dispose();
  assert.ok(sigma > 0.05 && sigma < 0.2, `estimated σ ${sigma} for true σ 0.1`);
});

test('an asymmetric PSF augments only with its own symmetries, records them, and says so', async () => {
  // a 3×3 PSF with its weight below the centre: symmetric under the column mirror (k = 2) only
  const comatic = { data: Float32Array.from([0, 0.1, 0, 0.1, 0.4, 0.1, 0.05, 0.2, 0.05]), height: 3, width: 3 };
  const logged: Array<[string, Record<string, unknown>]> = [];
  const result = await trainModel(tinyOptions({ psf: comatic, steps: 2 }), { log: (message, fields) => logged.push([message, fields]) });
  const recorded = (result.model.training.hyperparameters as { augmentations: number[] }).augmentations;
  disposeModel(result.model);
  assert.deepEqual(recorded, [0, 2]);
  const augmenting = logged.filter(([message]) => !message.startsWith('training on'));
  assert.equal(augmenting.length, 1);
  assert.match(augmenting[0][0], /2 of the 8 turns and mirrors/);
  const symmetric = createTrainer(tinyOptions());
  assert.deepEqual(symmetric.hyperparameters.augmentations, [0, 1, 2, 3, 4, 5, 6, 7]);
  symmetric.dispose();
  assert.throws(() => createTrainer(tinyOptions({ augmentations: [0, 8] })), /distinct transforms among 0\.\.7/);
});

test('camera data with noiseModel "estimate": the Poisson–Gaussian model is estimated, trained with, recorded, and the offset joins the normalisation', async () => {
  const result = await trainModel(tinyCameraOptions({ steps: 3 }));
  const { noiseModel, normalisation } = result.model;
  disposeModel(result.model);
  assert.equal(noiseModel.kind, 'poisson_gaussian');
  assert.ok(noiseModel.kind === 'poisson_gaussian' && noiseModel.gain > 1 && noiseModel.gain < 3 && Math.abs(noiseModel.offset - 100) < 5, JSON.stringify(noiseModel));
  assert.equal(normalisation.offset, noiseModel.offset);
  assert.deepEqual((result.model.training.hyperparameters as { noiseModel: unknown }).noiseModel, noiseModel);
  assert.ok(result.history.every((p) => Number.isFinite(p.data)));
  // a given model is used as it is; σ and a Poisson–Gaussian model together are refused
  const given = { kind: 'poisson_gaussian' as const, gain: 2, readNoise: 3, offset: 100 };
  const trainer = createTrainer(tinyCameraOptions({ noiseModel: given }));
  assert.deepEqual(trainer.hyperparameters.noiseModel, given);
  assert.ok(trainer.hyperparameters.noiseSigma > 3, 'σ quoted at the data\'s mean signal: √(α·s̄ + σ_r²)');
  trainer.dispose();
  assert.throws(() => createTrainer(tinyCameraOptions({ noiseSigma: 5 })), /not both/);
});

test('a checkpoint from before the noise model resumes with the Gaussian of its σ', () => {
  const trainer = createTrainer(tinyOptions({ steps: 4 }));
  trainer.train(trainer.nextBatch());
  const { noiseModel: _dropped, ...oldHyperparameters } = trainer.checkpoint().hyperparameters;
  const old = { ...trainer.checkpoint(), hyperparameters: oldHyperparameters } as unknown as Checkpoint;
  trainer.dispose();
  const resumed = createTrainer({ ...tinyOptions({ steps: 4 }), resumeFrom: old });
  assert.deepEqual(resumed.hyperparameters.noiseModel, { kind: 'gaussian', sigma: 0.1, offset: 0 });
  resumed.dispose();
});
