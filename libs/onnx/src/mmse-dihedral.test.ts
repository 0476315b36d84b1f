import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { dihedral, undoDihedral } from '@divblur/divblurring/symmetry';
import { tinyModel } from './parity.test-helper.ts';
import { loadModelSessions, type ModelSessions } from './session.ts';
import { mmse } from './mmse.ts';
import { sessionTransforms } from './mmse.ts';
import { viewSeed } from '@divblur/divblurring/mmse-core';
import { fillNoise } from './noise.ts';
import { OnnxOptionError } from './errors.ts';

const model = await tinyModel();
const sessions = await loadModelSessions('tiny', model.exported.dir);
const decoder = await ort.InferenceSession.create(model.exported.files.decoder);
const latent = model.saved.manifest.config.latentChannels;

function image(height: number, width: number) {
  const data = Float32Array.from({ length: height * width }, (_, i) => 0.3 + 0.2 * Math.sin(i * 0.37) * Math.cos(i * 0.011));
  return { data, height, width };
}

/** `samples` posterior samples of an image decoded one by one through the encoder and decoder graphs (no margin). */
async function decodeDirectly(y: { data: Float32Array; height: number; width: number }, samples: number, seed: number): Promise<Float32Array[]> {
  const enc = await sessions.encoder.session.run({ y: new ort.Tensor('float32', y.data, [1, 1, y.height, y.width]) });
  const [h, w] = [y.height / 4, y.width / 4];
  const cells = latent * h * w;
  const eps = new Float32Array(samples * cells);
  fillNoise(eps, { seed, channels: latent, planeWidth: w, top: 0, left: 0, height: h, width: w }, 0, samples);
  const mu = enc.mu.data as Float32Array;
  const logvar = enc.logvar.data as Float32Array;
  const z = eps.map((e, i) => mu[i % cells] + Math.exp(0.5 * logvar[i % cells]) * e);
  const x = (await decoder.run({ z: new ort.Tensor('float32', z, [samples, latent, h, w]) })).x.data as Float32Array;
  return Array.from({ length: samples }, (_, s) => x.slice(s * y.height * y.width, (s + 1) * y.height * y.width));
}

test('averaging over the identity, the transpose and a mirror of a non-square image: MMSE and std of the pooled, turned-back samples (direct computation)', async () => {
  const y = image(16, 24);
  const samples = 10; // 4 on the image as it is, 3 on its transpose (24×16), 3 on its column mirror
  const result = await mmse(sessions, y, { samples, seed: 5, dihedral: [0, 4, 2], contextMargin: 0, maxBatch: 2 });
  const plain = await decodeDirectly(y, 4, viewSeed(5, 0));
  const turned = (await decodeDirectly(dihedral(y, 4), 3, viewSeed(5, 4))).map((x) => undoDihedral({ data: x, height: 24, width: 16 }, 4).data);
  const mirrored = (await decodeDirectly(dihedral(y, 2), 3, viewSeed(5, 2))).map((x) => undoDihedral({ data: x, height: 16, width: 24 }, 2).data);
  const all = [...plain, ...turned, ...mirrored];
  for (const p of [0, 37, 200, 383]) {
    const values = all.map((x) => x[p]);
    const mean = values.reduce((a, b) => a + b) / samples;
    const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (samples - 1));
    assert.ok(Math.abs(result.mmse[p] - mean) < 1e-5, `mean at ${p}: ${result.mmse[p]} vs ${mean}`);
    assert.ok(Math.abs(result.std[p] - std) < 1e-5, `std at ${p}: ${result.std[p]} vs ${std}`);
  }
  assert.equal(result.samplesUsed, samples);
  assert.deepEqual([result.height, result.width], [16, 24]);
  const rms = Math.sqrt(result.std.reduce((a, s) => a + s * s, 0) / result.std.length / samples);
  assert.ok(Math.abs(result.standardError.rms - rms) / rms < 1e-3);
});

test('dihedral: true uses the model\'s transforms (all 8 without a PSF); sampleMse has one entry per sample; progress counts all views', async () => {
  const y = image(32, 32);
  const progress: number[] = [];
  const result = await mmse(sessions, y, { samples: 20, seed: 1, dihedral: true, groundTruth: y, onProgress: (done) => progress.push(done) });
  assert.equal(result.samplesUsed, 20);
  assert.equal(result.sampleMse!.length, 20);
  assert.equal(progress.at(-1), 20);
  assert.ok(progress.every((value, i) => i === 0 || value > progress[i - 1]));
  const plain = await mmse(sessions, y, { samples: 20, seed: 1 });
  assert.ok(result.mmse.some((v, i) => Math.abs(v - plain.mmse[i]) > 1e-4), 'averaging changes the estimate');
  const identity = await mmse(sessions, y, { samples: 20, seed: 1, dihedral: [0] });
  assert.deepEqual(identity.mmse, plain.mmse);
  await assert.rejects(mmse(sessions, y, { dihedral: [0, 9] }), (error: unknown) => error instanceof OnnxOptionError && /distinct transforms among 0\.\.7/.test(error.message));
});

test('the transforms come from the PSF in the metadata, within the training augmentations', () => {
  const with_ = (psf: unknown, training: unknown) => ({ encoder: { metadata: { 'divblur.psf': JSON.stringify(psf), 'divblur.training': JSON.stringify(training) } } }) as unknown as ModelSessions;
  assert.deepEqual(sessionTransforms(sessions), [0, 1, 2, 3, 4, 5, 6, 7]);
  const box = { height: 3, width: 3, data: Array(9).fill(1 / 9) };
  assert.deepEqual(sessionTransforms(with_(box, { steps: 1 })), [0, 1, 2, 3, 4, 5, 6, 7]);
  const comatic = { height: 3, width: 3, data: [0, 0.1, 0, 0.1, 0.4, 0.1, 0.05, 0.2, 0.05] };
  assert.deepEqual(sessionTransforms(with_(comatic, { steps: 1 })), [0, 2]);
  assert.deepEqual(sessionTransforms(with_(box, { hyperparameters: { augmentations: [0, 1, 2, 3] } })), [0, 1, 2, 3]);
});
