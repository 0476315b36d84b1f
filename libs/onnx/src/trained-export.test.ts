import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs';
import { decode, disposeModel, encode, initBackend, KERNEL_SIZES, sampleLatent, saveModel, trainModel } from '@divblur/divblurring';
import { TINY_MODEL, tinyCameraOptions, tinyImages, tinyOptions } from '@divblur/divblurring/testing';
import { exportModel } from './export.ts';
import { loadModelSessions, releaseModelSessions } from './session.ts';
import { fillNoise } from './noise.ts';
import { nchwToNhwc, relativeMaxError } from './parity.test-helper.ts';

// The acceptance of "export every kernel size the trainer trains": for each size the contract accepts, a model
// trained by trainModel (a few steps of the tiny network, so that its weights are a trained model's, not a random
// draw) is saved, exported, and its ONNX graphs give what tfjs's own encode / decode give.
let dir: string;
before(async () => {
  await initBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'divblur-trained-export-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const [height, width] = [24, 40];

for (const kernelSize of KERNEL_SIZES) {
  test(`a model trained with ${kernelSize}×${kernelSize} kernels exports to graphs that match tfjs to 1e-4 of the data range`, async () => {
    // Seed 1: with some seeds the 1×1 network's decoder trains into all-dead ReLUs (a constant image), which
    // would compare nothing; the range check below keeps the comparison meaningful.
    const model = (await trainModel(tinyOptions({ seed: 1, steps: 3, model: { ...TINY_MODEL, kernelSize } }))).model;
    const modelDir = join(dir, `k${kernelSize}`);
    await saveModel(modelDir, model);
    const exported = await exportModel(modelDir, join(modelDir, 'onnx'));
    const { params, config, normalisation } = model;
    const y = tinyImages(1, 40, kernelSize).data.subarray(0, height * width);
    const latentDims = [1, config.latentChannels, height / 4, width / 4];
    const eps = new Float32Array(latentDims.reduce((a, b) => a * b, 1));
    fillNoise(eps, { seed: kernelSize, channels: latentDims[1], planeWidth: latentDims[3], top: 0, left: 0, height: latentDims[2], width: latentDims[3] }, 0, 1);

    const encoder = await ort.InferenceSession.create(exported.files.encoder);
    const encoded = await encoder.run({ y: new ort.Tensor('float32', y, [1, 1, height, width]) });
    // z for the decoder alone: 2·N(0, 1), wider than the posterior, so that the decoder's units see both signs.
    const z = new Float32Array(eps.length);
    fillNoise(z, { seed: 100 + kernelSize, channels: latentDims[1], planeWidth: latentDims[3], top: 0, left: 0, height: latentDims[2], width: latentDims[3] }, 0, 1);
    z.forEach((v, i) => (z[i] = 2 * v));
    const expected = tf.tidy(() => {
      const { mu, logvar } = encode(params, config, normalisation, tf.tensor4d(y, [1, height, width, 1]));
      const x = decode(params, config, normalisation, sampleLatent(mu, logvar, nchwToNhwc(eps, latentDims)));
      return { mu: mu.dataSync(), logvar: logvar.dataSync(), x: x.dataSync(), decoded: decode(params, config, normalisation, nchwToNhwc(z, latentDims)).dataSync() };
    });
    for (const name of ['mu', 'logvar'] as const) {
      assert.deepEqual(encoded[name].dims, latentDims);
      const error = relativeMaxError(tf.tidy(() => nchwToNhwc(encoded[name].data as Float32Array, encoded[name].dims).dataSync()), expected[name]);
      assert.ok(error < 1e-4, `encoder ${name}: relative error ${error}`);
    }
    const decoder = await ort.InferenceSession.create(exported.files.decoder);
    assert.ok(Math.max(...expected.decoded) > Math.min(...expected.decoded), 'the decoder must not be constant');
    const decoded = await decoder.run({ z: new ort.Tensor('float32', z, latentDims) });
    const decodeError = relativeMaxError(decoded.x.data as Float32Array, expected.decoded);
    assert.ok(decodeError < 1e-4, `decoder: relative error ${decodeError}`);
    const sample = await ort.InferenceSession.create(exported.files.sample);
    const sampled = await sample.run({ y: new ort.Tensor('float32', y, [1, 1, height, width]), eps: new ort.Tensor('float32', eps, latentDims) });
    const sampleError = relativeMaxError(sampled.x.data as Float32Array, expected.x);
    assert.ok(sampleError < 1e-4, `sample: relative error ${sampleError}`);
    await Promise.all([encoder.release(), decoder.release(), sample.release()]);
    disposeModel(model);
  });
}

test('a camera model (Poisson–Gaussian noise, softplus output) carries its noise model in the metadata and its offset in the graph, matching tfjs', async () => {
  const model = (await trainModel(tinyCameraOptions({ seed: 1, steps: 3, model: { ...TINY_MODEL, output: 'softplus' } }))).model;
  assert.equal(model.noiseModel.kind, 'poisson_gaussian');
  const modelDir = join(dir, 'camera');
  await saveModel(modelDir, model);
  const exported = await exportModel(modelDir, join(modelDir, 'onnx'));
  const { params, config, normalisation } = model;
  const images = tinyCameraOptions().images;
  const y = new Float32Array(height * width);
  for (let r = 0; r < height; r++) y.set(images.data.subarray(r * images.width, r * images.width + width), r * width);
  const latentDims = [1, config.latentChannels, height / 4, width / 4];
  const eps = new Float32Array(latentDims.reduce((a, b) => a * b, 1));
  fillNoise(eps, { seed: 9, channels: latentDims[1], planeWidth: latentDims[3], top: 0, left: 0, height: latentDims[2], width: latentDims[3] }, 0, 1);
  const expected = tf.tidy(() => {
    const { mu, logvar } = encode(params, config, normalisation, tf.tensor4d(y, [1, height, width, 1]));
    return decode(params, config, normalisation, sampleLatent(mu, logvar, nchwToNhwc(eps, latentDims))).dataSync();
  });
  const sample = await ort.InferenceSession.create(exported.files.sample);
  const sampled = await sample.run({ y: new ort.Tensor('float32', y, [1, 1, height, width]), eps: new ort.Tensor('float32', eps, latentDims) });
  const x = sampled.x.data as Float32Array;
  const error = relativeMaxError(x, expected);
  assert.ok(error < 1e-4, `sample: relative error ${error}`);
  // the softplus is positive above the offset, in ADU: nothing below o
  assert.ok(x.every((v) => v > model.noiseModel.offset), `min ${Math.min(...x)} vs offset ${model.noiseModel.offset}`);
  const sessions = await loadModelSessions('camera', exported.dir);
  assert.deepEqual(sessions.sampler.noiseModel, model.noiseModel);
  assert.deepEqual(JSON.parse(sessions.encoder.metadata['divblur.noise_model']), model.noiseModel);
  assert.equal(sessions.sampler.normalisation.offset, model.noiseModel.offset);
  await releaseModelSessions(sessions);
  await sample.release();
  disposeModel(model);
});
