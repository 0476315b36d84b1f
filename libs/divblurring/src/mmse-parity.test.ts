import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend.ts';
import { DivblurConfigError } from './errors.ts';
import { psnr, stackImage } from './imaging.ts';
import { deconvolveMmse } from './mmse-parity.ts';
import { loadModel, saveModel } from './saved-model.ts';
import { createTrainer } from './train.ts';
import { disposeModel } from './trained-model.ts';
import { tinyImages, tinyOptions } from './test-fixtures.ts';

before(async () => {
  await initBackend('wasm');
});

function trainedTinyModel() {
  const trainer = createTrainer(tinyOptions());
  for (let i = 0; i < 3; i++) trainer.train(trainer.nextBatch());
  const model = trainer.model();
  trainer.dispose();
  return model;
}

test('MMSE is the mean of the samples, std their spread, and PSNRs follow the report definitions', async () => {
  const model = trainedTinyModel();
  const stack = tinyImages(2, 18, 11); // 18 is no multiple of 4: padded and cropped back
  const truth = tinyImages(2, 18, 11, 0);
  const before = tf.memory().numTensors;
  const result = await deconvolveMmse(model, stack, { samples: 5, seed: 1, groundTruth: truth, batchSize: 2 });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(result.mmse.count, 2);
  assert.equal(result.mmse.height, 18);
  // the single-sample run draws the first sample: mean of 1 sample = that sample, std 0
  const one = await deconvolveMmse(model, stack, { samples: 1, seed: 1 });
  assert.ok(one.std.data.every((v) => v === 0));
  assert.ok(result.std.data.some((v) => v > 0));
  assert.ok(result.std.data.every((v) => v >= 0));
  for (let n = 0; n < 2; n++) {
    assert.ok(Math.abs(result.psnrMmse![n] - psnr(stackImage(truth, n), stackImage(result.mmse, n))) < 1e-9);
    assert.ok(Number.isFinite(result.psnrSamples![n]));
    // Jensen: the mean of the samples is at least as close to GT as they are on average (in MSE)
    assert.ok(result.psnrMmse![n] >= result.psnrSamples![n] - 1e-6);
  }
  const again = await deconvolveMmse(model, stack, { samples: 5, seed: 1, batchSize: 5 });
  assert.deepEqual(again.mmse.data, result.mmse.data, 'batching must not change the result');
  const dihedral = await deconvolveMmse(model, stack, { samples: 8, seed: 1, dihedral: true });
  assert.equal(dihedral.mmse.data.length, stack.data.length);
  disposeModel(model);
});

test('contextMargin computes the image as the centre of its reflect-padded self, and rejects margins it cannot pad', async () => {
  const model = trainedTinyModel();
  const stack = tinyImages(1, 16, 4); // 16 + 2·2 = 20: a multiple of 4, so both paths pad nothing else
  const padded = tf.tidy(() => tf.mirrorPad(tf.tensor4d(stack.data, [1, 16, 16, 1]), [[0, 0], [2, 2], [2, 2], [0, 0]], 'reflect'));
  const paddedStack = { data: (await padded.data()) as Float32Array, count: 1, height: 20, width: 20 };
  padded.dispose();
  const margined = await deconvolveMmse(model, stack, { samples: 3, seed: 7, contextMargin: 2 });
  const whole = await deconvolveMmse(model, paddedStack, { samples: 3, seed: 7, contextMargin: 0 });
  const centre = new Float32Array(16 * 16);
  for (let i = 0; i < 16; i++) centre.set(whole.mmse.data.subarray((i + 2) * 20 + 2, (i + 2) * 20 + 18), i * 16);
  const maxDiff = Math.max(...centre.map((v, i) => Math.abs(v - margined.mmse.data[i])));
  assert.ok(maxDiff < 1e-5, `margined MMSE = centre of the padded image's MMSE (max diff ${maxDiff})`);
  const plain = await deconvolveMmse(model, stack, { samples: 3, seed: 7, contextMargin: 0 });
  assert.notDeepEqual(plain.mmse.data, margined.mmse.data, 'the margin changes the edge pixels');
  // the default is the PSF's radius, capped so that the image can still be padded (16 − 4 − 1 = 11)
  const radius = (model.psf!.height - 1) / 2;
  const byDefault = await deconvolveMmse(model, stack, { samples: 3, seed: 7 });
  const explicit = await deconvolveMmse(model, stack, { samples: 3, seed: 7, contextMargin: Math.min(radius, 11) });
  assert.deepEqual(byDefault.mmse.data, explicit.mmse.data);
  await assert.rejects(deconvolveMmse(model, stack, { contextMargin: -1 }), DivblurConfigError);
  await assert.rejects(deconvolveMmse(model, stack, { contextMargin: 16 }), DivblurConfigError);
  // and a list of transforms that is not one (the ONNX path checks the same)
  await assert.rejects(deconvolveMmse(model, stack, { dihedral: [0, 9] }), /dihedral must list distinct transforms among 0\.\.7/);
  await assert.rejects(deconvolveMmse(model, stack, { dihedral: [2, 2] }), DivblurConfigError);
  disposeModel(model);
});

// Pinned when the MMSE core took over this path's options and defaults (issue 13): bench/quality.ts's figures come
// from these draws and sums, so the same seed must give the same bytes as before (on the wasm backend, whose
// kernels do not depend on the CPU's instruction set).
test('the same seed gives the same MMSE and std bytes and PSNRs as before the MMSE core', async () => {
  const model = trainedTinyModel();
  const digest = (values: Float32Array) => createHash('sha256').update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength)).digest('hex').slice(0, 16);
  const stack = tinyImages(2, 18, 11);
  const truth = tinyImages(2, 18, 11, 0);
  const plain = await deconvolveMmse(model, stack, { samples: 5, seed: 1, groundTruth: truth, batchSize: 2 });
  const byDefault = await deconvolveMmse(model, stack);
  const averaged = await deconvolveMmse(model, stack, { samples: 8, seed: 1, dihedral: true, groundTruth: truth });
  const threeViews = await deconvolveMmse(model, stack, { samples: 11, seed: 4, dihedral: [0, 3, 6] });
  disposeModel(model);
  assert.deepEqual([plain, byDefault, averaged, threeViews].map((r) => [digest(r.mmse.data), digest(r.std.data)]), [
    ['11854b52407a77be', 'bcf474f8e5822731'], ['860cc110bf8827d4', '1b407f59889473da'],
    ['9100aab12d11cb6b', '795abadff370ea88'], ['095310c7f17c18da', 'a9e44e55dd72859a'],
  ]);
  assert.deepEqual(plain.psnrMmse, [16.199838191305716, 14.48701559430081]);
  assert.deepEqual(averaged.psnrSamples, [16.199317337966068, 14.486563438247403]);
});

test('saveModel → loadModel round-trips weights, config and metadata exactly', async () => {
  const model = trainedTinyModel();
  const dir = await mkdtemp(join(tmpdir(), 'divblur-model-'));
  try {
    await saveModel(dir, model);
    const loaded = await loadModel(dir);
    assert.deepEqual(loaded.config, model.config);
    assert.deepEqual(loaded.normalisation, model.normalisation);
    assert.deepEqual(loaded.psf, model.psf);
    assert.equal(loaded.method, 'divblurring');
    for (const [name, t] of Object.entries(model.params)) assert.deepEqual(loaded.params[name].dataSync(), t.dataSync(), name);
    disposeModel(loaded);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  disposeModel(model);
});

test('loadModel refuses a directory without a divblur model', async () => {
  await assert.rejects(loadModel('/nonexistent-divblur-model'), /cannot read/);
});
