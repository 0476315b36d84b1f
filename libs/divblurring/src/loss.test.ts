import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend.ts';
import { blurValid, dataTermPerImage, divblurLoss, klMap, psfFilter } from './loss.ts';
import { gaussianNoise } from './imaging.ts';

before(async () => {
  await initBackend('cpu');
});

const close = (actual: number, expected: number, tolerance = 1e-5): void =>
  assert.ok(Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)), `${actual} ≠ ${expected}`);

test('blurValid is a true convolution (the PSF is not mirrored) and keeps only interior pixels', () => {
  // x = a single 1 at (2, 2) of a 5×5 image; an asymmetric 3×3 PSF → (A x) around it is the PSF itself
  const x = tf.tensor4d(Array.from({ length: 25 }, (_, i) => (i === 12 ? 1 : 0)), [1, 5, 5, 1]);
  const psf = { data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), height: 3, width: 3 };
  const blurred = blurValid(x, psfFilter(psf));
  assert.deepEqual(blurred.shape, [1, 3, 3, 1]);
  assert.deepEqual(Array.from(blurred.dataSync()), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('the data term of a hand-sized example equals ‖A x − y‖²/(2σ²) over the valid pixels', () => {
  const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], [1, 4, 4, 1]);
  const y = tf.tensor4d([0, 0, 0, 0, 0, 3, 1, 0, 0, 2, 5, 0, 0, 0, 0, 0], [1, 4, 4, 1]);
  const psf = { data: Float32Array.from([0, 0, 0, 0, 0.5, 0.5, 0, 0, 0]), height: 3, width: 3 };
  // (A x)[i,j] = ½ x[i,j] + ½ x[i,j−1] on the 2×2 interior: rows 1–2, cols 1–2
  const ax = [(6 + 5) / 2, (7 + 6) / 2, (10 + 9) / 2, (11 + 10) / 2];
  const residualSquared = (ax[0] - 3) ** 2 + (ax[1] - 1) ** 2 + (ax[2] - 2) ** 2 + (ax[3] - 5) ** 2;
  const sigma = 0.5;
  close(dataTermPerImage(x, y, psfFilter(psf), sigma).dataSync()[0], residualSquared / (2 * sigma * sigma));
});

test('the valid-mode residual ignores the border: changing y outside the interior changes nothing', () => {
  const x = tf.randomUniform([2, 8, 8, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
  const psf = psfFilter({ data: new Float32Array(9).fill(1 / 9), height: 3, width: 3 });
  const y = tf.randomUniform([2, 8, 8, 1], 0, 1, 'float32', 2) as tf.Tensor4D;
  const border = tf.pad(tf.zeros([2, 6, 6, 1]), [[0, 0], [1, 1], [1, 1], [0, 0]], 100);
  const yBorder = tf.add(y, border) as tf.Tensor4D;
  const interior = tf.pad(tf.ones([2, 6, 6, 1]), [[0, 0], [1, 1], [1, 1], [0, 0]]);
  const yInterior = tf.add(y, interior) as tf.Tensor4D;
  const base = dataTermPerImage(x, y, psf, 0.1).dataSync();
  assert.deepEqual(Array.from(dataTermPerImage(x, yBorder, psf, 0.1).dataSync()), Array.from(base));
  assert.notDeepEqual(Array.from(dataTermPerImage(x, yInterior, psf, 0.1).dataSync()), Array.from(base));
});

test('the KL is eq. (1.8) entry by entry and zero at μ = 0, log σ² = 0', () => {
  const mu = tf.tensor4d([0, 1, -2, 0.5], [1, 1, 2, 2]);
  const logvar = tf.tensor4d([0, 0, 1, -1], [1, 1, 2, 2]);
  const expected = [0, 0.5, -0.5 * (1 + 1 - 4 - Math.E), -0.5 * (1 - 1 - 0.25 - Math.exp(-1))];
  Array.from(klMap(mu, logvar).dataSync()).forEach((v, i) => close(v, expected[i]));
});

test('divblurLoss = batch mean of data + β·KL + λR per image, and free bits only raise the optimised KL', () => {
  const x = tf.tensor4d([1, -2, 3, 4, 0, 1, -1, 2], [2, 2, 2, 1]);
  const y = tf.tensor4d([1, 1, 1, 1, 0, 0, 0, 0], [2, 2, 2, 1]);
  const mu = tf.tensor4d([0.5, 0, 1, 0], [2, 1, 1, 2]);
  const logvar = tf.tensor4d([0, 0.2, 0, -0.3], [2, 1, 1, 2]);
  const sigma = 2;
  const penalty = { name: 'l1' as const, lambda: 0.1, kappa: 0 };
  const terms = divblurLoss({ y, x, mu, logvar, psf: null, noiseModel: gaussianNoise(sigma), beta: 0.5, freeBitsNats: 0, penalty });
  const data = ((0 + 9 + 4 + 9) / 8 + (0 + 1 + 1 + 4) / 8) / 2;
  const klEntries = Array.from(klMap(mu, logvar).dataSync());
  const kl = klEntries.reduce((a, b) => a + b) / 2;
  const l1 = 0.1 * ((1 + 2 + 3 + 4) + (0 + 1 + 1 + 2)) / 2;
  close(terms.data.dataSync()[0], data);
  close(terms.kl.dataSync()[0], kl);
  close(terms.penalty.dataSync()[0], l1);
  close(terms.objective.dataSync()[0], data + 0.5 * kl + l1);
  const floored = divblurLoss({ y, x, mu, logvar, psf: null, noiseModel: gaussianNoise(sigma), beta: 1, freeBitsNats: 0.5, penalty });
  // per channel batch-mean KL: channel 0 = (k0 + k2)/2, channel 1 = (k1 + k3)/2, each floored at 0.5
  const channels = [(klEntries[0] + klEntries[2]) / 2, (klEntries[1] + klEntries[3]) / 2].map((k) => Math.max(k, 0.5));
  close(floored.objective.dataSync()[0], data + channels[0] + channels[1] + l1);
});
