import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { conv2dSameBuiltin, conv2dSameCustomGrad, upsample2x } from './conv.ts';
import { initBackend } from './backend.ts';
import { relativeError } from './test-fixtures.ts';

before(async () => {
  await initBackend('cpu');
});

function randomTensor(shape: number[], seed: number): tf.Tensor {
  return tf.randomUniform(shape, -1, 1, 'float32', seed);
}

// L = Σ r ⊙ conv(x, w)² is a quadratic in each argument: central differences are exact up to rounding.
function quadraticLoss(conv: (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor, r: tf.Tensor) {
  return (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Scalar => tf.sum(tf.mul(r, tf.square(conv(x, w, b))));
}

test('conv2dSame custom gradients match central finite differences (relative error ≤ 1e-3)', () => {
  const x = randomTensor([2, 6, 5, 3], 1);
  const w = randomTensor([3, 3, 3, 2], 2);
  const b = randomTensor([2], 3);
  const r = randomTensor([2, 6, 5, 2], 4);
  const loss = quadraticLoss(conv2dSameCustomGrad, r);
  const grads = tf.grads(loss)([x, w, b]);
  const args = [x, w, b];
  const step = 1e-2;
  args.forEach((arg, which) => {
    const values = arg.dataSync();
    const analytic = grads[which].dataSync();
    const numeric = Array.from(values, (_, i) => {
      const at = (delta: number): number => {
        const moved = Float32Array.from(values);
        moved[i] += delta;
        const shifted = args.map((a, j) => (j === which ? tf.tensor(moved, arg.shape) : a));
        return loss(shifted[0], shifted[1], shifted[2]).dataSync()[0];
      };
      return (at(step) - at(-step)) / (2 * step);
    });
    const error = relativeError(analytic, numeric);
    assert.ok(error <= 1e-3, `argument ${which}: relative error ${error}`);
  });
});

test('conv2dSame custom gradients equal the cpu backend kernels', () => {
  const x = randomTensor([3, 8, 7, 4], 5);
  const w = randomTensor([5, 5, 4, 6], 6);
  const b = randomTensor([6], 7);
  const r = randomTensor([3, 8, 7, 6], 8);
  const custom = tf.grads(quadraticLoss(conv2dSameCustomGrad, r))([x, w, b]);
  const builtin = tf.grads(quadraticLoss((a, c, d) => conv2dSameBuiltin(a as tf.Tensor4D, c as tf.Tensor4D, d as tf.Tensor1D), r))([x, w, b]);
  custom.forEach((g, i) => {
    const error = relativeError(g.dataSync(), builtin[i].dataSync());
    assert.ok(error < 1e-5, `gradient ${i}: relative error ${error}`);
  });
  const forward = relativeError(conv2dSameCustomGrad(x, w, b).dataSync(), conv2dSameBuiltin(x as tf.Tensor4D, w as tf.Tensor4D, b as tf.Tensor1D).dataSync());
  assert.ok(forward < 1e-6);
});

test('upsample2x equals tfjs conv2dTranspose (2×2, stride 2) plus bias, forward and gradients', () => {
  const z = randomTensor([2, 3, 4, 5], 9) as tf.Tensor4D;
  const w = randomTensor([2, 2, 3, 5], 10) as tf.Tensor4D;
  const b = randomTensor([3], 11);
  const reference = (zz: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor): tf.Tensor =>
    tf.add(tf.conv2dTranspose(zz as tf.Tensor4D, ww as tf.Tensor4D, [2, 6, 8, 3], 2, 'same'), bb);
  const ours = (zz: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor): tf.Tensor => upsample2x(zz as tf.Tensor4D, ww, bb);
  assert.deepEqual(ours(z, w, b).shape, [2, 6, 8, 3]);
  assert.ok(relativeError(ours(z, w, b).dataSync(), reference(z, w, b).dataSync()) < 1e-6);
  const r = randomTensor([2, 6, 8, 3], 12);
  const lossOf = (f: typeof ours) => (zz: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor): tf.Scalar => tf.sum(tf.mul(r, tf.square(f(zz, ww, bb))));
  const g1 = tf.grads(lossOf(ours))([z, w, b]);
  const g2 = tf.grads(lossOf(reference))([z, w, b]);
  g1.forEach((g, i) => assert.ok(relativeError(g.dataSync(), g2[i].dataSync()) < 1e-5, `gradient ${i}`));
});

test('upsample2x places filter tap (a, b) at output pixel (2i+a, 2j+b)', () => {
  const z = tf.tensor4d([2], [1, 1, 1, 1]);
  const w = tf.tensor4d([1, 10, 100, 1000], [2, 2, 1, 1]);
  assert.deepEqual(Array.from(upsample2x(z, w, tf.zeros([1])).dataSync()), [2, 20, 200, 2000]);
});
